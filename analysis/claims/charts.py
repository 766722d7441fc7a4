"""One altair chart per checkable claim, showing the evidence behind its verdict.

As-published claims show the year before publication on the tape as known then; forecasts and
calls show the path from publication to the horizon (or the data's end) on the tape as known
now. Publication is a vertical rule, a claimed level a horizontal one, and the dates the check
found (a crossing, a breakout, a trough) are marked points. Relative claims show both series
rebased to 100 at the window's start.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

from analysis.claims import model as m
from analysis.claims.context import Context
from analysis.claims.engine import ClaimResult
from analysis.claims.model import ClaimSpec

__all__ = ["claim_chart", "save_png"]

LEVEL_PREDICATES = {
    "first_above",
    "target_by",
    "level_at_horizon",
    "weekly_breakout",
    "target_vs_level",
    "level_origin",
}


def _window(claim: ClaimSpec, ctx: Context) -> tuple[dt.date, dt.date, bool]:
    if claim.kind == "as_published":
        window = getattr(claim.check, "window", None)
        if window is not None and window.kind in ("session", "sessions"):
            # a day's move: six weeks around it, so the session's range is readable
            return ctx.day - dt.timedelta(days=42), ctx.day, False
        return ctx.day - dt.timedelta(days=365), ctx.day, False
    check = claim.check
    assert isinstance(check, m._Scored)
    return ctx.day - dt.timedelta(days=90), check.horizon(ctx.day), True


def _prices(ctx: Context, symbol: str, start: dt.date, end: dt.date, after: bool) -> pl.DataFrame:
    frame = ctx.after_frame(symbol) if after else ctx.closed_frame(symbol)
    if not after:
        live = ctx.live(symbol)
        if live is not None:
            frame = pl.concat(
                [frame, pl.DataFrame([live]).select(frame.columns)], how="vertical_relaxed"
            )
    return (
        frame.filter(pl.col("session").is_between(start, end))
        .select("session", "close", "high", "low")
        .with_columns(pl.lit(symbol).alias("series"))
    )


def claim_chart(claim: ClaimSpec, result: ClaimResult, ctx: Context) -> alt.Chart | None:
    """The evidence chart of one claim, or None when the claim has nothing to plot."""
    if claim.check is None or result.verdict in ("not_checkable",) or not result.series:
        return None
    start, end, after = _window(claim, ctx)
    check = claim.check
    title = f"{result.id}: {result.verdict}"
    subtitle = result.summary[:110]
    symbols = [s for s in result.series if not s.startswith(("FRED:", "FF3", "FFME"))]
    if not symbols:
        series = result.series[0]
        obs = ctx.observations_frame(series, now=after)
        if obs.height == 0:
            return None
        obs = (
            obs.filter(pl.col("period").str.len_chars() >= 7)
            .with_columns(pl.col("period").str.to_date(strict=False).alias("session"))
            .filter(pl.col("session").is_between(start - dt.timedelta(days=730), end))
        )
        base = alt.Chart(obs.select("session", "value")).mark_line(interpolate="step-after")
        layers = [
            base.encode(
                x=alt.X("session:T", title=None),
                y=alt.Y("value:Q", title=series),
                tooltip=["session:T", "value:Q"],
            )
        ]
        return _finish(layers, ctx, title, subtitle)
    relative = getattr(check, "a", None) is not None and len(symbols) >= 2
    frames = []
    for sym in symbols[: 2 if relative else 1]:
        try:
            frames.append(_prices(ctx, sym, start, end, after))
        except Exception:  # a symbol the tape lacks: the verdict already says so
            continue
    frames = [f for f in frames if f.height]
    if not frames:
        return None
    data = pl.concat(frames, how="vertical_relaxed")
    if relative:
        data = data.with_columns(
            (pl.col("close") / pl.col("close").first().over("series") * 100).alias("close")
        )
    y_title = "rebased to 100" if relative else symbols[0]
    line = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("session:T", title=None),
            y=alt.Y("close:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", legend=alt.Legend(orient="top") if relative else None),
            tooltip=["series:N", "session:T", alt.Tooltip("close:Q", format=",.2f")],
        )
    )
    layers: list[alt.Chart] = [line]
    if not relative and data["high"].null_count() < data.height:
        band = (
            alt.Chart(data)
            .mark_area(opacity=0.15)
            .encode(x="session:T", y=alt.Y("low:Q", scale=alt.Scale(zero=False)), y2="high:Q")
        )
        layers.insert(0, band)
    main = data.filter(pl.col("series") == data["series"][0])
    if check.predicate == "ma_cross":
        layers.append(_moving_average(ctx, symbols[0], check.sessions, start, end, after))
    if check.predicate == "record_count":
        records = [dt.date.fromisoformat(d) for d in result.measured.get("record_sessions", [])]
        layers.append(
            _marks(main.filter(pl.col("session").is_in(records)), "record close", "darkorange")
        )
    if check.predicate == "weekly_breakout":
        from store.reference.calendar import weekly_calendar

        weeks = weekly_calendar().filter(pl.col("week_last"))["session"]
        layers.append(
            _marks(
                main.filter(pl.col("session").is_in(weeks.implode())),
                "weekly close",
                "steelblue",
                size=30,
            )
        )
    live = result.measured.get("session_range")
    if isinstance(live, dict) and not relative and getattr(check, "window", None) is not None:
        layers.append(_session_range(live, ctx, check, result))
    value = getattr(check, "value", None)
    if check.predicate in LEVEL_PREDICATES and value is not None:
        layers.append(
            alt.Chart(pl.DataFrame({"level": [value]}))
            .mark_rule(strokeDash=[6, 3], color="firebrick")
            .encode(y="level:Q", tooltip=[alt.Tooltip("level:Q", title="claimed level")])
        )
    if result.dates:
        marks = pl.DataFrame(
            {
                "what": list(result.dates),
                "session": [dt.date.fromisoformat(d[:10]) for d in result.dates.values()],
            }
        ).join(main, on="session", how="inner")
        if marks.height:
            layers.append(
                alt.Chart(marks)
                .mark_point(size=90, filled=True, color="black")
                .encode(x="session:T", y="close:Q", tooltip=["what:N", "session:T", "close:Q"])
            )
    return _finish(layers, ctx, title, subtitle)


def _marks(frame: pl.DataFrame, what: str, color: str, size: int = 60) -> alt.Chart:
    frame = frame.with_columns(pl.lit(what).alias("what"))
    return (
        alt.Chart(frame)
        .mark_point(size=size, filled=True, color=color)
        .encode(
            x="session:T",
            y="close:Q",
            tooltip=["what:N", "session:T", alt.Tooltip("close:Q", format=",.2f")],
        )
    )


def _moving_average(
    ctx: Context, symbol: str, sessions: int, start: dt.date, end: dt.date, after: bool
) -> alt.Chart:
    sma = ctx.moving_average_frame(symbol, sessions, now=after)
    sma = sma.filter(pl.col("session").is_between(start, end)).select("session", "sma")
    return (
        alt.Chart(sma)
        .mark_line(strokeDash=[4, 2], color="gray")
        .encode(
            x="session:T",
            y="sma:Q",
            tooltip=[
                "session:T",
                alt.Tooltip("sma:Q", format=",.2f", title=f"{sessions}-session average"),
            ],
        )
    )


def _session_range(live: dict, ctx: Context, check: object, result: ClaimResult) -> alt.Chart:
    """The publication session's high-low range, and the level the claimed move implies."""
    bar = next(iter(live.values()))
    rows = {
        "session": [ctx.day],
        "low": [bar["low"]],
        "high": [bar["high"]],
        "close": [bar["close"]],
    }
    rng = (
        alt.Chart(pl.DataFrame(rows))
        .mark_rule(strokeWidth=6, color="goldenrod")
        .encode(
            x="session:T",
            y="low:Q",
            y2="high:Q",
            tooltip=["session:T", "low:Q", "high:Q", "close:Q"],
        )
    )
    base = result.measured.get("base_close")
    value = getattr(check, "value", None)
    if isinstance(base, float) and isinstance(value, float):
        claimed = pl.DataFrame({"session": [ctx.day], "claimed": [base * (1 + value)]})
        marker = alt.Chart(claimed).mark_point(
            shape="triangle-left", size=120, filled=True, color="firebrick"
        )
        return rng + marker.encode(
            x="session:T",
            y="claimed:Q",
            tooltip=[
                alt.Tooltip("claimed:Q", format=",.2f", title=f"level of the claimed {value:+.2%}")
            ],
        )
    return rng


def _finish(layers: list[alt.Chart], ctx: Context, title: str, subtitle: str) -> alt.Chart:
    pub = (
        alt.Chart(pl.DataFrame({"published": [ctx.day]}))
        .mark_rule(color="gray")
        .encode(x="published:T", tooltip=["published:T"])
    )
    chart = alt.layer(*layers, pub).properties(
        width=640, height=240, title=alt.Title(title, subtitle=subtitle)
    )
    return chart.interactive(bind_y=False)


def save_png(chart: alt.Chart, path: Path) -> None:
    """Export a chart to PNG through vl-convert (no browser, no network)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=1.5))
