"""The claim IR: frozen, typed specs of articles, claims and the checks they make.

This module only describes claims; :mod:`analysis.claims.engine` evaluates them and the report
modules show them. Every check is one of the predicates below, selected by its ``predicate``
field, so an article whose claims use existing predicates needs only a YAML file.

Windows and time references are written as articles write them ("this year", "in July",
"last week", "on Friday"); :mod:`analysis.claims.windows` and :mod:`analysis.claims.timeref` list
them and resolve them against the publication cut.

>>> Window.parse("month:2024-07").kind, Window.parse("month:2024-07").month
('month', '2024-07')
>>> Window.parse("sessions:63").count
63
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, ClassVar, Literal

from dateutil.relativedelta import relativedelta
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from analysis.claims.figures import Figure
from analysis.claims.timeref import HorizonRef, MonthRef, SessionRef
from analysis.claims.windows import Window
from analysis.claims.wording import RULES

__all__ = [
    "AllTimeHigh",
    "ArticleSpec",
    "CallSpec",
    "Check",
    "ClaimSpec",
    "CloseLevel",
    "Direction",
    "DrawdownWithin",
    "FactorPremium",
    "FedCuts",
    "FirstAbove",
    "FromExtreme",
    "LevelAtHorizon",
    "LevelOrigin",
    "ListChange",
    "LongestUnderperformance",
    "MovingAverageCross",
    "MovingAverageState",
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
    "SeriesLevel",
    "SessionMove",
    "SessionRank",
    "Streak",
    "TargetBy",
    "TargetVsLevel",
    "WeeklyBreakout",
    "Window",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
WindowField = Annotated[
    Window,
    BeforeValidator(Window.parse),
    Field(description="a window as articles write it (analysis.claims.windows)"),
]


# Calls about a list of stocks or a rating are scored over one documented horizon, the horizon
# of a 12-month price target, unless the article names another.
CALL_HORIZON_MONTHS = 12


class _Check(BaseModel):
    model_config = _FROZEN
    rule: str | None = None
    value: float | None = None
    # the figure as the article prints it ("11%", "2,460"): its precision sets what the
    # wording rules accept (analysis.claims.figures)
    stated: str | None = None
    tolerance: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _value_from_stated(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("stated") is not None:
            stated = data["stated"]
            if not isinstance(stated, str):
                raise ValueError(
                    f'stated: {stated!r} must be quoted text as printed, e.g. "11%" or "2,460"'
                )
            figure = Figure.parse(stated)
            value = data.get("value")
            if value is None:
                data = {**data, "value": figure.value}
            elif abs(float(value) - figure.value) > 1e-12:
                raise ValueError(f"value {value} disagrees with stated {stated!r}")
        return data

    # the rule a check applies when the claim names none, and whether it always compares
    # against a claimed number (a level, a target)
    default_rule: ClassVar[str | None] = None
    needs_value: ClassVar[bool] = False

    @model_validator(mode="after")
    def _rule_has_its_figure(self) -> _Check:
        name = self.rule or self.default_rule
        if name == "rounds_to" and self.stated is None:
            raise ValueError('rule rounds_to needs the figure as printed (stated: "11%")')
        wants = self.needs_value or (name is not None and RULES[name].needs_value)
        if wants and self.claimed_figure() is None:
            what = f"rule {name}" if name else f"predicate {getattr(self, 'predicate', '?')}"
            if self.needs_value:
                what = f"predicate {getattr(self, 'predicate', '?')}"
            raise ValueError(
                f'{what} compares against a claimed figure: give stated (as printed, e.g. "11%")'
                " or value"
            )
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"value {self.value} is not a finite number")
        if self.tolerance is not None and not (
            math.isfinite(self.tolerance) and self.tolerance >= 0
        ):
            raise ValueError(f"tolerance {self.tolerance} must be a finite number >= 0")
        return self

    def claimed_figure(self) -> float | None:
        """The number the rule compares the measurement with."""
        return self.value

    @property
    def figure(self) -> Figure | None:
        """The claimed figure as printed, with its precision (None when not stated)."""
        return Figure.parse(self.stated) if self.stated is not None else None

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, v: str | None) -> str | None:
        if v is not None and v not in RULES:
            raise ValueError(f"unknown wording rule {v!r}; known: {', '.join(RULES)}")
        return v

    def subjects(self) -> list[str]:
        """Every series this check reads, the one sources are compared on first."""
        raise NotImplementedError(f"{type(self).__name__} does not declare its subjects")


class _OneSymbol(_Check):
    symbol: str

    def subjects(self) -> list[str]:
        return [self.symbol]


class _TwoSymbols(_Check):
    a: str
    b: str

    def subjects(self) -> list[str]:
        return [self.a, self.b]


class _OneSeries(_Check):
    series: str

    def subjects(self) -> list[str]:
        return [self.series]


class _Scored(_Check):
    """A check scored on what happened after publication, up to a horizon."""

    def horizon(self, published: dt.date) -> dt.date:
        """The last day the check is scored on, for an article published on ``published``."""
        raise NotImplementedError(f"{type(self).__name__} does not declare its horizon")


class _ScoredToDate(_Scored):
    horizon_end: HorizonField

    def horizon(self, published: dt.date) -> dt.date:
        return self.horizon_end.resolve(published)


# -- as published -------------------------------------------------------------------------------


SessionField = Annotated[
    SessionRef,
    BeforeValidator(SessionRef.parse),
    Field(description="a session: today, previous, Monday .. Friday, last Friday, a date"),
]
Change = Literal["rose", "fell", "moved"]
MonthField = Annotated[
    MonthRef,
    BeforeValidator(MonthRef.parse),
    Field(description="a month: 2025-09, September, November 2021, last month"),
]
HorizonField = Annotated[
    HorizonRef,
    BeforeValidator(HorizonRef.parse),
    Field(description="a date, or year end"),
]
EndingField = Annotated[
    SessionRef,
    BeforeValidator(SessionRef.parse),
    Field(description="the session a window ends on: a date, or a weekday (as of Wednesday)"),
]


class _Moves(_Check):
    """A move stated by its size and its sign in words: "rose 2%", "fell more than 2%",
    "lost about 5%". With ``fell`` the claimed figure is the size of the fall, so the rules
    read naturally ("more than 2%" of a fall); ``moved`` takes the figure with its sign."""

    change: Change = "moved"

    def signed(self, value: float) -> float:
        """The measured move as the claim states it (a fall as a positive size)."""
        return -value if self.change == "fell" else value


def _no_ending_with_sessions(check: PeriodReturn | RelativeReturn) -> None:
    if check.ending is not None and check.window.kind in ("sessions", "session"):
        raise ValueError(
            f"ending cannot move a window counted in sessions ({check.window.describe()}); "
            "use a calendar window (between:A..B, months:N) instead"
        )


class PeriodReturn(_OneSymbol, _Moves):
    """The return of ``symbol`` over ``window`` held against ``value`` by ``rule``."""

    predicate: Literal["period_return"]
    default_rule: ClassVar[str | None] = "about"
    window: WindowField
    ending: EndingField | None = None
    adjusted: bool = False

    @model_validator(mode="after")
    def _ending_fits(self) -> PeriodReturn:
        _no_ending_with_sessions(self)
        return self


class SessionMove(_OneSymbol, _Moves):
    """One session's move, close to close ("rose 1.2% on Friday", "Thursday's 2% drop"):
    the session named by ``session`` (the session in progress is judged on its final bar)."""

    predicate: Literal["session_move"]
    default_rule: ClassVar[str | None] = "about"
    session: SessionField = SessionRef("today", text="today")


class CloseLevel(_OneSymbol):
    """Where ``symbol`` stood on a session: its close, intraday high or low ("closed at
    2,486", "touched 2,500 on Monday")."""

    predicate: Literal["close_level"]
    needs_value: ClassVar[bool] = True
    default_rule: ClassVar[str | None] = "about"
    session: SessionField = SessionRef("today", text="today")
    field: Literal["close", "high", "low"] = "close"


class SessionRank(_OneSymbol):
    """A session's move ranked among the moves of a period ("the worst day of the year",
    "the biggest gain since March"): ``rank`` 1 is the biggest ``gain`` (or ``loss``)."""

    predicate: Literal["session_rank"]
    default_rule: ClassVar[str | None] = "exactly"
    session: SessionField = SessionRef("today", text="today")
    among: WindowField
    direction: Literal["gain", "loss"] = "gain"


class MovingAverageState(_OneSymbol):
    """The close above (or below) its ``sessions``-session average on a session, a state
    rather than a crossing ("trading above its 200-day average")."""

    predicate: Literal["ma_state"]
    session: SessionField = SessionRef("previous", text="previous")
    sessions: int = 200
    side: Literal["above", "below"] = "above"


class FromExtreme(_OneSymbol):
    """How far ``symbol`` stood from the peak (or trough) of a period, or of all time, at a
    session ("10% below its record", "down 20% from its November peak", "up 30% from its April
    low"): the move from the extreme, a fall stated by its size with ``change: fell``."""

    predicate: Literal["from_extreme"]
    default_rule: ClassVar[str | None] = "about"
    extreme: Literal["peak", "trough"] = "peak"
    of: WindowField | None = None
    session: SessionField = SessionRef("previous", text="previous")
    change: Change = "moved"

    def signed(self, value: float) -> float:
        return -value if self.change == "fell" else value


class Streak(_OneSymbol):
    """Consecutive sessions of gains (``up``) or losses (``down``) ending on a session ("a
    third straight gain", "a five-day losing streak")."""

    predicate: Literal["streak"]
    default_rule: ClassVar[str | None] = "exactly"
    session: SessionField = SessionRef("today", text="today")
    direction: Literal["up", "down"] = "up"


class SeriesLevel(_OneSeries):
    """An observation series' value on or before a session ("the 10-year yield stood at
    4.5%", "the curve is inverted": below 0)."""

    predicate: Literal["series_level"]
    default_rule: ClassVar[str | None] = "about"
    session: SessionField = SessionRef("previous", text="previous")


class RelativeReturn(_TwoSymbols):
    """A's return minus B's over a window; ``rule`` below/above zero or against ``value``."""

    predicate: Literal["relative_return"]
    window: WindowField
    ending: EndingField | None = None

    @model_validator(mode="after")
    def _ending_fits(self) -> RelativeReturn:
        _no_ending_with_sessions(self)
        return self


class ReturnRatio(_TwoSymbols):
    """A's return divided by B's over a window ("twice the gain"). ``a_stated`` is A's move
    as printed ("ahead 0.8%, twice the gain in the S&P 500"): during a session, each stated
    component is judged against its own range."""

    predicate: Literal["return_ratio"]
    default_rule: ClassVar[str | None] = "twice"
    window: WindowField
    a_stated: str | None = None

    @property
    def a_figure(self) -> Figure | None:
        return Figure.parse(self.a_stated) if self.a_stated is not None else None


class RecordCount(_OneSymbol):
    """Record closes of ``symbol`` set within ``window`` (default: this year): "five record
    closes in 2024". Of the session in progress ("on pace for its third record close") it
    measures which record of the window the session's close would be: the count so far plus
    one when the session closes above the prior record, and none (0) when it does not."""

    predicate: Literal["record_count"]
    default_rule: ClassVar[str | None] = "exactly"
    window: WindowField = Window(kind="ytd", text="ytd")


class AllTimeHigh(_OneSymbol):
    """A record close (or high) on the publication session, or within the last
    ``within_sessions`` sessions ("recently reached an all-time high")."""

    predicate: Literal["all_time_high"]
    field: Literal["close", "high"] = "close"
    within_sessions: int = 0


class FirstAbove(_OneSymbol):
    """``symbol`` above ``value`` (close or high) on ``session`` (default: the
    publication session) for the first time ever."""

    predicate: Literal["first_above"]
    needs_value: ClassVar[bool] = True
    field: Literal["close", "high"] = "high"
    session: SessionField = SessionRef("today", text="today")


class RecordBroken(_OneSymbol):
    """The record close set in ``prior_month`` was first exceeded in ``month``
    (``previous`` means the month before publication; ``before`` means at any time before)."""

    predicate: Literal["record_broken"]
    prior_month: MonthField
    month: MonthField | Literal["before"] = MonthRef(None, None, "last month")


class MovingAverageCross(_OneSymbol):
    """The close's current run above its ``sessions``-session average began in ``month``."""

    predicate: Literal["ma_cross"]
    sessions: int = 200
    month: MonthField


class LevelOrigin(_OneSymbol):
    """Where a cited level comes from: the highest ``field`` of ``month`` held against
    ``value`` (``about`` by default)."""

    predicate: Literal["level_origin"]
    needs_value: ClassVar[bool] = True
    default_rule: ClassVar[str | None] = "about"
    month: MonthField
    field: Literal["close", "high"] = "high"


class TargetVsLevel(_OneSymbol):
    """A price ``target`` against the level at publication. With a claimed upside (``value``
    or ``stated``), the implied upside from the close of ``reference`` is held against it by
    ``rule``; without one, ``rule`` (``below``/``above``) places the target against the level."""

    predicate: Literal["target_vs_level"]
    target: float

    def claimed_figure(self) -> float | None:
        # without a claimed upside, the rule places the target against the level
        return self.value if self.value is not None else self.target

    # the close the upside is measured from: at publication, or a named session
    # ("from Tuesday's close")
    reference: Literal["publication", "previous_close"] | EndingField = "publication"


class RateCycle(_OneSeries):
    """An easing (or tightening) cycle under way: the latest change of ``series`` within
    ``months`` before publication was a cut (hike), and there has been no move the other way."""

    predicate: Literal["rate_cycle"]
    direction: Literal["easing", "tightening"] = "easing"
    months: int = 12


class SectorLeaders(_Check):
    """Named groups of stocks led the index: a group leads when its median return over
    ``window`` beats ``benchmark``'s. ``each`` named group must lead (or ``most`` of them);
    a group without data is reported, and decides the verdict when it could change it."""

    predicate: Literal["sector_leaders"]
    groups: dict[str, list[str]]
    benchmark: str
    window: WindowField
    missing_groups: list[str] = []
    quantifier: Literal["each", "most"] = "each"

    def subjects(self) -> list[str]:
        return [self.benchmark, *(s for members in self.groups.values() for s in members)]


class FactorPremium(_OneSeries):
    """Mean of an annual factor series over ``first_year``..``last_year`` against ``value``
    (percent); ``mean`` picks which one is judged, and both are reported."""

    predicate: Literal["factor_premium"]
    default_rule: ClassVar[str | None] = "about"
    first_year: int
    last_year: int
    mean: Literal["arithmetic", "geometric"] = "arithmetic"


class ReturnSeries(BaseModel):
    """Two monthly return series (percent) standing for A and B over a longer history, e.g.
    the Fama-French small and big size portfolios for small and large caps."""

    model_config = _FROZEN
    a: str
    b: str


class LongestUnderperformance(_TwoSymbols):
    """The stretch of A/B below a prior peak that is under way at publication is the longest
    "ever": judged on month-end values (a single day's spike never starts a stretch) over the
    longest history available, ``history`` when given; every reading is reported."""

    predicate: Literal["longest_underperformance"]
    history: ReturnSeries | None = None

    def subjects(self) -> list[str]:
        extra = [self.history.a, self.history.b] if self.history else []
        return [self.a, self.b, *extra]


class SeriesChange(_OneSeries):
    """The change of an observation series over a window ("a steepening yield curve")."""

    predicate: Literal["series_change"]
    default_rule: ClassVar[str | None] = "above"
    window: WindowField


# -- forecasts and calls (scored after publication) ---------------------------------------------


class TargetBy(_ScoredToDate, _OneSymbol):
    """``symbol`` reaches ``value`` by ``horizon_end``: touched in the range, met at the close.
    The evidence shows where in the price history the level comes from."""

    predicate: Literal["target_by"]
    needs_value: ClassVar[bool] = True


class Direction(_ScoredToDate, _OneSymbol):
    """``symbol`` is higher (``up``) or lower (``down``) at ``horizon_end`` than at
    publication by at least ``min_move`` ("further upside through the end of the year"); a
    smaller move either way is no move. The path's best and worst closes are reported."""

    predicate: Literal["direction"]
    direction: Literal["up", "down"] = "up"
    min_move: float = 0.01


class LevelAtHorizon(_ScoredToDate, _OneSymbol):
    """``symbol``'s close at ``horizon_end`` against ``value`` (``about``: "ends near")."""

    predicate: Literal["level_at_horizon"]
    needs_value: ClassVar[bool] = True
    default_rule: ClassVar[str | None] = "about"


class LevelOf(BaseModel):
    """A level the article names without a number ("key resistance", "its prior peak"): the
    highest close (or high) of a period, as known at publication."""

    model_config = _FROZEN
    peak: Literal["close", "high"] = "close"
    of: WindowField


class WeeklyBreakout(_ScoredToDate, _OneSymbol):
    """A breakout by the call's own test: ``weeks`` consecutive weekly closes above ``value``
    after publication, by ``horizon_end``. The evidence gives when it was first confirmed,
    whether a weekly close fell back below the level afterwards, where the index stood at the
    horizon, and where in the price history the level comes from."""

    predicate: Literal["weekly_breakout"]
    weeks: int = 2
    level_of: LevelOf | None = None

    @model_validator(mode="after")
    def _one_level(self) -> WeeklyBreakout:
        if (self.value is None) == (self.level_of is None):
            raise ValueError("give the level: stated (as printed) or value, or level_of")
        if not 1 <= self.weeks <= 52:
            raise ValueError(f"weeks {self.weeks} is not a breakout test (1 to 52)")
        return self


class DrawdownWithin(_Scored, _OneSymbol):
    """A fall from the level at the call (the publication close) of at least the rule's size
    (``pullback``, ``correction``) within ``weeks`` weeks. The deepest peak-to-trough fall of
    the same weeks is reported beside it."""

    predicate: Literal["drawdown_within"]
    default_rule: ClassVar[str | None] = "pullback"
    weeks: int

    def horizon(self, published: dt.date) -> dt.date:
        return published + dt.timedelta(weeks=self.weeks)


class Outperform(_Scored, _TwoSymbols):
    """A's return beats B's from publication to ``horizon_end`` (or ``months`` after)."""

    predicate: Literal["outperform"]
    horizon_end: HorizonField | None = None
    months: int | None = None

    @model_validator(mode="after")
    def _one_horizon(self) -> Outperform:
        if (self.horizon_end is None) == (self.months is None):
            raise ValueError("give exactly one of horizon_end and months")
        if self.months is not None and not 0 < self.months <= 600:
            raise ValueError(f"months {self.months} is not a horizon (1 to 600)")
        return self

    def horizon(self, published: dt.date) -> dt.date:
        if self.horizon_end is not None:
            return self.horizon_end.resolve(published)
        return published + relativedelta(months=self.months or 0)


class FedCuts(_Scored, _OneSeries):
    """A cut of ``series`` takes effect in each of ``months`` (FOMC decisions dated by the day
    FRED records them)."""

    predicate: Literal["fed_cuts"]
    months: list[MonthField]

    def resolved(self, published: dt.date) -> list[str]:
        """The months as ``YYYY-MM``: a named month is the next one after publication (a
        forecast speaks of the months ahead), "October" in a mid-October article included."""
        out = []
        for ref in self.months:
            if ref.year is None and ref.month is not None:
                year = published.year if ref.month >= published.month else published.year + 1
                out.append(f"{year:04d}-{ref.month:02d}")
            else:
                out.append(ref.resolve(published))
        return out

    def horizon(self, published: dt.date) -> dt.date:
        last = dt.date.fromisoformat(max(self.resolved(published)) + "-01")
        return last + relativedelta(months=1) - dt.timedelta(days=1)


class ListChange(_Scored):
    """A recommended-list change: the adds' mean total return minus the removes' from
    publication to ``months`` after (the calls' default horizon, 12 months). Each member's
    contribution is reported, and members whose price was pinned by a deal are flagged."""

    predicate: Literal["list_change"]
    adds: list[str]
    removes: list[str]
    months: int = CALL_HORIZON_MONTHS

    def subjects(self) -> list[str]:
        return [*self.adds, *self.removes]

    def horizon(self, published: dt.date) -> dt.date:
        return published + relativedelta(months=self.months)


# The predicates checked on the tape as known at publication, and those scored afterwards:
# a claim's kind decides which union its check must come from (checked when the spec loads).
PUBLISHED_CHECKS: tuple[type[_Check], ...] = (
    PeriodReturn,
    SessionMove,
    CloseLevel,
    SessionRank,
    MovingAverageState,
    FromExtreme,
    Streak,
    SeriesLevel,
    RelativeReturn,
    ReturnRatio,
    RecordCount,
    AllTimeHigh,
    FirstAbove,
    RecordBroken,
    MovingAverageCross,
    LevelOrigin,
    TargetVsLevel,
    RateCycle,
    SectorLeaders,
    FactorPremium,
    LongestUnderperformance,
    SeriesChange,
)
SCORED_CHECKS: tuple[type[_Scored], ...] = (
    TargetBy,
    Direction,
    LevelAtHorizon,
    WeeklyBreakout,
    DrawdownWithin,
    Outperform,
    FedCuts,
    ListChange,
)
PublishedCheck = (
    PeriodReturn
    | SessionMove
    | CloseLevel
    | SessionRank
    | MovingAverageState
    | FromExtreme
    | Streak
    | SeriesLevel
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
)
ScoredCheck = (
    TargetBy
    | Direction
    | LevelAtHorizon
    | WeeklyBreakout
    | DrawdownWithin
    | Outperform
    | FedCuts
    | ListChange
)
Check = Annotated[PublishedCheck | ScoredCheck, Field(discriminator="predicate")]


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

    @field_validator("check")
    @classmethod
    def _check_fits_kind(cls, check: Check | None, info: ValidationInfo) -> Check | None:
        kind = info.data.get("kind")
        if check is None or kind in (None, "not_checkable"):
            return check
        allowed = PUBLISHED_CHECKS if kind == "as_published" else SCORED_CHECKS
        if not isinstance(check, allowed):
            how = "scored after publication" if kind == "as_published" else "checked as published"
            names = ", ".join(_predicate_name(c) for c in allowed)
            raise ValueError(
                f"predicate {check.predicate!r} is {how}; a {kind} claim uses one of: {names}"
            )
        return check

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


def _predicate_name(cls: type[_Check]) -> str:
    return str(cls.model_fields["predicate"].annotation.__args__[0])  # type: ignore[union-attr]


def _time(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        hours, minutes = divmod(value, 60)
        raise ValueError(
            f"time {value} is a number: YAML 1.1 reads an unquoted {hours}:{minutes:02d} as "
            f'{value} (base 60); quote it: time: "{hours:02d}:{minutes:02d}"'
        )
    return value


class Published(BaseModel):
    """When the article came out, and how we know.

    ``basis`` is ``given`` (the article prints its date), ``inferred`` (from the anchor claims
    by ``tapecheck infer-date``, over ``window``; ``candidates`` are every session on which the
    anchors held, ranked by fit, the date first), or ``same_as`` another article (a rewrite takes
    its original's date and time).
    """

    model_config = _FROZEN
    date: dt.date | None = None
    basis: Literal["given", "inferred", "same_as"]
    same_as: str | None = None
    time: Annotated[dt.time, BeforeValidator(_time)] = dt.time(16, 0)
    window: str | None = None
    candidates: list[dt.date] = []

    @model_validator(mode="after")
    def _consistent(self) -> Published:
        if self.basis == "same_as":
            if not self.same_as:
                raise ValueError("basis same_as names the original: same_as: C")
        elif self.same_as is not None:
            raise ValueError("same_as goes with basis: same_as")
        elif self.date is None:
            raise ValueError(f"a {self.basis} publication gives its date")
        if self.window is not None:
            start, end = self.window_dates()
            if end < start:
                raise ValueError(f"window {self.window} ends before it starts")
            outside = [d for d in self.candidates if not start <= d <= end]
            if outside:
                raise ValueError(f"candidates {outside} lie outside the window {self.window}")
        return self

    def window_dates(self) -> tuple[dt.date, dt.date]:
        """The window's first and last day."""
        if self.window is None or ".." not in self.window:
            raise ValueError(f"window {self.window!r} is not START..END (ISO dates)")
        a, b = self.window.split("..", 1)
        try:
            return dt.date.fromisoformat(a.strip()), dt.date.fromisoformat(b.strip())
        except ValueError:
            raise ValueError(f"window {self.window!r} is not START..END (ISO dates)") from None


class ArticleSpec(BaseModel):
    """One article: its text file (never copied), publication, claims and calls."""

    model_config = _FROZEN
    id: str
    source_file: str
    title: str
    published: Published
    rewrite_of: str | None = None
    claims: list[ClaimSpec]
    # where the spec came from: the file, and the line of each claim's check (for errors)
    _path: str | None = PrivateAttr(default=None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> ArticleSpec:
        seen: set[str] = set()
        for claim in self.claims:
            if claim.id in seen:
                raise ValueError(f"claim id {claim.id} appears twice")
            seen.add(claim.id)
        return self
