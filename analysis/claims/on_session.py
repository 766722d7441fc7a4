"""Evaluators of statements about one named session: its move, its level, its rank among a
period's moves, where it stood against its moving average or a peak, a streak, a series' value.

The session is named as the article names it (``session: Friday``, ``session: today``) and
resolved against each view's cut by :class:`~analysis.claims.timeref.SessionRef`. When it is
the session in progress at the cut, the statement is judged on that session's final bar,
exactly, like every statement about a session as it unfolds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.dispatch import evaluates
from analysis.claims.judging import accepts, count, describe, level, percent, show
from analysis.claims.reading import SLACK_DAYS, Reading, session_dates
from analysis.claims.timeref import NoSession
from analysis.claims.verdict import Live, NotEnoughData, Outcome
from analysis.claims.windows import resolve_window
from analysis.claims.wording import INF, Interval

__all__: list[str] = []  # evaluators are reached through analysis.claims.dispatch


def _day(named: dict[int, dt.date | NoSession], i: int, symbol: str) -> dt.date:
    got = named[i]
    if isinstance(got, NoSession):
        raise NotEnoughData(f"{symbol}: {got}", [symbol])
    return got


def _is_live(r: Reading, named: dict[int, dt.date | NoSession], i: int) -> bool:
    return named[i] == r.day(i) and r.view(i).in_progress


def _closed_session(
    rows: dict[int, dict[str, Any]], i: int, symbol: str, day: dt.date
) -> dict[str, Any]:
    row = rows.get(i)
    if row is None:
        raise NotEnoughData(f"no bar of {symbol} on {day}", [f"{symbol} {day}"])
    return row


@evaluates(m.SessionMove)
def session_move(check: m.SessionMove, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    named = r.sessions_named(check.session)
    closed = r.closed([sym])
    bars = r.rows(sg.session_bar(r.with_params(closed, on=session_dates(named)), ibis._.on))
    last = r.rows(sg.close_on_or_before(r.with_params(closed, day=r.day), ibis._.day))
    fmt = show(check)
    rule_text = describe(check, "about")

    def judge(i: int) -> Outcome:
        day = _day(named, i, sym)
        if _is_live(r, named, i):
            prev = last.get(i)
            if prev is None:
                raise NotEnoughData(f"no close of {sym} before {day}", [sym])
            base = float(prev["close"])
            out = Outcome(
                None, {"session": str(day), "previous_close": base}, rule_text, "", [sym], show=fmt
            )
            out.live = Live.single(
                f"{sym} move on {day}",
                sym,
                lambda p: check.signed(p / base - 1),
                r.live_bar(i, sym),
                accepts(check, "about"),
            )
            out.summary = f"{sym} on {day} ({check.session.text}) from {level(base)}"
            return out
        row = _closed_session(bars, i, sym, day)
        move = float(row["move"])
        value = check.signed(move)
        return Outcome.judged(
            accepts(check, "about").contains(value),
            {
                "session": str(day),
                "previous_close": float(row["previous_close"]),
                "close": float(row["close"]),
                "move": move,
            },
            rule_text,
            f"{sym} on {day} ({check.session.text}): {level(float(row['previous_close']))} -> "
            f"{level(float(row['close']))}, {percent(move)}",
            [sym],
            dates={"session": str(day)},
        )

    return r.each(judge)


@evaluates(m.CloseLevel)
def close_level(check: m.CloseLevel, r: Reading) -> dict[int, Outcome]:
    sym, field = check.symbol, check.field
    named = r.sessions_named(check.session)
    closed = r.closed([sym])
    bars = r.rows(sg.session_bar(r.with_params(closed, on=session_dates(named)), ibis._.on))
    rule_text = describe(check, "about", level)

    def judge(i: int) -> Outcome:
        day = _day(named, i, sym)
        if _is_live(r, named, i):
            out = Outcome(None, {"session": str(day)}, rule_text, "", [sym], show=level)
            out.live = Live.level(
                f"{sym} {field}", sym, r.live_bar(i, sym), accepts(check, "about"), field
            )
            out.summary = f"{sym} on {day} ({check.session.text})"
            return out
        row = _closed_session(bars, i, sym, day)
        if row[field] is None:
            raise NotEnoughData(f"no {field} of {sym} on {day}", [f"{sym} {field}"])
        value = float(row[field])
        return Outcome.judged(
            accepts(check, "about").contains(value),
            {"session": str(day), field: value},
            rule_text,
            f"{sym} {field} on {day} ({check.session.text}): {level(value)}",
            [sym],
            dates={"session": str(day)},
        )

    return r.each(judge)


@evaluates(m.SessionRank)
def session_rank(check: m.SessionRank, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    named = r.sessions_named(check.session)
    spans = {i: resolve_window(check.among, r.day(i)) for i in r.views}
    closed = r.closed([sym])
    table = r.with_params(
        closed,
        start=lambda i: spans[i][0] + dt.timedelta(days=1),
        end=lambda i: spans[i][1],
    )
    moves = r.grouped(sg.daily_moves(table, start=ibis._.start, end=ibis._.end))
    last = r.rows(sg.close_on_or_before(r.with_params(closed, day=r.day), ibis._.day))
    gain = check.direction == "gain"
    column = "gain_rank" if gain else "loss_rank"
    what = "gain" if gain else "loss"

    def rank_among(others: list[float], move: float) -> int:
        bigger = [x for x in others if (x > move if gain else x < move)]
        return 1 + len(bigger)

    def judge(i: int) -> Outcome:
        day = _day(named, i, sym)
        frame = moves[i]
        rule_text = describe(check, "exactly", count)
        window = f"{check.among.describe()} ({spans[i][0] + dt.timedelta(days=1)} to {day})"
        if _is_live(r, named, i):
            prev = last.get(i)
            if prev is None:
                raise NotEnoughData(f"no close of {sym} before {day}", [sym])
            base = float(prev["close"])
            others = [float(x) for x in frame["move"]]
            out = Outcome(
                None,
                {"session": str(day), "moves_in_window": len(others) + 1},
                rule_text,
                "",
                [sym],
                show=count,
            )
            out.live = Live.single(
                f"rank of the {what}",
                sym,
                lambda p: rank_among(others, p / base - 1),
                r.live_bar(i, sym),
                accepts(check, "exactly"),
                image="integers",
            )
            out.summary = f"{sym} on {day} among the {len(others) + 1} sessions of {window}"
            return out
        row = frame.filter(frame["session"] == day)
        if row.height == 0:
            raise NotEnoughData(f"no move of {sym} on {day} in {window}", [f"{sym} {day}"])
        rank = int(row[column][0])
        move = float(row["move"][0])
        return Outcome.judged(
            accepts(check, "exactly").contains(rank),
            {"session": str(day), "move": move, "rank": rank, "moves_in_window": frame.height},
            rule_text,
            f"{sym} {percent(move)} on {day}: {what} number {rank} of the {frame.height} "
            f"sessions of {window}",
            [sym],
            dates={"session": str(day)},
        )

    return r.each(judge)


@evaluates(m.MovingAverageState)
def ma_state(check: m.MovingAverageState, r: Reading) -> dict[int, Outcome]:
    sym, n = check.symbol, check.sessions
    named = r.sessions_named(check.session)
    closed = r.closed([sym])
    at = r.with_params(sg.moving_average(closed, n), on=session_dates(named))
    rows = r.rows(at.filter(at.session == at.on))
    before = r.with_params(sg.moving_average(closed, n - 1), day=r.day)
    tail = (
        r.rows(sg.close_on_or_before(before.mutate(close=before.sma), ibis._.day)) if n > 1 else {}
    )
    side = check.side
    wanted = (
        Interval(0.0, INF, lo_open=True) if side == "above" else Interval(-INF, 0.0, hi_open=True)
    )
    rule_text = (
        f"{side}: the close {side} its {n}-session average (accepts {wanted.describe(percent)})"
    )

    def judge(i: int) -> Outcome:
        day = _day(named, i, sym)
        if _is_live(r, named, i):
            prior = tail.get(i)
            total = 0.0
            if n > 1:
                if prior is None or prior["close"] is None:
                    raise NotEnoughData(f"{sym} has fewer than {n} sessions", [sym])
                total = float(prior["close"]) * (n - 1)
            out = Outcome(None, {"session": str(day)}, rule_text, "", [sym], show=percent)
            out.live = Live.single(
                f"{sym} against its {n}-session average",
                sym,
                lambda p: p / ((total + p) / n) - 1,
                r.live_bar(i, sym),
                wanted,
            )
            out.summary = f"{sym} on {day} against its {n}-session average"
            return out
        row = rows.get(i)
        if row is None or row["sma"] is None:
            raise NotEnoughData(f"no {n}-session average of {sym} on {day}", [sym])
        close, sma = float(row["close"]), float(row["sma"])
        gap = close / sma - 1
        return Outcome.judged(
            wanted.contains(gap),
            {"session": str(day), "close": close, "average": sma, "distance": gap},
            rule_text,
            f"{sym} {level(close)} on {day} vs its {n}-session average {level(sma)} "
            f"({percent(gap)})",
            [sym],
        )

    return r.each(judge)


@evaluates(m.FromExtreme)
def from_extreme(check: m.FromExtreme, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    named = r.sessions_named(check.session)
    closed = r.closed([sym])
    of = check.of
    spans = {i: resolve_window(of, r.day(i)) if of is not None else None for i in r.views}

    def start(i: int) -> dt.date:
        span = spans[i]
        return span[0] + dt.timedelta(days=1) if span is not None else dt.date.min

    def end(i: int) -> dt.date:
        span, day = spans[i], named[i]
        stop = day if isinstance(day, dt.date) else dt.date.min
        return min(span[1], stop) if span is not None else stop

    table = r.with_params(closed, start=start, end=end, on=session_dates(named))
    signal = sg.peak if check.extreme == "peak" else sg.trough
    extremes = r.rows(signal(table, "close", start=ibis._.start, end=ibis._.end))
    bars = r.rows(sg.session_bar(table, ibis._.on))
    fmt = show(check)
    rule_text = describe(check, "about")
    where = (
        f"the {check.extreme} of {of.describe()}"
        if of is not None
        else f"its all-time {check.extreme}"
    )

    def judge(i: int) -> Outcome:
        day = _day(named, i, sym)
        top = extremes.get(i)
        if top is None:
            raise NotEnoughData(f"no closes of {sym} in {where}", [sym])
        value, when = float(top[check.extreme]), top[f"{check.extreme}_session"]
        measured: dict[str, object] = {
            "session": str(day),
            check.extreme: value,
            f"{check.extreme}_session": str(when),
        }
        if _is_live(r, named, i):
            peak = check.extreme == "peak"
            out = Outcome(None, measured, rule_text, "", [sym], show=fmt)
            out.live = Live.single(
                f"{sym} from {where}",
                sym,
                lambda p: check.signed(p / (max(value, p) if peak else min(value, p)) - 1),
                r.live_bar(i, sym),
                accepts(check, "about"),
            )
            out.summary = f"{sym} on {day} against {where}, {level(value)} on {when}"
            return out
        row = bars.get(i)
        if row is None:
            raise NotEnoughData(f"no bar of {sym} on {day}", [f"{sym} {day}"])
        close = float(row["close"])
        move = close / value - 1
        measured |= {"close": close, "move": move}
        return Outcome.judged(
            accepts(check, "about").contains(check.signed(move)),
            measured,
            rule_text,
            f"{sym} {level(close)} on {day}, {percent(move)} from {where} {level(value)} ({when})",
            [sym],
            dates={check.extreme: str(when)},
        )

    return r.each(judge)


@evaluates(m.Streak)
def streak(check: m.Streak, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    named = r.sessions_named(check.session)
    closed = r.closed([sym])
    runs = r.rows(sg.streak(r.with_params(closed, on=session_dates(named)), ibis._.on))
    last = r.rows(sg.close_on_or_before(r.with_params(closed, day=r.day), ibis._.day))
    up = check.direction == "up"
    rule_text = describe(check, "exactly", count)
    what = "gains" if up else "losses"

    def judge(i: int) -> Outcome:
        day = _day(named, i, sym)
        if _is_live(r, named, i):
            # the named session is the publication day: its run so far is the closed tape's
            prior, prev = runs.get(i), last.get(i)
            if prior is None or prev is None:
                raise NotEnoughData(f"no closes of {sym} before {day}", [sym])
            run = int(prior["length"]) if prior["direction"] == check.direction else 0
            base = float(prev["close"])
            out = Outcome(
                None, {"session": str(day), "run_before": run}, rule_text, "", [sym], show=count
            )
            out.live = Live.single(
                f"straight {what}",
                sym,
                lambda p: run + 1 if (p > base if up else p < base) else 0,
                r.live_bar(i, sym),
                accepts(check, "exactly"),
                image="ends",
            )
            out.summary = f"{sym}: {run} straight {what} before {day}"
            return out
        row = runs.get(i)
        if row is None or row["session"] != day:
            raise NotEnoughData(f"no move of {sym} on {day}", [f"{sym} {day}"])
        length = int(row["length"]) if row["direction"] == check.direction else 0
        return Outcome.judged(
            accepts(check, "exactly").contains(length),
            {"session": str(day), "direction": row["direction"], "length": int(row["length"])},
            rule_text,
            f"{sym}: {length} straight {what} through {day}",
            [sym],
        )

    return r.each(judge)


@evaluates(m.SeriesLevel)
def series_level(check: m.SeriesLevel, r: Reading) -> dict[int, Outcome]:
    named = r.sessions_named(check.session)
    obs = r.with_params(r.observations([check.series]), on=session_dates(named))
    rows = r.rows(sg.observation_on_or_before(obs, check.series, ibis._.on))
    fmt = show(check, lambda x: f"{x:.2f}")

    def judge(i: int) -> Outcome:
        day = _day(named, i, check.series)
        row = rows.get(i)
        if row is None:
            raise NotEnoughData(f"no value of {check.series} on or before {day}", [check.series])
        value = float(row["value"])
        period = str(row["period"])
        if len(period) == 10 and (day - dt.date.fromisoformat(period)).days > SLACK_DAYS:
            raise NotEnoughData(
                f"{check.series} data end {period}, needed up to {day}",
                [f"{check.series} after {period}"],
            )
        return Outcome.judged(
            accepts(check, "about").contains(value),
            {"session": str(day), "period": row["period"], "value": value},
            describe(check, "about", fmt),
            f"{check.series} {fmt(value)} ({row['period']})",
            [check.series],
        )

    return r.each(judge)
