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
from analysis.claims.judging import accepts, describe, level
from analysis.claims.reading import Reading
from analysis.claims.verdict import NotEnoughData, Outcome, Verdict
from analysis.claims.windows import resolve_window
from analysis.claims.wording import INF
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


def _origins(r: Reading, symbol: str, check: m._Check) -> dict[str, dict[int, dict[str, Any]]]:
    """Where in the price history a cited level comes from: the last session before
    publication whose intraday high (or close) printed as the article prints the level
    (what rounds to "2,466")."""
    assert check.value is not None
    figure = check.figure
    unit = figure.unit if figure is not None else 1.0
    bounds = wording_rule("rounds_to").interval(check.value, None, unit)
    table = r.with_params(r.now([symbol]), day=lambda i: r.day(i) - dt.timedelta(days=1))
    fields: tuple[sg.Field, ...] = ("high", "close")
    return {
        field: r.rows(sg.last_session_within(table, field, bounds.lo, bounds.hi, end=ibis._.day))
        for field in fields
    }


def _origin(
    origins: Mapping[str, Mapping[int, dict[str, Any]]], i: int
) -> tuple[dict[str, object], str]:
    found: dict[str, object] = {}
    words = []
    for field, rows in origins.items():
        row = rows.get(i)
        if row is not None:
            found[f"last_{field}_at_level"] = {
                "session": str(row["session"]),
                field: float(row[field]),
            }
            what = "intraday high" if field == "high" else "close"
            words.append(f"the {what} of {row['session']} ({level(float(row[field]))})")
    text = " and ".join(words) if words else "one no earlier session traded at"
    return found, text


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
    origins = _origins(r, sym, check)

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
        found, where = _origin(origins, i)
        measured["level_origin"] = found
        rule = f"target: close at or above {target:,.2f} at the horizon {end}"
        data_end = _data_end(coverage, i, sym)
        if data_end < end:
            measured |= _interim(r, i, sym)
            return Outcome(
                Verdict.PENDING,
                measured,
                rule,
                f"horizon {end} is past the data ({data_end}); "
                f"touched: {measured['first_touch'] or 'not yet'}; the level is {where}",
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
            f"{measured['first_touch'] or 'never'}; the level is {where}",
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
    rule = describe(check, "about", level)

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
            accepts(check, rule_name).contains(close),
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


def _path(r: Reading, symbol: str, check: m._Scored, starts: Start) -> dict[int, dict[str, Any]]:
    """From the publication level to the horizon: the lowest and highest closes of the path
    against the level at the call (``fall``, ``rise``), from :func:`signals.fall_from`."""
    table = r.with_params(
        r.now([symbol]),
        start=lambda i: starts[(i, symbol)][0] if (i, symbol) in starts else dt.date.max,
        end=lambda i: check.horizon(r.day(i)),
    )
    return r.rows(sg.fall_from(table, ibis._.start, ibis._.end))


@evaluates(m.Direction)
def direction(check: m.Direction, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    at = _at_horizon(r, sym, check)
    paths = _path(r, sym, check, starts)
    sign = 1 if check.direction == "up" else -1

    def judge(i: int) -> Outcome:
        start, start_close = _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        rule = (
            f"{check.direction}: the close at {end} at least {check.min_move:.0%} "
            f"{'above' if sign > 0 else 'below'} the publication close {level(start_close)} "
            f"(a smaller move either way is no move)"
        )
        path = paths.get(i)
        measured: dict[str, object] = {"start_session": str(start), "start_close": start_close}
        if path is not None:
            measured |= {
                "worst_close": float(path["trough_close"]),
                "worst_session": str(path["trough_session"]),
                "best_close": float(path["best_close"]),
                "best_session": str(path["best_session"]),
            }
        extremes = (
            f"; best {level(float(path['best_close']))} ({path['best_session']}), worst "
            f"{level(float(path['trough_close']))} ({path['trough_session']})"
            if path is not None
            else ""
        )
        if _data_end(coverage, i, sym) < end:
            return Outcome(
                Verdict.PENDING,
                measured | _interim(r, i, sym),
                rule,
                f"horizon {end} is past the data{extremes}",
                [sym],
            )
        row = at[i]
        change = float(row["close"]) / start_close - 1
        measured |= {
            "horizon_session": str(row["session"]),
            "horizon_close": float(row["close"]),
            "return": change,
        }
        moved = sign * change >= check.min_move
        still = abs(change) < check.min_move
        return Outcome.judged(
            moved,
            measured,
            rule,
            f"{level(start_close)} -> {level(float(row['close']))} ({change:+.2%}"
            + (f", within the ±{check.min_move:.0%} band: no move" if still else "")
            + f"){extremes}",
            [sym],
        )

    return r.each(judge)


def _levels(r: Reading, symbol: str, check: m.WeeklyBreakout) -> tuple[dict[int, float], str]:
    """The breakout level of each view, and where it comes from: the stated level, or the
    peak the article names without a number ("key resistance": its prior record close)."""
    if check.level_of is None:
        assert check.value is not None
        return {i: check.value for i in r.views}, ""
    spec = check.level_of
    spans = {i: resolve_window(spec.of, r.day(i)) for i in r.views}
    table = r.with_params(
        r.closed([symbol]),
        start=lambda i: spans[i][0] + dt.timedelta(days=1),
        end=lambda i: spans[i][1],
    )
    rows = r.rows(sg.peak(table, spec.peak, start=ibis._.start, end=ibis._.end))
    marks = {i: float(row["peak"]) for i, row in rows.items()}
    sessions = {str(row["peak_session"]) for row in rows.values()}
    what = "close" if spec.peak == "close" else "high"
    return marks, f"the highest {what} of {spec.of.describe()} ({', '.join(sorted(sessions))})"


@evaluates(m.WeeklyBreakout)
def weekly_breakout(check: m.WeeklyBreakout, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    marks, named = _levels(r, sym, check)
    after = {i: starts[(i, sym)][0] + dt.timedelta(days=1) for i in r.views if (i, sym) in starts}
    table = r.with_params(
        r.now([sym]),
        after=lambda i: after.get(i, dt.date.max),
        end=lambda i: check.horizon(r.day(i)),
        level=lambda i: marks.get(i, INF),
    )
    hits = r.rows(
        sg.consecutive_weekly_closes_above(table, ibis._.level, check.weeks, start=ibis._.after)
    )
    weekly = sg.weekly_closes(table)
    weekly = weekly.filter(weekly.session >= weekly.after, weekly.session <= weekly.end)
    closes = r.grouped(weekly)
    at = _at_horizon(r, sym, check)
    origins = _origins(r, sym, check) if check.value is not None else {}

    def judge(i: int) -> Outcome:
        _start(r, starts, coverage, i, sym)
        if i not in marks:
            raise NotEnoughData(f"no {named} of {sym} known at publication", [sym])
        mark = marks[i]
        end = check.horizon(r.day(i))
        rule = f"breakout: {check.weeks} consecutive weekly closes above {level(mark)} by {end}"
        week = closes[i]
        found, where = _origin(origins, i) if origins else ({}, named)
        measured: dict[str, object] = {
            "level": mark,
            "weekly_closes_above": int((week["close"] > mark).sum()) if week.height else 0,
            "weekly_closes": week.height,
            "level_origin": found,
        }
        hit = hits.get(i)
        if hit is not None and hit["session"] <= end:
            confirmed = hit["session"]
            later = week.filter(week["session"] > confirmed)
            below = later.filter(later["close"] <= mark)
            failed = below.row(0, named=True) if below.height else None
            measured |= {
                "breakout_confirmed": str(confirmed),
                "run_start": str(hit["run_start"]),
                "failed_on": str(failed["session"]) if failed else None,
                "failed_close": float(failed["close"]) if failed else None,
            }
            tail = ""
            if failed is not None:
                tail = (
                    f"; failed on {failed['session']} (weekly close "
                    f"{level(float(failed['close']))} at or below the level)"
                )
            if i in at and _data_end(coverage, i, sym) >= end:
                horizon_close = float(at[i]["close"])
                measured |= {
                    "horizon_session": str(at[i]["session"]),
                    "horizon_close": horizon_close,
                }
                side = "above" if horizon_close > mark else "at or below"
                tail += f"; {level(horizon_close)} on {at[i]['session']}, {side} the level"
            return Outcome(
                Verdict.SUPPORTED,
                measured,
                rule,
                f"confirmed {confirmed} (weekly closes above {level(mark)} from "
                f"{hit['run_start']}){tail}; the level is {where}",
                [sym],
                dates={"breakout": str(confirmed)},
            )
        if _data_end(coverage, i, sym) < end:
            return Outcome(
                Verdict.PENDING,
                measured | _interim(r, i, sym),
                rule,
                f"no breakout yet; the level is {where}",
                [sym],
            )
        return Outcome(
            Verdict.REFUTED,
            measured,
            rule,
            f"no {check.weeks} consecutive weekly closes above {level(mark)} by {end}; "
            f"the level is {where}",
            [sym],
        )

    return r.each(judge)


@evaluates(m.DrawdownWithin)
def drawdown_within(check: m.DrawdownWithin, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    starts = r.reference([sym])
    coverage = r.coverage([sym], now=True)
    paths = _path(r, sym, check, starts)
    table = r.with_params(
        r.now([sym]),
        start=lambda i: starts[(i, sym)][0] if (i, sym) in starts else dt.date.max,
        end=lambda i: check.horizon(r.day(i)),
    )
    peak_to_trough = r.rows(sg.pullback_after(table, ibis._.start, ibis._.end))
    rule_name = check.rule or "pullback"
    chosen = wording_rule(rule_name)

    def judge(i: int) -> Outcome:
        start, start_close = _start(r, starts, coverage, i, sym)
        end = check.horizon(r.day(i))
        rule = (
            chosen.describe(None, check.tolerance, fmt=lambda x: f"{x:.0%}")
            + f", from the level at the call ({level(start_close)}, {start}) by {end}"
        )
        path = paths.get(i)
        if path is None:
            return Outcome(
                Verdict.PENDING, _interim(r, i, sym), rule, "no session after the call yet", [sym]
            )
        fall = float(path["fall"])
        dd = peak_to_trough[i]
        measured = {
            "reference_session": str(path["reference_session"]),
            "reference_close": float(path["reference_close"]),
            "trough_session": str(path["trough_session"]),
            "trough_close": float(path["trough_close"]),
            "fall_from_call": fall,
            "peak_to_trough": float(dd["drawdown"]),
            "peak_session": str(dd["peak_session"]),
            "peak_close": float(dd["peak_close"]),
            "peak_trough_session": str(dd["trough_session"]),
            "window_end": str(end),
        }
        if chosen.holds(fall, None, check.tolerance):
            verdict = Verdict.SUPPORTED
        elif _data_end(coverage, i, sym) < end:
            verdict = Verdict.PENDING
        else:
            verdict = Verdict.REFUTED
        return Outcome(
            verdict,
            measured,
            rule,
            f"lowest close {level(float(path['trough_close']))} on "
            f"{path['trough_session']}, {fall:+.2%} from the call's {level(start_close)}; "
            f"peak to trough {float(dd['drawdown']):+.2%} ({dd['peak_session']} -> "
            f"{dd['trough_session']})",
            [sym],
            dates={"trough": str(path["trough_session"])},
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
        months = check.resolved(r.day(i))
        hits = {mo: mo in by_month for mo in months}
        data_end = ends[i]["data_end"]
        if all(hits.values()):
            verdict = Verdict.SUPPORTED
        elif data_end[:7] <= max(months):
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
            f"cuts: a cut takes effect in each of {', '.join(months)}",
            ", ".join(f"{mo}: {'cut' if ok else 'no cut'}" for mo, ok in hits.items()),
            [check.series],
        )

    return r.each(judge)


# A stock held within 2% for 20 sessions (four weeks) after a call is taken to be pinned by a
# pending deal (a cash bid holds the price near the offer): its return says little about the call.
PINNED_SESSIONS = 20
PINNED_BAND = 0.02


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
    quoted = r.with_symbol_params(
        r.with_params(r.now(members), end=lambda i: check.horizon(r.day(i))),
        "start",
        {key: session for key, (session, _) in starts.items()},
    )
    held = r.rows(
        sg.pinned(quoted, PINNED_SESSIONS, PINNED_BAND, start=ibis._.start, end=ibis._.end),
        by="symbol",
    )

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
        adds = [s for s in check.adds if s in rets]
        removes = [s for s in check.removes if s in rets]
        if not adds or not removes:
            raise NotEnoughData("adds or removes lack prices", missing or members)
        adds_mean = sum(rets[s] for s in adds) / len(adds)
        removes_mean = sum(rets[s] for s in removes) / len(removes)
        spread = adds_mean - removes_mean
        # each member's share of the spread: +return/n for an add, -return/n for a removal
        contribution = {s: rets[s] / len(adds) for s in adds} | {
            s: -rets[s] / len(removes) for s in removes
        }
        pinned = {
            s: {
                "from": str(held[(i, s)]["session"]),
                "low": float(held[(i, s)]["range_low"]),
                "high": float(held[(i, s)]["range_high"]),
            }
            for s in rets
            if (i, s) in held
        }
        last = min(dt.date.fromisoformat(d) for d in through.values())
        measured = {
            "returns": rets,
            "contributions": contribution,
            "through": through,
            "adds_mean": adds_mean,
            "removes_mean": removes_mean,
            "spread": spread,
            "pinned_by_a_deal": pinned,
            "horizon": str(end),
        }
        flags = "".join(
            f"; {s} held within {PINNED_BAND:.0%} for {PINNED_SESSIONS} sessions from "
            f"{v['from']} (pinned by a deal?)"
            for s, v in pinned.items()
        )
        parts = ", ".join(f"{s} {contribution[s]:+.1%}" for s in members if s in contribution)
        pending = last < end - dt.timedelta(days=7)
        return Outcome(
            Verdict.PENDING if pending else (Verdict.SUPPORTED if spread > 0 else Verdict.REFUTED),
            measured,
            f"list change: the adds' mean total return beats the removals' over "
            f"{check.months} months (to {end})",
            f"adds {adds_mean:+.1%} vs removals {removes_mean:+.1%} (spread {spread:+.1%}; "
            f"contributions {parts}){flags}",
            members,
            missing=missing,
        )

    return r.each(judge)
