"""The claim IR: frozen, typed specs of articles, claims and the checks they make.

This module only describes claims; :mod:`analysis.claims.engine` evaluates them and the report
modules show them. Every check is one of the predicates below, selected by its ``predicate``
field, so an article whose claims use existing predicates needs only a YAML file.

Windows are written as short strings and parsed into :class:`Window`:

=====================  ==========================================================
``ytd``                calendar year to date
``mtd``                month to date
``month:2024-07``      one calendar month
``half:2024-1``        first (or second) half of a year
``between:A..B``       from the last close on or before A to the last on or before B
``sessions:5``         the last 5 sessions
``months:6``           a calendar window of 6 months
``years:10``           a calendar window of 10 years
``session``            the publication session's own move
=====================  ==========================================================

A window ends at the publication cut unless ``ending`` says otherwise.

>>> Window.parse("month:2024-07").kind, Window.parse("month:2024-07").month
('month', '2024-07')
>>> Window.parse("sessions:63").count
63
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analysis.claims.wording import RULES

__all__ = [
    "AllTimeHigh",
    "ArticleSpec",
    "CallSpec",
    "Check",
    "ClaimSpec",
    "Direction",
    "DrawdownWithin",
    "FactorPremium",
    "FedCuts",
    "FirstAbove",
    "LevelAtHorizon",
    "LevelOrigin",
    "ListChange",
    "LongestUnderperformance",
    "MovingAverageCross",
    "Outperform",
    "PeriodReturn",
    "Published",
    "RateCycle",
    "RecordBroken",
    "RecordCount",
    "RelativeReturn",
    "ReturnRatio",
    "SectorLeaders",
    "SeriesChange",
    "TargetBy",
    "TargetVsLevel",
    "WeeklyBreakout",
    "Window",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_WINDOW = re.compile(
    r"^(ytd|mtd|session|month:\d{4}-\d{2}|half:\d{4}-[12]|between:\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}"
    r"|sessions:\d+|months:\d+|years:\d+)$"
)


class Window(BaseModel):
    """A period of time a return or a comparison is measured over."""

    model_config = _FROZEN
    kind: Literal[
        "ytd", "mtd", "session", "month", "half", "between", "sessions", "months", "years"
    ]
    month: str | None = None
    half: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    count: int | None = None

    @classmethod
    def parse(cls, text: str) -> Window:
        if not isinstance(text, str) or not _WINDOW.match(text):
            raise ValueError(
                f"window {text!r} is not one of ytd, mtd, session, month:YYYY-MM, half:YYYY-1, "
                "between:YYYY-MM-DD..YYYY-MM-DD, sessions:N, months:N, years:N"
            )
        kind, _, arg = text.partition(":")
        if kind == "month":
            return cls(kind="month", month=arg)
        if kind == "half":
            return cls(kind="half", half=arg)
        if kind == "between":
            a, b = arg.split("..")
            return cls(kind="between", start=dt.date.fromisoformat(a), end=dt.date.fromisoformat(b))
        if kind in ("sessions", "months", "years"):
            return cls(kind=kind, count=int(arg))
        return cls(kind=kind)  # type: ignore[arg-type]


WindowField = Annotated[Window, Field(description="a window string, see the module docstring")]


class _Check(BaseModel):
    model_config = _FROZEN
    rule: str | None = None
    value: float | None = None
    tolerance: float | None = None

    @field_validator("window", mode="before", check_fields=False)
    @classmethod
    def _window(cls, v: object) -> object:
        return Window.parse(v) if isinstance(v, str) else v

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, v: str | None) -> str | None:
        if v is not None and v not in RULES:
            raise ValueError(f"unknown wording rule {v!r}; known: {', '.join(RULES)}")
        return v

    def subjects(self) -> list[str]:
        """Every series this check reads."""
        names: list[str] = []
        for field in ("symbol", "a", "b", "benchmark", "series"):
            value = getattr(self, field, None)
            if isinstance(value, str):
                names.append(value)
        for field in ("adds", "removes"):
            names += list(getattr(self, field, ()) or ())
        for group in (getattr(self, "groups", None) or {}).values():
            names += list(group)
        return names


# -- as published -------------------------------------------------------------------------------


class PeriodReturn(_Check):
    """The return of ``symbol`` over ``window`` held against ``value`` by ``rule``."""

    predicate: Literal["period_return"]
    symbol: str
    window: WindowField
    ending: dt.date | None = None
    adjusted: bool = False


class RelativeReturn(_Check):
    """A's return minus B's over a window; ``rule`` below/above zero or against ``value``."""

    predicate: Literal["relative_return"]
    a: str
    b: str
    window: WindowField
    ending: dt.date | None = None


class ReturnRatio(_Check):
    """A's return divided by B's over a window ("twice the gain")."""

    predicate: Literal["return_ratio"]
    a: str
    b: str
    window: WindowField


class RecordCount(_Check):
    """Record closes of ``symbol`` in the publication year, the session in progress included
    when it closes (or trades) above the prior record ("on pace for its third record")."""

    predicate: Literal["record_count"]
    symbol: str


class AllTimeHigh(_Check):
    """A record close (or high) on the publication session, or within the last
    ``within_sessions`` sessions ("recently reached an all-time high")."""

    predicate: Literal["all_time_high"]
    symbol: str
    field: Literal["close", "high"] = "close"
    within_sessions: int = 0


class FirstAbove(_Check):
    """``symbol`` above ``value`` (close or high) on the publication session for the first
    time ever."""

    predicate: Literal["first_above"]
    symbol: str
    field: Literal["close", "high"] = "high"


class RecordBroken(_Check):
    """The record close set in ``prior_month`` was first exceeded in ``month``
    (``previous`` means the month before publication; ``before`` means at any time before)."""

    predicate: Literal["record_broken"]
    symbol: str
    prior_month: str
    month: str = "previous"


class MovingAverageCross(_Check):
    """The close's current run above its ``sessions``-session average began in ``month``."""

    predicate: Literal["ma_cross"]
    symbol: str
    sessions: int = 200
    month: str


