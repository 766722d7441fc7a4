"""Wording rules: the words articles use, each made an explicit test with a default tolerance.

A claim names its rule and may override the tolerance; every verdict prints the rule and the
tolerance it used next to the measured value, so a reader can disagree with the reading and
see what would change.

rule            words                            accepts (m measured, c claimed, u unit)  default
--------------  -------------------------------  ---------------------------------------  -------
rounds_to       a figure with no hedge: "is up   c - u/2 <= m < c + u/2 (what rounds to c)     -
                11%", "ahead 0.8%"
about           about, approximately, ~, near    c - u <= m <= c + u                           0.10
roughly         roughly, around, some            c - 2u <= m <= c + 2u                         0.20
more_than       more than, over                  m > c                                         0
at_least        at least                         m >= c - tol                                  0
nearly          nearly, almost                   c x (1 - tol) <= m <= c                       0.10
flat            flat                             |m| <= tol (a return)                         0.01
treading_water  treading water, going nowhere    |m| <= tol (a return over months)             0.05
twice           twice, double                    2 (1 - tol) <= m <= 2 (1 + tol) (a ratio)     0.25
on_a_tear       on a tear, surging               m >= tol (a trailing 3-month return)          0.10
pullback        pullback, significant pullback   m <= -tol (a fall)                            0.05
correction      correction, considerable ...     m <= -tol (a fall)                            0.10
record          record, all-time high            m > c (c the prior record)                    0
first_time      for the first time, first ever   m > c, never exceeded before                  0
below / above   below, above (a level)           m < c / m > c                                 0
exactly         third, fifth (a count)           |m - c| <= tol                                0

The unit ``u`` is one step of the figure's last printed digit (:mod:`analysis.claims.figures`):
"11%" has unit 1 percentage point, "11.37%" one hundredth of a point, "2,460" ten points. A claim
states its figure as printed (``stated: "11%"``); ``about`` and ``roughly`` without a printed
figure fall back to a relative tolerance (``|m - c| <= tol x |c|``). Every verdict prints the
interval its rule accepted.

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

    def describe(self, show: Callable[[float], str]) -> str:
        """The interval in words, e.g. ``10.5% up to 11.5%``, ``more than 12%``."""
        if self.lo == -INF and self.hi == INF:
            return "any value"
        if self.lo == -INF:
            return f"{'below' if self.hi_open else 'at most'} {show(self.hi)}"
        if self.hi == INF:
            return f"{'more than' if self.lo_open else 'at least'} {show(self.lo)}"
        if self.lo == self.hi:
            return f"exactly {show(self.lo)}"
        return f"{show(self.lo)} {'up to' if self.hi_open else 'to'} {show(self.hi)}"

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
    accepts: Callable[[float | None, float, float | None], Interval]
    explain: str  # with {c} and {tol} placeholders
    uses_unit: bool = False

    @property
    def needs_value(self) -> bool:
        """Whether the rule compares against a claimed figure."""
        return self.name in NEEDS_VALUE

    def interval(
        self, claimed: float | None, tolerance: float | None, unit: float | None = None
    ) -> Interval:
        """The measured values this rule accepts for ``claimed`` (printed to ``unit``).

        >>> RULES["about"].interval(0.07, None)
        Interval(lo=0.063, hi=0.077, lo_open=False, hi_open=False)
        >>> RULES["rounds_to"].interval(0.11, None, 0.01)
        Interval(lo=0.105, hi=0.115, lo_open=False, hi_open=True)
        """
        tol = self.default_tolerance if tolerance is None else tolerance
        return self.accepts(claimed, tol, unit)

    def holds(
        self,
        measured: float,
        claimed: float | None,
        tolerance: float | None,
        unit: float | None = None,
    ) -> bool:
        """Whether ``measured`` satisfies the rule against ``claimed``.

        >>> RULES["about"].holds(0.073, 0.07, None)
        True
        >>> RULES["more_than"].holds(0.1149, 0.12, None)
        False
        """
        return self.interval(claimed, tolerance, unit).contains(measured)

    def describe(
        self,
        claimed: float | None,
        tolerance: float | None,
        unit: float | None = None,
        fmt: Callable[[float], str] | None = None,
    ) -> str:
        """The rule in words with its numbers, and the interval it accepts: printed beside
        every verdict.

        >>> RULES["flat"].describe(None, None)
        'flat: |measured| <= 1% (accepts -1% to 1%)'
        >>> RULES["rounds_to"].describe(0.11, None, 0.01)
        'rounds_to: measured rounds to 11% (accepts 10.5% up to 11.5%)'
        """
        tol = self.default_tolerance if tolerance is None else tolerance
        show = fmt or _auto(claimed)
        if self.uses_unit and unit is not None:
            text = self.explain.format(c=show(_need(claimed)), tol="", u=show(unit))
        else:
            shown = show(claimed) if claimed is not None else "-"
            # tolerances are fractions: of a return, or of the claimed figure
            text = self.fallback.format(c=shown, tol=f"{tol * 100:.6g}%")
        accepted = self.interval(claimed, tolerance, unit).describe(show)
        return f"{self.name}: {text} (accepts {accepted})"

    @property
    def fallback(self) -> str:
        return _FALLBACK.get(self.name, self.explain)


def _auto(claimed: float | None) -> Callable[[float], str]:
    """Show fractions below 1 as percentages (returns) and larger numbers as levels."""
    if claimed is not None and abs(claimed) >= 1:
        return lambda x: f"{x:,.6g}"
    return lambda x: f"{x * 100:.6g}%"


def _need(c: float | None) -> float:
    if c is None:
        raise ValueError("this rule compares against a claimed value; the claim gives none")
    return c


def _rounds_to(c: float | None, t: float, u: float | None) -> Interval:
    c = _need(c)
    if u is None:
        raise ValueError("rounds_to needs the figure as printed (stated: '11%')")
    return Interval(round(c - u / 2, 12), round(c + u / 2, 12), hi_open=True)


def _within_units(units: float) -> Callable[[float | None, float, float | None], Interval]:
    def accepts(c: float | None, t: float, u: float | None) -> Interval:
        c = _need(c)
        if u is not None:
            return Interval(round(c - units * u, 12), round(c + units * u, 12))
        # no printed figure: a relative tolerance, rounded to 15 significant digits so that
        # 0.07 +- 10% reads 0.063 .. 0.077, not 0.0629999
        return Interval(round(c - t * abs(c), 15), round(c + t * abs(c), 15))

    return accepts


NEEDS_VALUE = frozenset(
    (
        "rounds_to",
        "about",
        "roughly",
        "more_than",
        "at_least",
        "nearly",
        "record",
        "first_time",
        "below",
        "exactly",
        "above",
    )
)
_FALLBACK = {
    "about": "measured within {tol} of {c}",
    "roughly": "measured within {tol} of {c}",
}


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "rounds_to",
            ("is", "was", "gained", "ahead"),
            0.0,
            _rounds_to,
            "measured rounds to {c}",
            uses_unit=True,
        ),
        Rule(
            "about",
            ("about", "approximately", "~", "near"),
            0.10,
            _within_units(1),
            "within one unit ({u}) of {c}",
            uses_unit=True,
        ),
        Rule(
            "roughly",
            ("roughly", "around", "some"),
            0.20,
            _within_units(2),
            "within two units ({u}) of {c}",
            uses_unit=True,
        ),
        Rule(
            "more_than",
            ("more than", "over"),
            0.0,
            lambda c, t, u: Interval(_need(c) + t, INF, lo_open=True),
            "measured > {c}",
        ),
        Rule(
            "at_least",
            ("at least",),
            0.0,
            lambda c, t, u: Interval(_need(c) - t, INF),
            "measured >= {c}",
        ),
        Rule(
            "nearly",
            ("nearly", "almost"),
            0.10,
            lambda c, t, u: Interval(_need(c) * (1 - t), _need(c)),
            "{c} x (1 - {tol}) <= measured <= {c}",
        ),
        Rule(
            "flat",
            ("flat",),
            0.01,
            lambda c, t, u: Interval(-t, t),
            "|measured| <= {tol}",
        ),
        Rule(
            "treading_water",
            ("treading water", "going nowhere"),
            0.05,
            lambda c, t, u: Interval(-t, t),
            "|measured| <= {tol}",
        ),
        Rule(
            "twice",
            ("twice", "double"),
            0.25,
            lambda c, t, u: Interval(2 * (1 - t), 2 * (1 + t)),
            "the ratio is 2 within {tol} of it",
        ),
        Rule(
            "on_a_tear",
            ("on a tear", "surging"),
            0.10,
            lambda c, t, u: Interval(t, INF),
            "measured >= {tol}",
        ),
        Rule(
            "pullback",
            ("pullback", "significant pullback"),
            0.05,
            lambda c, t, u: Interval(-INF, -t),
            "a fall of at least {tol}",
        ),
        Rule(
            "correction",
            ("correction", "considerable correction"),
            0.10,
            lambda c, t, u: Interval(-INF, -t),
            "a fall of at least {tol}",
        ),
        Rule(
            "record",
            ("record", "all-time high"),
            0.0,
            lambda c, t, u: Interval(_need(c) + t, INF, lo_open=True),
            "measured above the prior record {c}",
        ),
        Rule(
            "first_time",
            ("for the first time", "first ever"),
            0.0,
            lambda c, t, u: Interval(_need(c) + t, INF, lo_open=True),
            "measured above {c}, never exceeded before",
        ),
        Rule(
            "below",
            ("below",),
            0.0,
            lambda c, t, u: Interval(-INF, _need(c) - t, hi_open=True),
            "measured < {c}",
        ),
        Rule(
            "exactly",
            ("third", "fifth", "exactly"),
            0.0,
            lambda c, t, u: Interval(_need(c) - t, _need(c) + t),
            "measured = {c}",
        ),
        Rule(
            "above",
            ("above",),
            0.0,
            lambda c, t, u: Interval(_need(c) + t, INF, lo_open=True),
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
