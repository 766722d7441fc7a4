"""Each checkable claim's oracle: its decisive figures recomputed from the raw CSV files, and
the verdict they give under the interval its stated figure and rule accept.

An oracle is a function ``(data, feed=None, cut=<the article's cut>) -> Expect``, registered under
the claim ids it answers (:data:`ORACLES`). ``feed`` reads the claim's first series from that one
feed instead of the catalog's preferred ones, so the verdicts the engine reports for the other
feeds can be checked the same way; ``cut`` moves the publication instant (the anchors of
``infer-date`` are evaluated on every session of a window). A reading that cannot judge raises
:class:`Abstain` (``not_enough_data``): a feed whose data stop more than a week before what the
claim must cover, whose history starts after what an "ever" or record claim reads, or that lacks
the field.

Only pandas, the raw files (:mod:`oracles`) and exchange_calendars are used: nothing from
``store`` or ``analysis``. The engine's results are only ever the thing checked.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import oracles as o
import pandas as pd
from oracles import Accepts, Cut, accepts, judged, live_verdict

# The publication cuts (date and New York time) the specs give each article.
A = Cut(dt.date(2025, 10, 6), dt.time(14, 0))  # during Monday's session ("on pace")
B = Cut(dt.date(2024, 7, 26), dt.time(16, 30))  # after Friday's close
C = Cut(dt.date(2025, 10, 15), dt.time(15, 30))  # "in late day trading Wednesday"
D = Cut(dt.date(2025, 10, 15), dt.time(16, 30))  # after that close
CUTS = {"A": A, "B": B, "C": C, "D": D}
NED = "not_enough_data"
HOLDING = ("supported", "consistent_intraday")
DAY = pd.Timedelta(days=1)


class Abstain(Exception):
    """The claim cannot be judged on this reading: ``not_enough_data``, naming what is missing."""

    def __init__(self, why: str, missing: list[str] | None = None) -> None:
        super().__init__(why)
        self.missing = missing or []


@dataclass
class Expect:
    """What the oracle finds: the verdict, the measured values the engine must report, and the
    interval the claim's rule accepts (checked against the one the rule prints)."""

    verdict: str
    measured: dict[str, Any]
    accepts: Accepts | None = None
    dates: dict[str, str] = field(default_factory=dict)


Oracle = Callable[..., Expect]
ORACLES: dict[str, Oracle] = {}
# claims whose first series has other feeds: the oracle takes ``feed=``
BY_FEED: set[str] = set()


def oracle(*ids: str, feeds: bool = True) -> Callable[[Oracle], Oracle]:
    def register(fn: Oracle) -> Oracle:
        for cid in ids:
            ORACLES[cid] = fn
            if feeds:
                BY_FEED.add(cid)
        return fn

    return register


def iso(day: pd.Timestamp | dt.date) -> str:
    return (day.date() if isinstance(day, pd.Timestamp) else day).isoformat()


# -- readings of the raw files ------------------------------------------------------------------


def bars_of(data: Path, symbol: str, feed: str | None = None) -> pd.DataFrame:
    return o.quoted(data, symbol, feed)


def missing_close(symbol: str, day: pd.Timestamp, bars: pd.DataFrame) -> Abstain:
    """Why ``symbol`` has no usable close for ``day``, named as the engine names it."""
    if bars.empty:
        return Abstain(f"no bars of {symbol}", [symbol])
    if day < bars.index[0]:
        return Abstain(
            f"{symbol} starts {iso(bars.index[0])}", [f"{symbol} before {iso(bars.index[0])}"]
        )
    return Abstain(
        f"{symbol} data end {iso(bars.index[-1])}", [f"{symbol} after {iso(bars.index[-1])}"]
    )


def close_for(bars: pd.DataFrame, day: pd.Timestamp, symbol: str) -> pd.Series:
    """The last close on or before ``day``, refused when over a week before it."""
    row = o.last_on_or_before(bars, day)
    if row is None or (day - row.name).days > o.SLACK_DAYS:
        raise missing_close(symbol, day, bars)
    return row


def up_to_date(closed: pd.DataFrame, cut: Cut, symbol: str) -> None:
    """A claim about where things stand needs the series up to the publication."""
    if closed.empty:
        raise Abstain(f"no bars of {symbol}", [symbol])
    if (cut.today - closed.index[-1]).days > o.SLACK_DAYS:
        raise missing_close(symbol, cut.today, closed)


def covers(closed: pd.DataFrame, since: pd.Timestamp, feed: str | None) -> None:
    """A feed read in place of the preferred ones votes only if its history reaches back to
    what the claim reads."""
    if feed is not None and (closed.index[0] - since).days > o.SLACK_DAYS:
        raise Abstain(f"{feed} starts {iso(closed.index[0])}, after {iso(since)}")