class LevelOrigin(_Check):
    """Where a cited level comes from: the highest ``field`` of ``month`` held against
    ``value`` (``about`` by default)."""

    predicate: Literal["level_origin"]
    symbol: str
    month: str
    field: Literal["close", "high"] = "high"


class TargetVsLevel(_Check):
    """A target (``value``) against the level at publication: ``rule`` below, above, or
    ``about`` an implied upside (``upside`` given, from the close of ``reference``)."""

    predicate: Literal["target_vs_level"]
    symbol: str
    upside: float | None = None
    reference: Literal["publication", "previous_close"] = "publication"


class RateCycle(_Check):
    """An easing (or tightening) cycle under way: the latest change of ``series`` within
    ``months`` before publication was a cut (hike), and there has been no move the other way."""

    predicate: Literal["rate_cycle"]
    series: str
    direction: Literal["easing", "tightening"] = "easing"
    months: int = 12


class SectorLeaders(_Check):
    """Named groups of stocks led the index: each group's median return over ``window`` beat
    ``benchmark``'s."""

    predicate: Literal["sector_leaders"]
    groups: dict[str, list[str]]
    benchmark: str
    window: WindowField
    missing_groups: list[str] = []


class FactorPremium(_Check):
    """Mean of an annual factor series over ``first_year``..``last_year`` against ``value``
    (percent); ``mean`` picks which one is judged, and both are reported."""

    predicate: Literal["factor_premium"]
    series: str
    first_year: int
    last_year: int
    mean: Literal["arithmetic", "geometric"] = "arithmetic"


class LongestUnderperformance(_Check):
    """The stretch of A/B below a prior peak that is under way at publication is the longest
    in the data."""

    predicate: Literal["longest_underperformance"]
    a: str
    b: str


class SeriesChange(_Check):
    """The change of an observation series over a window ("a steepening yield curve")."""

    predicate: Literal["series_change"]
    series: str
    window: WindowField


# -- forecasts and calls (scored after publication) ---------------------------------------------


class TargetBy(_Check):
    """``symbol`` reaches ``value`` by ``horizon_end``: touched in the range, met at the close.
    ``origin_month`` also shows where a cited level comes from (the month's high and close)."""

    predicate: Literal["target_by"]
    symbol: str
    horizon_end: dt.date
    origin_month: str | None = None


class Direction(_Check):
    """``symbol`` is higher (``up``) or lower (``down``) at ``horizon_end`` than at
    publication ("further upside through the end of the year")."""

    predicate: Literal["direction"]
    symbol: str
    direction: Literal["up", "down"] = "up"
    horizon_end: dt.date


