"""Verdicts, and what evaluating one check produces before the engine adds ids and sources."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from analysis.claims.wording import Interval

__all__ = ["VERDICTS", "Component", "Live", "NotEnoughData", "Outcome", "Verdict"]


class Verdict(StrEnum):
    """What a claim came to. An error is never a verdict."""

    SUPPORTED = "supported"
    REFUTED = "refuted"
    # holds somewhere within the session's high-low range, but not at its close
    CONSISTENT_INTRADAY = "consistent_intraday"
    # a series or a date the check needs is missing (named in ``missing``)
    NOT_ENOUGH_DATA = "not_enough_data"
    # the horizon runs past the data; the interim result is reported
    PENDING = "pending"
    NOT_CHECKABLE = "not_checkable"


VERDICTS = tuple(v.value for v in Verdict)


class NotEnoughData(Exception):
    """A series or a date a check needs is not on the tape; ``missing`` names them."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Component:
    """One stated quantity of a statement about the session in progress: its value as a
    function of the symbols' last prices, monotone in each, and the values its wording
    accepts."""

    label: str
    symbols: tuple[str, ...]
    value_at: Callable[[Mapping[str, float]], float]
    accepts: Interval
    show: Callable[[float], str] | None = None
    # the values it takes between its extremes: all of them (a return, a level), only the two
    # extremes (a count that is either "none" or "the next one"), or every whole number (a rank)
    image: Literal["interval", "ends", "integers"] = "interval"

    @classmethod
    def of(
        cls,
        label: str,
        symbol: str,
        value_at: Callable[[float], float],
        accepts: Interval,
        show: Callable[[float], str] | None = None,
        image: Literal["interval", "ends", "integers"] = "interval",
    ) -> Component:
        """A quantity of one symbol (its return, its level)."""
        return cls(label, (symbol,), lambda p: value_at(p[symbol]), accepts, show, image)

    def reached(self, ranges: Mapping[str, tuple[float, float, float]]) -> bool:
        """Whether the session's prices took the component to a value its wording accepts."""
        lo, hi = self.over(ranges)
        if self.image == "ends":
            return self.accepts.contains(lo) or self.accepts.contains(hi)
        if self.image == "integers":
            first, last = math.ceil(lo), math.floor(hi)
            return any(
                self.accepts.contains(k) for k in range(first, min(last, first + 10_000) + 1)
            )
        return self.accepts.meets(lo, hi)

    def over(self, ranges: Mapping[str, tuple[float, float, float]]) -> tuple[float, float]:
        """The values the component takes over the session's price ranges: exact, since the
        function is monotone in each price, its extremes are at the corners."""
        corners = itertools.product(*((ranges[s][0], ranges[s][1]) for s in self.symbols))
        values = [self.value_at(dict(zip(self.symbols, c, strict=True))) for c in corners]
        finite = [v for v in values if not math.isnan(v)]
        return (min(finite), max(finite)) if finite else (math.nan, math.nan)


@dataclass(frozen=True)
class Live:
    """A measurement of the session in progress.

    ``at_close`` is the claim's measured value from each symbol's final price, ``accepts`` the
    values its rule accepts there; ``components`` are the stated quantities judged against
    their own ranges (``consistent_intraday`` when every one of them was reached somewhere in
    its symbol's high-low range). ``judged_on`` is ``close``, or ``high`` for words that speak
    of the intraday high ("topped", "hit", "touched"): then the high is the measurement.
    """

    value_at: Callable[[Mapping[str, float]], float]
    ranges: dict[str, tuple[float, float, float]]
    accepts: Interval
    components: tuple[Component, ...]
    judged_on: Literal["close", "high", "low"] = "close"

    @classmethod
    def single(
        cls,
        label: str,
        symbol: str,
        value_at: Callable[[float], float],
        session: tuple[float, float, float],
        accepts: Interval,
        judged_on: Literal["close", "high", "low"] = "close",
        image: Literal["interval", "ends", "integers"] = "interval",
    ) -> Live:
        """A statement about one quantity of one symbol."""
        component = Component.of(label, symbol, value_at, accepts, image=image)
        return cls(
            lambda p: value_at(p[symbol]), {symbol: session}, accepts, (component,), judged_on
        )

    @classmethod
    def level(
        cls,
        label: str,
        symbol: str,
        session: tuple[float, float, float],
        accepts: Interval,
        judged_on: Literal["close", "high", "low"] = "close",
    ) -> Live:
        """A statement about the level itself (a close, a high, a target against the level)."""
        return cls.single(label, symbol, lambda p: p, session, accepts, judged_on)

    def measured(self) -> float:
        """The value the verdict is judged on: at the close (or at the high)."""
        at = {"low": 0, "high": 1, "close": 2}[self.judged_on]
        return self.value_at({s: r[at] for s, r in self.ranges.items()})

    def intervals(self) -> dict[str, tuple[float, float]]:
        """Each component's values over its symbol's session range."""
        return {c.label: c.over(self.ranges) for c in self.components}


@dataclass
class Outcome:
    """A verdict with its evidence (``verdict`` is None while a live measurement awaits
    judging by the engine)."""

    verdict: Verdict | None
    measured: dict[str, object]
    rule: str
    summary: str
    series: list[str]
    missing: list[str] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)
    live: Live | None = None
    # how the measured value is printed (at the precision of the claim's figure)
    show: Callable[[float], str] | None = None
    # set by the engine once a measurement of the session in progress has been judged
    judged_live: bool = False
    # the measured value the verdict was judged on (for ranking candidate dates by fit)
    value: float | None = None

    @classmethod
    def judged(
        cls,
        holds: bool,
        measured: dict[str, object],
        rule: str,
        summary: str,
        series: list[str],
        **kw: object,
    ) -> Outcome:
        """``supported`` when ``holds``, else ``refuted``."""
        verdict = Verdict.SUPPORTED if holds else Verdict.REFUTED
        return cls(verdict, measured, rule, summary, series, **kw)  # type: ignore[arg-type]
