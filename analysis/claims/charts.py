"""One altair chart per checkable claim, drawing the evidence its verdict was judged on.

Every chart draws what the claim is held against, not only a price line: the prior record for a
record, the claimed level, the moving average for a crossing, the groups against the index, the
whole stretch for "the longest ever", both series rebased at the window's start (at publication
for a forecast), the adds against the removals of a list, the premium year by year with the band
the rule accepts. Every mark is in the legend, titles wrap, the date axis reads in days, months
or years by the span shown, and a claim with nothing to draw gets no chart rather than an empty
one. As-published claims read the tape as known at publication; forecasts and calls the tape as
known now, from publication to the horizon.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.context import Context
from analysis.claims.engine import ClaimResult
from analysis.claims.judging import accepts
from analysis.claims.model import ClaimSpec
from analysis.claims.verdict import Verdict

__all__ = ["claim_chart", "save_png"]

WIDTH, HEIGHT = 640, 260
# one colour per role, the same on every chart
COLORS = {
    "close": "#1f4e79",
    "session's range": "#9ecae1",
    "prior record": "#d62728",
    "claimed level": "#b2182b",
    "target": "#2ca02c",
    "level at the call": "#7f7f7f",
    "average": "#8c564b",
    "record close": "#ff7f0e",
    "weekly close": "#17becf",
    "found": "#000000",
    "accepted": "#fdae61",
    "peak": "#9467bd",
    "start of the window": "#7f7f7f",
    "publication": "#555555",
    "key resistance": "#b2182b",
}
EXTRA = ["#e377c2", "#bcbd22", "#17becf", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]


def claim_chart(claim: ClaimSpec, result: ClaimResult, ctx: Context) -> alt.LayerChart | None:
    """The evidence chart of one claim, or None when there is nothing to draw."""
    check = claim.check
    if check is None or result.verdict == Verdict.NOT_CHECKABLE or not result.series:
        return None
    try:
        layers = _layers(claim, check, result, ctx)
    except (KeyError, ValueError, TypeError, IndexError):
        # evidence this chart cannot draw (a series missing from the tape): no chart
        return None
    if not layers:
        return None
    return _finish(layers, claim, result, ctx)


def save_png(chart: alt.TopLevelMixin, path: Path) -> None:
    """Export a chart to PNG through vl-convert (no browser, no network)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=1.5))


# -- building blocks ------------------------------------------------------------------------------