class LevelAtHorizon(_Check):
    """``symbol``'s close at ``horizon_end`` against ``value`` (``about``: "ends near")."""

    predicate: Literal["level_at_horizon"]
    symbol: str
    horizon_end: dt.date


class WeeklyBreakout(_Check):
    """``weeks`` consecutive weekly closes above ``value`` after publication, by
    ``horizon_end``."""

    predicate: Literal["weekly_breakout"]
    symbol: str
    weeks: int = 2
    horizon_end: dt.date


class DrawdownWithin(_Check):
    """A fall from the publication level of at least the rule's size (``pullback``,
    ``correction``) within ``weeks`` weeks."""

    predicate: Literal["drawdown_within"]
    symbol: str
    weeks: int


class Outperform(_Check):
    """A's return beats B's from publication to ``horizon_end`` (or ``months`` after)."""

    predicate: Literal["outperform"]
    a: str
    b: str
    horizon_end: dt.date | None = None
    months: int | None = None

    @model_validator(mode="after")
    def _one_horizon(self) -> Outperform:
        if (self.horizon_end is None) == (self.months is None):
            raise ValueError("give exactly one of horizon_end and months")
        return self


class FedCuts(_Check):
    """A cut of ``series`` takes effect in each of ``months`` (FOMC decisions dated by the day
    FRED records them)."""

    predicate: Literal["fed_cuts"]
    series: str
    months: list[str]


class ListChange(_Check):
    """A recommended-list change: the adds' mean total return minus the removes' from
    publication to ``horizon_end`` (or ``months`` after)."""

    predicate: Literal["list_change"]
    adds: list[str]
    removes: list[str]
    months: int = 12


Check = Annotated[
    PeriodReturn
    | RelativeReturn
    | ReturnRatio
    | RecordCount
    | AllTimeHigh
    | FirstAbove
    | RecordBroken
    | MovingAverageCross
    | LevelOrigin
    | TargetVsLevel
    | RateCycle
    | SectorLeaders
    | FactorPremium
    | LongestUnderperformance
    | SeriesChange
    | TargetBy
    | Direction
    | LevelAtHorizon
    | WeeklyBreakout
    | DrawdownWithin
    | Outperform
    | FedCuts
    | ListChange,
    Field(discriminator="predicate"),
]


class CallSpec(BaseModel):
    """An analyst call as the article reports it; recorded as an ``AnalystCall`` event."""

    model_config = _FROZEN
    analyst: str
    firm: str
    call_kind: Literal["price_target", "level", "direction", "relative", "rating", "list_change"]
    subjects: list[str]
    value: float | None = None
    comparator: str | None = None
    horizon_end: dt.date | None = None
    paraphrase: str


class ClaimSpec(BaseModel):
    """One claim of an article, with its id from CLAIMS.md."""

    model_config = _FROZEN
    id: Annotated[str, Field(pattern=r"^[A-Z]\d{2}$")]
    kind: Literal["as_published", "forecast", "call", "not_checkable"]
    says: str
    anchor: bool = False
    check: Check | None = None
    reason: str | None = None
    call: CallSpec | None = None
    rewrite_of: str | None = None
    session_in_progress: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ClaimSpec:
        if self.kind == "not_checkable":
            if self.reason is None or self.check is not None:
                raise ValueError("a not_checkable claim gives a reason and no check")
        elif self.check is None and self.reason is None:
            raise ValueError(f"a {self.kind} claim needs a check (or a reason it cannot have one)")
        if self.kind == "call" and self.call is None:
            raise ValueError("a call claim describes the call (analyst, firm, call_kind, ...)")
        if self.anchor and self.kind != "as_published":
            raise ValueError("only as_published claims can anchor the publication date")
        return self


class Published(BaseModel):
    """When the article came out, and how we know."""

    model_config = _FROZEN
    date: dt.date
    basis: Literal["given", "inferred"]
    time: dt.time = dt.time(16, 0)
    window: str | None = None
    candidates: list[dt.date] = []


class ArticleSpec(BaseModel):
    """One article: its text file (never copied), publication, claims and calls."""

    model_config = _FROZEN
    id: str
    source_file: str
    title: str
    published: Published
    rewrite_of: str | None = None
    claims: list[ClaimSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> ArticleSpec:
        seen: set[str] = set()
        for claim in self.claims:
            if claim.id in seen:
                raise ValueError(f"claim id {claim.id} appears twice")
            seen.add(claim.id)
        return self
