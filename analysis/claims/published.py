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
from dataclasses import replace
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from analysis import signals as sg
from analysis.claims import model as m
from analysis.claims.dispatch import evaluates
from analysis.claims.judging import accepts, count, describe, holds, level, percent, show
from analysis.claims.reading import (
    SLACK_DAYS,
    Reading,
    checked_close,
    missing_close,
    session_dates,
)
from analysis.claims.timeref import SessionRef
from analysis.claims.verdict import Component, Live, NotEnoughData, Outcome, Verdict
from analysis.claims.windows import month_bounds, month_named, resolve_window
from analysis.claims.wording import INF, Interval
from analysis.claims.wording import rule as wording_rule

__all__: list[str] = []  # evaluators are reached through analysis.claims.dispatch


# -- judging helpers ----------------------------------------------------------------------------


def _above(r: Reading, i: int, symbol: str, field: Literal["close", "high"], mark: float) -> Live:
    """The session in progress ends above ``mark``: its ``field`` (the close, or the high for
    words that speak of the intraday high) is the measurement."""
    return Live.level(
        f"{symbol} {field}", symbol, r.live_bar(i, symbol), Interval(mark, INF, lo_open=True), field
    )


def _need_row(
    rows: Mapping[Any, dict[str, Any]], key: object, message: str, missing: list[str]
) -> dict[str, Any]:
    row = rows.get(key)
    if row is None:
        raise NotEnoughData(message, missing)
    return row


# -- returns ------------------------------------------------------------------------------------


Spans = dict[int, tuple[dt.date, dt.date] | None]


def window_returns(
    r: Reading,
    window: m.Window,
    ending: m.SessionRef | None,
    symbols: list[str],
    *,
    adjusted: bool = False,
) -> tuple[dict[tuple[int, str], dict[str, Any]], Spans]:
    """Each symbol's return over ``window`` in each view, from the signals.

    Returns rows keyed by ``(view, symbol)`` with ``base_session, base_close, end_session,
    end_close, period_return``, and each view's ``(after, through)`` (None for windows counted
    in sessions). A view judged on the session in progress measures a sessions window up to
    that session, so its base is one close later. A window from a peak ("since its November
    peak") starts at the peak of the first symbol, the claim's subject.
    """
    closed = r.closed(symbols, adjusted=adjusted)
    spans = _window_spans(r, window, ending, closed.filter(closed.symbol == symbols[0]))
    return r.rows(_returns(r, window, closed, spans), by="symbol"), spans


def _window_spans(
    r: Reading, window: m.Window, ending: m.SessionRef | None, subject: ir.Table
) -> Spans:
    """Each view's ``(after, through)``; None for a window counted in sessions. ``subject``
    is the closed tape of the symbol whose peak a window from a peak starts at."""
    if window.kind == "sessions":
        return dict.fromkeys(r.views)
    if window.kind == "since_peak":
        # "since its November peak": from the highest close of the most recent November
        assert window.month is not None
        bounds = {i: month_bounds(*month_named(window.month, r.day(i))) for i in r.views}
        months = r.with_params(subject, start=lambda i: bounds[i][0], end=lambda i: bounds[i][1])
        peaks = r.rows(sg.peak(months, "close", start=ibis._.start, end=ibis._.end), by="symbol")
        spans: Spans = {}
        for i in r.views:
            got = [row["peak_session"] for (v, _), row in peaks.items() if v == i]
            spans[i] = (got[0] if got else bounds[i][0], r.day(i))
        return spans
    ends = session_dates(r.sessions_named(ending)) if ending is not None else None
    return {
        i: resolve_window(window, r.day(i), ends(i) if ends is not None else None) for i in r.views
    }