class Legend:
    """The roles a chart draws, in order, each with its colour: one shared colour scale makes
    one legend for lines, rules, points and bands alike."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.span = 365

    def x(self, field: str = "session") -> alt.X:
        """The date axis: days, months or years by the span shown."""
        fmt = "%d %b" if self.span <= 120 else ("%b %Y" if self.span <= 3 * 366 else "%Y")
        return alt.X(f"{field}:T", title=None, axis=alt.Axis(format=fmt, labelAngle=0, tickCount=8))

    def add(self, name: str) -> str:
        if name not in self.names:
            self.names.append(name)
        return name

    def color(self) -> alt.Color:
        extra = iter(EXTRA)
        colors = [_role_color(n) or next(extra, "#444444") for n in self.names]
        return alt.Color(
            "what:N",
            scale=alt.Scale(domain=self.names, range=colors),
            legend=alt.Legend(title=None, orient="top", columns=4, labelLimit=260, symbolOpacity=1),
        )


def _role_color(name: str) -> str | None:
    if name in COLORS:
        return COLORS[name]
    if name.endswith(" close"):
        return COLORS["close"]
    if name.startswith("accepted"):
        return COLORS["accepted"]
    return None


def _line(
    frame: pl.DataFrame, what: str, legend: Legend, *, y: str = "value", dash: bool = False
) -> alt.Chart:
    data = frame.select("session", pl.col(y).alias("value")).with_columns(
        pl.lit(legend.add(what)).alias("what")
    )
    line = alt.Chart(data).mark_line(strokeDash=[5, 3]) if dash else alt.Chart(data).mark_line()
    return line.encode(
        x=legend.x(),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=["what:N", alt.Tooltip("session:T"), alt.Tooltip("value:Q", format=",.2f")],
    )


def _rule(value: float, what: str, legend: Legend, *, dash: bool = True) -> alt.Chart:
    data = pl.DataFrame({"value": [float(value)], "what": [legend.add(what)]})
    return (
        alt.Chart(data)
        .mark_rule(strokeDash=[6, 3] if dash else [1, 0], size=1.5)
        .encode(
            y="value:Q",
            tooltip=["what:N", alt.Tooltip("value:Q", format=",.2f")],
        )
    )


def _points(
    frame: pl.DataFrame, what: str, legend: Legend, *, y: str = "value", size: int = 70
) -> alt.Chart:
    data = frame.select("session", pl.col(y).alias("value")).with_columns(
        pl.lit(legend.add(what)).alias("what")
    )
    return (
        alt.Chart(data)
        .mark_point(size=size, filled=True)
        .encode(
            x=legend.x(),
            y="value:Q",
            tooltip=["what:N", alt.Tooltip("session:T"), alt.Tooltip("value:Q", format=",.2f")],
        )
    )


def _band(frame: pl.DataFrame, what: str, legend: Legend) -> alt.Chart:
    data = frame.select("session", "low", "high").with_columns(
        pl.lit(legend.add(what)).alias("what")
    )
    return (
        alt.Chart(data)
        .mark_area(opacity=0.35)
        .encode(
            x=legend.x(),
            y=alt.Y("low:Q", scale=alt.Scale(zero=False)),
            y2="high:Q",
            tooltip=["what:N", alt.Tooltip("session:T"), "low:Q", "high:Q"],
        )
    )


def _interval_band(
    lo: float, hi: float, start: dt.date, end: dt.date, what: str, legend: Legend
) -> alt.Chart:
    data = pl.DataFrame(
        {"session": [start], "end": [end], "lo": [lo], "hi": [hi], "what": [legend.add(what)]}
    )
    return (
        alt.Chart(data)
        .mark_rect(opacity=0.15)
        .encode(
            x=legend.x(),
            x2="end:T",
            y="lo:Q",
            y2="hi:Q",
            tooltip=[
                "what:N",
                alt.Tooltip("lo:Q", format=",.4g"),
                alt.Tooltip("hi:Q", format=",.4g"),
            ],
        )
    )


def _dated(result: ClaimResult, frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """The rows of ``frame`` on the dates the check found (``result.dates``)."""
    days = [dt.date.fromisoformat(d[:10]) for k, d in result.dates.items() if k == key]
    return frame.filter(pl.col("session").is_in(days))


def _prices(
    ctx: Context, symbol: str, start: dt.date, end: dt.date, *, now: bool, adjusted: bool = False
) -> pl.DataFrame:
    frame = (
        ctx.after_frame(symbol, adjusted=adjusted)
        if now
        else ctx.closed_frame(symbol, adjusted=adjusted)
    )
    if not now:
        live = ctx.live(symbol)
        if live is not None:
            frame = pl.concat(
                [frame, pl.DataFrame([live]).select(frame.columns)], how="vertical_relaxed"
            )
    return frame.filter(pl.col("session").is_between(start, end)).sort("session")


def _date(value: object) -> dt.date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return value if isinstance(value, dt.date) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


# -- what each predicate draws --------------------------------------------------------------------


RELATIVE = (m.RelativeReturn, m.ReturnRatio, m.Outperform)
PATH = (m.TargetBy, m.LevelAtHorizon, m.Direction, m.WeeklyBreakout, m.DrawdownWithin)
SERIES = (m.RateCycle, m.SeriesChange, m.SeriesLevel, m.FedCuts)


def _span(
    claim: ClaimSpec, check: object, result: ClaimResult, ctx: Context
) -> tuple[dt.date, dt.date, bool]:
    """The dates a chart shows, and whether it reads the tape as known now."""
    day = ctx.day
    if isinstance(check, m._Scored):
        return day - dt.timedelta(days=90), check.horizon(day), True
    base = next((_date(v) for k, v in result.measured.items() if k.endswith("base_session")), None)
    if (
        isinstance(check, m.PeriodReturn | m.RelativeReturn | m.ReturnRatio | m.SectorLeaders)
        and base
    ):
        start = base - dt.timedelta(days=max(7, (day - base).days // 8))
        return start, day, False
    if isinstance(check, m.SessionMove | m.CloseLevel | m.Streak | m.SessionRank):
        return day - dt.timedelta(days=45), day, False
    return day - dt.timedelta(days=365), day, False


def _layers(
    claim: ClaimSpec, check: Any, result: ClaimResult, ctx: Context
) -> tuple[list[alt.Chart], Legend]:
    legend = Legend()
    start, end, now = _span(claim, check, result, ctx)
    legend.span = (end - start).days
    if isinstance(check, m.FactorPremium):
        return _factor(check, result, ctx, legend)
    if isinstance(check, SERIES):
        return _series(check, result, ctx, legend, start, end, now)
    if isinstance(check, m.LongestUnderperformance):
        return _stretch(check, result, ctx, legend)
    if isinstance(check, m.ListChange):
        return _lists(check, result, ctx, legend, start, end)
    if isinstance(check, m.SectorLeaders):
        return _groups(check, result, ctx, legend, start, end)
    if isinstance(check, RELATIVE):
        return _relative(check, result, ctx, legend, start, end, now)
    symbol = result.series[0]
    prices = _prices(ctx, symbol, start, end, now=now)
    if prices.height == 0:
        return [], legend
    layers: list[alt.Chart] = []
    if prices["high"].null_count() < prices.height:
        layers.append(_band(prices.drop_nulls(["low", "high"]), "session's range", legend))
    layers.append(_line(prices, f"{symbol} close", legend, y="close"))
    measured = result.measured
    for key in (
        "prior_record_close",
        "prior_record_high",
        "highest_prior_high",
        "highest_prior_close",
        "prior_record",
    ):
        value = _float(measured.get(key))
        if value is not None:
            layers.append(_rule(value, "prior record", legend))
            break
    if check.value is not None and isinstance(
        check,
        m.FirstAbove
        | m.LevelOrigin
        | m.CloseLevel
        | m.TargetBy
        | m.LevelAtHorizon
        | m.WeeklyBreakout,
    ):
        layers.append(_rule(float(check.value), "claimed level", legend))
    if isinstance(check, m.WeeklyBreakout) and check.value is None:
        origin = result.measured.get("level")
        if isinstance(origin, int | float):
            layers.append(_rule(float(origin), "key resistance", legend))
    if isinstance(check, m.TargetVsLevel):
        layers.append(_rule(check.target, "target", legend))
    if isinstance(check, m.MovingAverageCross | m.MovingAverageState):
        sma = ctx.moving_average_frame(symbol, check.sessions, now=now)
        sma = sma.filter(pl.col("session").is_between(start, end)).drop_nulls("sma")
        layers.append(_line(sma, f"{check.sessions}-session average", legend, y="sma", dash=True))
    if isinstance(check, m.RecordCount):
        records = [dt.date.fromisoformat(str(d)) for d in _listed(measured, "record_sessions")]
        layers.append(
            _points(
                prices.filter(pl.col("session").is_in(records)), "record close", legend, y="close"
            )
        )
    if isinstance(check, m.PeriodReturn):
        base = _float(measured.get("base_close"))
        if base is not None:
            layers.append(_rule(base, "start of the window", legend))
            if check.value is not None:
                claimed = base * (
                    1 + check.signed(check.value) if check.change == "fell" else 1 + check.value
                )
                layers.append(_rule(claimed, "claimed level", legend))
    if isinstance(check, m.FromExtreme):
        extreme = _float(measured.get(check.extreme))
        if extreme is not None:
            layers.append(_rule(extreme, check.extreme, legend))
    if isinstance(check, m.DrawdownWithin):
        level = _float(measured.get("reference_close"))
        if level is not None:
            layers.append(_rule(level, "level at the call", legend))
            size = accepts(check, check.rule or "pullback").hi
            layers.append(_rule(level * (1 + size), f"{-size:.0%} below the call", legend))
    if isinstance(check, m.Direction):
        level = _float(measured.get("start_close"))
        if level is not None:
            layers.append(_rule(level, "level at the call", legend))
    if isinstance(check, m.WeeklyBreakout):
        from store.reference.calendar import weekly_calendar

        weeks = weekly_calendar().filter(pl.col("week_last"))["session"]
        weekly = prices.filter(pl.col("session").is_in(weeks.implode()))
        layers.append(_points(weekly, "weekly close", legend, y="close", size=35))
    live = measured.get("session_range")
    if isinstance(live, dict) and symbol in live:
        bar = live[symbol]
        frame = pl.DataFrame({"session": [ctx.day], "low": [bar["low"]], "high": [bar["high"]]})
        layers.append(
            alt.Chart(frame.with_columns(pl.lit(legend.add("session in progress")).alias("what")))
            .mark_rule(size=6, opacity=0.8)
            .encode(x=legend.x(), y="low:Q", y2="high:Q", tooltip=["what:N", "low:Q", "high:Q"])
        )
    for key in result.dates:
        found = _dated(result, prices, key)
        if found.height:
            layers.append(_points(found, key.replace("_", " "), legend, y="close", size=110))
    return layers, legend


def _rebased(frame: pl.DataFrame, at: dt.date) -> pl.DataFrame:
    base = frame.filter(pl.col("session") <= at)
    if base.height == 0:
        base = frame
    level = float(base["close"][-1])
    return frame.with_columns((pl.col("close") / level * 100).alias("value"))


def _relative(
    check: Any,
    result: ClaimResult,
    ctx: Context,
    legend: Legend,
    start: dt.date,
    end: dt.date,
    now: bool,
) -> tuple[list[alt.Chart], Legend]:
    measured = result.measured
    layers = []
    for symbol in (check.a, check.b):
        base = (
            _date(measured.get(f"{symbol} base_session"))
            or _date(measured.get("start_session"))
            or start
        )
        frame = _prices(ctx, symbol, min(start, base), end, now=now)
        if frame.height == 0:
            continue
        rebased = _rebased(frame, base)
        layers.append(_line(rebased, f"{symbol}, rebased to 100 on {base}", legend))
    if layers:
        layers.append(_rule(100.0, "level at the start", legend))
    return layers, legend


def _groups(
    check: m.SectorLeaders,
    result: ClaimResult,
    ctx: Context,
    legend: Legend,
    start: dt.date,
    end: dt.date,
) -> tuple[list[alt.Chart], Legend]:
    base = (
        next((_date(v) for k, v in result.measured.items() if k.endswith("base_session")), None)
        or start
    )
    layers = []
    bench = _prices(ctx, check.benchmark, start, end, now=False)
    if bench.height:
        layers.append(_line(_rebased(bench, base), f"{check.benchmark} (the index)", legend))
    for name, members in check.groups.items():
        paths = []
        for symbol in members:
            frame = _prices(ctx, symbol, start, end, now=False, adjusted=True)
            if frame.height:
                paths.append(_rebased(frame, base).select("session", "value"))
        if not paths:
            continue
        median = pl.concat(paths).group_by("session").agg(pl.col("value").median()).sort("session")
        layers.append(_line(median, f"{name}, median of {len(paths)}", legend))
    if layers:
        layers.append(_rule(100.0, f"level on {base}", legend))
    return layers, legend


def _lists(
    check: m.ListChange,
    result: ClaimResult,
    ctx: Context,
    legend: Legend,
    start: dt.date,
    end: dt.date,
) -> tuple[list[alt.Chart], Legend]:
    layers = []
    for side, members in (("adds", check.adds), ("removals", check.removes)):
        paths = []
        for symbol in members:
            frame = _prices(
                ctx, symbol, ctx.day - dt.timedelta(days=30), end, now=True, adjusted=True
            )
            if frame.height:
                paths.append(_rebased(frame, ctx.day).select("session", "value"))
        if paths:
            mean = pl.concat(paths).group_by("session").agg(pl.col("value").mean()).sort("session")
            layers.append(_line(mean, f"{side} ({', '.join(members)}), mean", legend))
    if layers:
        layers.append(_rule(100.0, "level at the call", legend))
    return layers, legend


def _factor(
    check: m.FactorPremium, result: ClaimResult, ctx: Context, legend: Legend
) -> tuple[list[alt.Chart], Legend]:
    obs = ctx.observations_frame(check.series)
    years = obs.with_columns(pl.col("period").cast(pl.Int64, strict=False).alias("year")).filter(
        pl.col("year").is_between(check.first_year, check.last_year)
    )
    if years.height == 0:
        return [], legend
    data = years.select(pl.date(pl.col("year"), 7, 1).alias("session"), "value").with_columns(
        pl.lit(legend.add(f"{check.series} by year")).alias("what")
    )
    legend.span = (dt.date(check.last_year, 12, 31) - dt.date(check.first_year, 1, 1)).days
    bars = (
        alt.Chart(data)
        .mark_bar(width=3)
        .encode(
            x=legend.x(),
            y=alt.Y("value:Q", title="percentage points"),
            tooltip=[alt.Tooltip("session:T", format="%Y"), alt.Tooltip("value:Q", format=".2f")],
        )
    )
    first, last = dt.date(check.first_year, 1, 1), dt.date(check.last_year, 12, 31)
    interval = accepts(check, check.rule or "about")
    layers = [
        bars,
        _interval_band(
            interval.lo,
            interval.hi,
            first,
            last,
            f"accepted ({interval.lo:g} to {interval.hi:g})",
            legend,
        ),
    ]
    for key, name in (
        ("arithmetic_mean_pct", "arithmetic mean"),
        ("geometric_mean_pct", "geometric mean"),
    ):
        value = _float(result.measured.get(key))
        if value is not None:
            layers.append(_rule(value, f"{name} {value:.2f}", legend, dash=key.startswith("a")))
    return layers, legend


def _series(
    check: Any,
    result: ClaimResult,
    ctx: Context,
    legend: Legend,
    start: dt.date,
    end: dt.date,
    now: bool,
) -> tuple[list[alt.Chart], Legend]:
    series = result.series[0]
    obs = ctx.observations_frame(series, now=now)
    obs = obs.filter(pl.col("period").str.len_chars() >= 10).with_columns(
        pl.col("period").str.to_date(strict=False).alias("session")
    )
    begin = start - dt.timedelta(days=365)
    obs = obs.filter(pl.col("session").is_between(begin, end)).drop_nulls("session")
    if obs.height == 0:
        return [], legend
    data = obs.select("session", "value").with_columns(pl.lit(legend.add(series)).alias("what"))
    legend.span = (end - begin).days
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=legend.x(),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=["what:N", alt.Tooltip("session:T"), "value:Q"],
        )
    )
    layers = [line]
    if check.value is not None and not isinstance(check, m.RateCycle | m.FedCuts):
        layers.append(_rule(float(check.value), "claimed level", legend))
    return layers, legend


def _stretch(
    check: m.LongestUnderperformance, result: ClaimResult, ctx: Context, legend: Legend
) -> tuple[list[alt.Chart], Legend]:
    measured = result.measured
    judged = str(measured.get("judged_on", ""))
    readings = measured.get("readings")
    reading = readings.get(judged, {}) if isinstance(readings, dict) else {}
    # the line the verdict was judged on, from the same signals the evaluator ran
    if check.history is not None and judged.startswith(check.history.a):
        h = check.history
        obs = ctx.observations([h.a, h.b])
        a, b = (sg.growth_from_returns(obs, s) for s in (h.a, h.b))
        rs = sg.relative_strength(a, b)
    else:
        rs = sg.relative_strength(
            sg.month_end_closes(ctx.closed(check.a)), sg.month_end_closes(ctx.closed(check.b))
        )
    line = ctx.tape.run(rs.select("session", "peak", value=rs.ratio)).sort("session")
    if line.height == 0:
        return [], legend
    legend.span = (line["session"][-1] - line["session"][0]).days
    layers = [
        _line(line, f"relative strength ({judged or check.a + '/' + check.b})", legend),
        _line(line, "its running peak", legend, y="peak", dash=True),
    ]
    top = _number(line["value"].max()) * 1.02
    low = _number(line["value"].min()) * 0.98
    for what, from_key, months_key in (
        ("longest stretch", "longest_from", "longest_months"),
        ("stretch under way", "current_from", "current_months"),
    ):
        begin = _date(reading.get(from_key)) if isinstance(reading, dict) else None
        months = reading.get(months_key) if isinstance(reading, dict) else None
        if begin and isinstance(months, int):
            stop = min(begin + dt.timedelta(days=int(months * 30.44)), line["session"][-1])
            layers.append(
                _interval_band(
                    low, top, begin, stop, f"{what}: {months} months from {begin}", legend
                )
            )
    return layers, legend


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width) or [text]


def _finish(
    built: tuple[list[alt.Chart], Legend], claim: ClaimSpec, result: ClaimResult, ctx: Context
) -> alt.LayerChart | None:
    layers, legend = built
    if not layers:
        return None
    publication = pl.DataFrame({"session": [ctx.day], "what": [legend.add("publication")]})
    pub = (
        alt.Chart(publication)
        .mark_rule(strokeDash=[2, 2])
        .encode(x="session:T", tooltip=["what:N", "session:T"])
    )
    title = alt.Title(
        _wrap(f"{result.id} ({result.verdict}): {claim.says}", 78),
        subtitle=_wrap(result.summary, 100)[:4],
        anchor="start",
    )
    # one colour scale for every layer, set once the legend knows every role
    chart = (
        alt.layer(*layers, pub)
        .encode(color=legend.color())
        .properties(width=WIDTH, height=HEIGHT, title=title)
    )
    return chart.interactive(bind_y=False)


def _listed(measured: dict[str, Any], key: str) -> list[Any]:
    """A list the measurement holds under ``key`` (none: empty)."""
    value = measured.get(key)
    return list(value) if isinstance(value, list | tuple) else []


def _number(value: Any) -> float:
    """A frame's scalar (typed loosely by polars) as a float."""
    return float(value)
