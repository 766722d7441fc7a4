"""As-published predicates: each measures a claim on the tape as known at publication.

A predicate returns an :class:`~analysis.claims.outcome.Outcome` with the measured values. When
the claim speaks of the session in progress, it also returns a :class:`Live` measurement, which
the engine judges at the session's close and across its high-low range. Verdicts that need no
live judgement are set here; the rest are set by the engine.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable

import polars as pl

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.context import Context
from analysis.claims.outcome import Live, NotEnoughData, Outcome, resolve_window
from analysis.claims.wording import rule as wording_rule

Evaluator = Callable[[m._Check, Context, bool], Outcome]
PUBLISHED: dict[str, Evaluator] = {}


def predicate(name: str) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        PUBLISHED[name] = fn
        return fn

    return register


# -- helpers ------------------------------------------------------------------------------------


def bars(ctx: Context, symbol: str, *, adjusted: bool = False) -> pl.DataFrame:
    frame = ctx.closed_frame(symbol, adjusted=adjusted)
    if frame.height == 0:
        where = f" from source {ctx.source}" if ctx.source else ""
        raise NotEnoughData(
            f"no bars of {symbol}{where} known at {ctx.known_at:%Y-%m-%d}", [symbol]
        )
    return frame


def need(frame: pl.DataFrame, field: str, symbol: str, ctx: Context) -> pl.DataFrame:
    """``frame`` if it carries ``field`` (close-only feeds carry no highs)."""
    if frame[field].null_count() == frame.height:
        where = f" from source {ctx.source}" if ctx.source else ""
        raise NotEnoughData(f"no {field} values for {symbol}{where}", [f"{symbol} {field}"])
    return frame


def close_on_or_before(
    frame: pl.DataFrame, day: dt.date, symbol: str, *, slack: int = 7
) -> tuple[dt.date, float]:
    """The last close on or before ``day``; missing when the series has none within
    ``slack`` days of it (it starts later or stopped earlier)."""
    upto = frame.filter(pl.col("session") <= day)
    if upto.height == 0:
        first = frame["session"].min()
        raise NotEnoughData(
            f"{symbol} has no close on or before {day} (it starts {first})",
            [f"{symbol} before {first}"],
        )
    session, close = upto["session"][-1], upto["close"][-1]
    if (day - session).days > slack:
        raise NotEnoughData(
            f"{symbol} data end {session}, needed up to {day}", [f"{symbol} after {session}"]
        )
    return session, float(close)


def live_range(ctx: Context, symbol: str) -> tuple[float, float, float] | None:
    bar = ctx.live(symbol)
    if bar is None:
        return None
    low = bar["low"] if bar["low"] is not None else bar["close"]
    high = bar["high"] if bar["high"] is not None else bar["close"]
    return float(low), float(high), float(bar["close"])


def describe(check: m._Check, default_rule: str) -> str:
    return wording_rule(check.rule or default_rule).describe(check.value, check.tolerance)


def _holds(check: m._Check, default_rule: str) -> Callable[[float], bool]:
    chosen = wording_rule(check.rule or default_rule)
    return lambda v: chosen.holds(v, check.value, check.tolerance)


def verdict_of(check: m._Check, default_rule: str, measured: float) -> str:
    holds = wording_rule(check.rule or default_rule).holds(measured, check.value, check.tolerance)
    return "supported" if holds else "refuted"


def _return(
    ctx: Context, symbol: str, window: m.Window, ending: dt.date | None, adjusted: bool, live: bool
) -> tuple[dict[str, object], Callable[[float], float] | None, float | None]:
    """(evidence, value_at(last price) when live, measured value at the last close)."""
    frame = bars(ctx, symbol, adjusted=adjusted)
    if window.kind == "sessions":
        n = window.count or 1
        closed = frame.filter(pl.col("session") < ctx.day) if ctx.in_progress else frame
        # live: today is the n-th session, so the base is n-1 closes back from the last one
        back = n if live else n + 1
        if closed.height < back:
            raise NotEnoughData(f"{symbol} has fewer than {n} sessions", [symbol])
        base_session, base = closed["session"][-back], float(closed["close"][-back])
        after, through = base_session, ctx.day
    else:
        after, through = resolve_window(window, ctx.day, ending)
        base_session, base = close_on_or_before(frame, after, symbol)
    evidence: dict[str, object] = {"base_session": str(base_session), "base_close": base}
    if live and through >= ctx.day:
        return evidence, (lambda p: p / base - 1), None
    end_session, end = close_on_or_before(
        frame.filter(pl.col("session") < ctx.day) if ctx.in_progress else frame, through, symbol
    )
    evidence |= {"end_session": str(end_session), "end_close": end}
    return evidence, None, end / base - 1


# -- returns ------------------------------------------------------------------------------------


@predicate("period_return")
def period_return(check: m.PeriodReturn, ctx: Context, live: bool) -> Outcome:
    evidence, value_at, value = _return(
        ctx, check.symbol, check.window, check.ending, check.adjusted, live and ctx.in_progress
    )
    out = Outcome("", {**evidence}, describe(check, "about"), "", [check.symbol])
    if value_at is not None:
        lo_hi = live_range(ctx, check.symbol)
        if lo_hi is None:
            raise NotEnoughData(
                f"no bar of {check.symbol} for the session in progress", [check.symbol]
            )
        out.live = Live(
            lambda p: value_at(p[check.symbol]), {check.symbol: lo_hi}, _holds(check, "about")
        )
        out.summary = f"{check.symbol} return over {check.window.kind} at the session's prices"
        return out
    assert value is not None
    out.measured["return"] = value
    out.verdict = verdict_of(check, "about", value)
    out.summary = f"{check.symbol} {check.window.kind} return {value:+.2%}"
    return out


def _relative(
    check: m.RelativeReturn | m.ReturnRatio,
    ctx: Context,
    live: bool,
    combine: Callable[[float, float], float],
    default_rule: str,
    label: str,
) -> Outcome:
    live = live and ctx.in_progress
    ending = getattr(check, "ending", None)
    ev_a, at_a, ra = _return(ctx, check.a, check.window, ending, False, live)
    ev_b, at_b, rb = _return(ctx, check.b, check.window, ending, False, live)
    measured = {f"{check.a} {k}": v for k, v in ev_a.items()}
    measured |= {f"{check.b} {k}": v for k, v in ev_b.items()}
    out = Outcome("", measured, describe(check, default_rule), "", [check.a, check.b])
    if at_a is not None and at_b is not None:
        ranges = {s: live_range(ctx, s) for s in (check.a, check.b)}
        if any(r is None for r in ranges.values()):
            raise NotEnoughData("no bar for the session in progress", [check.a, check.b])
        out.live = Live(
            lambda p: combine(at_a(p[check.a]), at_b(p[check.b])),
            {k: v for k, v in ranges.items() if v is not None},
            _holds(check, default_rule),
        )
        out.summary = f"{label} of {check.a} and {check.b} at the session's prices"
        return out
    assert ra is not None and rb is not None
    value = combine(ra, rb)
    out.measured |= {f"{check.a} return": ra, f"{check.b} return": rb, label: value}
    out.verdict = verdict_of(check, default_rule, value)
    out.summary = f"{check.a} {ra:+.2%} vs {check.b} {rb:+.2%}: {label} {value:+.4g}"
    return out


@predicate("relative_return")
def relative_return(check: m.RelativeReturn, ctx: Context, live: bool) -> Outcome:
    if check.value is None and check.rule is None:
        check = check.model_copy(update={"rule": "above", "value": 0.0})
    return _relative(check, ctx, live, lambda a, b: a - b, "above", "relative return")


@predicate("return_ratio")
def return_ratio(check: m.ReturnRatio, ctx: Context, live: bool) -> Outcome:
    return _relative(
        check, ctx, live, lambda a, b: a / b if b else float("inf"), "twice", "return ratio"
    )


# -- records and levels -------------------------------------------------------------------------


@predicate("record_count")
def record_count(check: m.RecordCount, ctx: Context, live: bool) -> Outcome:
    frame = bars(ctx, check.symbol)
    before = frame.filter(pl.col("session") < ctx.day) if ctx.in_progress else frame
    records = sg.record_closes(ctx.closed(check.symbol)).to_polars()
    year = ctx.day.year
    in_year = records.filter(pl.col("session").dt.year() == year)
    if ctx.in_progress:
        in_year = in_year.filter(pl.col("session") < ctx.day)
    prior = float(before["close"].max())
    n = in_year.height
    out = Outcome(
        "",
        {
            "records_this_year_before": n,
            "prior_record_close": prior,
            "record_sessions": [str(d) for d in in_year["session"]],
        },
        describe(check, "exactly"),
        "",
        [check.symbol],
    )
    if live and ctx.in_progress:
        rng = live_range(ctx, check.symbol)
        if rng is None:
            raise NotEnoughData("no bar for the session in progress", [check.symbol])
        out.live = Live(
            lambda p: n + (1 if p[check.symbol] > prior else 0),
            {check.symbol: rng},
            _holds(check, "exactly"),
        )
        out.summary = f"{n} record closes in {year} before the session; prior record {prior:,.2f}"
        return out
    out.measured["records_this_year"] = n
    out.verdict = verdict_of(check, "at_least", n)
    out.summary = f"{n} record closes in {year} by {ctx.day}"
    return out


@predicate("all_time_high")
def all_time_high(check: m.AllTimeHigh, ctx: Context, live: bool) -> Outcome:
    frame = need(bars(ctx, check.symbol), check.field, check.symbol, ctx)
    field = check.field
    if live and ctx.in_progress:
        before = frame.filter(pl.col("session") < ctx.day)
        prior = float(before[field].max())
        rng = live_range(ctx, check.symbol)
        if rng is None:
            raise NotEnoughData("no bar for the session in progress", [check.symbol])
        _low, high, _close = rng
        # a high is a record if the session's high beats the prior one: judge on the high
        ranges = {check.symbol: (high, high, high) if field == "high" else rng}
        out = Outcome(
            "",
            {
                f"prior_record_{field}": prior,
                "prior_record_session": str(before.filter(pl.col(field) == prior)["session"][-1]),
            },
            wording_rule("record").describe(prior, check.tolerance),
            "",
            [check.symbol],
        )
        out.live = Live(lambda p: p[check.symbol], ranges, lambda v: v > prior)
        out.summary = (
            f"the session's {'high (judged on the high)' if field == 'high' else 'prices'}"
            f" against the prior record {field} {prior:,.2f}"
        )
        return out
    records = (
        sg.record_closes(ctx.closed(check.symbol))
        if field == "close"
        else sg.record_highs(ctx.closed(check.symbol))
    )
    recent = frame["session"].tail(max(check.within_sessions, 1)).to_list()
    hits = records.to_polars().filter(pl.col("session").is_in(recent))
    last = records.to_polars()["session"].max()
    out = Outcome(
        "supported" if hits.height else "refuted",
        {
            "record_sessions_in_window": [str(d) for d in hits["session"]],
            "last_record_session": str(last),
            "window_sessions": len(recent),
        },
        f"record: a record {field} within the last {len(recent)} sessions",
        "",
        [check.symbol],
    )
    out.summary = f"last record {field} {last}"
    return out


@predicate("first_above")
def first_above(check: m.FirstAbove, ctx: Context, live: bool) -> Outcome:
    frame = need(bars(ctx, check.symbol), check.field, check.symbol, ctx)
    level = check.value
    assert level is not None
    before = frame.filter(pl.col("session") < ctx.day) if ctx.in_progress else frame
    prior_max = float(before[check.field].max())
    evidence = {
        f"highest_prior_{check.field}": prior_max,
        "level": level,
        "prior_max_session": str(before.filter(pl.col(check.field) == prior_max)["session"][-1]),
    }
    if prior_max > level:
        first = (
            sg.first_close_above(ctx.closed(check.symbol), level)
            if check.field == "close"
            else sg.first_high_above(ctx.closed(check.symbol), level)
        )
        when = first.to_polars()["session"][0]
        return Outcome(
            "refuted",
            {**evidence, "first_time": str(when)},
            wording_rule("first_time").describe(level, None),
            f"{check.symbol} was already above {level:,.0f} on {when}",
            [check.symbol],
        )
    out = Outcome(
        "", evidence, wording_rule("first_time").describe(level, None), "", [check.symbol]
    )
    rng = live_range(ctx, check.symbol) if (live and ctx.in_progress) else None
    if rng is None:
        raise NotEnoughData(f"no bar of {check.symbol} for the session in progress", [check.symbol])
    # "topped" a level: judge on the session's traded prices
    out.live = Live(lambda p: p[check.symbol], {check.symbol: rng}, lambda v: v > level)
    out.summary = f"never above {level:,.0f} before (highest {prior_max:,.2f})"
    return out


@predicate("record_broken")
def record_broken(check: m.RecordBroken, ctx: Context, live: bool) -> Outcome:
    frame = bars(ctx, check.symbol)
    month_start = dt.date.fromisoformat(check.prior_month + "-01")
    in_month = frame.filter(pl.col("session").dt.strftime("%Y-%m") == check.prior_month)
    if in_month.height == 0:
        raise NotEnoughData(f"no bars of {check.symbol} in {check.prior_month}", [check.symbol])
    record = float(in_month["close"].max())
    record_session = in_month.filter(pl.col("close") == record)["session"][0]
    earlier_max = frame.filter(pl.col("session") < month_start)["close"].max()
    after = frame.filter(pl.col("session") > record_session)
    if ctx.in_progress:
        after = after.filter(pl.col("session") < ctx.day)
    broken = after.filter(pl.col("close") > record)
    target = check.month
    if target == "previous":
        first_of_month = ctx.day.replace(day=1)
        target = (first_of_month - dt.timedelta(days=1)).strftime("%Y-%m")
    measured: dict[str, object] = {
        "prior_record_close": record,
        "prior_record_session": str(record_session),
        "was_all_time_record": earlier_max is None or record > float(earlier_max),
    }
    when = "at any time before publication" if target == "before" else f"in {target}"
    if broken.height == 0:
        return Outcome(
            "refuted",
            measured,
            f"record: the first close above the {check.prior_month} record falls {when}",
            f"{check.symbol} never closed above {record:,.2f}",
            [check.symbol],
        )
    first = broken["session"][0]
    measured |= {"first_close_above": str(first), "first_close": float(broken["close"][0])}
    ok = first.strftime("%Y-%m") == target or (target == "before" and first < ctx.day)
    return Outcome(
        "supported" if ok else "refuted",
        measured,
        f"record: the first close above the {check.prior_month} record falls {when}",
        f"first close above {record:,.2f} ({record_session}) on {first}",
        [check.symbol],
        dates={"first_close_above": str(first)},
    )


@predicate("ma_cross")
def ma_cross(check: m.MovingAverageCross, ctx: Context, live: bool) -> Outcome:
    bars(ctx, check.symbol)
    closed = ctx.closed(check.symbol)
    if ctx.in_progress:
        closed = closed.filter(closed.session < ctx.day)
    crossings = sg.ma_crossings(closed, check.sessions).order_by("session").to_polars()
    ups = crossings.filter(pl.col("direction") == "up")
    if crossings.height == 0 or crossings["direction"][-1] != "up":
        return Outcome(
            "refuted",
            {"last_crossing": str(crossings["session"][-1]) if crossings.height else None},
            f"the close's current run above its {check.sessions}-session average "
            f"began in {check.month}",
            f"{check.symbol} is not above its {check.sessions}-session average",
            [check.symbol],
        )
    start = crossings["session"][-1]
    year_ups = ups.filter(pl.col("session").dt.year() == ctx.day.year)["session"].to_list()
    ok = start.strftime("%Y-%m") == check.month or (
        len(check.month) == 2 and start.strftime("%m") == check.month
    )
    return Outcome(
        "supported" if ok else "refuted",
        {"run_began": str(start), "up_crossings_this_year": [str(d) for d in year_ups]},
        f"the current run above the {check.sessions}-session average began in {check.month}",
        f"current run above the {check.sessions}-session average began {start}",
        [check.symbol],
        dates={"crossing": str(start)},
    )


@predicate("level_origin")
def level_origin(check: m.LevelOrigin, ctx: Context, live: bool) -> Outcome:
    frame = need(bars(ctx, check.symbol), check.field, check.symbol, ctx)
    month = frame.filter(pl.col("session").dt.strftime("%Y-%m") == check.month)
    if month.height == 0:
        raise NotEnoughData(f"no bars of {check.symbol} in {check.month}", [check.symbol])
    top = float(month[check.field].max())
    when = month.filter(pl.col(check.field) == top)["session"][0]
    value = top
    out = Outcome(
        verdict_of(check, "about", value),
        {
            f"{check.month}_max_{check.field}": top,
            "session": str(when),
            f"{check.month}_max_close": float(month["close"].max()),
            f"{check.month}_max_high": float(month["high"].max())
            if month["high"].null_count() < month.height
            else None,
        },
        describe(check, "about"),
        f"highest {check.field} of {check.month}: {top:,.2f} on {when}",
        [check.symbol],
        dates={"level_from": str(when)},
    )
    return out


@predicate("target_vs_level")
def target_vs_level(check: m.TargetVsLevel, ctx: Context, live: bool) -> Outcome:
    frame = bars(ctx, check.symbol)
    target = check.value
    assert target is not None
    if check.upside is not None:
        before = frame.filter(pl.col("session") < ctx.day)
        ref_session, ref = before["session"][-1], float(before["close"][-1])
        upside = target / ref - 1
        tol = check.tolerance
        ok = wording_rule(check.rule or "about").holds(upside, check.upside, tol)
        return Outcome(
            "supported" if ok else "refuted",
            {
                "target": target,
                "reference_session": str(ref_session),
                "reference_close": ref,
                "implied_upside": upside,
            },
            wording_rule(check.rule or "about").describe(check.upside, tol),
            f"{target:,.0f} vs {ref:,.2f} ({ref_session}): {upside:+.2%}",
            [check.symbol],
        )
    rule_name = check.rule or "below"
    # the claim puts the target below (above) the level: m is the level, c the target
    flip = {"below": "above", "above": "below"}[rule_name]
    level_rule = wording_rule(flip).describe(target, None).replace("measured", "level")
    out = Outcome("", {"target": target}, level_rule, "", [check.symbol])
    rng = live_range(ctx, check.symbol) if ctx.in_progress else None
    if live and rng is not None:
        out.live = Live(
            lambda p: p[check.symbol],
            {check.symbol: rng},
            lambda v: wording_rule(flip).holds(v, target, None),
        )
        out.summary = f"{check.symbol} level during the session against the target"
        return out
    level = float(frame["close"][-1])
    ok = wording_rule(flip).holds(level, target, None)
    out.verdict = "supported" if ok else "refuted"
    out.measured |= {"level": level, "level_session": str(frame["session"][-1])}
    out.summary = f"target {target:,.0f} vs level {level:,.2f}"
    return out


# -- macro, factors, relative strength ----------------------------------------------------------


def _obs(ctx: Context, series: str, *, now: bool = False) -> pl.DataFrame:
    frame = ctx.observations_frame(series, now=now)
    if frame.height == 0:
        raise NotEnoughData(f"no observations of {series}", [series])
    return frame


@predicate("rate_cycle")
def rate_cycle(check: m.RateCycle, ctx: Context, live: bool) -> Outcome:
    _obs(ctx, check.series)
    changes = sg.rate_changes(ctx.observations(check.series), check.series).to_polars()
    changes = changes.filter(pl.col("period") <= ctx.day.isoformat())
    since = (ctx.day - dt.timedelta(days=int(check.months * 30.5))).isoformat()
    recent = changes.filter(pl.col("period") >= since)
    want = "cut" if check.direction == "easing" else "hike"
    ok = recent.height > 0 and (recent["direction"] == want).all()
    listing = [
        f"{p} {c:+.0f}bp" for p, c in zip(recent["period"], recent["change_bp"], strict=True)
    ]
    return Outcome(
        "supported" if ok else "refuted",
        {"changes_in_window": listing, "window_start": since},
        f"{check.direction}: every change in the {check.months} months before "
        f"publication is a {want}, and there is at least one",
        f"{len(listing)} change(s) since {since}: {', '.join(listing) or 'none'}",
        [check.series],
    )


@predicate("sector_leaders")
def sector_leaders(check: m.SectorLeaders, ctx: Context, live: bool) -> Outcome:
    bench_ev, _, bench = _return(ctx, check.benchmark, check.window, None, False, False)
    assert bench is not None
    groups: dict[str, float] = {}
    per_stock: dict[str, float] = {}
    missing: list[str] = list(check.missing_groups)
    for name, members in check.groups.items():
        rets = []
        for sym in members:
            try:
                _, _, r = _return(ctx, sym, check.window, None, True, False)
            except NotEnoughData as exc:
                missing += exc.missing
                continue
            assert r is not None
            per_stock[sym] = r
            rets.append(r)
        if rets:
            groups[name] = statistics.median(rets)
        else:
            missing.append(name)
    if not groups:
        raise NotEnoughData("no group has data", missing)
    beat = {g: r > bench for g, r in groups.items()}
    verdict = "supported" if all(beat.values()) else "refuted"
    return Outcome(
        verdict,
        {
            "benchmark_return": bench,
            "group_median_returns": groups,
            "stock_returns": per_stock,
            "groups_without_data": check.missing_groups,
            **bench_ev,
        },
        f"leaders: every group's median return over {check.window.kind} beats {check.benchmark}",
        ", ".join(f"{g} {r:+.1%}" for g, r in groups.items())
        + f" vs {check.benchmark} {bench:+.1%}",
        [check.benchmark, *per_stock],
        missing=missing,
    )


@predicate("factor_premium")
def factor_premium(check: m.FactorPremium, ctx: Context, live: bool) -> Outcome:
    _obs(ctx, check.series)
    p = (
        sg.factor_premia(
            ctx.observations(check.series), check.series, check.first_year, check.last_year
        )
        .to_polars()
        .row(0, named=True)
    )
    expected = check.last_year - check.first_year + 1
    if p["years"] != expected:
        raise NotEnoughData(
            f"{check.series} has {p['years']} of {expected} years",
            [f"{check.series} {check.first_year}-{check.last_year}"],
        )
    value = float(p[f"{check.mean}_mean"])
    return Outcome(
        verdict_of(check, "about", value),
        {
            "arithmetic_mean_pct": p["arithmetic_mean"],
            "geometric_mean_pct": p["geometric_mean"],
            "positive_share": p["positive_share"],
            "years": p["years"],
        },
        describe(check, "about"),
        f"{check.series} {check.first_year}-{check.last_year}: arithmetic "
        f"{value:.2f}, geometric {p['geometric_mean']:.2f} pp a year",
        [check.series],
    )


@predicate("longest_underperformance")
def longest_underperformance(check: m.LongestUnderperformance, ctx: Context, live: bool) -> Outcome:
    bars(ctx, check.a)
    bars(ctx, check.b)
    a, b = ctx.closed(check.a), ctx.closed(check.b)
    rs = sg.relative_strength(a, b)
    stretches = sg.longest_below_peak(rs).to_polars().row(0, named=True)
    line = rs.order_by("session").to_polars()
    peak_day = line.filter(~pl.col("below_peak"))["session"][-1]
    current = line.filter(pl.col("session") > peak_day).height
    longest = int(stretches["sessions_below"])
    ok = current >= longest
    return Outcome(
        "supported" if ok else "refuted",
        {
            "current_stretch_sessions": current,
            "current_peak": str(peak_day),
            "longest_stretch_sessions": longest,
            "longest_peak": str(stretches["peak_session"]),
            "longest_recovered": bool(stretches["recovered"]),
            "data_from": str(line["session"][0]),
        },
        "longest: the stretch below the prior relative-strength peak under way at "
        "publication is the longest in the data",
        f"current stretch {current} sessions since {peak_day}; longest {longest} "
        f"from {stretches['peak_session']} (data from {line['session'][0]})",
        [check.a, check.b],
    )


@predicate("series_change")
def series_change(check: m.SeriesChange, ctx: Context, live: bool) -> Outcome:
    frame = _obs(ctx, check.series)
    after, through = resolve_window(check.window, ctx.day)
    start = frame.filter(pl.col("period") <= after.isoformat())
    end = frame.filter(pl.col("period") <= through.isoformat())
    if start.height == 0:
        raise NotEnoughData(f"{check.series} starts after {after}", [check.series])
    change = float(end["value"][-1]) - float(start["value"][-1])
    return Outcome(
        verdict_of(check, "above", change),
        {
            "start": float(start["value"][-1]),
            "start_period": start["period"][-1],
            "end": float(end["value"][-1]),
            "end_period": end["period"][-1],
            "change": change,
        },
        describe(check, "above"),
        f"{check.series} {start['value'][-1]:.2f} ({start['period'][-1]}) -> "
        f"{end['value'][-1]:.2f} ({end['period'][-1]})",
        [check.series],
    )