def _returns(r: Reading, window: m.Window, closed: ir.Table, spans: Spans) -> ir.Table:
    """The :func:`~analysis.signals.period_return` table of ``closed`` over each view's span
    (for a window counted in sessions, the trailing return up to the last close)."""
    if window.kind == "sessions":
        n = window.count or 1
        lags: dict[int, list[int]] = {}
        for i in r.views:
            lags.setdefault(n - 1 if r.is_live(i) else n, []).append(i)
        parts = [
            sg.trailing_return(
                r.with_params(closed.filter(closed["view"].isin(views)), day=r.day),
                ibis._.day,
                lag,
            )
            for lag, views in lags.items()
        ]
        return ibis.union(*parts) if len(parts) > 1 else parts[0]
    table = r.with_params(
        closed,
        after=lambda i: spans[i][0],  # type: ignore[index]
        through=lambda i: spans[i][1],  # type: ignore[index]
    )
    return sg.period_return(table, ibis._.after, ibis._.through)


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
    if row["end_session"] <= row["base_session"]:
        # the window holds no session that had closed by the cut: no return, never +0.00%
        raise NotEnoughData(
            f"{symbol}: no session of the window had closed by the cut (last close "
            f"{row['end_session']})",
            [f"{symbol} after {row['base_session']}"],
        )
    return row


@evaluates(m.PeriodReturn)
def period_return(check: m.PeriodReturn, r: Reading) -> dict[int, Outcome]:
    sym, window = check.symbol, check.window
    rows, spans = window_returns(r, window, check.ending, [sym], adjusted=check.adjusted)
    coverage = r.coverage([sym], adjusted=check.adjusted)
    fmt = show(check)

    def judge(i: int) -> Outcome:
        row = _base(r, rows, spans, coverage, i, sym, window.count)
        base = float(row["base_close"])
        evidence: dict[str, object] = {"base_session": str(row["base_session"]), "base_close": base}
        rule_text = describe(check, "about")
        if _ends_live(r, spans, i):
            out = Outcome(None, evidence, rule_text, "", [sym], show=fmt)
            out.live = Live.single(
                f"{sym} return" if check.change != "fell" else f"{sym} fall",
                sym,
                lambda p: check.signed(p / base - 1),
                r.live_bar(i, sym),
                accepts(check, "about"),
            )
            out.summary = (
                f"{sym} return over {window.describe()} from {level(base)} ({row['base_session']})"
            )
            return out
        end = _end(rows, spans, coverage, i, sym)
        value = float(end["period_return"])
        evidence |= {
            "end_session": str(end["end_session"]),
            "end_close": float(end["end_close"]),
            "return": value,
        }
        return Outcome.judged(
            holds(check, "about", check.signed(value)),
            evidence,
            rule_text,
            f"{sym} return over {window.describe()} {fmt(value)} ({level(base)} on "
            f"{row['base_session']}"
            f" to {level(float(end['end_close']))} on {end['end_session']})",
            [sym],
            value=check.signed(value),
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
    ratio = isinstance(check, m.ReturnRatio)
    fmt = (lambda x: f"{x:.2f}x") if ratio else percent

    def judge(i: int) -> Outcome:
        ra = _base(r, rows, spans, coverage, i, a, check.window.count)
        rb = _base(r, rows, spans, coverage, i, b, check.window.count)
        measured: dict[str, object] = {}
        for sym, row in ((a, ra), (b, rb)):
            measured |= {
                f"{sym} base_session": str(row["base_session"]),
                f"{sym} base_close": float(row["base_close"]),
            }
        rule_text = describe(check, default_rule, fmt)
        if _ends_live(r, spans, i):
            base_a, base_b = float(ra["base_close"]), float(rb["base_close"])
            ranges = {a: r.live_bar(i, a), b: r.live_bar(i, b)}
            out = Outcome(None, measured, rule_text, "", [a, b], show=fmt)
            out.live = Live(
                lambda p: combine(p[a] / base_a - 1, p[b] / base_b - 1),
                ranges,
                accepts(check, default_rule),
                _components(check, a, b, base_a, base_b, combine, default_rule),
            )
            out.summary = f"{label} of {a} and {b}"
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
            rule_text,
            f"{a} {percent(va)} vs {b} {percent(vb)}: {label} {fmt(value)}",
            [a, b],
            value=value,
        )

    return r.each(judge)


