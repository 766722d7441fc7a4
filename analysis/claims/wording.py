"""Wording rules: the words articles use, each made an explicit test with a default tolerance.

A claim names its rule and may override the tolerance; every verdict prints the rule and the
tolerance it used next to the measured value, so a reader can disagree with the reading and
see what would change.

rule            words                            holds when (m measured, c claimed)    default
--------------  -------------------------------  ------------------------------------  -------
more_than       more than, over, above           m > c                                 0
at_least        at least                         m >= c - tol                          0
about           about, roughly, around, ~        |m - c| <= tol x |c|                  0.10
nearly          nearly, almost                   c x (1 - tol) <= m <= c               0.10
flat            flat                             |m| <= tol (a return)                 0.01
treading_water  treading water, going nowhere    |m| <= tol (a return over months)     0.05
twice           twice, double                    |m / 2 - 1| <= tol (m a ratio)        0.25
on_a_tear       on a tear, surging               m >= tol (a trailing 3-month return)  0.10
pullback        pullback, significant pullback   m <= -tol (a drawdown)                0.05
correction      correction, considerable ...     m <= -tol (a drawdown)                0.10
record          record, all-time high            m > c (c the prior record)            0
first_time      for the first time, first ever   m > c, never exceeded before          0
below / above   below, above (a level)           m < c / m > c                         0
exactly         third, fifth (a count)           |m - c| <= tol                        0

Market practice behind the defaults: a *pullback* is a fall of 5-10% from a peak and a
*correction* one of 10% or more; "flat on the month" is within one percent either way;
"treading water" over months is within five; "on a tear" is a quarter's gain of 10% or more.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RULES", "Interval", "Rule", "rule"]

INF = math.inf


@dataclass(frozen=True)
class Interval:
    """The values a rule accepts: ``lo .. hi``, each end open or closed.

    >>> Interval(1.0, 2.0).contains(2.0), Interval(1.0, 2.0, hi_open=True).contains(2.0)
    (True, False)
    >>> Interval(1.0, INF, lo_open=True).meets(0.5, 1.0)
    False
    """

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, x: float) -> bool:
        """Whether ``x`` is accepted (NaN never is)."""
        if math.isnan(x):
            return False
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return above and below

    def meets(self, lo: float, hi: float) -> bool:
        """Whether some value of the closed range ``[lo, hi]`` is accepted."""
        if math.isnan(lo) or math.isnan(hi):
            return False
        lo, hi = min(lo, hi), max(lo, hi)
        if hi < self.lo or (hi == self.lo and self.lo_open):
            return False
        return not (lo > self.hi or (lo == self.hi and self.hi_open))


@dataclass(frozen=True)
class Rule:
    """One wording rule: the values of a measurement that agree with a claimed one."""

    name: str
    words: tuple[str, ...]
    default_tolerance: float
    accepts: Callable[[float | None, float], Interval]
    explain: str  # with {c} and {tol} placeholders

    def interval(self, claimed: float | None, tolerance: float | None) -> Interval:
        """The measured values this rule accepts for ``claimed``.

        >>> RULES["about"].interval(0.07, None)
        Interval(lo=0.063, hi=0.077, lo_open=False, hi_open=False)
        """
        tol = self.default_tolerance if tolerance is None else tolerance
        return self.accepts(claimed, tol)

    def holds(self, measured: float, claimed: float | None, tolerance: float | None) -> bool:
        """Whether ``measured`` satisfies the rule against ``claimed``.

        >>> RULES["about"].holds(0.073, 0.07, None)
        True
        >>> RULES["more_than"].holds(0.1149, 0.12, None)
        False
        """
        return self.interval(claimed, tolerance).contains(measured)

    def describe(self, claimed: float | None, tolerance: float | None) -> str:
        """The rule in words, with its numbers: printed beside every verdict.

        >>> RULES["flat"].describe(None, None)
        'flat: |measured| <= 0.01 (tolerance 0.01)'
        """
        tol = self.default_tolerance if tolerance is None else tolerance
        text = self.explain.format(c=_num(claimed), tol=_num(tol))
        return f"{self.name}: {text} (tolerance {_num(tol)})"


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.6g}"


def _need(c: float | None) -> float:
    if c is None:
        raise ValueError("this rule compares against a claimed value; the claim gives none")
    return c


def _about(c: float | None, t: float) -> Interval:
    c = _need(c)
    # rounded to 15 significant digits so that 0.07 +- 10% reads 0.063 .. 0.077, not 0.0629999
    return Interval(round(c - t * abs(c), 15), round(c + t * abs(c), 15))


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "more_than",
            ("more than", "over", "above"),
            0.0,
            lambda c, t: Interval(_need(c) + t, INF, lo_open=True),
            "measured > {c}",
        ),
        Rule(
            "at_least",
            ("at least",),
            0.0,
            lambda c, t: Interval(_need(c) - t, INF),
            "measured >= {c} - tolerance",
        ),
        Rule(
            "about",
            ("about", "roughly", "around", "approximately", "~"),
            0.10,
            _about,
            "|measured - {c}| <= {tol} x |{c}|",
        ),
        Rule(
            "nearly",
            ("nearly", "almost"),
            0.10,
            lambda c, t: Interval(_need(c) * (1 - t), _need(c)),
            "{c} x (1 - {tol}) <= measured <= {c}",
        ),
        Rule("flat", ("flat",), 0.01, lambda c, t: Interval(-t, t), "|measured| <= {tol}"),
        Rule(
            "treading_water",
            ("treading water", "going nowhere"),
            0.05,
            lambda c, t: Interval(-t, t),
            "|measured| <= {tol}",
        ),
        Rule(
            "twice",
            ("twice", "double"),
            0.25,
            lambda c, t: Interval(2 * (1 - t), 2 * (1 + t)),
            "|measured / 2 - 1| <= {tol}",
        ),
        Rule(
            "on_a_tear",
            ("on a tear", "surging"),
            0.10,
            lambda c, t: Interval(t, INF),
            "measured >= {tol}",
        ),
        Rule(
            "pullback",
            ("pullback", "significant pullback"),
            0.05,
            lambda c, t: Interval(-INF, -t),
            "drawdown <= -{tol}",
        ),
        Rule(
            "correction",
            ("correction", "considerable correction"),
            0.10,
            lambda c, t: Interval(-INF, -t),
            "drawdown <= -{tol}",
        ),
        Rule(
            "record",
            ("record", "all-time high"),
            0.0,
            lambda c, t: Interval(_need(c) + t, INF, lo_open=True),
            "measured > prior record {c}",
        ),
        Rule(
            "first_time",
            ("for the first time", "first ever"),
            0.0,
            lambda c, t: Interval(_need(c) + t, INF, lo_open=True),
            "measured > {c}, never exceeded before",
        ),
        Rule(
            "below",
            ("below",),
            0.0,
            lambda c, t: Interval(-INF, _need(c) - t, hi_open=True),
            "measured < {c}",
        ),
        Rule(
            "exactly",
            ("third", "fifth", "exactly"),
            0.0,
            lambda c, t: Interval(_need(c) - t, _need(c) + t),
            "measured = {c}",
        ),
        Rule(
            "above",
            ("above",),
            0.0,
            lambda c, t: Interval(_need(c) + t, INF, lo_open=True),
            "measured > {c}",
        ),
    )
}


def rule(name: str) -> Rule:
    """The rule called ``name`` (a KeyError lists the known ones)."""
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"unknown wording rule {name!r}; known: {', '.join(RULES)}") from None
