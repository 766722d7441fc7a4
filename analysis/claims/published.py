"""As-published evaluators: each measures a claim on the tape as known at publication.

Every number comes from :mod:`analysis.signals`, run once for all of the check's views on the
tape's engine; an evaluator only judges it (rule, tolerance, verdict, evidence). When the claim
speaks of the session in progress, the evaluator returns a :class:`~analysis.claims.verdict.Live`
measurement, which the engine judges at the session's close and across its high-low range.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

import ibis

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.dispatch import evaluates
from analysis.claims.reading import SLACK_DAYS, Reading, checked_close, missing_close
from analysis.claims.verdict import Live, NotEnoughData, Outcome, Verdict
from analysis.claims.windows import resolve_window
from analysis.claims.wording import INF, Interval
from analysis.claims.wording import rule as wording_rule

__all__: list[str] = []  # evaluators are reached through analysis.claims.dispatch


# -- judging helpers ----------------------------------------------------------------------------


def describe(check: m._Check, default_rule: str, claimed: float | None = None) -> str:
    value = check.value if claimed is None else claimed
    return wording_rule(check.rule or default_rule).describe(value, check.tolerance)


def accepts(check: m._Check, default_rule: str, claimed: float | None = None) -> Interval:
    value = check.value if claimed is None else claimed
    return wording_rule(check.rule or default_rule).interval(value, check.tolerance)


def holds(check: m._Check, default_rule: str, measured: float) -> bool:
    return accepts(check, default_rule).contains(measured)


def live_range(
    r: Reading, live: Mapping[tuple[int, str], tuple[float, float, float]], i: int, symbol: str
) -> tuple[float, float, float]:
    rng = live.get((i, symbol))
    if rng is None:
        raise NotEnoughData(f"no bar of {symbol} for the session in progress", [symbol])
    return rng


def _need_row(
    rows: Mapping[Any, dict[str, Any]], key: object, message: str, missing: list[str]
) -> dict[str, Any]:
    row = rows.get(key)
    if row is None:
        raise NotEnoughData(message, missing)
    return row


# -- returns ------------------------------------------------------------------------------------


def window_returns(
    r: Reading,
    window: m.Window,
    ending: dt.date | None,
    symbols: list[str],
    *,
    adjusted: bool = False,
) -> tuple[dict[tuple[int, str], dict[str, Any]], dict[int, tuple[dt.date, dt.date] | None]]:
    """Each symbol's return over ``window`` in each view, from the signals.

    Returns rows keyed by ``(view, symbol)`` with ``base_session, base_close, end_session,
    end_close, period_return``, and each view's ``(after, through)`` (None for windows counted
    in sessions). A view judged on the session in progress measures a sessions window up to
    that session, so its base is one close later.
    """
    closed = r.closed(symbols, adjusted=adjusted)
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    spans: dict[int, tuple[dt.date, dt.date] | None] = {}
    if window.kind == "sessions":
        n = window.count or 1
        lags: dict[int, list[int]] = {}
        for i in r.views:
            spans[i] = None
            lags.setdefault(n - 1 if r.is_live(i) else n, []).append(i)
        for lag, views in lags.items():
            table = r.with_params(closed.filter(closed["view"].isin(views)), day=r.day)
            rows |= r.rows(sg.trailing_return(table, ibis._.day, lag), by="symbol")
        return rows, spans
    for i in r.views:
        spans[i] = resolve_window(window, r.day(i), ending)
    table = r.with_params(
        closed,
        after=lambda i: spans[i][0],  # type: ignore[index]
        through=lambda i: spans[i][1],  # type: ignore[index]
    )
    rows = r.rows(sg.period_return(table, ibis._.after, ibis._.through), by="symbol")
    return rows, spans


def _base(
    r: Reading,
    rows: Mapping[tuple[int, str], dict[str, Any]],
    spans: Mapping[int, tuple[dt.date, dt.date] | None],
    coverage: Mapping[tuple[int, str], tuple[dt.date, dt.date]],
    i: int,
    symbol: str,
    n: int | None,
) -> dict[str, Any]:
    """The row of ``symbol`` in view ``i``, with a usable base close."""
    span = spans[i]
    row = rows.get((i, symbol))
    if span is None:
        if row is not None:
            # a window counted in sessions ends at the last close before publication
            checked_close(symbol, r.day(i), row["end_session"], coverage, i)
        if row is None or row["base_close"] is None:
            raise NotEnoughData(f"{symbol} has fewer than {n} sessions", [symbol])
        return row
    if row is None:
        raise missing_close(symbol, span[0], coverage, i, r.day(i))
    checked_close(symbol, span[0], row["base_session"], coverage, i)
    return row


def _ends_live(r: Reading, spans: Mapping[int, tuple[dt.date, dt.date] | None], i: int) -> bool:
    span = spans[i]
    return r.is_live(i) and (span is None or span[1] >= r.day(i))


def _end(
    rows: Mapping[tuple[int, str], dict[str, Any]],
    spans: Mapping[int, tuple[dt.date, dt.date] | None],
    coverage: Mapping[tuple[int, str], tuple[dt.date, dt.date]],
    i: int,
    symbol: str,
) -> dict[str, Any]:
    row = rows[(i, symbol)]
    span = spans[i]
    if span is not None:
        checked_close(symbol, span[1], row["end_session"], coverage, i)
    return row


@evaluates(m.PeriodReturn)
def period_return(check: m.PeriodReturn, r: Reading) -> dict[int, Outcome]:
    sym, window = check.symbol, check.window
    rows, spans = window_returns(r, window, check.ending, [sym], adjusted=check.adjusted)
    coverage = r.coverage([sym], adjusted=check.adjusted)
    live = r.live([sym]) if r.speaks_live else {}

    def judge(i: int) -> Outcome:
        row = _base(r, rows, spans, coverage, i, sym, window.count)
        base = float(row["base_close"])
        evidence: dict[str, object] = {"base_session": str(row["base_session"]), "base_close": base}
        if _ends_live(r, spans, i):
            out = Outcome(None, evidence, describe(check, "about"), "", [sym])
            out.live = Live(
                lambda p: p[sym] / base - 1,
                {sym: live_range(r, live, i, sym)},
                accepts(check, "about"),
            )
            out.summary = f"{sym} return over {window.kind} at the session's prices"
            return out
        end = _end(rows, spans, coverage, i, sym)
        value = float(end["period_return"])
        evidence |= {
            "end_session": str(end["end_session"]),
            "end_close": float(end["end_close"]),
            "return": value,
        }
        return Outcome.judged(
            holds(check, "about", value),
            evidence,
            describe(check, "about"),
            f"{sym} {window.kind} return {value:+.2%}",
            [sym],
        )

    return r.each(judge)


def _relative(
    check: m.RelativeReturn | m.ReturnRatio,
    r: Reading,
    combine: Callable[[float, float], float],
    default_rule: str,
    label: str,
) -> dict[int, Outcome]:
    a, b = check.a, check.b
    ending = check.ending if isinstance(check, m.RelativeReturn) else None
    rows, spans = window_returns(r, check.window, ending, [a, b])
    coverage = r.coverage([a, b])
    live = r.live([a, b]) if r.speaks_live else {}
    ratio = isinstance(check, m.ReturnRatio)

    def judge(i: int) -> Outcome:
        ra = _base(r, rows, spans, coverage, i, a, check.window.count)
        rb = _base(r, rows, spans, coverage, i, b, check.window.count)
        measured: dict[str, object] = {}
        for sym, row in ((a, ra), (b, rb)):
            measured |= {
                f"{sym} base_session": str(row["base_session"]),
                f"{sym} base_close": float(row["base_close"]),
            }
        if _ends_live(r, spans, i):
            base_a, base_b = float(ra["base_close"]), float(rb["base_close"])
            out = Outcome(None, measured, describe(check, default_rule), "", [a, b])

            def image(ranges: Mapping[str, tuple[float, float, float]]) -> tuple[float, float]:
                lo_b, hi_b = ranges[b][0] / base_b - 1, ranges[b][1] / base_b - 1
                if ratio and lo_b <= 0 <= hi_b:
                    return -INF, INF  # the denominator's range holds zero: any ratio
                corners = [
                    combine(pa / base_a - 1, pb / base_b - 1)
                    for pa in ranges[a][:2]
                    for pb in ranges[b][:2]
                ]
                return min(corners), max(corners)

            out.live = Live(
                lambda p: combine(p[a] / base_a - 1, p[b] / base_b - 1),
                {a: live_range(r, live, i, a), b: live_range(r, live, i, b)},
                accepts(check, default_rule),
                image=image,
            )
            out.summary = f"{label} of {a} and {b} at the session's prices"
            return out
        ea, eb = _end(rows, spans, coverage, i, a), _end(rows, spans, coverage, i, b)
        for sym, row in ((a, ea), (b, eb)):
            measured |= {
                f"{sym} end_session": str(row["end_session"]),
                f"{sym} end_close": float(row["end_close"]),
            }
        va, vb = float(ea["period_return"]), float(eb["period_return"])
        value = combine(va, vb)
        measured |= {f"{a} return": va, f"{b} return": vb, label: value}
        return Outcome.judged(
            holds(check, default_rule, value),
            measured,
            describe(check, default_rule),
            f"{a} {va:+.2%} vs {b} {vb:+.2%}: {label} {value:+.4g}",
            [a, b],
        )

    return r.each(judge)


@evaluates(m.RelativeReturn)
def relative_return(check: m.RelativeReturn, r: Reading) -> dict[int, Outcome]:
    if check.value is None and check.rule is None:
        check = check.model_copy(update={"rule": "above", "value": 0.0})
    return _relative(check, r, lambda x, y: x - y, "above", "relative return")


@evaluates(m.ReturnRatio)
def return_ratio(check: m.ReturnRatio, r: Reading) -> dict[int, Outcome]:
    return _relative(
        check, r, lambda x, y: x / y if y else math.copysign(INF, x), "twice", "return ratio"
    )


# -- records and levels -------------------------------------------------------------------------


def _peaks(r: Reading, symbol: str, field: str, **window: object) -> dict[int, dict[str, Any]]:
    closed = r.closed([symbol])
    table = r.with_params(closed, **window) if window else closed  # type: ignore[arg-type]
    bounds = {k: getattr(ibis._, k) for k in window}
    return r.rows(sg.peak(table, field, **bounds))  # type: ignore[arg-type]


def _no_field(symbol: str, field: str, r: Reading, i: int) -> NotEnoughData:
    feed = r.view(i).choice(symbol)
    where = f" from source {feed}" if feed != "*" else ""
    return NotEnoughData(f"no {field} values for {symbol}{where}", [f"{symbol} {field}"])


@evaluates(m.RecordCount)
def record_count(check: m.RecordCount, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    closed = r.closed([sym])
    table = r.with_params(closed, start=lambda i: dt.date(r.day(i).year, 1, 1), end=r.day)
    records = r.grouped(sg.record_closes(table, start=ibis._.start, end=ibis._.end))
    peaks = r.rows(sg.peak(closed, "close"))
    live = r.live([sym]) if r.speaks_live else {}

    def judge(i: int) -> Outcome:
        prior = float(_need_row(peaks, i, f"no bars of {sym} known at {r.day(i)}", [sym])["peak"])
        sessions = [str(d) for d in records[i]["session"]]
        n = len(sessions)
        year = r.day(i).year
        if r.is_live(i):
            out = Outcome(
                None,
                {
                    "records_this_year_before": n,
                    "prior_record_close": prior,
                    "record_sessions": sessions,
                },
                describe(check, "exactly"),
                f"{n} record closes in {year} before the session; prior record {prior:,.2f}",
                [sym],
            )
            out.live = Live(
                lambda p: n + (1 if p[sym] > prior else 0),
                {sym: live_range(r, live, i, sym)},
                accepts(check, "exactly"),
            )
            return out
        return Outcome.judged(
            holds(check, "exactly", n),
            {
                "records_this_year_before": n,
                "prior_record_close": prior,
                "record_sessions": sessions,
                "records_this_year": n,
            },
            describe(check, "exactly"),
            f"{n} record closes in {year} by {r.day(i)}",
            [sym],
        )

    return r.each(judge)


@evaluates(m.AllTimeHigh)
def all_time_high(check: m.AllTimeHigh, r: Reading) -> dict[int, Outcome]:
    sym, field = check.symbol, check.field
    closed = r.closed([sym])
    peaks = r.rows(sg.peak(closed, field))
    live = r.live([sym]) if r.speaks_live else {}
    within = max(check.within_sessions, 1)
    recent = r.rows(sg.trailing_return(r.with_params(closed, day=r.day), ibis._.day, within - 1))
    table = r.with_params(closed, start=lambda i: _recent_start(recent, i))
    signal = sg.record_closes if field == "close" else sg.record_highs
    hits = r.grouped(signal(table, start=ibis._.start))

    def judge(i: int) -> Outcome:
        top = peaks.get(i)
        if top is None:
            raise _no_field(sym, field, r, i)
        prior, prior_session = float(top["peak"]), str(top["peak_session"])
        if r.is_live(i):
            _low, high, _close = rng = live_range(r, live, i, sym)
            out = Outcome(
                None,
                {f"prior_record_{field}": prior, "prior_record_session": prior_session},
                wording_rule("record").describe(prior, check.tolerance),
                f"the session's {'high (judged on the high)' if field == 'high' else 'prices'}"
                f" against the prior record {field} {prior:,.2f}",
                [sym],
            )
            # a record high is the session's high beating the prior one: judge on the high
            ranges = {sym: (high, high, high) if field == "high" else rng}
            out.live = Live(lambda p: p[sym], ranges, Interval(prior, INF, lo_open=True))
            return out
        found = [str(d) for d in hits[i]["session"]]
        return Outcome(
            Verdict.SUPPORTED if found else Verdict.REFUTED,
            {
                "record_sessions_in_window": found,
                "last_record_session": prior_session,
                "window_sessions": within,
            },
            f"record: a record {field} within the last {within} sessions",
            f"last record {field} {prior_session}",
            [sym],
        )

    return r.each(judge)


def _recent_start(recent: Mapping[int, dict[str, Any]], i: int) -> dt.date:
    row = recent.get(i)
    if row is None or row["base_session"] is None:
        return dt.date.min
    return row["base_session"]


@evaluates(m.FirstAbove)
def first_above(check: m.FirstAbove, r: Reading) -> dict[int, Outcome]:
    sym, field = check.symbol, check.field
    level = check.value
    assert level is not None
    closed = r.closed([sym])
    peaks = r.rows(sg.peak(closed, field))
    signal = sg.first_close_above if field == "close" else sg.first_high_above
    firsts = r.rows(signal(closed, level))
    live = r.live([sym]) if r.speaks_live else {}
    rule_text = wording_rule("first_time").describe(level, None)

    def judge(i: int) -> Outcome:
        top = peaks.get(i)
        if top is None:
            raise _no_field(sym, field, r, i)
        prior_max = float(top["peak"])
        evidence: dict[str, object] = {
            f"highest_prior_{field}": prior_max,
            "level": level,
            "prior_max_session": str(top["peak_session"]),
        }
        if prior_max > level:
            when = firsts[i]["session"]
            return Outcome(
                Verdict.REFUTED,
                {**evidence, "first_time": str(when)},
                rule_text,
                f"{sym} was already above {level:,.0f} on {when}",
                [sym],
            )
        if not r.is_live(i):
            raise NotEnoughData(f"no bar of {sym} for the session in progress", [sym])
        out = Outcome(None, evidence, rule_text, "", [sym])
        # "topped" a level: judge on the session's traded prices
        out.live = Live(
            lambda p: p[sym], {sym: live_range(r, live, i, sym)}, Interval(level, INF, lo_open=True)
        )
        out.summary = f"never above {level:,.0f} before (highest {prior_max:,.2f})"
        return out

    return r.each(judge)


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(month + "-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


@evaluates(m.RecordBroken)
def record_broken(check: m.RecordBroken, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    first, last = _month_bounds(check.prior_month)
    closed = r.closed([sym])
    tops = r.rows(sg.peak(closed, "close", start=first, end=last))
    earlier = r.rows(sg.peak(closed, "close", end=first - dt.timedelta(days=1)))
    present = [i for i in r.views if i in tops]
    table = r.with_params(
        closed.filter(closed["view"].isin(present)) if present else closed,
        level=lambda i: float(tops[i]["peak"]) if i in tops else 0.0,
        after=lambda i: (
            tops[i]["peak_session"] + dt.timedelta(days=1) if i in tops else dt.date.max
        ),
    )
    broken = (
        r.rows(sg.first_close_above(table, ibis._.level, start=ibis._.after)) if present else {}
    )

    def judge(i: int) -> Outcome:
        top = tops.get(i)
        if top is None:
            raise NotEnoughData(f"no bars of {sym} in {check.prior_month}", [sym])
        record, record_session = float(top["peak"]), top["peak_session"]
        before = earlier.get(i)
        target = check.month
        if target == "previous":
            target = (r.day(i).replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        measured: dict[str, object] = {
            "prior_record_close": record,
            "prior_record_session": str(record_session),
            "was_all_time_record": before is None or record > float(before["peak"]),
        }
        when = "at any time before publication" if target == "before" else f"in {target}"
        rule_text = f"record: the first close above the {check.prior_month} record falls {when}"
        hit = broken.get(i)
        if hit is None:
            return Outcome(
                Verdict.REFUTED,
                measured,
                rule_text,
                f"{sym} never closed above {record:,.2f}",
                [sym],
            )
        day = hit["session"]
        measured |= {"first_close_above": str(day), "first_close": float(hit["close"])}
        ok = day.strftime("%Y-%m") == target or (target == "before" and day < r.day(i))
        return Outcome.judged(
            ok,
            measured,
            rule_text,
            f"first close above {record:,.2f} ({record_session}) on {day}",
            [sym],
            dates={"first_close_above": str(day)},
        )

    return r.each(judge)


@evaluates(m.MovingAverageCross)
def ma_cross(check: m.MovingAverageCross, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    crossings = r.grouped(sg.ma_crossings(r.closed([sym]), check.sessions))
    coverage = r.coverage([sym])

    def judge(i: int) -> Outcome:
        if (i, sym) not in coverage:
            raise NotEnoughData(f"no bars of {sym} known at {r.day(i)}", [sym])
        x = crossings[i]
        rule_text = (
            f"the close's current run above its {check.sessions}-session average "
            f"began in {check.month}"
        )
        if x.height == 0 or x["direction"][-1] != "up":
            return Outcome(
                Verdict.REFUTED,
                {"last_crossing": str(x["session"][-1]) if x.height else None},
                rule_text,
                f"{sym} is not above its {check.sessions}-session average",
                [sym],
            )
        start = x["session"][-1]
        year = r.day(i).year
        ups = [
            str(d)
            for d, w in zip(x["session"], x["direction"], strict=True)
            if w == "up" and d.year == year
        ]
        ok = start.strftime("%Y-%m") == check.month or (
            len(check.month) == 2 and start.strftime("%m") == check.month
        )
        return Outcome.judged(
            ok,
            {"run_began": str(start), "up_crossings_this_year": ups},
            f"the current run above the {check.sessions}-session average began in {check.month}",
            f"current run above the {check.sessions}-session average began {start}",
            [sym],
            dates={"crossing": str(start)},
        )

    return r.each(judge)


@evaluates(m.LevelOrigin)
def level_origin(check: m.LevelOrigin, r: Reading) -> dict[int, Outcome]:
    sym, field = check.symbol, check.field
    first, last = _month_bounds(check.month)
    closed = r.closed([sym])
    tops = {f: r.rows(sg.peak(closed, f, start=first, end=last)) for f in ("close", "high")}

    def judge(i: int) -> Outcome:
        top = tops[field].get(i)
        if top is None:
            raise NotEnoughData(f"no bars of {sym} in {check.month}", [sym])
        value, when = float(top["peak"]), top["peak_session"]
        highs = tops["high"].get(i)
        return Outcome.judged(
            holds(check, "about", value),
            {
                f"{check.month}_max_{field}": value,
                "session": str(when),
                f"{check.month}_max_close": float(tops["close"][i]["peak"]),
                f"{check.month}_max_high": float(highs["peak"]) if highs else None,
            },
            describe(check, "about"),
            f"highest {field} of {check.month}: {value:,.2f} on {when}",
            [sym],
            dates={"level_from": str(when)},
        )

    return r.each(judge)


@evaluates(m.TargetVsLevel)
def target_vs_level(check: m.TargetVsLevel, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    target = check.value
    assert target is not None
    closed = r.closed([sym])
    coverage = r.coverage([sym])
    if check.upside is not None:

        def reference(i: int) -> dt.date:
            day = r.day(i)
            return day - dt.timedelta(days=1) if check.reference == "previous_close" else day

        table = r.with_params(closed, reference=reference)
        rows = r.rows(sg.implied_upside(table, target, ibis._.reference))

        def judge_upside(i: int) -> Outcome:
            row = rows.get(i)
            if row is None:
                raise missing_close(sym, reference(i), coverage, i)
            checked_close(sym, reference(i), row["reference_session"], coverage, i)
            upside, ref = float(row["implied_upside"]), float(row["reference_close"])
            return Outcome.judged(
                accepts(check, "about", check.upside).contains(upside),
                {
                    "target": target,
                    "reference_session": str(row["reference_session"]),
                    "reference_close": ref,
                    "implied_upside": upside,
                },
                describe(check, "about", check.upside),
                f"{target:,.0f} vs {ref:,.2f} ({row['reference_session']}): {upside:+.2%}",
                [sym],
            )

        return r.each(judge_upside)

    rule_name = check.rule or "below"
    # the claim puts the target below (above) the level: the level is measured, the target
    # is what it is held against
    flip = {"below": "above", "above": "below"}[rule_name]
    level_rule = wording_rule(flip)
    rule_text = level_rule.describe(target, None).replace("measured", "level")
    levels = r.rows(sg.close_on_or_before(r.with_params(closed, day=r.day), ibis._.day))
    live = r.live([sym]) if r.speaks_live else {}

    def judge(i: int) -> Outcome:
        out = Outcome(None, {"target": target}, rule_text, "", [sym])
        if r.is_live(i) and (i, sym) in live:
            out.live = Live(
                lambda p: p[sym], {sym: live[(i, sym)]}, level_rule.interval(target, None)
            )
            out.summary = f"{sym} level during the session against the target"
            return out
        row = levels.get(i)
        if row is None:
            raise missing_close(sym, r.day(i), coverage, i)
        checked_close(sym, r.day(i), row["session"], coverage, i)
        level = float(row["close"])
        out.verdict = (
            Verdict.SUPPORTED if level_rule.holds(level, target, None) else Verdict.REFUTED
        )
        out.measured |= {"level": level, "level_session": str(row["session"])}
        out.summary = f"target {target:,.0f} vs level {level:,.2f}"
        return out

    return r.each(judge)


# -- macro, factors, relative strength ----------------------------------------------------------


def _no_series(series: str) -> NotEnoughData:
    return NotEnoughData(f"no observations of {series}", [series])


@evaluates(m.RateCycle)
def rate_cycle(check: m.RateCycle, r: Reading) -> dict[int, Outcome]:
    obs = r.observations([check.series])
    changes = r.grouped(sg.rate_changes(obs, check.series))
    counts = r.rows(obs.group_by("view").agg(n=obs.count()))
    want = "cut" if check.direction == "easing" else "hike"

    def judge(i: int) -> Outcome:
        if i not in counts:
            raise _no_series(check.series)
        day = r.day(i)
        since = (day - dt.timedelta(days=int(check.months * 30.5))).isoformat()
        recent = [
            (p, c, d)
            for p, c, d in changes[i].select("period", "change_bp", "direction").iter_rows()
            if since <= p <= day.isoformat()
        ]
        listing = [f"{p} {c:+.0f}bp" for p, c, _ in recent]
        return Outcome.judged(
            bool(recent) and all(d == want for _, _, d in recent),
            {"changes_in_window": listing, "window_start": since},
            f"{check.direction}: every change in the {check.months} months before "
            f"publication is a {want}, and there is at least one",
            f"{len(listing)} change(s) since {since}: {', '.join(listing) or 'none'}",
            [check.series],
        )

    return r.each(judge)


@evaluates(m.SectorLeaders)
def sector_leaders(check: m.SectorLeaders, r: Reading) -> dict[int, Outcome]:
    bench = check.benchmark
    members = list(dict.fromkeys(s for group in check.groups.values() for s in group))
    bench_rows, spans = window_returns(r, check.window, None, [bench])
    stock_rows, _ = window_returns(r, check.window, None, members, adjusted=True)
    coverage = r.coverage([bench])
    fresh = {key: row for key, row in stock_rows.items() if _fresh(row, spans[key[0]])}
    closed = r.closed(members, adjusted=True)
    table = r.with_params(
        closed,
        after=lambda i: spans[i][0],  # type: ignore[index]
        through=lambda i: spans[i][1],  # type: ignore[index]
    )
    returns = sg.period_return(table, ibis._.after, ibis._.through)
    returns = r.with_params(
        returns,
        after=lambda i: spans[i][0] - dt.timedelta(days=SLACK_DAYS),  # type: ignore[index]
        through=lambda i: spans[i][1] - dt.timedelta(days=SLACK_DAYS),  # type: ignore[index]
    )
    # a member whose prices stop (or start) more than a week off the window has no return
    returns = returns.filter(
        returns.base_session >= returns.after, returns.end_session >= returns.through
    )
    medians = r.rows(sg.group_medians(returns, check.groups), by="group")

    def judge(i: int) -> Outcome:
        row = _base(r, bench_rows, spans, coverage, i, bench, None)
        end = _end(bench_rows, spans, coverage, i, bench)
        bench_return = float(end["period_return"])
        per_stock = {s: float(fresh[(i, s)]["period_return"]) for s in members if (i, s) in fresh}
        missing = list(check.missing_groups)
        missing += [s for s in members if s not in per_stock]
        groups: dict[str, float] = {}
        for name in check.groups:
            got = medians.get((i, name))
            if got is None:
                missing.append(name)
            else:
                groups[name] = float(got["median_return"])
        if not groups:
            raise NotEnoughData("no group has data", missing)
        return Outcome.judged(
            all(g > bench_return for g in groups.values()),
            {
                "benchmark_return": bench_return,
                "group_median_returns": groups,
                "stock_returns": per_stock,
                "groups_without_data": list(check.missing_groups),
                "base_session": str(row["base_session"]),
                "base_close": float(row["base_close"]),
                "end_session": str(end["end_session"]),
                "end_close": float(end["end_close"]),
            },
            f"leaders: every group's median return over {check.window.kind} beats {bench}",
            ", ".join(f"{g} {v:+.1%}" for g, v in groups.items())
            + f" vs {bench} {bench_return:+.1%}",
            [bench, *per_stock],
            missing=missing,
        )

    return r.each(judge)


def _fresh(row: Mapping[str, Any], span: tuple[dt.date, dt.date] | None) -> bool:
    if span is None:
        return row["base_close"] is not None
    return (span[0] - row["base_session"]).days <= SLACK_DAYS and (
        span[1] - row["end_session"]
    ).days <= SLACK_DAYS


@evaluates(m.FactorPremium)
def factor_premium(check: m.FactorPremium, r: Reading) -> dict[int, Outcome]:
    obs = r.observations([check.series])
    rows = r.rows(sg.factor_premia(obs, check.series, check.first_year, check.last_year))
    expected = check.last_year - check.first_year + 1

    def judge(i: int) -> Outcome:
        p = rows.get(i)
        if p is None:
            raise _no_series(check.series)
        if p["years"] != expected:
            raise NotEnoughData(
                f"{check.series} has {p['years']} of {expected} years",
                [f"{check.series} {check.first_year}-{check.last_year}"],
            )
        value = float(p[f"{check.mean}_mean"])
        return Outcome.judged(
            holds(check, "about", value),
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

    return r.each(judge)


@evaluates(m.LongestUnderperformance)
def longest_underperformance(check: m.LongestUnderperformance, r: Reading) -> dict[int, Outcome]:
    a, b = check.a, check.b
    rs = sg.relative_strength(r.closed([a]), r.closed([b]))
    longest = r.rows(sg.longest_below_peak(rs))
    current = r.rows(sg.underperformance_under_way(rs))
    span = r.rows(rs.group_by("view").agg(data_from=rs.session.min()))

    def judge(i: int) -> Outcome:
        if i not in longest or i not in current:
            raise NotEnoughData(f"no common sessions of {a} and {b}", [a, b])
        top, now = longest[i], current[i]
        count, peak_day = int(now["sessions_below"]), now["peak_session"]
        most = int(top["sessions_below"])
        data_from = span[i]["data_from"]
        return Outcome.judged(
            count >= most,
            {
                "current_stretch_sessions": count,
                "current_peak": str(peak_day),
                "longest_stretch_sessions": most,
                "longest_peak": str(top["peak_session"]),
                "longest_recovered": bool(top["recovered"]),
                "data_from": str(data_from),
            },
            "longest: the stretch below the prior relative-strength peak under way at "
            "publication is the longest in the data",
            f"current stretch {count} sessions since {peak_day}; longest {most} "
            f"from {top['peak_session']} (data from {data_from})",
            [a, b],
        )

    return r.each(judge)


@evaluates(m.SeriesChange)
def series_change(check: m.SeriesChange, r: Reading) -> dict[int, Outcome]:
    spans = {i: resolve_window(check.window, r.day(i)) for i in r.views}
    obs = r.with_params(
        r.observations([check.series]),
        after=lambda i: spans[i][0],
        through=lambda i: spans[i][1],
    )
    rows = r.rows(sg.observation_change(obs, check.series, ibis._.after, ibis._.through))

    def judge(i: int) -> Outcome:
        row = rows.get(i)
        if row is None:
            raise NotEnoughData(f"{check.series} starts after {spans[i][0]}", [check.series])
        change = float(row["change"])
        return Outcome.judged(
            holds(check, "above", change),
            {
                "start": float(row["start_value"]),
                "start_period": row["start_period"],
                "end": float(row["end_value"]),
                "end_period": row["end_period"],
                "change": change,
            },
            describe(check, "above"),
            f"{check.series} {row['start_value']:.2f} ({row['start_period']}) -> "
            f"{row['end_value']:.2f} ({row['end_period']})",
            [check.series],
        )

    return r.each(judge)