def _components(
    check: m.RelativeReturn | m.ReturnRatio,
    a: str,
    b: str,
    base_a: float,
    base_b: float,
    combine: Callable[[float, float], float],
    default_rule: str,
) -> tuple[Component, ...]:
    """The quantities a statement about the session states, each judged on its own range.

    "Ahead 0.8%, twice the gain in the S&P 500" states A's move (0.8%, as printed) and, through
    the ratio, B's (0.8% / 2, within the ratio's tolerance); without a stated move, the
    combined value itself is the one component."""
    figure = check.a_figure if isinstance(check, m.ReturnRatio) else None
    if figure is None:
        return (
            Component(
                check.predicate,
                (a, b),
                lambda p: combine(p[a] / base_a - 1, p[b] / base_b - 1),
                accepts(check, default_rule),
            ),
        )
    stated_a = wording_rule("rounds_to").interval(figure.value, None, figure.unit)
    ratio = accepts(check, default_rule)
    implied = [x / y for x in (stated_a.lo, stated_a.hi) for y in (ratio.lo, ratio.hi) if y]
    return (
        Component.of(
            f"{a} return (stated {figure.text})", a, lambda p: p / base_a - 1, stated_a, percent
        ),
        Component.of(
            f"{b} return (implied {percent(min(implied))} to {percent(max(implied))})",
            b,
            lambda p: p / base_b - 1,
            Interval(min(implied), max(implied)),
            percent,
        ),
    )


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


def _no_field(symbol: str, field: str, r: Reading, i: int) -> NotEnoughData:
    feed = r.view(i).choice(symbol)
    where = f" from source {feed}" if feed != "*" else ""
    return NotEnoughData(f"no {field} values for {symbol}{where}", [f"{symbol} {field}"])


def covers(r: Reading, i: int, symbol: str, since: dt.date | None, why: str) -> None:
    """A feed read in place of the preferred ones votes only if its history reaches back to
    ``since`` (the start of what the claim reads); otherwise it abstains, and says so."""
    feed = r.view(i).feed
    if feed is None or feed[0] != symbol or since is None:
        return
    span = r.coverage([symbol]).get((i, symbol))
    if span is None:
        raise NotEnoughData(f"{feed[1]} has no bars of {symbol}: abstains", [symbol])
    if (span[0] - since).days > SLACK_DAYS:
        raise NotEnoughData(
            f"{feed[1]} starts {span[0]}, after {since} ({why}): abstains",
            [f"{symbol}@{feed[1]} before {span[0]}"],
        )


def up_to_date(r: Reading, i: int, symbol: str) -> None:
    """A claim about where things stand at publication needs the series up to it: a feed
    whose data end more than a week before has no say (it abstains, and says so)."""
    coverage = r.coverage([symbol])
    span = coverage.get((i, symbol))
    checked_close(symbol, r.day(i), span[1] if span else None, coverage, i)


def _preferred_row(r: Reading, rows: Mapping[int, dict[str, Any]], i: int) -> dict[str, Any] | None:
    return rows.get(r.preferred_view(i))


def _history_start(r: Reading, symbol: str, i: int) -> dt.date | None:
    span = r.coverage([symbol]).get((r.preferred_view(i), symbol))
    return span[0] if span else None


