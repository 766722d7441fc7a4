"""Forecasts and calls, scored on what happened after publication (the tape as known now).

Each is scored from the publication level (:meth:`Reading.reference`: the close of the session
in progress when the article came out during one, else the last close before) to its horizon.
A horizon that runs past the data is ``pending`` with the interim result so far, unless the
outcome is already settled (a target touched, a breakout made, a pullback that happened).
Every number comes from :mod:`analysis.signals`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.dispatch import evaluates
from analysis.claims.reading import Reading
from analysis.claims.verdict import NotEnoughData, Outcome, Verdict
from analysis.claims.wording import rule as wording_rule

__all__: list[str] = []  # evaluators are reached through analysis.claims.dispatch

Start = Mapping[tuple[int, str], tuple[dt.date, float]]
Span = Mapping[tuple[int, str], tuple[dt.date, dt.date]]


def _start(r: Reading, starts: Start, coverage: Span, i: int, symbol: str) -> tuple[dt.date, float]:
    """The publication level of ``symbol`` in view ``i``, or why there is none."""
    got = starts.get((i, symbol))
    if got is not None:
        return got
    span = coverage.get((i, symbol))
    if span is None:
        raise NotEnoughData(f"no bars of {symbol}", [symbol])
    last = min(span[1], r.day(i))
    if span[0] > r.day(i):
        raise NotEnoughData(f"{symbol}: no close at publication", [symbol])
    raise NotEnoughData(
        f"{symbol}: data end {last}, before publication {r.day(i)}", [f"{symbol} after {last}"]
    )


def _data_end(coverage: Span, i: int, symbol: str) -> dt.date:
    return coverage[(i, symbol)][1]


def _interim(r: Reading, i: int, symbol: str) -> dict[str, object]:
    """Where the series stood when the data end (a horizon past the data is pending)."""
    session, close = r.last_closes([symbol])[(i, symbol)]
    return {"data_end": str(session), "last_close": close}


@evaluates(m.TargetBy)
def target_by(check: m.TargetBy, r: Reading) -> dict[int, Outcome]:
    sym, target = check.symbol, check.value
    assert target is not None
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    now = r.now([sym])
    first_start = {i: starts[(i, sym)][0] for i in r.views if (i, sym) in starts}
    table = r.with_params(
        now,
        start=lambda i: first_start.get(i, dt.date.max),
        after=lambda i: (
            first_start.get(i, dt.date.max) + dt.timedelta(days=1)
            if i in first_start
            else dt.date.max
        ),
        end=lambda i: check.horizon(r.day(i)),
    )
    touched = r.rows(sg.target_touched(table, target, ibis._.start, ibis._.end))
    closes = r.rows(sg.first_close_above(table, target, start=ibis._.after, end=ibis._.end))
    met = r.rows(sg.target_met(table, target, ibis._.end))
    origin: dict[int, dict[str, Any]] = {}
    origin_close: dict[int, dict[str, Any]] = {}
    if check.origin_month:
        first = dt.date.fromisoformat(check.origin_month + "-01")
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        month_end = following - dt.timedelta(days=1)
        origin = r.rows(sg.peak(now, "high", start=first, end=month_end))
        origin_close = r.rows(sg.peak(now, "close", start=first, end=month_end))

    def judge(i: int) -> Outcome:
        start, start_close = _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        touch = touched.get(i)
        above = closes.get(i)
        measured: dict[str, object] = {
            "target": target,
            "start_session": str(start),
            "start_close": start_close,
            "first_touch": str(touch["session"]) if touch else None,
            "first_close_above": str(above["session"]) if above else None,
        }
        if i in origin:
            measured["origin"] = {
                "month": check.origin_month,
                "max_high": float(origin[i]["peak"]),
                "max_high_session": str(origin[i]["peak_session"]),
                "max_close": float(origin_close[i]["peak"]),
            }
        rule = f"target: close at or above {target:,.2f} at the horizon {end}"
        data_end = _data_end(coverage, i, sym)
        if data_end < end:
            measured |= _interim(r, i, sym)
            return Outcome(
                Verdict.PENDING,
                measured,
                rule,
                f"horizon {end} is past the data ({data_end}); "
                f"touched: {measured['first_touch'] or 'not yet'}",
                [sym],
            )
        hit = met[i]
        measured |= {
            "horizon_session": str(hit["horizon_session"]),
            "horizon_close": hit["horizon_close"],
            "signed_error": hit["signed_error"],
        }
        return Outcome.judged(
            bool(hit["met"]),
            measured,
            rule,
            f"{hit['horizon_close']:,.2f} at {hit['horizon_session']} vs target "
            f"{target:,.2f} ({hit['signed_error']:+.2%}); touched: "
            f"{measured['first_touch'] or 'never'}",
            [sym],
            dates={"horizon": str(hit["horizon_session"])},
        )

    return r.each(judge)


def _at_horizon(r: Reading, symbol: str, check: m._Scored) -> dict[int, dict[str, Any]]:
    table = r.with_params(r.now([symbol]), end=lambda i: check.horizon(r.day(i)))
    return r.rows(sg.close_on_or_before(table, ibis._.end))


@evaluates(m.LevelAtHorizon)
def level_at_horizon(check: m.LevelAtHorizon, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    at = _at_horizon(r, sym, check)
    rule_name = check.rule or "about"
    rule = wording_rule(rule_name).describe(check.value, check.tolerance)

    def judge(i: int) -> Outcome:
        _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        if _data_end(coverage, i, sym) < end:
            return Outcome(
                Verdict.PENDING,
                _interim(r, i, sym),
                rule,
                f"horizon {end} is past the data",
                [sym],
            )
        row = at[i]
        close = float(row["close"])
        assert check.value is not None
        return Outcome.judged(
            wording_rule(rule_name).holds(close, check.value, check.tolerance),
            {
                "horizon_session": str(row["session"]),
                "horizon_close": close,
                "signed_error": close / check.value - 1,
            },
            rule,
            f"{close:,.2f} on {row['session']} vs {check.value:,.0f}",
            [sym],
        )

    return r.each(judge)


@evaluates(m.Direction)
def direction(check: m.Direction, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    at = _at_horizon(r, sym, check)

    def judge(i: int) -> Outcome:
        start, start_close = _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        rule = (
            f"{check.direction}: close at {end} "
            f"{'above' if check.direction == 'up' else 'below'} the publication close "
            f"{start_close:,.2f}"
        )
        if _data_end(coverage, i, sym) < end:
            return Outcome(
                Verdict.PENDING,
                {"start_close": start_close, **_interim(r, i, sym)},
                rule,
                f"horizon {end} is past the data",
                [sym],
            )
        row = at[i]
        change = float(row["close"]) / start_close - 1
        return Outcome.judged(
            change > 0 if check.direction == "up" else change < 0,
            {
                "start_session": str(start),
                "start_close": start_close,
                "horizon_session": str(row["session"]),
                "horizon_close": float(row["close"]),
                "return": change,
            },
            rule,
            f"{start_close:,.2f} -> {float(row['close']):,.2f} ({change:+.2%})",
            [sym],
        )

    return r.each(judge)


@evaluates(m.WeeklyBreakout)
def weekly_breakout(check: m.WeeklyBreakout, r: Reading) -> dict[int, Outcome]:
    sym, level = check.symbol, check.value
    assert level is not None
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    after = {i: starts[(i, sym)][0] + dt.timedelta(days=1) for i in r.views if (i, sym) in starts}
    table = r.with_params(
        r.now([sym]),
        after=lambda i: after.get(i, dt.date.max),
        end=lambda i: check.horizon(r.day(i)),
    )
    hits = r.rows(sg.consecutive_weekly_closes_above(table, level, check.weeks, start=ibis._.after))
    weekly = sg.weekly_closes(table)
    weekly = weekly.filter(weekly.session >= weekly.after, weekly.session <= weekly.end)
    counts = r.rows(
        weekly.group_by("view").agg(
            weekly_closes=weekly.count(), weekly_closes_above=(weekly.close > level).sum()
        )
    )

    def judge(i: int) -> Outcome:
        _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        rule = f"breakout: {check.weeks} consecutive weekly closes above {level:,.2f} by {end}"
        got = counts.get(i, {})
        measured: dict[str, object] = {
            "weekly_closes_above": int(got.get("weekly_closes_above") or 0),
            "weekly_closes": int(got.get("weekly_closes") or 0),
        }
        hit = hits.get(i)
        if hit is not None and hit["session"] <= end:
            measured |= {
                "breakout_confirmed": str(hit["session"]),
                "run_start": str(hit["run_start"]),
            }
            return Outcome(
                Verdict.SUPPORTED,
                measured,
                rule,
                f"weekly closes above {level:,.0f} from {hit['run_start']}, "
                f"confirmed {hit['session']}",
                [sym],
                dates={"breakout": str(hit["session"])},
            )
        if _data_end(coverage, i, sym) < end:
            return Outcome(
                Verdict.PENDING,
                measured | _interim(r, i, sym),
                rule,
                "no breakout yet",
                [sym],
            )
        return Outcome(
            Verdict.REFUTED,
            measured,
            rule,
            f"no {check.weeks} consecutive weekly closes above {level:,.0f}",
            [sym],
        )

    return r.each(judge)


@evaluates(m.DrawdownWithin)
def drawdown_within(check: m.DrawdownWithin, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    table = r.with_params(
        r.now([sym]),
        start=lambda i: starts[(i, sym)][0] if (i, sym) in starts else dt.date.max,
        end=lambda i: check.horizon(r.day(i)),
    )
    dd = r.rows(sg.pullback_after(table, ibis._.start, ibis._.end))
    rule_name = check.rule or "pullback"

    def judge(i: int) -> Outcome:
        _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        rule = wording_rule(rule_name).describe(None, check.tolerance) + f" by {end}"
        row = dd[i]
        fall = float(row["drawdown"])
        measured = {
            "peak_session": str(row["peak_session"]),
            "peak_close": row["peak_close"],
            "trough_session": str(row["trough_session"]),
            "trough_close": row["trough_close"],
            "drawdown": fall,
            "window_end": str(end),
        }
        if wording_rule(rule_name).holds(fall, None, check.tolerance):
            verdict = Verdict.SUPPORTED
        elif _data_end(coverage, i, sym) < end:
            verdict = Verdict.PENDING
        else:
            verdict = Verdict.REFUTED
        return Outcome(
            verdict,
            measured,
            rule,
            f"deepest fall {fall:+.2%} ({row['peak_session']} -> {row['trough_session']})",
            [sym],
            dates={"trough": str(row["trough_session"])},
        )

    return r.each(judge)


@evaluates(m.Outperform)
def outperform(check: m.Outperform, r: Reading) -> dict[int, Outcome]:
    a, b = check.a, check.b
    starts = r.reference([a, b])
    coverage = r.coverage([a, b], now=True)

    def through(i: int) -> dt.date:
        last = min(
            coverage.get((i, a), (dt.date.min, dt.date.min))[1],
            coverage.get((i, b), (dt.date.min, dt.date.min))[1],
        )
        return min(check.horizon(r.day(i)), last)

    table = r.with_symbol_params(
        r.with_params(r.now([a, b]), through=through),
        "start",
        {key: session for key, (session, _) in starts.items()},
    )
    rows = r.rows(sg.period_return(table, ibis._.start, ibis._.through), by="symbol")

    def judge(i: int) -> Outcome:
        _start(r, starts, coverage, i, a)
        _start(r, starts, coverage, i, b)
        end = check.horizon(r.day(i))
        if (i, a) not in rows or (i, b) not in rows:
            raise NotEnoughData(f"no common period of {a} and {b} after publication", [a, b])
        ra = float(rows[(i, a)]["period_return"])
        rb = float(rows[(i, b)]["period_return"])
        upto = through(i)
        measured = {
            f"{a}_return": ra,
            f"{b}_return": rb,
            "relative": ra - rb,
            "start_session": str(rows[(i, a)]["base_session"]),
            "through": str(upto),
        }
        rule = f"outperform: {a} return > {b} return from publication to {end}"
        last_a, last_b = _data_end(coverage, i, a), _data_end(coverage, i, b)
        if min(last_a, last_b) < end:
            # a series that stopped while the other went on (a delisting) cannot be scored;
            # both ending together is the data's end: pending
            data_end = max(last_a, last_b)
            gone = [s for s, last in ((a, last_a), (b, last_b)) if (data_end - last).days > 7]
            if gone:
                raise NotEnoughData(f"{', '.join(gone)} data stop before {end}", gone)
            return Outcome(
                Verdict.PENDING,
                measured,
                rule,
                f"interim to {upto}: {a} {ra:+.2%} vs {b} {rb:+.2%}",
                [a, b],
            )
        return Outcome.judged(
            ra > rb, measured, rule, f"{a} {ra:+.2%} vs {b} {rb:+.2%} to {upto}", [a, b]
        )

    return r.each(judge)


@evaluates(m.FedCuts)
def fed_cuts(check: m.FedCuts, r: Reading) -> dict[int, Outcome]:
    obs = r.observations([check.series], now=True)
    changes = r.grouped(sg.rate_changes(obs, check.series))
    ends = r.rows(obs.group_by("view").agg(data_end=obs.period.max()))

    def judge(i: int) -> Outcome:
        if i not in ends:
            raise NotEnoughData(f"no observations of {check.series}", [check.series])
        day = r.day(i).isoformat()
        cuts = [
            (p, c)
            for p, c, d in changes[i].select("period", "change_bp", "direction").iter_rows()
            if p > day and d == "cut"
        ]
        by_month = {p[:7] for p, _ in cuts}
        hits = {mo: mo in by_month for mo in check.months}
        data_end = ends[i]["data_end"]
        if all(hits.values()):
            verdict = Verdict.SUPPORTED
        elif data_end[:7] <= max(check.months):
            verdict = Verdict.PENDING
        else:
            verdict = Verdict.REFUTED
        return Outcome(
            verdict,
            {
                "cuts_after_publication": [f"{p} {c:+.0f}bp" for p, c in cuts],
                "months": hits,
                "data_end": data_end,
            },
            f"cuts: a cut takes effect in each of {', '.join(check.months)}",
            ", ".join(f"{mo}: {'cut' if ok else 'no cut'}" for mo, ok in hits.items()),
            [check.series],
        )

    return r.each(judge)


@evaluates(m.ListChange)
def list_change(check: m.ListChange, r: Reading) -> dict[int, Outcome]:
    members = [*check.adds, *check.removes]
    starts = r.reference(members, adjusted=True)
    coverage = r.coverage(members, now=True, adjusted=True)
    table = r.with_symbol_params(
        r.with_params(r.now(members, adjusted=True), end=lambda i: check.horizon(r.day(i))),
        "start",
        {key: session for key, (session, _) in starts.items()},
    )
    rows = r.rows(sg.period_return(table, ibis._.start, ibis._.end), by="symbol")

    def judge(i: int) -> Outcome:
        end = check.horizon(r.day(i))
        rets: dict[str, float] = {}
        through: dict[str, str] = {}
        missing: list[str] = []
        for sym in members:
            try:
                _start(r, starts, coverage, i, sym)
            except NotEnoughData as exc:
                missing += exc.missing or [sym]
                continue
            row = rows[(i, sym)]
            rets[sym] = float(row["period_return"])
            through[sym] = str(row["end_session"])
        adds = [rets[s] for s in check.adds if s in rets]
        removes = [rets[s] for s in check.removes if s in rets]
        if not adds or not removes:
            raise NotEnoughData("adds or removes lack prices", missing or members)
        spread = sum(adds) / len(adds) - sum(removes) / len(removes)
        last = min(dt.date.fromisoformat(d) for d in through.values())
        measured = {
            "returns": rets,
            "through": through,
            "adds_mean": sum(adds) / len(adds),
            "removes_mean": sum(removes) / len(removes),
            "spread": spread,
        }
        pending = last < end - dt.timedelta(days=7)
        return Outcome(
            Verdict.PENDING if pending else (Verdict.SUPPORTED if spread > 0 else Verdict.REFUTED),
            measured,
            f"list change: adds' mean total return > removes' over {check.months} months",
            f"adds {measured['adds_mean']:+.1%} vs removes {measured['removes_mean']:+.1%}"
            f" (spread {spread:+.1%})",
            members,
            missing=missing,
        )

    return r.each(judge)
