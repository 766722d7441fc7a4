"""Forecasts and calls, scored on what happened after publication (the tape as known now).

A horizon that runs past the data is ``pending`` with the interim result so far, unless the
outcome is already settled (a target touched, a breakout made, a pullback that happened).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
from dateutil.relativedelta import relativedelta

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.context import Context
from analysis.claims.outcome import NotEnoughData, Outcome
from analysis.claims.wording import rule as wording_rule

Evaluator = Callable[[m._Check, Context, bool], Outcome]
SCORED: dict[str, Evaluator] = {}


def predicate(name: str) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        SCORED[name] = fn
        return fn

    return register


def path(ctx: Context, symbol: str, *, adjusted: bool = False) -> pl.DataFrame:
    """Bars of ``symbol`` from the last close at or before publication, as known now."""
    frame = ctx.after_frame(symbol, adjusted=adjusted)
    if frame.height == 0:
        raise NotEnoughData(f"no bars of {symbol}", [symbol])
    try:
        start = start_session(ctx, frame)
    except NotEnoughData as exc:
        raise NotEnoughData(f"{symbol}: {exc}", [symbol]) from None
    return frame.filter(pl.col("session") >= start)


def start_session(ctx: Context, frame: pl.DataFrame) -> dt.date:
    """The session whose close is the publication level: the session in progress when the
    article came out during one (scored from its close), else the last close before."""
    upto = frame.filter(pl.col("session") <= ctx.day)
    if upto.height == 0:
        raise NotEnoughData("no close at publication", [])
    last = upto["session"][-1]
    if (ctx.day - last).days > 7:
        raise NotEnoughData(f"data end {last}, before publication {ctx.day}", [f"after {last}"])
    if last == ctx.day and not ctx.in_progress and ctx.known_at < _close_of(upto):
        last = upto["session"][-2]
    return last


def _close_of(frame: pl.DataFrame) -> dt.datetime:
    return frame["valid_at"][-1]


def horizon(ctx: Context, check: m._Check) -> dt.date:
    end = getattr(check, "horizon_end", None)
    months = getattr(check, "months", None)
    if end is None and months is not None:
        end = ctx.day + relativedelta(months=months)
    if end is None and hasattr(check, "weeks"):
        end = ctx.day + dt.timedelta(weeks=check.weeks)
    assert end is not None
    return end


def at_horizon(frame: pl.DataFrame, end: dt.date) -> dict[str, object] | None:
    """The last bar on or before ``end``, or None while the data stop before the horizon."""
    if frame["session"][-1] < end:
        return None
    return frame.filter(pl.col("session") <= end).row(-1, named=True)


def pending_until(end: dt.date, measured: dict[str, object], rule: str, symbol: str) -> Outcome:
    return Outcome("pending", measured, rule, f"horizon {end} is past the data", [symbol])


def interim(frame: pl.DataFrame) -> dict[str, object]:
    return {"data_end": str(frame["session"][-1]), "last_close": float(frame["close"][-1])}


@predicate("target_by")
def target_by(check: m.TargetBy, ctx: Context, live: bool) -> Outcome:
    frame = path(ctx, check.symbol)
    target = check.value
    assert target is not None
    end = horizon(ctx, check)
    start = frame["session"][0]
    table = ctx.after(check.symbol)
    touched = sg.target_touched(table, target, start, end).to_polars()
    first_close = sg.first_close_above(
        table, target, start=start + dt.timedelta(days=1), end=end
    ).to_polars()
    measured: dict[str, object] = {
        "target": target,
        "start_session": str(start),
        "start_close": float(frame["close"][0]),
        "first_touch": str(touched["session"][0]) if touched.height else None,
        "first_close_above": str(first_close["session"][0]) if first_close.height else None,
    }
    if check.origin_month:
        month = ctx.after_frame(check.symbol).filter(
            pl.col("session").dt.strftime("%Y-%m") == check.origin_month
        )
        if month.height:
            measured["origin"] = {
                "month": check.origin_month,
                "max_high": float(month["high"].max()),
                "max_high_session": str(
                    month.filter(pl.col("high") == month["high"].max())["session"][0]
                ),
                "max_close": float(month["close"].max()),
            }
    rule = f"target: close at or above {target:,.2f} at the horizon {end}"
    if frame["session"][-1] < end:
        measured |= interim(frame)
        return Outcome(
            "pending",
            measured,
            rule,
            f"horizon {end} is past the data ({frame['session'][-1]}); "
            f"touched: {measured['first_touch'] or 'not yet'}",
            [check.symbol],
        )
    met = sg.target_met(table, target, end).to_polars().row(0, named=True)
    measured |= {
        "horizon_session": str(met["horizon_session"]),
        "horizon_close": met["horizon_close"],
        "signed_error": met["signed_error"],
    }
    return Outcome(
        "supported" if met["met"] else "refuted",
        measured,
        rule,
        f"{met['horizon_close']:,.2f} at {met['horizon_session']} vs target "
        f"{target:,.2f} ({met['signed_error']:+.2%}); touched: "
        f"{measured['first_touch'] or 'never'}",
        [check.symbol],
        dates={"horizon": str(met["horizon_session"])},
    )


@predicate("level_at_horizon")
def level_at_horizon(check: m.LevelAtHorizon, ctx: Context, live: bool) -> Outcome:
    frame = path(ctx, check.symbol)
    end = check.horizon_end
    rule_name = check.rule or "about"
    rule = wording_rule(rule_name).describe(check.value, check.tolerance)
    at = at_horizon(frame, end)
    if at is None:
        return pending_until(end, interim(frame), rule, check.symbol)
    ok = wording_rule(rule_name).holds(float(at["close"]), check.value, check.tolerance)
    assert check.value is not None
    return Outcome(
        "supported" if ok else "refuted",
        {
            "horizon_session": str(at["session"]),
            "horizon_close": at["close"],
            "signed_error": at["close"] / check.value - 1,
        },
        rule,
        f"{at['close']:,.2f} on {at['session']} vs {check.value:,.0f}",
        [check.symbol],
    )


@predicate("direction")
def direction(check: m.Direction, ctx: Context, live: bool) -> Outcome:
    frame = path(ctx, check.symbol)
    start = float(frame["close"][0])
    end = check.horizon_end
    rule = (
        f"{check.direction}: close at {end} {'above' if check.direction == 'up' else 'below'}"
        f" the publication close {start:,.2f}"
    )
    at = at_horizon(frame, end)
    if at is None:
        return pending_until(end, {"start_close": start, **interim(frame)}, rule, check.symbol)
    change = at["close"] / start - 1
    ok = change > 0 if check.direction == "up" else change < 0
    return Outcome(
        "supported" if ok else "refuted",
        {
            "start_session": str(frame["session"][0]),
            "start_close": start,
            "horizon_session": str(at["session"]),
            "horizon_close": at["close"],
            "return": change,
        },
        rule,
        f"{start:,.2f} -> {at['close']:,.2f} ({change:+.2%})",
        [check.symbol],
    )


@predicate("weekly_breakout")
def weekly_breakout(check: m.WeeklyBreakout, ctx: Context, live: bool) -> Outcome:
    frame = path(ctx, check.symbol)
    level = check.value
    assert level is not None
    table = ctx.after(check.symbol)
    start = frame["session"][0] + dt.timedelta(days=1)
    hit = sg.consecutive_weekly_closes_above(table, level, check.weeks, start=start)
    hit = hit.to_polars().filter(pl.col("session") <= check.horizon_end)
    weekly = (
        sg.weekly_closes(table)
        .to_polars()
        .filter(pl.col("session").is_between(start, check.horizon_end))
    )
    rule = (
        f"breakout: {check.weeks} consecutive weekly closes above {level:,.2f} by "
        f"{check.horizon_end}"
    )
    measured: dict[str, object] = {
        "weekly_closes_above": weekly.filter(pl.col("close") > level).height,
        "weekly_closes": weekly.height,
    }
    if hit.height:
        row = hit.row(0, named=True)
        measured |= {"breakout_confirmed": str(row["session"]), "run_start": str(row["run_start"])}
        return Outcome(
            "supported",
            measured,
            rule,
            f"weekly closes above {level:,.0f} from {row['run_start']}, confirmed {row['session']}",
            [check.symbol],
            dates={"breakout": str(row["session"])},
        )
    if frame["session"][-1] < check.horizon_end:
        return Outcome(
            "pending", measured | interim(frame), rule, "no breakout yet", [check.symbol]
        )
    return Outcome(
        "refuted",
        measured,
        rule,
        f"no {check.weeks} consecutive weekly closes above {level:,.0f}",
        [check.symbol],
    )


@predicate("drawdown_within")
def drawdown_within(check: m.DrawdownWithin, ctx: Context, live: bool) -> Outcome:
    frame = path(ctx, check.symbol)
    end = horizon(ctx, check)
    start = frame["session"][0]
    dd = sg.pullback_after(ctx.after(check.symbol), start, end).to_polars().row(0, named=True)
    rule_name = check.rule or "pullback"
    rule = wording_rule(rule_name).describe(None, check.tolerance) + f" by {end}"
    measured = {
        "peak_session": str(dd["peak_session"]),
        "peak_close": dd["peak_close"],
        "trough_session": str(dd["trough_session"]),
        "trough_close": dd["trough_close"],
        "drawdown": dd["drawdown"],
        "window_end": str(end),
    }
    ok = wording_rule(rule_name).holds(float(dd["drawdown"]), None, check.tolerance)
    if ok:
        verdict = "supported"
    elif frame["session"][-1] < end:
        verdict = "pending"
    else:
        verdict = "refuted"
    return Outcome(
        verdict,
        measured,
        rule,
        f"deepest fall {dd['drawdown']:+.2%} ({dd['peak_session']} -> {dd['trough_session']})",
        [check.symbol],
        dates={"trough": str(dd["trough_session"])},
    )


@predicate("outperform")
def outperform(check: m.Outperform, ctx: Context, live: bool) -> Outcome:
    a, b = path(ctx, check.a, adjusted=False), path(ctx, check.b, adjusted=False)
    end = horizon(ctx, check)
    last = min(a["session"][-1], b["session"][-1])
    through = min(end, last)
    ra = float(a.filter(pl.col("session") <= through)["close"][-1] / a["close"][0] - 1)
    rb = float(b.filter(pl.col("session") <= through)["close"][-1] / b["close"][0] - 1)
    measured = {
        f"{check.a}_return": ra,
        f"{check.b}_return": rb,
        "relative": ra - rb,
        "start_session": str(a["session"][0]),
        "through": str(through),
    }
    rule = f"outperform: {check.a} return > {check.b} return from publication to {end}"
    if last < end:
        # a series that stopped while the other went on (a delisting) cannot be scored;
        # both ending together is the data's end: pending
        data_end = max(a["session"][-1], b["session"][-1])
        gone = [
            s for s, f in ((check.a, a), (check.b, b)) if (data_end - f["session"][-1]).days > 7
        ]
        if gone:
            raise NotEnoughData(f"{', '.join(gone)} data stop before {end}", gone)
        return Outcome(
            "pending",
            measured,
            rule,
            f"interim to {through}: {check.a} {ra:+.2%} vs {check.b} {rb:+.2%}",
            [check.a, check.b],
        )
    return Outcome(
        "supported" if ra > rb else "refuted",
        measured,
        rule,
        f"{check.a} {ra:+.2%} vs {check.b} {rb:+.2%} to {through}",
        [check.a, check.b],
    )


@predicate("fed_cuts")
def fed_cuts(check: m.FedCuts, ctx: Context, live: bool) -> Outcome:
    obs = ctx.observations_frame(check.series, now=True)
    if obs.height == 0:
        raise NotEnoughData(f"no observations of {check.series}", [check.series])
    changes = sg.rate_changes(ctx.observations(check.series, now=True), check.series)
    changes = changes.to_polars().filter(pl.col("period") > ctx.day.isoformat())
    cuts = changes.filter(pl.col("direction") == "cut")
    by_month = {p[:7] for p in cuts["period"]}
    hits = {mo: mo in by_month for mo in check.months}
    data_end = obs["period"][-1]
    measured = {
        "cuts_after_publication": [
            f"{p} {c:+.0f}bp" for p, c in zip(cuts["period"], cuts["change_bp"], strict=True)
        ],
        "months": hits,
        "data_end": data_end,
    }
    rule = f"cuts: a cut takes effect in each of {', '.join(check.months)}"
    if all(hits.values()):
        verdict = "supported"
    elif data_end[:7] <= max(check.months):
        verdict = "pending"
    else:
        verdict = "refuted"
    return Outcome(
        verdict,
        measured,
        rule,
        ", ".join(f"{mo}: {'cut' if ok else 'no cut'}" for mo, ok in hits.items()),
        [check.series],
    )


@predicate("list_change")
def list_change(check: m.ListChange, ctx: Context, live: bool) -> Outcome:
    end = ctx.day + relativedelta(months=check.months)
    rets: dict[str, float] = {}
    missing: list[str] = []
    through: dict[str, str] = {}
    for sym in [*check.adds, *check.removes]:
        try:
            frame = path(ctx, sym, adjusted=True)
        except NotEnoughData as exc:
            missing += exc.missing or [sym]
            continue
        upto = frame.filter(pl.col("session") <= end)
        rets[sym] = float(upto["close"][-1] / upto["close"][0] - 1)
        through[sym] = str(upto["session"][-1])
    adds = [rets[s] for s in check.adds if s in rets]
    removes = [rets[s] for s in check.removes if s in rets]
    if not adds or not removes:
        raise NotEnoughData("adds or removes lack prices", missing or [*check.adds, *check.removes])
    spread = sum(adds) / len(adds) - sum(removes) / len(removes)
    last = min(dt.date.fromisoformat(d) for d in through.values())
    measured = {
        "returns": rets,
        "through": through,
        "adds_mean": sum(adds) / len(adds),
        "removes_mean": sum(removes) / len(removes),
        "spread": spread,
    }
    rule = f"list change: adds' mean total return > removes' over {check.months} months"
    verdict = (
        "pending"
        if last < end - dt.timedelta(days=7)
        else ("supported" if spread > 0 else "refuted")
    )
    return Outcome(
        verdict,
        measured,
        rule,
        f"adds {measured['adds_mean']:+.1%} vs removes {measured['removes_mean']:+.1%}"
        f" (spread {spread:+.1%})",
        [*check.adds, *check.removes],
        missing=missing,
    )
