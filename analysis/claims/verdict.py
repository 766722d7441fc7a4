"""Verdicts, and what evaluating one check produces before the engine adds ids and sources."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from analysis.claims.wording import Interval

__all__ = ["VERDICTS", "Live", "NotEnoughData", "Outcome", "Verdict"]


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
class Live:
    """A measurement of the session in progress.

    ``value_at`` gives the measured value from each symbol's last price, and is monotone in
    each price; ``ranges`` holds each symbol's ``(low, high, close)`` for the session, and
    ``accepts`` the values the claim's rule accepts. ``image`` may replace the default bounds
    (the values at the corners of the price ranges) where ``value_at`` is not continuous.
    """

    value_at: Callable[[Mapping[str, float]], float]
    ranges: dict[str, tuple[float, float, float]]
    accepts: Interval
    image: Callable[[Mapping[str, tuple[float, float, float]]], tuple[float, float]] | None = None

    def at_close(self) -> float:
        return self.value_at({s: r[2] for s, r in self.ranges.items()})

    def bounds(self) -> tuple[float, float]:
        """The lowest and highest value over the session's ranges (exact: the function is
        monotone in each price, so its extremes lie at the corners)."""
        if self.image is not None:
            return self.image(self.ranges)
        corners = itertools.product(*((r[0], r[1]) for r in self.ranges.values()))
        values = [self.value_at(dict(zip(self.ranges, c, strict=True))) for c in corners]
        finite = [v for v in values if not math.isnan(v)]
        return (min(finite), max(finite)) if finite else (math.nan, math.nan)


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