def span(
    window: str, day: dt.date, ending: dt.date | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """What a window's words mean for an article of ``day``: the return runs from the last close
    on or before ``after`` to the last close on or before ``through``."""
    through = pd.Timestamp(min(ending or day, day))
    kind, _, arg = window.partition(":")
    if kind == "ytd":
        return pd.Timestamp(through.year - 1, 12, 31), through
    if kind == "month":
        first = pd.Timestamp(f"{arg}-01")
        return first - DAY, min(first + pd.offsets.MonthEnd(0), through)
    if kind == "half":
        year, half = (int(x) for x in arg.split("-"))
        start = pd.Timestamp(year - 1, 12, 31) if half == 1 else pd.Timestamp(year, 6, 30)
        end = pd.Timestamp(year, 6, 30) if half == 1 else pd.Timestamp(year, 12, 31)
        return start, min(end, through)
    if kind == "months":
        return through - pd.DateOffset(months=int(arg)), through
    if kind == "years":
        return through - pd.DateOffset(years=int(arg)), through
    assert kind == "session", window
    return through - DAY, through


@dataclass
class Move:
    """A return from a base close to an end close."""

    base_session: pd.Timestamp
    base_close: float
    end_session: pd.Timestamp | None = None
    end_close: float | None = None

    @property
    def value(self) -> float:
        assert self.end_close is not None
        return self.end_close / self.base_close - 1

    def at(self, price: float) -> float:
        return price / self.base_close - 1


def move(
    closed: pd.DataFrame,
    cut: Cut,
    symbol: str,
    window: str,
    live: bool,
    ending: dt.date | None = None,
) -> Move:
    """The return of ``symbol`` over ``window`` on the bars known at the cut (to the session in
    progress when the statement speaks of it, a window counted in sessions then ending one
    session later)."""
    if window.startswith("sessions:"):
        n = int(window.split(":")[1]) - (1 if live else 0)
        if closed.empty:
            raise Abstain(f"no bars of {symbol}", [symbol])
        close_for(closed, cut.today, symbol)
        if len(closed) <= n:
            raise Abstain(f"{symbol} has too few sessions", [symbol])
        base, end = closed.iloc[-1 - n], closed.iloc[-1]
        if live:
            return Move(base.name, float(base.close))
        return Move(base.name, float(base.close), end.name, float(end.close))
    after, through = span(window, cut.day, ending)
    base = close_for(closed, after, symbol)
    if live and through >= cut.today:
        return Move(base.name, float(base.close))
    end = close_for(closed, through, symbol)
    return Move(base.name, float(base.close), end.name, float(end.close))


def live_bar(bars: pd.DataFrame, cut: Cut, symbol: str) -> tuple[float, float, float]:
    """``(low, high, close)`` of the session in progress (a close-only feed's range is its
    close)."""
    bar = cut.live(bars)
    if bar is None:
        raise Abstain(f"no bar of {symbol} for the session in progress", [symbol])
    close = float(bar.close)
    low = close if pd.isna(bar.low) else float(bar.low)
    high = close if pd.isna(bar.high) else float(bar.high)
    return low, high, close


def session_range(symbol: str, rng: tuple[float, float, float]) -> dict[str, Any]:
    return {symbol: {"low": rng[0], "high": rng[1], "close": rng[2]}}


def component(lo: float, hi: float, rule: Accepts) -> dict[str, Any]:
    return {"low": lo, "high": hi, "accepts": [rule.lo, rule.hi]}


# -- as published: returns ----------------------------------------------------------------------


def period_return(
    data: Path,
    cut: Cut,
    symbol: str,
    window: str,
    rule: Accepts,
    feed: str | None,
    live: bool = False,
    ending: dt.date | None = None,
) -> Expect:
    bars = bars_of(data, symbol, feed)
    closed = cut.closed(bars)
    speaks_live = live and cut.in_progress
    m = move(closed, cut, symbol, window, speaks_live, ending)
    measured: dict[str, Any] = {"base_session": iso(m.base_session), "base_close": m.base_close}
    if m.end_close is None:
        low, high, close = live_bar(bars, cut, symbol)
        at = m.at(close)
        measured |= {
            "at_close": at,
            "components": {f"{symbol} return": component(m.at(low), m.at(high), rule)},
            "session_range": session_range(symbol, (low, high, close)),
        }
        return Expect(live_verdict(rule, at, [(rule, m.at(low), m.at(high))]), measured, rule)
    measured |= {"end_session": iso(m.end_session), "end_close": m.end_close, "return": m.value}
    return Expect(judged(m.value in rule), measured, rule)


@oracle("A04")
def a04(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """Up more than 12% this year, during the session: at the close and over its range."""
    return period_return(data, cut, "^RUT", "ytd", accepts("more_than", "12%"), feed, live=True)


@oracle("A08")
def a08(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """On a tear: at least +10% over the last 63 sessions to the last close."""
    return period_return(data, cut, "^RUT", "sessions:63", accepts("on_a_tear"), feed)


@oracle("B03")
def b03(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    """Treading water for six months before July: within 5% over Dec 2023 - Jun 2024."""
    rule = accepts("treading_water")
    return period_return(data, cut, "^RUT", "months:6", rule, feed, ending=dt.date(2024, 6, 30))


@oracle("B04")
def b04(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return period_return(data, cut, "^RUT", "month:2024-07", accepts("more_than", "9%"), feed)


@oracle("B05")
def b05(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return period_return(data, cut, "^GSPC", "month:2024-07", accepts("flat"), feed)


@oracle("B07", feeds=False)
def b07(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    """The Russell 2000 Value up 10% this year, on its proxy IWN."""
    return period_return(data, cut, "IWN", "ytd", accepts("rounds_to", "10%"), feed)


@oracle("B08")
def b08(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return period_return(data, cut, "^RUT", "ytd", accepts("rounds_to", "11%"), feed)


@oracle("B14", feeds=False)
def b14(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return period_return(data, cut, "SUM", "ytd", accepts("rounds_to", "2%"), feed)


@oracle("B16")
def b16(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return period_return(data, cut, "COHU", "ytd", accepts("roughly", "-10%"), feed)


@oracle("C09")
def c09(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """Ahead 0.8% in late trading: the session's move from Tuesday's close."""
    return period_return(
        data, cut, "^RUT", "session", accepts("rounds_to", "0.8%"), feed, live=True
    )


def relative(
    data: Path, cut: Cut, a: str, b: str, window: str, rule: Accepts, feed: str | None
) -> Expect:
    measured: dict[str, Any] = {}
    moves = {}
    for sym, f in ((a, feed), (b, None)):
        moves[sym] = move(cut.closed(bars_of(data, sym, f)), cut, sym, window, False)
    for sym, mv in moves.items():
        measured |= {
            f"{sym} base_session": iso(mv.base_session),
            f"{sym} base_close": mv.base_close,
        }
    for sym, mv in moves.items():
        measured |= {f"{sym} end_session": iso(mv.end_session), f"{sym} end_close": mv.end_close}
    value = moves[a].value - moves[b].value
    measured |= {
        f"{a} return": moves[a].value,
        f"{b} return": moves[b].value,
        "relative return": value,
    }
    return Expect(judged(value in rule), measured, rule)


@oracle("A07")
def a07(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """Years of underperformance: behind the S&P 500 over the past five years."""
    return relative(data, cut, "^RUT", "^GSPC", "years:5", accepts("below", value=0), feed)


@oracle("B01")
def b01(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return relative(data, cut, "^RUT", "^GSPC", "half:2024-1", accepts("below", value=0), feed)


@oracle("B10")
def b10(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return relative(data, cut, "^RUT", "^GSPC", "years:10", accepts("below", value=0), feed)


@oracle("D07")
def d07(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    """Notably outpaced: more than one percentage point ahead over the last 5 sessions."""
    return relative(
        data, cut, "^RUT", "^GSPC", "sessions:5", accepts("more_than", value=0.01), feed
    )


@oracle("C10")
def c10(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """ "Ahead 0.8%, twice the S&P 500's gain": the ratio at the close, and each stated move
    (the Russell's 0.8%, the S&P's implied by the ratio) against its own session range."""
    a, b = "^RUT", "^GSPC"
    ratio_rule, stated = accepts("twice"), accepts("rounds_to", "0.8%")
    implied = [x / y for x in (stated.lo, stated.hi) for y in (ratio_rule.lo, ratio_rule.hi)]
    implied_rule = Accepts(min(implied), max(implied))
    measured: dict[str, Any] = {}
    moves, ranges = {}, {}
    for sym, f in ((a, feed), (b, None)):
        bars = bars_of(data, sym, f)
        moves[sym] = move(cut.closed(bars), cut, sym, "session", True)
        measured |= {
            f"{sym} base_session": iso(moves[sym].base_session),
            f"{sym} base_close": moves[sym].base_close,
        }
    for sym, f in ((a, feed), (b, None)):
        ranges[sym] = live_bar(bars_of(data, sym, f), cut, sym)
    ra, rb = moves[a], moves[b]
    at = ra.at(ranges[a][2]) / rb.at(ranges[b][2])
    a_lo, a_hi = ra.at(ranges[a][0]), ra.at(ranges[a][1])
    b_lo, b_hi = rb.at(ranges[b][0]), rb.at(ranges[b][1])
    measured |= {
        "at_close": at,
        "components": {
            f"{a} return (stated": component(a_lo, a_hi, stated),
            f"{b} return (implied": component(b_lo, b_hi, implied_rule),
        },
        "session_range": session_range(a, ranges[a]) | session_range(b, ranges[b]),
    }
    comps = [(stated, a_lo, a_hi), (implied_rule, b_lo, b_hi)]
    return Expect(live_verdict(ratio_rule, at, comps), measured, ratio_rule)


# -- as published: records and levels -----------------------------------------------------------


def record_count(
    data: Path, cut: Cut, symbol: str, rule: Accepts, feed: str | None, live: bool
) -> Expect:
    bars = bars_of(data, symbol, feed)
    closed = cut.closed(bars)
    up_to_date(closed, cut, symbol)
    preferred = cut.closed(bars_of(data, symbol))
    year_began, _ = o.first_at_max(preferred.close[: pd.Timestamp(cut.day.year - 1, 12, 31)])
    covers(closed, year_began, feed)
    records = o.record_closes(closed.close)
    this_year = closed.index[records & (closed.index.year == cut.day.year)]
    n, prior = len(this_year), float(closed.close.max())
    measured: dict[str, Any] = {
        "records_this_year_before": n,
        "prior_record_close": prior,
        "record_sessions": [iso(d) for d in this_year],
    }
    if live and cut.in_progress:
        low, high, close = live_bar(bars, cut, symbol)

        def number(p: float) -> int:
            # "on pace for its third record": the session's close would be record number n + 1
            # if it beat the prior record, and no record at all (0) if it did not
            return n + 1 if p > prior else 0

        measured |= {
            "at_close": number(close),
            "components": {
                "number of the session's record": component(number(low), number(high), rule)
            },
            "session_range": session_range(symbol, (low, high, close)),
        }
        if number(close) in rule:
            verdict = "supported"
        elif number(low) in rule or number(high) in rule:
            verdict = "consistent_intraday"  # a count takes only those two values
        else:
            verdict = "refuted"
        return Expect(verdict, measured, rule)
    measured["records_this_year"] = n
    return Expect(judged(n in rule), measured, rule)


@oracle("A01")
def a01(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """On pace for the third record close of the year: two before the session, and the
    session's close above the prior record (else the session is no record at all)."""
    return record_count(data, cut, "^RUT", accepts("exactly", value=3), feed, live=True)


@oracle("C02")
def c02(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return record_count(data, cut, "^RUT", accepts("exactly", value=5), feed, live=True)


@oracle("B02")
def b02(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return record_count(data, cut, "^GSPC", accepts("at_least", value=1), feed, live=False)


@oracle("D02")
def d02(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return record_count(data, cut, "^RUT", accepts("at_least", value=2), feed, live=False)


def field_values(closed: pd.DataFrame, column: str, symbol: str) -> pd.Series:
    values = closed[column].dropna()
    if values.empty:
        raise Abstain(f"no {column} values for {symbol}", [f"{symbol} {column}"])
    return values


@oracle("A02")
def a02(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """Topped 2,500 for the first time ever: never a high above it before, and the session's
    high above it."""
    sym, mark = "^RUT", 2500.0
    bars = bars_of(data, sym, feed)
    closed = cut.closed(bars)
    highs = field_values(closed, "high", sym)
    up_to_date(closed, cut, sym)
    covers(closed, cut.closed(bars_of(data, sym)).index[0], feed)
    when, prior = o.first_at_max(highs)
    measured: dict[str, Any] = {
        "highest_prior_high": prior,
        "level": mark,
        "prior_max_session": iso(when),
    }
    rule = accepts("first_time", "2,500")
    if prior > mark:
        first = highs.index[highs > mark][0]
        return Expect("refuted", measured | {"first_time": iso(first)}, rule)
    if not cut.in_progress:
        raise Abstain("no session in progress", [sym])
    low, high, close = live_bar(bars, cut, sym)
    measured |= {
        "at_high": high,
        "components": {f"{sym} high": component(low, high, rule)},
        "session_range": session_range(sym, (low, high, close)),
    }
    return Expect(live_verdict(rule, high, [(rule, low, high)], judged_on="high"), measured, rule)


def all_time_high(
    data: Path, cut: Cut, symbol: str, column: str, within: int, feed: str | None
) -> Expect:
    bars = bars_of(data, symbol, feed)
    closed = cut.closed(bars)
    values = field_values(closed, column, symbol)
    up_to_date(closed, cut, symbol)
    preferred = field_values(cut.closed(bars_of(data, symbol)), column, symbol)
    covers(closed, o.first_at_max(preferred)[0], feed)
    when, prior = o.first_at_max(values)
    if cut.in_progress and within == 0:
        low, high, close = live_bar(bars, cut, symbol)
        rule = accepts("record", value=prior)
        at = high if column == "high" else close
        measured: dict[str, Any] = {
            f"prior_record_{column}": prior,
            "prior_record_session": iso(when),
            f"at_{'high' if column == 'high' else 'close'}": at,
            "components": {f"{symbol} {column}": component(low, high, rule)},
            "session_range": session_range(symbol, (low, high, close)),
        }
        judged_on = "high" if column == "high" else "close"
        return Expect(live_verdict(rule, at, [(rule, low, high)], judged_on), measured, rule)
    window = max(within, 1)
    start = values.index[-window] if len(values) >= window else values.index[0]
    records = values.index[o.record_closes(values)]
    found = [iso(d) for d in records if d >= start]
    measured = {
        "record_sessions_in_window": found,
        "last_record_session": iso(when),
        "window_sessions": window,
    }
    return Expect(judged(bool(found)), measured)


@oracle("A03")
def a03(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """An all-time high: the session's high above every earlier high."""
    return all_time_high(data, cut, "^RUT", "high", 0, feed)


@oracle("C01")
def c01(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return all_time_high(data, cut, "^RUT", "high", 0, feed)


@oracle("D01")
def d01(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    """Recently reached an all-time high: a record close within the last 5 sessions."""
    return all_time_high(data, cut, "^RUT", "close", 5, feed)


def record_broken(data: Path, cut: Cut, month: str, when: str, feed: str | None) -> Expect:
    """The record close of ``month`` and the first close above it (``when``: ``previous``
    month, or ``before`` publication)."""
    sym = "^RUT"
    closed = cut.closed(bars_of(data, sym, feed))
    first = pd.Timestamp(f"{month}-01")
    in_month = closed.close[first : first + pd.offsets.MonthEnd(0)]
    if in_month.empty:
        raise Abstain(f"no bars of {sym} in {month}", [sym])
    up_to_date(closed, cut, sym)
    covers(closed, first, feed)
    record_day, record = o.first_at_max(in_month)
    earlier = closed.close[: first - DAY]
    measured: dict[str, Any] = {
        "prior_record_close": record,
        "prior_record_session": iso(record_day),
        "was_all_time_record": earlier.empty or record > float(earlier.max()),
    }
    after = closed.close[closed.index > record_day]
    above = after[after > record]
    if above.empty:
        return Expect("refuted", measured)
    day = above.index[0]
    measured |= {"first_close_above": iso(day), "first_close": float(above.iloc[0])}
    if when == "previous":
        target = (cut.today.replace(day=1) - DAY).strftime("%Y-%m")
        ok = day.strftime("%Y-%m") == target
    else:
        ok = day < cut.today
    return Expect(judged(ok), measured, dates={"first_close_above": iso(day)})


@oracle("A05")
def a05(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    return record_broken(data, cut, "2021-11", "previous", feed)


@oracle("C05")
def c05(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return record_broken(data, cut, "2021-11", "previous", feed)


@oracle("D04")
def d04(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return record_broken(data, cut, "2021-11", "before", feed)


def ma_cross(data: Path, cut: Cut, feed: str | None) -> Expect:
    """The close's current run above its 200-session average began in September 2025."""
    sym = "^RUT"
    closed = cut.closed(bars_of(data, sym, feed))
    up_to_date(closed, cut, sym)
    crossings = o.moving_average_crossings(closed.close, 200)
    last_day, direction = crossings[-1]
    if direction != "up":
        return Expect("refuted", {"last_crossing": iso(last_day)})
    ups = [iso(d) for d, w in crossings if w == "up" and d.year == cut.day.year]
    measured = {"run_began": iso(last_day), "up_crossings_this_year": ups}
    return Expect(
        judged(last_day.strftime("%Y-%m") == "2025-09"), measured, dates={"crossing": iso(last_day)}
    )


@oracle("C04")
def c04(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return ma_cross(data, cut, feed)


@oracle("D03")
def d03(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return ma_cross(data, cut, feed)


@oracle("C08")
def c08(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """About 2,460 was the November 2021 high: the month's highest intraday high, and the
    first session that traded above it."""
    sym = "^RUT"
    closed = cut.closed(bars_of(data, sym, feed))
    first = pd.Timestamp("2021-11-01")
    last = first + pd.offsets.MonthEnd(0)
    highs = closed.high[first:last].dropna()
    if highs.empty:
        raise Abstain(f"no bars of {sym} in 2021-11", [sym])
    when, top = o.first_at_max(highs)
    later = closed.high[closed.index > last]
    beyond = later[later > top]
    rule = accepts("about", "2,460")
    measured = {
        "2021-11_max_high": top,
        "session": iso(when),
        "2021-11_max_close": float(closed.close[first:last].max()),
        "first_exceeded": iso(beyond.index[0]) if not beyond.empty else None,
        "first_exceeded_at": float(beyond.iloc[0]) if not beyond.empty else None,
    }
    return Expect(judged(top in rule), measured, rule, dates={"level_from": iso(when)})


def implied_upside(
    data: Path, cut: Cut, reference: pd.Timestamp, rule: Accepts, feed: str | None
) -> Expect:
    """The 2,665 target against the last close on or before ``reference``."""
    sym, target = "^RUT", 2665.0
    closed = cut.closed(bars_of(data, sym, feed))
    row = close_for(closed, reference, sym)
    upside = target / float(row.close) - 1
    measured = {
        "target": target,
        "reference_session": iso(row.name),
        "reference_close": float(row.close),
        "implied_upside": upside,
    }
    return Expect(judged(upside in rule), measured, rule)


@oracle("C15")
def c15(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """ "Implies roughly 7% upside from Tuesday's close": the session before Wednesday's."""
    return implied_upside(data, cut, cut.today - DAY, accepts("roughly", "7%"), feed)


@oracle("D09")
def d09(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    """ "Price targets ... indicating substantial upside": D names no reference day, and is read
    after Wednesday's close, so the upside runs from the last close at publication (the spec's
    own reading: "at least 5% from the last close to the 2,665 target")."""
    return implied_upside(data, cut, cut.today, accepts("at_least", value=0.05), feed)


def target_below_level(data: Path, cut: Cut, live: bool, feed: str | None) -> Expect:
    """Jefferies' 6,600 target below where the S&P 500 trades: the level above the target."""
    sym, target = "^GSPC", 6600.0
    rule = accepts("above", "6,600")
    bars = bars_of(data, sym, feed)
    measured: dict[str, Any] = {"target": target}
    if live and cut.live(bars) is not None:
        low, high, close = live_bar(bars, cut, sym)
        measured |= {
            "at_close": close,
            "components": {f"{sym} level": component(low, high, rule)},
            "session_range": session_range(sym, (low, high, close)),
        }
        return Expect(live_verdict(rule, close, [(rule, low, high)]), measured, rule)
    row = close_for(cut.closed(bars), cut.today, sym)
    measured |= {"level": float(row.close), "level_session": iso(row.name)}
    return Expect(judged(float(row.close) in rule), measured, rule)


@oracle("C17")
def c17(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return target_below_level(data, cut, True, feed)


@oracle("D10")
def d10(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return target_below_level(data, cut, False, feed)


def sector_leaders(
    data: Path,
    cut: Cut,
    window: str,
    groups: dict[str, list[str]],
    missing_groups: list[str],
    feed: str | None,
) -> Expect:
    """Each named group's median total return over the window beats the Russell 2000's; a
    group without data decides only where it could change the verdict."""
    bench = "^RUT"
    bench_move = move(cut.closed(bars_of(data, bench, feed)), cut, bench, window, False)
    after, through = span(window, cut.day)
    returns: dict[str, float] = {}
    for members in groups.values():
        for sym in members:
            closes = cut.closed(o.adjusted(data, sym))
            base, end = o.last_on_or_before(closes, after), o.last_on_or_before(closes, through)
            if base is None or end is None:
                continue
            # a member whose prices stop (or start) more than a week off the window has none
            fresh = (after - base.name).days <= o.SLACK_DAYS
            if fresh and (through - end.name).days <= o.SLACK_DAYS:
                returns[sym] = float(end.close) / float(base.close) - 1
    medians = {
        g: float(pd.Series([returns[s] for s in ms if s in returns]).median())
        for g, ms in groups.items()
        if any(s in returns for s in ms)
    }
    named = [*groups, *(g for g in missing_groups if g not in groups)]
    absent = [g for g in named if g not in medians]
    leading = [g for g, v in medians.items() if v > bench_move.value]
    # each: a group with data that does not lead refutes; all leading with a group missing
    # could still fail there: not enough data
    verdict = "refuted" if len(leading) < len(medians) else (NED if absent else "supported")
    measured = {
        "benchmark_return": bench_move.value,
        "group_median_returns": medians,
        "stock_returns": returns,
        "groups_without_data": absent,
        "groups_leading": leading,
        "base_session": iso(bench_move.base_session),
        "base_close": bench_move.base_close,
        "end_session": iso(bench_move.end_session),
        "end_close": bench_move.end_close,
    }
    return Expect(verdict, measured)


@oracle("A06")
def a06(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    groups = {
        "rare-earth miners": ["MP"],
        "small nuclear": ["OKLO", "SMR"],
        "crypto-linked": ["MARA", "RIOT"],
    }
    return sector_leaders(data, cut, "months:1", groups, [], feed)


@oracle("C14")
def c14(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    groups = {
        "crypto-linked": ["MARA", "RIOT"],
        "small nuclear": ["OKLO", "SMR"],
        "quantum computing": ["IONQ", "RGTI", "QBTS"],
    }
    return sector_leaders(data, cut, "ytd", groups, ["clean energy"], feed)


# -- as published: macro, factors, relative strength --------------------------------------------


def changes_as_printed(changes: Iterable[tuple[pd.Timestamp, float]]) -> list[tuple[str, int]]:
    return [(iso(d), round(bp)) for d, bp in changes]


def easing_cycle(data: Path, cut: Cut) -> Expect:
    """An easing cycle under way: every target-range change in the 12 months before
    publication is a cut, and there is at least one (FRED dates a change the day after the
    FOMC announces it, before that day starts: known on its date)."""
    known = o.fed_target_upper(data)[: cut.today]
    since = cut.today - pd.DateOffset(months=12)
    recent = [(d, bp) for d, bp in o.rate_changes(known) if since <= d <= cut.today]
    measured = {"changes_in_window": changes_as_printed(recent)}
    return Expect(judged(bool(recent) and all(bp < 0 for _, bp in recent)), measured)


@oracle("C11", feeds=False)
def c11(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return easing_cycle(data, cut)


@oracle("D11", feeds=False)
def d11(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return easing_cycle(data, cut)


@oracle("B09", feeds=False)
def b09(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    """Two percentage points a year since 1927: SMB's annual values 1927-2023 (the annual block
    of the 2024-12 vintage; a year is published by March 1 of the next), geometric mean judged,
    arithmetic reported."""
    smb = o.french_annual(data / "factors/F-F_Research_Data_Factors_vintage202412.CSV", "SMB")
    assert dt.date(2024, 3, 1) <= cut.day  # 2023's value was public at the cut
    values = [smb[y] for y in range(1927, 2024)]
    arithmetic = sum(values) / len(values)
    geometric = (math.prod(1 + v / 100 for v in values) ** (1 / len(values)) - 1) * 100
    rule = accepts("rounds_to", "2")
    measured = {
        "arithmetic_mean_pct": arithmetic,
        "geometric_mean_pct": geometric,
        "positive_share": sum(v > 0 for v in values) / len(values),
        "years": len(values),
    }
    return Expect(judged(geometric in rule), measured, rule)


@oracle("B18", feeds=False)
def b18(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    """A steepening curve: T10Y2Y higher than three months before (Treasury publishes a day's
    value at 18:00 New York, so Friday's is not yet known at 16:30)."""
    spread = o.fred(data / "macro/T10Y2Y.csv")
    evening = cut.at >= dt.time(18, 0)
    known = spread[(spread.index < cut.today) | ((spread.index == cut.today) & evening)]
    after, through = span("months:3", cut.day)
    start, end = (
        o.on_or_before(known.to_frame("v"), after),
        o.on_or_before(known.to_frame("v"), through),
    )
    change = float(end.v) - float(start.v)
    rule = accepts("above", value=0)
    measured = {
        "start": float(start.v),
        "start_period": iso(start.name),
        "end": float(end.v),
        "end_period": iso(end.name),
        "change": change,
    }
    return Expect(judged(change in rule), measured, rule)


def _reading(ratio: pd.Series) -> dict[str, Any]:
    stretches = o.stretches_below_peak(ratio)
    top, now = o.longest(stretches), stretches[-1]
    return {
        "from": iso(ratio.index[0]),
        "to": iso(ratio.index[-1]),
        "longest_months": top.below,
        "longest_from": iso(top.start),
        "longest_recovered": top.recovered,
        "current_months": now.below,
        "current_from": iso(now.start),
    }


def _growth(returns: dict[str, float]) -> pd.Series:
    months = sorted(returns)
    index = [pd.Timestamp(f"{p}-01") + pd.offsets.MonthEnd(0) for p in months]
    return pd.Series([1 + returns[p] / 100 for p in months], index=index).cumprod()


@oracle("B11")
def b11(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    """The longest period of small-cap underperformance ever: the stretch below the prior peak
    of small/large relative strength under way at publication, on the longest history (the
    French small and big value-weight portfolios, months published by the cut), with the
    Russell 2000 / S&P 500 month-end and daily readings beside it."""
    a, b = "^RUT", "^GSPC"
    rut, gspc = cut.closed(bars_of(data, a, feed)), cut.closed(bars_of(data, b))
    up_to_date(rut, cut, a)
    up_to_date(gspc, cut, b)
    covers(rut, cut.closed(bars_of(data, a)).index[0], feed)
    small, big = (
        {
            p: v
            for p, v in o.size_portfolio_monthly(data, col).items()
            if o.french_month_known(p, cut)
        }
        for col in ("Lo 30", "Hi 30")
    )
    french = _growth(small) / _growth(big)
    month_end = rut.close.groupby(rut.index.to_period("M")).tail(1)
    month_end_b = gspc.close.groupby(gspc.index.to_period("M")).tail(1)
    common = month_end.index.intersection(month_end_b.index)
    monthly = month_end[common] / month_end_b[common]
    days = rut.index.intersection(gspc.index)
    daily = rut.close[days] / gspc.close[days]
    readings = {"monthly returns": _reading(french), "month-end closes": _reading(monthly)}
    judged_on = readings["monthly returns"]
    daily_reading = _reading(daily)
    measured = {
        "current_stretch_months": judged_on["current_months"],
        "current_peak": judged_on["current_from"],
        "longest_stretch_months": judged_on["longest_months"],
        "longest_peak": judged_on["longest_from"],
        "data_from": judged_on["from"],
        "readings": readings,
        "daily_closes": {
            "longest_sessions": daily_reading["longest_months"],
            "longest_from": daily_reading["longest_from"],
            "current_sessions": daily_reading["current_months"],
            "from": daily_reading["from"],
        },
    }
    verdict = judged(judged_on["current_months"] >= judged_on["longest_months"])
    return Expect(verdict, measured)


# -- forecasts and calls, scored on the tape as known now ---------------------------------------


def reference(bars: pd.DataFrame, cut: Cut, symbol: str) -> tuple[pd.Timestamp, float]:
    level = cut.level(bars)
    if level is None:
        raise missing_close(symbol, cut.today, cut.closed(bars))
    return level


def pending(bars: pd.DataFrame, horizon: pd.Timestamp) -> bool:
    return bars.index[-1] < horizon


def interim(bars: pd.DataFrame) -> dict[str, Any]:
    return {"data_end": iso(bars.index[-1]), "last_close": float(bars.close.iloc[-1])}


@oracle("A10")
def a10(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """Further upside through year end: at least 1% above the publication close on the last
    close of 2025 (a smaller move either way is no move); the path's best and worst closes."""
    sym, horizon = "^RUT", pd.Timestamp("2025-12-31")
    bars = bars_of(data, sym, feed)
    start, start_close = reference(bars, cut, sym)
    path = bars.close[(bars.index > start) & (bars.index <= horizon)]
    measured: dict[str, Any] = {"start_session": iso(start), "start_close": start_close}
    if not path.empty:
        worst = path.index[path == path.min()][0]
        best, top = o.first_at_max(path)
        measured |= {
            "worst_close": float(path.min()),
            "worst_session": iso(worst),
            "best_close": top,
            "best_session": iso(best),
        }
    if pending(bars, horizon):
        return Expect("pending", measured | interim(bars))
    end = o.on_or_before(bars, horizon)
    change = float(end.close) / start_close - 1
    measured |= {
        "horizon_session": iso(end.name),
        "horizon_close": float(end.close),
        "return": change,
    }
    return Expect(judged(change >= 0.01), measured)


@oracle("A09", feeds=False)
def a09(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """Cuts at both remaining meetings: a cut dated in October and in December 2025."""
    series = o.fed_target_upper(data)
    cuts = [(d, bp) for d, bp in o.rate_changes(series) if d > cut.today and bp < 0]
    months = {mo: any(d.strftime("%Y-%m") == mo for d, _ in cuts) for mo in ("2025-10", "2025-12")}
    data_end = series.index[-1]
    if all(months.values()):
        verdict = "supported"
    elif data_end.strftime("%Y-%m") <= "2025-12":
        verdict = "pending"
    else:
        verdict = "refuted"
    measured = {
        "cuts_after_publication": changes_as_printed(cuts),
        "months": months,
        "data_end": iso(data_end),
    }
    return Expect(verdict, measured)


PINNED_SESSIONS, PINNED_BAND = 20, 0.02


@oracle("A11", feeds=False)
def a11(data: Path, feed: str | None = None, cut: Cut = A) -> Expect:
    """Citi's adds (PAG, FLS) against its removals (GAP, GTLS): mean total returns over 12
    months from the publication close; GTLS held within 2% for 20 sessions (a deal's pin)."""
    adds, removes = ["PAG", "FLS"], ["GAP", "GTLS"]
    horizon = cut.today + pd.DateOffset(months=12)
    returns, through, pinned = {}, {}, {}
    for sym in adds + removes:
        closes = o.adjusted(data, sym)
        start, start_close = reference(closes, cut, sym)
        end = o.on_or_before(closes, horizon)
        returns[sym] = float(end.close) / start_close - 1
        through[sym] = iso(end.name)
        quoted = bars_of(data, sym).close
        held = quoted[(quoted.index >= start) & (quoted.index <= horizon)]
        hi = held.rolling(PINNED_SESSIONS).max()
        lo = held.rolling(PINNED_SESSIONS).min()
        pin = held.index[(hi / lo - 1) <= PINNED_BAND]
        if len(pin):
            pinned[sym] = {"from": iso(pin[0]), "low": float(lo[pin[0]]), "high": float(hi[pin[0]])}
    adds_mean = sum(returns[s] for s in adds) / len(adds)
    removes_mean = sum(returns[s] for s in removes) / len(removes)
    contributions = {s: returns[s] / len(adds) for s in adds} | {
        s: -returns[s] / len(removes) for s in removes
    }
    last = min(pd.Timestamp(d) for d in through.values())
    spread = adds_mean - removes_mean
    verdict = "pending" if last < horizon - pd.Timedelta(days=7) else judged(spread > 0)
    measured = {
        "returns": returns,
        "contributions": contributions,
        "through": through,
        "adds_mean": adds_mean,
        "removes_mean": removes_mean,
        "spread": spread,
        "pinned_by_a_deal": pinned,
        "horizon": iso(horizon),
    }
    return Expect(verdict, measured)


def outperform(
    data: Path, cut: Cut, a: str, b: str, horizon: pd.Timestamp, feed: str | None
) -> Expect:
    """A's return beats B's from the publication close to the horizon (pending while the data
    end before it; a series that stops while the other goes on cannot be scored)."""
    bars = {a: bars_of(data, a, feed), b: bars_of(data, b)}
    starts = {s: reference(bars[s], cut, s) for s in (a, b)}
    last = {s: bars[s].index[-1] for s in (a, b)}
    upto = min(horizon, *last.values())
    rets = {}
    for s in (a, b):
        end = o.on_or_before(bars[s], upto)
        rets[s] = float(end.close) / starts[s][1] - 1
    measured = {
        f"{a}_return": rets[a],
        f"{b}_return": rets[b],
        "relative": rets[a] - rets[b],
        "start_session": iso(starts[a][0]),
        "through": iso(upto),
    }
    if min(last.values()) < horizon:
        data_end = max(last.values())
        gone = [s for s in (a, b) if (data_end - last[s]).days > 7]
        if gone:
            raise Abstain(f"{', '.join(gone)} data stop before {iso(horizon)}", gone)
        return Expect("pending", measured)
    return Expect(judged(rets[a] > rets[b]), measured)


@oracle("B12")
def b12(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return outperform(data, cut, "^RUT", "^GSPC", cut.today + pd.DateOffset(months=12), feed)


@oracle("B13")
def b13(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return outperform(data, cut, "^RUT", "^GSPC", cut.today + pd.DateOffset(months=36), feed)


@oracle("B15", feeds=False)
def b15(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return outperform(data, cut, "SUM", "^RUT", cut.today + pd.DateOffset(months=12), feed)


@oracle("B17")
def b17(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    return outperform(data, cut, "COHU", "^RUT", cut.today + pd.DateOffset(months=12), feed)


@oracle("C19")
def c19(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return outperform(data, cut, "^RUT", "^GSPC", pd.Timestamp("2025-12-31"), feed)


@oracle("D08")
def d08(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return outperform(data, cut, "^RUT", "^GSPC", pd.Timestamp("2025-12-31"), feed)


def level_origin(bars: pd.DataFrame, cut: Cut, printed: Accepts) -> dict[str, Any]:
    """The last session before publication whose intraday high (or close) prints as the level
    the article cites."""
    found: dict[str, Any] = {}
    upto = bars[bars.index <= cut.today - DAY]
    for column in ("high", "close"):
        values = upto[column].dropna()
        at = values[[v in printed for v in values]]
        if not at.empty:
            found[f"last_{column}_at_level"] = {
                "session": iso(at.index[-1]),
                column: float(at.iloc[-1]),
            }
    return found


def weekly_breakout(
    data: Path, cut: Cut, level: float, printed: Accepts | None, feed: str | None
) -> Expect:
    """Two consecutive weekly closes (last XNYS session of each week) above the level after
    publication, by year end: when it was confirmed, whether a weekly close fell back to or
    below the level afterwards, and where the index stood at the horizon."""
    sym, weeks, horizon = "^RUT", 2, pd.Timestamp("2025-12-31")
    bars = bars_of(data, sym, feed)
    start, _ = reference(bars, cut, sym)
    weekly = o.weekly_closes(bars)
    weekly = weekly[weekly.index > start]
    window = weekly[weekly.index <= horizon]
    measured: dict[str, Any] = {
        "level": level,
        "weekly_closes_above": int((window > level).sum()),
        "weekly_closes": len(window),
        # a printed level is looked up in the price history; a named one is its own origin
        "level_origin": level_origin(bars, cut, printed) if printed is not None else {},
    }
    run, run_start, confirmed = 0, None, None
    for day, close in weekly.items():
        run = run + 1 if close > level else 0
        if run == 1:
            run_start = day
        if run == weeks:
            confirmed = day
            break
    if confirmed is not None and confirmed <= horizon:
        later = window[window.index > confirmed]
        failed = later[later <= level]
        measured |= {
            "breakout_confirmed": iso(confirmed),
            "run_start": iso(run_start),
            "failed_on": iso(failed.index[0]) if not failed.empty else None,
            "failed_close": float(failed.iloc[0]) if not failed.empty else None,
        }
        if not pending(bars, horizon):
            end = o.on_or_before(bars, horizon)
            measured |= {"horizon_session": iso(end.name), "horizon_close": float(end.close)}
        return Expect("supported", measured, dates={"breakout": iso(confirmed)})
    if pending(bars, horizon):
        return Expect("pending", measured | interim(bars))
    return Expect("refuted", measured)


@oracle("C03")
def c03(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """Poised to break out above resistance around 2,466 (the call's own test)."""
    return weekly_breakout(data, cut, 2466.0, accepts("rounds_to", "2,466"), feed)


@oracle("C07")
def c07(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return weekly_breakout(data, cut, 2460.0, accepts("rounds_to", "2,460"), feed)


@oracle("D06")
def d06(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    """Key resistance read as the prior record close: the highest close of November 2021 as
    known at publication, on the feed read."""
    closed = cut.closed(bars_of(data, "^RUT", feed))
    november = closed.close[pd.Timestamp("2021-11-01") : pd.Timestamp("2021-11-30")]
    if november.empty:
        raise Abstain("no closes of ^RUT in November 2021", ["^RUT"])
    return weekly_breakout(data, cut, float(november.max()), None, feed)


def fall_within(data: Path, cut: Cut, weeks: int, rule: Accepts, feed: str | None) -> Expect:
    """The S&P 500's lowest close within ``weeks`` weeks against its level at the call, and the
    deepest peak-to-trough fall of those weeks beside it."""
    sym = "^GSPC"
    bars = bars_of(data, sym, feed)
    start, start_close = reference(bars, cut, sym)
    horizon = cut.today + pd.Timedelta(weeks=weeks)
    path = bars.close[(bars.index > start) & (bars.index <= horizon)]
    if path.empty:
        return Expect("pending", interim(bars))
    trough = path.index[path == path.min()][0]
    fall = float(path.min()) / start_close - 1
    seg = bars.close[(bars.index >= start) & (bars.index <= horizon)]
    running = seg.cummax()
    drawdown = seg / running - 1
    deepest = drawdown.index[drawdown == drawdown.min()][0]
    peak_close = float(running[deepest])
    peak = seg[:deepest][seg[:deepest] == peak_close].index[-1]
    measured = {
        "reference_session": iso(start),
        "reference_close": start_close,
        "trough_session": iso(trough),
        "trough_close": float(path.min()),
        "fall_from_call": fall,
        "peak_to_trough": float(drawdown.min()),
        "peak_session": iso(peak),
        "peak_close": peak_close,
        "peak_trough_session": iso(deepest),
        "window_end": iso(horizon),
    }
    if fall in rule:
        verdict = "supported"
    elif pending(bars, horizon):
        verdict = "pending"
    else:
        verdict = "refuted"
    return Expect(verdict, measured, rule, dates={"trough": iso(trough)})


@oracle("C06")
def c06(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    return fall_within(data, cut, 6, accepts("pullback"), feed)


@oracle("D05")
def d05(data: Path, feed: str | None = None, cut: Cut = D) -> Expect:
    return fall_within(data, cut, 8, accepts("correction"), feed)


@oracle("C16")
def c16(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """DeSanctis's 2,665 by year end: touched in a session's range, met at the year's last
    close."""
    sym, target, horizon = "^RUT", 2665.0, pd.Timestamp("2025-12-31")
    bars = bars_of(data, sym, feed)
    start, start_close = reference(bars, cut, sym)
    after = bars[(bars.index > start) & (bars.index <= horizon)]
    reach = (
        after.high.fillna(after.close) >= target
        if start_close < target
        else after.low.fillna(after.close) <= target
    )
    touched = after.index[reach]
    closes_above = after.index[after.close > target]
    measured: dict[str, Any] = {
        "target": target,
        "start_session": iso(start),
        "start_close": start_close,
        "first_touch": iso(touched[0]) if len(touched) else None,
        "first_close_above": iso(closes_above[0]) if len(closes_above) else None,
        "level_origin": level_origin(bars, cut, accepts("rounds_to", "2,665")),
    }
    if pending(bars, horizon):
        return Expect("pending", measured | interim(bars))
    end = o.on_or_before(bars, horizon)
    close = float(end.close)
    measured |= {
        "horizon_session": iso(end.name),
        "horizon_close": close,
        "signed_error": close / target - 1,
    }
    return Expect(judged(close >= target), measured, dates={"horizon": iso(end.name)})


@oracle("C18")
def c18(data: Path, feed: str | None = None, cut: Cut = C) -> Expect:
    """Jefferies' S&P 500 near 6,600 at year end: about 6,600, a round level (within 100)."""
    sym, horizon = "^GSPC", pd.Timestamp("2025-12-31")
    bars = bars_of(data, sym, feed)
    reference(bars, cut, sym)
    rule = accepts("about", "6,600")
    if pending(bars, horizon):
        return Expect("pending", interim(bars), rule)
    end = o.on_or_before(bars, horizon)
    close = float(end.close)
    measured = {
        "horizon_session": iso(end.name),
        "horizon_close": close,
        "signed_error": close / 6600 - 1,
    }
    return Expect(judged(close in rule), measured, rule)


@oracle("B06", feeds=False)
def b06(data: Path, feed: str | None = None, cut: Cut = B) -> Expect:
    """The TW Smallcap Equity Fund (WWSIX): no file of it anywhere in the data."""
    if not any("WWSIX" in p.name.upper() for p in data.rglob("*.csv")):
        raise Abstain("no WWSIX data", ["WWSIX"])
    raise AssertionError("a WWSIX file appeared: this oracle needs writing")


# -- running the oracles ------------------------------------------------------------------------


@cache
def expected(cid: str, data: Path, feed: str | None = None, cut: Cut | None = None) -> Expect:
    """The oracle's expectation (computed once; read it, do not change it); a reading that
    cannot judge gives ``not_enough_data``."""
    kwargs = {"cut": cut} if cut is not None else {}
    try:
        return ORACLES[cid](data, feed, **kwargs)
    except Abstain as why:
        return Expect(NED, {"missing": why.missing})


# The anchor claims of each article (CLAIMS.md marks them "anchor").
ANCHORS = {
    "A": ("A01", "A02", "A05"),
    "B": ("B04", "B05", "B08"),
    "C": ("C01", "C02"),
    "D": ("D01", "D02"),
}


def candidates(data: Path, article: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """The sessions on which every anchor holds (supported, or consistent with the session's
    range) when read at the article's time of day."""
    at = CUTS[article].at
    return [
        day
        for day in o.sessions_between(start, end)
        if all(
            expected(cid, data, cut=o.Cut(day, at)).verdict in HOLDING for cid in ANCHORS[article]
        )
    ]


# The weekdays each article names without "last" ("as of Wednesday", "on Monday", "Tuesday's
# close"), read from the article texts: each lies in the publication's own week, so a
# publication day must come on or after that weekday within its week.
WEEKDAY_MENTIONS = {"A": (0,), "B": (2,), "C": (1,), "D": ()}


def in_the_week_of_its_mentions(article: str, day: dt.date) -> bool:
    """Whether ``day`` can be the publication day given the weekdays the article names."""
    return all(day.weekday() >= named for named in WEEKDAY_MENTIONS[article])