@evaluates(m.RecordCount)
def record_count(check: m.RecordCount, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    closed = r.closed([sym])
    spans = {i: resolve_window(check.window, r.day(i)) for i in r.views}
    table = r.with_params(
        closed, start=lambda i: spans[i][0] + dt.timedelta(days=1), end=lambda i: spans[i][1]
    )
    records = r.grouped(sg.record_closes(table, start=ibis._.start, end=ibis._.end))
    peaks = r.rows(sg.peak(closed, "close"))
    window_start = r.with_params(closed, end=lambda i: spans[i][0])
    before = r.rows(sg.peak(window_start, "close", end=ibis._.end))

    def judge(i: int) -> Outcome:
        prior = float(_need_row(peaks, i, f"no bars of {sym} known at {r.day(i)}", [sym])["peak"])
        up_to_date(r, i, sym)
        base = _preferred_row(r, before, i)
        covers(
            r, i, sym, base["peak_session"] if base else None, "the record the window began with"
        )
        sessions = [str(d) for d in records[i]["session"]]
        n = len(sessions)
        period = check.window.describe()
        in_window = spans[i][1] >= r.day(i)
        measured: dict[str, object] = {
            "records_this_year_before": n,
            "prior_record_close": prior,
            "record_sessions": sessions,
        }
        if r.is_live(i) and in_window:
            out = Outcome(
                None,
                measured,
                describe(check, "exactly", count),
                f"{n} record closes in {period} before the session; prior record close "
                f"{level(prior)}",
                [sym],
                show=count,
            )
            # "on pace for its third record": the session's close would be a record, and the
            # third of the window; a session that is no record is on pace for none (0)
            out.live = Live.single(
                "number of the session's record",
                sym,
                lambda p: n + 1 if p > prior else 0,
                r.live_bar(i, sym),
                accepts(check, "exactly"),
                image="ends",
            )
            return out
        return Outcome.judged(
            holds(check, "exactly", n),
            measured | {"records_this_year": n},
            describe(check, "exactly", count),
            f"{n} record closes in {period} ({spans[i][0] + dt.timedelta(days=1)} to "
            f"{min(spans[i][1], r.day(i))})",
            [sym],
            value=n,
        )

    return r.each(judge)


@evaluates(m.AllTimeHigh)
def all_time_high(check: m.AllTimeHigh, r: Reading) -> dict[int, Outcome]:
    sym, field = check.symbol, check.field
    closed = r.closed([sym])
    peaks = r.rows(sg.peak(closed, field))
    within = max(check.within_sessions, 1)
    recent = r.rows(sg.trailing_return(r.with_params(closed, day=r.day), ibis._.day, within - 1))
    table = r.with_params(closed, start=lambda i: _recent_start(recent, i))
    signal = sg.record_closes if field == "close" else sg.record_highs
    hits = r.grouped(signal(table, start=ibis._.start))

    def judge(i: int) -> Outcome:
        top = peaks.get(i)
        if top is None:
            raise _no_field(sym, field, r, i)
        up_to_date(r, i, sym)
        base = _preferred_row(r, peaks, i)
        covers(r, i, sym, base["peak_session"] if base else None, "the prior record")
        prior, prior_session = float(top["peak"]), str(top["peak_session"])
        if r.is_live(i):
            what = "high" if field == "high" else "close"
            out = Outcome(
                None,
                {f"prior_record_{field}": prior, "prior_record_session": prior_session},
                wording_rule("record").describe(prior, check.tolerance, fmt=level),
                f"the session's {what} against the prior record {field} {level(prior)} "
                f"({prior_session})",
                [sym],
                show=level,
            )
            # "a record high": the session's high beating the prior one; judge on the high
            out.live = _above(r, i, sym, field, prior)
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
            f"last record {field} {level(prior)} on {prior_session}",
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
    mark = check.value
    assert mark is not None
    named = r.sessions_named(check.session)
    on = session_dates(named)
    closed = r.with_params(r.closed([sym]), before=lambda i: on(i) - dt.timedelta(days=1), on=on)
    peaks = r.rows(sg.peak(closed, field, end=ibis._.before))
    signal = sg.first_close_above if field == "close" else sg.first_high_above
    firsts = r.rows(signal(closed, mark))
    bars = r.rows(sg.session_bar(closed, ibis._.on))
    rule_text = wording_rule("first_time").describe(mark, None, fmt=level)
    what = "high" if field == "high" else "close"

    def judge(i: int) -> Outcome:
        day = named[i]
        if not isinstance(day, dt.date):
            raise NotEnoughData(f"{sym}: {day}", [sym])
        top = peaks.get(i)
        if top is None:
            raise _no_field(sym, field, r, i)
        up_to_date(r, i, sym)
        covers(r, i, sym, _history_start(r, sym, i), "a first time ever reads the whole history")
        prior_max = float(top["peak"])
        evidence: dict[str, object] = {
            "session": str(day),
            f"highest_prior_{field}": prior_max,
            "level": mark,
            "prior_max_session": str(top["peak_session"]),
        }
        if prior_max > mark:
            when = firsts[i]["session"]
            return Outcome(
                Verdict.REFUTED,
                {**evidence, "first_time": str(when)},
                rule_text,
                f"{sym} was already above {level(mark)} on {when}, before {day}",
                [sym],
            )
        before = (
            f"never above {level(mark)} before {day} (highest {field} {level(prior_max)} on "
            f"{top['peak_session']})"
        )
        if day == r.day(i) and r.view(i).in_progress:
            out = Outcome(None, evidence, rule_text, before, [sym], show=level)
            # "topped", "hit", "touched" a level speak of the intraday high: judge on the high
            out.live = _above(r, i, sym, field, mark)
            return out
        row = bars.get(i)
        if row is None or row[field] is None:
            raise NotEnoughData(f"no {field} of {sym} on {day}", [f"{sym} {day}"])
        value = float(row[field])
        return Outcome.judged(
            value > mark,
            evidence | {field: value},
            rule_text,
            f"{before}; {what} on {day}: {level(value)}",
            [sym],
            dates={"session": str(day)},
            value=value,
        )

    return r.each(judge)


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, number = (int(x) for x in month.split("-"))
    return month_bounds(year, number)


def _months(r: Reading, ref: m.MonthRef) -> dict[int, tuple[str, dt.date, dt.date]]:
    """The month ``ref`` names in each view: ``(YYYY-MM, first day, last day)``."""
    out = {}
    for i in r.views:
        month = ref.resolve(r.day(i))
        out[i] = (month, *_month_bounds(month))
    return out


@evaluates(m.RecordBroken)
def record_broken(check: m.RecordBroken, r: Reading) -> dict[int, Outcome]:
    sym = check.symbol
    months = _months(r, check.prior_month)
    closed = r.with_params(
        r.closed([sym]),
        first=lambda i: months[i][1],
        last=lambda i: months[i][2],
        before=lambda i: months[i][1] - dt.timedelta(days=1),
    )
    tops = r.rows(sg.peak(closed, "close", start=ibis._.first, end=ibis._.last))
    earlier = r.rows(sg.peak(closed, "close", end=ibis._.before))
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
        prior_month, first, _ = months[i]
        top = tops.get(i)
        if top is None:
            raise NotEnoughData(f"no bars of {sym} in {prior_month}", [sym])
        up_to_date(r, i, sym)
        covers(r, i, sym, first, f"the {prior_month} record")
        record, record_session = float(top["peak"]), top["peak_session"]
        before = earlier.get(i)
        target = check.month if check.month == "before" else check.month.resolve(r.day(i))
        measured: dict[str, object] = {
            "prior_record_close": record,
            "prior_record_session": str(record_session),
            "was_all_time_record": before is None or record > float(before["peak"]),
        }
        when = "at any time before publication" if target == "before" else f"in {target}"
        rule_text = f"record: the first close above the {prior_month} record falls {when}"
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
        month = check.month.resolve(r.day(i))
        if (i, sym) not in coverage:
            raise NotEnoughData(f"no bars of {sym} known at {r.day(i)}", [sym])
        up_to_date(r, i, sym)
        x = crossings[i]
        rule_text = (
            f"the close's current run above its {check.sessions}-session average began in {month}"
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
        ok = start.strftime("%Y-%m") == month
        return Outcome.judged(
            ok,
            {"run_began": str(start), "up_crossings_this_year": ups},
            f"the current run above the {check.sessions}-session average began in {month}",
            f"current run above the {check.sessions}-session average began {start}",
            [sym],
            dates={"crossing": str(start)},
        )

    return r.each(judge)


@evaluates(m.LevelOrigin)
def level_origin(check: m.LevelOrigin, r: Reading) -> dict[int, Outcome]:
    sym, field = check.symbol, check.field
    months = _months(r, check.month)
    closed = r.with_params(
        r.closed([sym]), first=lambda i: months[i][1], last=lambda i: months[i][2]
    )
    tops = {
        f: r.rows(sg.peak(closed, f, start=ibis._.first, end=ibis._.last))
        for f in ("close", "high")
    }
    after = r.with_params(
        closed,
        level=lambda i: float(tops[field][i]["peak"]) if i in tops[field] else INF,
        start=lambda i: months[i][2] + dt.timedelta(days=1),
    )
    signal = sg.first_close_above if field == "close" else sg.first_high_above
    exceeded = r.rows(signal(after, ibis._.level, start=ibis._.start))

    def judge(i: int) -> Outcome:
        month = months[i][0]
        top = tops[field].get(i)
        if top is None:
            raise NotEnoughData(f"no bars of {sym} in {month}", [sym])
        value, when = float(top["peak"]), top["peak_session"]
        highs = tops["high"].get(i)
        beyond = exceeded.get(i)
        measured: dict[str, object] = {
            f"{month}_max_{field}": value,
            "session": str(when),
            f"{month}_max_close": float(tops["close"][i]["peak"]),
            f"{month}_max_high": float(highs["peak"]) if highs else None,
            "first_exceeded": str(beyond["session"]) if beyond else None,
            "first_exceeded_at": float(beyond[field]) if beyond else None,
        }
        later = (
            f"; first exceeded on {beyond['session']} ({field} {level(float(beyond[field]))})"
            if beyond
            else "; not exceeded since"
        )
        return Outcome.judged(
            holds(check, "about", value),
            measured,
            describe(check, "about", level),
            f"highest {field} of {month}: {level(value)} on {when}{later}",
            [sym],
            dates={"level_from": str(when)},
            value=value,
        )

    return r.each(judge)


@evaluates(m.TargetVsLevel)
def target_vs_level(check: m.TargetVsLevel, r: Reading) -> dict[int, Outcome]:
    sym, target = check.symbol, check.target
    closed = r.closed([sym])
    coverage = r.coverage([sym])
    if check.value is not None:
        # a claimed upside ("implies roughly 7% upside from Tuesday's close")
        named = (
            session_dates(r.sessions_named(check.reference))
            if isinstance(check.reference, SessionRef)
            else None
        )

        def reference(i: int) -> dt.date:
            if named is not None:
                return named(i)
            day = r.day(i)
            return day - dt.timedelta(days=1) if check.reference == "previous_close" else day

        table = r.with_params(closed, reference=reference)
        rows = r.rows(sg.implied_upside(table, target, ibis._.reference))
        fmt = show(check)

        def judge_upside(i: int) -> Outcome:
            row = rows.get(i)
            if row is None:
                raise missing_close(sym, reference(i), coverage, i)
            checked_close(sym, reference(i), row["reference_session"], coverage, i)
            upside, ref = float(row["implied_upside"]), float(row["reference_close"])
            return Outcome.judged(
                holds(check, "about", upside),
                {
                    "target": target,
                    "reference_session": str(row["reference_session"]),
                    "reference_close": ref,
                    "implied_upside": upside,
                },
                describe(check, "about"),
                f"target {level(target)} vs {level(ref)} ({row['reference_session']}): "
                f"{fmt(upside)} upside",
                [sym],
                value=upside,
            )

        return r.each(judge_upside)

    rule_name = check.rule or "below"
    # the claim puts the target below (above) the level: the level is measured, the target
    # is what it is held against
    flip = {"below": "above", "above": "below"}[rule_name]
    level_rule = wording_rule(flip)
    rule_text = level_rule.describe(target, None, fmt=level).replace("measured", "level")
    levels = r.rows(sg.close_on_or_before(r.with_params(closed, day=r.day), ibis._.day))

    def judge(i: int) -> Outcome:
        out = Outcome(None, {"target": target}, rule_text, "", [sym], show=level)
        # without a bar of the session in progress, the level is the last close
        if r.is_live(i) and (i, sym) in r.live([sym]):
            out.live = Live.level(
                f"{sym} level", sym, r.live_bar(i, sym), level_rule.interval(target, None)
            )
            out.summary = f"target {level(target)} against {sym} during the session"
            return out
        row = levels.get(i)
        if row is None:
            raise missing_close(sym, r.day(i), coverage, i)
        checked_close(sym, r.day(i), row["session"], coverage, i)
        close = float(row["close"])
        out.verdict = (
            Verdict.SUPPORTED if level_rule.holds(close, target, None) else Verdict.REFUTED
        )
        out.measured |= {"level": close, "level_session": str(row["session"])}
        out.summary = f"target {level(target)} vs level {level(close)} ({row['session']})"
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
    # the groups are judged on closed sessions: a window counted in sessions ends at the last
    # close before publication, for the index and the members alike
    r = replace(r, speaks_live=False)
    bench_rows, spans = window_returns(r, check.window, None, [bench])
    coverage = r.coverage([bench])
    returns = _returns(r, check.window, r.closed(members, adjusted=True), spans)
    slack = dt.timedelta(days=SLACK_DAYS)
    returns = r.with_params(
        returns,
        after=lambda i: spans[i][0] - slack if spans[i] else dt.date.min,  # type: ignore[index]
        through=lambda i: (spans[i] or (r.day(i), r.day(i)))[1] - slack,
    )
    # a member whose prices stop (or start) more than a week off the window has no return,
    # nor one with fewer sessions than a window counted in sessions (no base session)
    returns = returns.filter(
        returns.base_session >= returns.after, returns.end_session >= returns.through
    )
    fresh = r.rows(returns, by="symbol")
    medians = r.rows(sg.group_medians(returns, check.groups), by="group")

    def judge(i: int) -> Outcome:
        row = _base(r, bench_rows, spans, coverage, i, bench, check.window.count)
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
        named = list(check.groups) + [g for g in check.missing_groups if g not in check.groups]
        absent = [g for g in named if g not in groups]
        leading = [g for g, v in groups.items() if v > bench_return]
        verdict, can_change = _leaders_verdict(
            check.quantifier, len(named), len(leading), len(groups)
        )
        coverage_text = f"{len(groups)} of {len(named)} groups have data"
        if absent:
            coverage_text += f"; no data for {', '.join(absent)}"
            coverage_text += (
                ", which could change the verdict" if can_change else ", which cannot change it"
            )
        measured: dict[str, object] = {
            "benchmark_return": bench_return,
            "group_median_returns": groups,
            "stock_returns": per_stock,
            "groups_without_data": absent,
            "groups_leading": leading,
            "groups_with_data": f"{len(groups)} of {len(named)}",
            "base_session": str(row["base_session"]),
            "base_close": float(row["base_close"]),
            "end_session": str(end["end_session"]),
            "end_close": float(end["end_close"]),
        }
        quantifier = (
            "each named group's median return"
            if check.quantifier == "each"
            else "the median returns of most named groups"
        )
        return Outcome(
            verdict,
            measured,
            f"leaders: {quantifier} over {check.window.describe()} beat {bench}; "
            "a group without data counts against the claim only where it could change the "
            "verdict",
            ", ".join(f"{g} {percent(v)}" for g, v in groups.items())
            + f" vs {bench} {percent(bench_return)} ({coverage_text})",
            [bench, *per_stock],
            missing=missing,
        )

    return r.each(judge)


def _leaders_verdict(
    quantifier: str, named: int, leading: int, with_data: int
) -> tuple[Verdict, bool]:
    """The verdict on the groups with data, and whether the groups without could change it.

    ``each``: one group with data that does not lead refutes the claim whatever the others
    do; when every group with data leads, a group without data could still fail, so the
    claim is not fully supported (``not_enough_data``). ``most``: supported once a majority
    of all named groups lead even if every missing one failed, refuted once a majority cannot
    be reached even if every missing one led."""
    missing = named - with_data
    if quantifier == "each":
        if leading < with_data:
            return Verdict.REFUTED, False
        return (Verdict.NOT_ENOUGH_DATA, True) if missing else (Verdict.SUPPORTED, False)
    need = named // 2 + 1
    if leading >= need:
        return Verdict.SUPPORTED, False
    if leading + missing < need:
        return Verdict.REFUTED, False
    return Verdict.NOT_ENOUGH_DATA, True


def _points(x: float) -> str:
    """Percentage points, as factor series are published."""
    return f"{x:.2f} pp"


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
            describe(check, "about", _points),
            f"{check.series} {check.first_year}-{check.last_year} ({p['years']} years): "
            f"arithmetic mean {p['arithmetic_mean']:.2f}, geometric mean "
            f"{p['geometric_mean']:.2f} percentage points a year; judged: {check.mean}",
            [check.series],
            value=value,
        )

    return r.each(judge)


def _stretch_rows(
    r: Reading, rs: ir.Table
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The longest stretch below the peak, the one under way, and the line's span."""
    longest = r.rows(sg.longest_below_peak(rs))
    current = r.rows(sg.underperformance_under_way(rs))
    span = r.rows(rs.group_by("view").agg(data_from=rs.session.min(), data_to=rs.session.max()))
    return longest, current, span


@evaluates(m.LongestUnderperformance)
def longest_underperformance(check: m.LongestUnderperformance, r: Reading) -> dict[int, Outcome]:
    a, b = check.a, check.b
    closed_a, closed_b = r.closed([a]), r.closed([b])
    daily = _stretch_rows(r, sg.relative_strength(closed_a, closed_b))
    monthly = _stretch_rows(
        r, sg.relative_strength(sg.month_end_closes(closed_a), sg.month_end_closes(closed_b))
    )
    lines: dict[str, tuple[Any, ...]] = {f"{a}/{b}, month-end closes": monthly}
    if check.history is not None:
        h = check.history
        obs = r.observations([h.a, h.b])
        growth = sg.relative_strength(
            sg.growth_from_returns(obs, h.a), sg.growth_from_returns(obs, h.b)
        )
        lines = {f"{h.a}/{h.b}, monthly returns": _stretch_rows(r, growth), **lines}

    def judge(i: int) -> Outcome:
        up_to_date(r, i, a)
        up_to_date(r, i, b)
        covers(r, i, a, _history_start(r, a, i), "'ever' reads the whole history")
        readings: dict[str, dict[str, object]] = {}
        for name, (longest, current, span) in lines.items():
            if i not in longest or i not in current:
                continue
            readings[name] = {
                "from": str(span[i]["data_from"]),
                "to": str(span[i]["data_to"]),
                "longest_months": int(longest[i]["sessions_below"]),
                "longest_from": str(longest[i]["peak_session"]),
                "longest_recovered": bool(longest[i]["recovered"]),
                "current_months": int(current[i]["sessions_below"]),
                "current_from": str(current[i]["peak_session"]),
            }
        if not readings:
            raise NotEnoughData(f"no common history of {a} and {b}", [a, b])
        # "ever" is judged on the longest history available
        judged = min(readings, key=lambda n: str(readings[n]["from"]))
        j = readings[judged]
        count, most = int(j["current_months"]), int(j["longest_months"])  # type: ignore[call-overload]
        measured: dict[str, object] = {
            "judged_on": judged,
            "current_stretch_months": count,
            "current_peak": j["current_from"],
            "longest_stretch_months": most,
            "longest_peak": j["longest_from"],
            "data_from": j["from"],
            "readings": readings,
        }
        note = ""
        longest_d, current_d, span_d = daily
        if i in longest_d and i in current_d:
            peak = longest_d[i]["peak_session"]
            measured["daily_closes"] = {
                "longest_sessions": int(longest_d[i]["sessions_below"]),
                "longest_from": str(peak),
                "current_sessions": int(current_d[i]["sessions_below"]),
                "from": str(span_d[i]["data_from"]),
            }
            month_end = readings.get(f"{a}/{b}, month-end closes")
            if month_end is not None and str(peak)[:7] != str(month_end["longest_from"])[:7]:
                note = (
                    f"; on daily closes the longest stretch ({longest_d[i]['sessions_below']} "
                    f"sessions) dates from a single session's peak, {peak}, which month-end "
                    "values do not keep"
                )
        others = "; ".join(
            f"{n}: longest {v['longest_months']} months from {v['longest_from']}, "
            f"current {v['current_months']} months"
            for n, v in readings.items()
            if n != judged
        )
        return Outcome.judged(
            count >= most,
            measured,
            "longest: the stretch below the prior relative-strength peak under way at "
            "publication is the longest in the longest history available (month-end values)",
            f"judged on {judged} from {j['from']}: current stretch {count} months since "
            f"{j['current_from']}, longest {most} months from {j['longest_from']}"
            + (f"; {others}" if others else "")
            + note,
            [a, b, *([check.history.a, check.history.b] if check.history else [])],
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
            value=change,
        )

    return r.each(judge)
