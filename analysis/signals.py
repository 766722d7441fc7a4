"""Signals: lazy ibis expressions over the tape.

Every function takes a bars (or observations) table from :class:`analysis.tape.Tape` or
:class:`analysis.panel.Panel` and returns an ibis table expression; nothing runs until the
caller executes it on the tape's engine. Only portable ibis operations are used, so each signal
runs on DuckDB (the embedded default) and on Spark.

Tables
    Bars tables have at least ``symbol``, ``session`` and ``close``; observations tables have
    ``series``, ``period`` and ``value``. A table may hold several symbols (series), and several
    *views* of them stacked in a ``view`` column (feeds, or the tape at several cuts: see
    :mod:`analysis.panel`). Every window, aggregate and join is per symbol (series) and view.

Dates
    A date argument is a :class:`datetime.date`, or a column of the table given as a deferred
    expression (``ibis._.day``) when each view has its own date (a panel of several cuts).

Conventions (the words of the market, made exact):

- a *return over a period* runs from the last close on or before the period's start to the
  last close on or before its end: July 2024 is close(2024-07-31) / close(2024-06-28) - 1;
- a *record close* is a close strictly above every earlier close in the table;
- a *weekly close* is the close of the last XNYS session of the week, from the calendar, so a
  week still in progress has no weekly close yet;
- returns are fractions (0.12 is 12%); factor values stay in the publisher's percent.

Examples
--------
>>> from analysis.examples import example_bars
>>> bars = example_bars()
>>> ytd_return(bars, dt.date(2025, 1, 8)).to_polars()["period_return"].round(4).to_list()
[0.08]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias

import ibis
import ibis.expr.types as ir
import polars as pl
from dateutil.relativedelta import relativedelta
from ibis.common.deferred import Deferred

from analysis.ordinal import first_rows
from store.reference.calendar import weekly_calendar

__all__ = [
    "close_on_or_before",
    "consecutive_weekly_closes_above",
    "daily_moves",
    "factor_premia",
    "fall_from",
    "first_close_above",
    "first_high_above",
    "group_medians",
    "growth_from_returns",
    "implied_upside",
    "last_session_within",
    "longest_below_peak",
    "ma_crossings",
    "max_drawdown",
    "month_end_closes",
    "month_to_date_return",
    "moving_average",
    "observation_change",
    "observation_on_or_before",
    "peak",
    "period_return",
    "pinned",
    "pullback_after",
    "rate_changes",
    "record_closes",
    "record_highs",
    "records_per_year",
    "relative_return",
    "relative_strength",
    "return_ratio",
    "session_bar",
    "streak",
    "target_met",
    "target_touched",
    "trailing_return",
    "trough",
    "underperformance_under_way",
    "weekly_closes",
    "window_return",
    "ytd_return",
]

Day: TypeAlias = dt.date | Deferred | ir.DateValue
Field: TypeAlias = Literal["close", "high", "low"]
KEYS = ("symbol", "view")
SERIES_KEYS = ("series", "view")


# -- keys, dates and windows ----------------------------------------------------------------


def _keys(t: ir.Table, keys: Sequence[str] = KEYS) -> list[str]:
    """The partition columns this table has (``view`` only when views are stacked)."""
    return [k for k in keys if k in t.columns]


def _day(t: ir.Table, day: Day) -> ir.Value:
    """A date argument as a value of ``t``: a literal, or one of its columns."""
    if isinstance(day, Deferred):
        return day.resolve(t)
    if isinstance(day, dt.date):
        return ibis.literal(day, type="date")
    return day


def _by(t: ir.Table, keys: Sequence[str] = KEYS, order: str = "session", **kw: object) -> object:
    return ibis.window(group_by=[t[k] for k in _keys(t, keys)], order_by=t[order], **kw)


def _cumulative(t: ir.Table) -> object:
    # explicit frame: an ordered ibis window without one spans the whole partition
    return _by(t, rows=(None, 0))


def _first(t: ir.Table, *order: ir.Value, keys: Sequence[str] = KEYS) -> ir.Table:
    """The first row of each partition in ``order``."""
    return first_rows(t, [t[k] for k in _keys(t, keys)], order)


def _within(t: ir.Table, start: Day | None, end: Day | None, column: str = "session") -> ir.Table:
    if start is not None:
        t = t.filter(t[column] >= _day(t, start))
    if end is not None:
        t = t.filter(t[column] <= _day(t, end))
    return t


# -- returns --------------------------------------------------------------------------------


def close_on_or_before(bars: ir.Table, day: Day, prefix: str = "") -> ir.Table:
    """The last close on or before ``day``: ``symbol, [view,] session, close`` (named
    ``<prefix>_session`` and ``<prefix>_close`` when ``prefix`` is given).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> c = close_on_or_before(example_bars(), dt.date(2025, 1, 5)).to_polars()
    >>> c["session"].item(), c["close"].item()
    (datetime.date(2025, 1, 3), 101.0)
    """
    upto = bars.filter(bars.session <= _day(bars, day))
    picked = _first(upto, ibis.desc(upto.session))
    names = (f"{prefix}_session", f"{prefix}_close") if prefix else ("session", "close")
    return picked.select(*_keys(picked), **{names[0]: picked.session, names[1]: picked.close})


def period_return(bars: ir.Table, after: Day, through: Day) -> ir.Table:
    """Return from the last close on or before ``after`` to the last close on or before
    ``through``.

    Returns
    -------
    ibis.Table
        ``symbol, [view,] base_session, base_close, end_session, end_close, period_return``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> r = period_return(example_bars(), dt.date(2025, 1, 3), dt.date(2025, 1, 7)).to_polars()
    >>> r["base_close"].item(), r["end_close"].item(), round(r["period_return"].item(), 4)
    (101.0, 106.0, 0.0495)
    """
    base = close_on_or_before(bars, after, "base")
    end = close_on_or_before(bars, through, "end")
    joined = base.join(end, _keys(base))
    return joined.mutate(period_return=joined.end_close / joined.base_close - 1)


def ytd_return(bars: ir.Table, as_of: dt.date) -> ir.Table:
    """Calendar year to date: from the last close of the previous year to ``as_of``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> ytd_return(example_bars(), dt.date(2025, 1, 6)).to_polars()["period_return"].round(4).item()
    0.04
    """
    return period_return(bars, dt.date(as_of.year - 1, 12, 31), as_of)


def month_to_date_return(bars: ir.Table, as_of: dt.date) -> ir.Table:
    """Month to date: from the last close of the previous month to ``as_of``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> r = month_to_date_return(example_bars(), dt.date(2025, 1, 3)).to_polars()
    >>> r["base_session"].item(), round(r["period_return"].item(), 4)
    (datetime.date(2024, 12, 31), 0.01)
    """
    return period_return(bars, as_of.replace(day=1) - dt.timedelta(days=1), as_of)


def trailing_return(bars: ir.Table, as_of: Day, sessions: int) -> ir.Table:
    """Return over the last ``sessions`` sessions ending at the last close on or before
    ``as_of`` (null when the table holds fewer sessions).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> r = trailing_return(example_bars(), dt.date(2025, 1, 8), 2).to_polars()
    >>> r["base_session"].item(), r["end_session"].item()
    (datetime.date(2025, 1, 6), datetime.date(2025, 1, 8))
    """
    upto = bars.filter(bars.session <= _day(bars, as_of))
    w = _by(upto)
    t = upto.mutate(
        base_close=upto.close.lag(sessions).over(w),
        base_session=upto.session.lag(sessions).over(w),
    )
    t = _first(t, ibis.desc(t.session))
    return t.select(
        *_keys(t),
        "base_session",
        "base_close",
        end_session=t.session,
        end_close=t.close,
        period_return=t.close / t.base_close - 1,
    )


def window_return(bars: ir.Table, as_of: dt.date, *, months: int = 0, years: int = 0) -> ir.Table:
    """Return over a calendar window ending at ``as_of`` ("the past six months": months=6,
    "the past decade": years=10), from the last close on or before the window's start.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> r = window_return(example_bars(), dt.date(2025, 1, 31), months=1).to_polars()
    >>> r["base_session"].item()
    datetime.date(2024, 12, 31)
    """
    start = as_of - relativedelta(months=months, years=years)
    return period_return(bars, start, as_of)


def relative_return(a: ir.Table, b: ir.Table, after: Day, through: Day) -> ir.Table:
    """A's period return minus B's over the same period (percentage points as a fraction).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> a = example_bars()
    >>> b = example_bars(symbol="^B", closes=[50, 50, 50, 51, 51, 52])
    >>> r = relative_return(a, b, dt.date(2024, 12, 31), dt.date(2025, 1, 8)).to_polars()
    >>> round(r["a_return"].item(), 4), round(r["b_return"].item(), 4)
    (0.08, 0.04)
    """
    ra = period_return(a, after, through)
    rb = period_return(b, after, through)
    ra = ra.select(*_keys(ra, ("view",)), a_symbol="symbol", a_return="period_return")
    rb = rb.select(*_keys(rb, ("view",)), b_symbol="symbol", b_return="period_return")
    on = _keys(ra, ("view",))
    joined = ra.join(rb, on) if on else ra.cross_join(rb)
    return joined.mutate(relative_return=joined.a_return - joined.b_return)


def return_ratio(a: ir.Table, b: ir.Table, after: Day, through: Day) -> ir.Table:
    """A's period return divided by B's ("twice the gain"); null when B did not move.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> a = example_bars()
    >>> b = example_bars(symbol="^B", closes=[50, 50, 50, 51, 51, 52])
    >>> r = return_ratio(a, b, dt.date(2024, 12, 31), dt.date(2025, 1, 8)).to_polars()
    >>> round(r["return_ratio"].item(), 4)
    2.0
    """
    r = relative_return(a, b, after, through).drop("relative_return")
    return r.mutate(return_ratio=(r.b_return == 0).ifelse(ibis.null(), r.a_return / r.b_return))


# -- moving averages ------------------------------------------------------------------------


def moving_average(bars: ir.Table, sessions: int) -> ir.Table:
    """Add ``sma``, the simple moving average of the last ``sessions`` closes (null until
    that many closes exist).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> moving_average(example_bars(), 3).order_by("session").execute().sma.round(2).tolist()
    [nan, nan, 100.33, 101.67, 103.67, 106.0]
    """
    w = _by(bars, rows=(-(sessions - 1), 0))
    count = bars.close.count().over(w)
    return bars.mutate(sma=(count == sessions).ifelse(bars.close.mean().over(w), ibis.null()))


def ma_crossings(bars: ir.Table, sessions: int) -> ir.Table:
    """Sessions where the close crosses its ``sessions``-session average: ``direction`` is
    ``up`` (from at or below to above) or ``down`` (from at or above to below).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> x = ma_crossings(example_bars(closes=[10, 9, 8, 9, 11, 7]), 2).execute()
    >>> list(zip(x.session.astype(str), x.direction))
    [('2025-01-06', 'up'), ('2025-01-08', 'down')]
    """
    m = moving_average(bars, sessions)
    w = _by(m)
    m = m.mutate(prev_close=m.close.lag().over(w), prev_sma=m.sma.lag().over(w))
    up = (m.prev_close <= m.prev_sma) & (m.close > m.sma)
    down = (m.prev_close >= m.prev_sma) & (m.close < m.sma)
    crossed = m.filter(up | down)
    return crossed.mutate(direction=(crossed.close > crossed.sma).ifelse("up", "down"))


# -- records and levels ---------------------------------------------------------------------


def _records(bars: ir.Table, column: str, start: Day | None, end: Day | None) -> ir.Table:
    valued = bars.filter(bars[column].notnull())
    prior = valued[column].max().over(_by(valued, rows=(None, -1)))
    t = valued.mutate(prior_record=prior)
    return _within(t.filter(t[column] > t.prior_record), start, end)


def record_closes(bars: ir.Table, *, start: Day | None = None, end: Day | None = None) -> ir.Table:
    """Sessions whose close is above every earlier close in the table (``prior_record`` is
    the record it broke), optionally only those set within ``[start, end]``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> record_closes(example_bars()).execute().session.astype(str).tolist()
    ['2025-01-03', '2025-01-06', '2025-01-07', '2025-01-08']
    >>> len(record_closes(example_bars(), start=dt.date(2025, 1, 7)).execute())
    2
    """
    return _records(bars, "close", start, end)


def record_highs(bars: ir.Table, *, start: Day | None = None, end: Day | None = None) -> ir.Table:
    """Sessions whose intraday high is above every earlier high in the table.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> len(record_highs(example_bars()).execute())
    4
    """
    return _records(bars, "high", start, end)


def records_per_year(bars: ir.Table) -> ir.Table:
    """Record closes counted per calendar year: ``symbol, year, records, last_record``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> records_per_year(example_bars()).execute()[["year", "records"]].values.tolist()
    [[2025, 4]]
    """
    rec = record_closes(bars)
    rec = rec.mutate(year=rec.session.year())
    return rec.group_by(*_keys(rec), "year").agg(records=rec.count(), last_record=rec.session.max())


def peak(
    bars: ir.Table, field: Field = "close", *, start: Day | None = None, end: Day | None = None
) -> ir.Table:
    """The highest ``field`` (close or intraday high) within ``[start, end]`` and the first
    session it was reached: ``symbol, [view,] peak, peak_session, sessions`` (``sessions``
    counts the bars in the window that carry the field).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> p = peak(example_bars(closes=[10, 12, 11, 12, 9, 8]), end=dt.date(2025, 1, 7)).to_polars()
    >>> p["peak"].item(), p["peak_session"].item(), p["sessions"].item()
    (12.0, datetime.date(2025, 1, 2), 5)
    """
    return _extreme(bars, field, start, end, "peak")


def _level(t: ir.Table, level: float | Deferred) -> ir.Value:
    return level.resolve(t) if isinstance(level, Deferred) else ibis.literal(float(level))


def trough(
    bars: ir.Table, field: Field = "close", *, start: Day | None = None, end: Day | None = None
) -> ir.Table:
    """The lowest ``field`` within ``[start, end]`` and the first session it was reached:
    ``symbol, [view,] trough, trough_session, sessions``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> bars = example_bars(closes=[10, 12, 9, 11, 8, 13])
    >>> t = trough(bars, start=dt.date(2025, 1, 2)).to_polars()
    >>> t["trough"].item(), t["trough_session"].item()
    (8.0, datetime.date(2025, 1, 7))
    """
    return _extreme(bars, field, start, end, "trough")


def _extreme(
    bars: ir.Table,
    field: Field,
    start: Day | None,
    end: Day | None,
    name: Literal["peak", "trough"],
) -> ir.Table:
    """``peak`` (the highest) or ``trough`` (the lowest) ``field`` in the window, with the
    first session it was reached and the count of bars carrying the field."""
    t = _within(bars.filter(bars[field].notnull()), start, end)
    w = ibis.window(group_by=[t[k] for k in _keys(t)])
    value = t[field].max() if name == "peak" else t[field].min()
    t = t.mutate(**{name: value.over(w)}, sessions=t[field].count().over(w))
    at = t.filter(t[field] == t[name])
    first = _first(at, at.session)
    when = {f"{name}_session": first.session}
    return first.select(*_keys(first), name, **when, sessions=first.sessions)


def session_bar(bars: ir.Table, day: Day) -> ir.Table:
    """The bar of the session ``day`` itself, with the previous close (``previous_close``) and
    the session's move (``move`` = close / previous close - 1); no row when ``day`` has no bar.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> b = session_bar(example_bars(), dt.date(2025, 1, 6)).to_polars()
    >>> b["previous_close"].item(), round(b["move"].item(), 4)
    (101.0, 0.0297)
    """
    t = bars.mutate(previous_close=bars.close.lag().over(_by(bars)))
    t = t.filter(t.session == _day(t, day))
    return t.mutate(move=t.close / t.previous_close - 1)


def daily_moves(bars: ir.Table, *, start: Day | None = None, end: Day | None = None) -> ir.Table:
    """Each session's close-to-close move within ``[start, end]``, ranked: ``gain_rank`` 1 is
    the biggest gain of the window, ``loss_rank`` 1 the biggest loss; ``sessions`` counts the
    window's moves ("the worst day of the year", "the biggest gain since March").

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> m = daily_moves(example_bars(closes=[100, 102, 99, 104, 103, 110])).order_by("session")
    >>> m.to_polars().select("session", "gain_rank", "loss_rank").rows()[-1]
    (datetime.date(2025, 1, 8), 1, 5)
    """
    t = bars.mutate(move=bars.close / bars.close.lag().over(_by(bars)) - 1)
    t = _within(t.filter(t.move.notnull()), start, end)
    keys = [t[k] for k in _keys(t)]
    return t.mutate(
        gain_rank=ibis.rank().over(group_by=keys, order_by=ibis.desc(t.move)) + 1,
        loss_rank=ibis.rank().over(group_by=keys, order_by=t.move) + 1,
        sessions=t.move.count().over(ibis.window(group_by=keys)),
    )


def streak(bars: ir.Table, day: Day) -> ir.Table:
    """The run of same-signed moves ending on session ``day``: ``direction`` (``up``,
    ``down`` or ``flat``) and ``length`` in sessions ("a third straight gain" has length 3).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> s = streak(example_bars(closes=[100, 99, 100, 101, 102, 103]), dt.date(2025, 1, 8))
    >>> s.to_polars().select("direction", "length").row(0)
    ('up', 4)
    """
    t = bars.mutate(_previous=bars.close.lag().over(_by(bars)))
    t = t.filter(t._previous.notnull(), t.session <= _day(t, day))
    move = t.close - t._previous
    t = t.mutate(direction=(move > 0).ifelse("up", (move < 0).ifelse("down", "flat")))
    # each change of direction starts a new run (one window per step: engines refuse nesting)
    t = t.mutate(_prior=t.direction.lag().over(_by(t)))
    t = t.mutate(_new=(t._prior.isnull() | (t._prior != t.direction)).cast("int64"))
    t = t.mutate(_run=t._new.sum().over(_cumulative(t)))
    keys = [t[k] for k in _keys(t)]
    t = t.mutate(length=t.session.count().over(ibis.window(group_by=[*keys, t._run])))
    last = _first(t, ibis.desc(t.session))
    return last.select(*_keys(last), "session", "direction", "length")


def _first_above(
    bars: ir.Table, column: str, level: float | Deferred, start: Day | None, end: Day | None
) -> ir.Table:
    t = _within(bars.filter(bars[column] > _level(bars, level)), start, end)
    return _first(t, t.session)


def first_close_above(
    bars: ir.Table, level: float | Deferred, *, start: Day | None = None, end: Day | None = None
) -> ir.Table:
    """The first session whose close is above ``level`` (a number, or a column given as
    ``ibis._.<name>``), ever or within ``[start, end]``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> first_close_above(example_bars(), 104).execute().session.astype(str).tolist()
    ['2025-01-07']
    """
    return _first_above(bars, "close", level, start, end)


def first_high_above(
    bars: ir.Table, level: float | Deferred, *, start: Day | None = None, end: Day | None = None
) -> ir.Table:
    """The first session whose intraday high is above ``level``, ever or within a window.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> first_high_above(example_bars(), 104).execute().session.astype(str).tolist()
    ['2025-01-06']
    """
    return _first_above(bars, "high", level, start, end)


# -- weekly closes --------------------------------------------------------------------------


def weekly_closes(bars: ir.Table) -> ir.Table:
    """The close of the last XNYS session of each week (weeks still in progress have none).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> weekly_closes(example_bars()).execute().session.astype(str).tolist()
    ['2025-01-03']
    """
    cal = ibis.memtable(
        weekly_calendar()
        .filter(pl.col("week_last"))
        .select(pl.col("session").alias("_week_last"), "week")
    )
    joined = bars.join(cal, bars.session == cal._week_last)
    return joined.select(*bars.columns, "week")


def consecutive_weekly_closes_above(
    bars: ir.Table, level: float | Deferred, weeks: int, *, start: Day | None = None
) -> ir.Table:
    """The first weekly close that completes ``weeks`` consecutive weekly closes above
    ``level`` (from ``start`` on); ``run_start`` is the first week of that run.

    Examples
    --------
    >>> from analysis.examples import example_weekly_bars
    >>> r = consecutive_weekly_closes_above(example_weekly_bars(), 100, 2).to_polars()
    >>> r["run_start"].item(), r["session"].item()
    (datetime.date(2025, 1, 17), datetime.date(2025, 1, 24))
    """
    wk = _within(weekly_closes(bars), start, None)
    above = wk.close > _level(wk, level)
    # each weekly close at or below the level starts a new run
    wk = wk.mutate(_above=above, _run=(~above).cast("int64").sum().over(_cumulative(wk)))
    keys = [wk[k] for k in _keys(wk)]
    run = ibis.window(group_by=[*keys, wk._run], order_by=wk.session, rows=(None, 0))
    wk = wk.mutate(
        _streak=wk._above.cast("int64").sum().over(run),
        run_start=wk.session.min().over(ibis.window(group_by=[*keys, wk._run, wk._above])),
    )
    hit = wk.filter(wk._above & (wk._streak == weeks))
    return _first(hit, hit.session).drop("_above", "_run", "_streak")


# -- relative strength and drawdowns --------------------------------------------------------


def relative_strength(a: ir.Table, b: ir.Table) -> ir.Table:
    """The relative-strength line ``ratio = close_A / close_B`` on common sessions, with its
    running ``peak`` and whether the line is ``below_peak``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> a = example_bars(closes=[10, 12, 11, 13, 12, 14])
    >>> b = example_bars(symbol="^B", closes=[10] * 6)
    >>> relative_strength(a, b).order_by("session").execute().below_peak.tolist()
    [False, False, True, False, True, False]
    """
    views = _keys(a, ("view",))
    bb = b.select(*views, session_b="session", close_b="close")
    on = [a.session == bb.session_b, *(a[v] == bb[v] for v in views)]
    j = a.join(bb, on)
    j = j.select(*views, symbol=j.symbol, session=j.session, ratio=j.close / j.close_b)
    j = j.mutate(peak=j.ratio.max().over(_cumulative(j)))
    return j.mutate(below_peak=j.ratio < j.peak)


def longest_below_peak(rs: ir.Table) -> ir.Table:
    """The longest stretch a relative-strength line spent below a prior peak: from the peak
    session to the last session before it was regained (or to the end of the table).

    Returns
    -------
    ibis.Table
        ``peak_session, last_below, sessions_below, recovered`` (one row: the longest).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> a = example_bars(closes=[10, 12, 11, 11.5, 13, 12])
    >>> b = example_bars(symbol="^B", closes=[10] * 6)
    >>> s = longest_below_peak(relative_strength(a, b)).to_polars()
    >>> s["peak_session"].item(), s["sessions_below"].item(), s["recovered"].item()
    (datetime.date(2025, 1, 2), 2, True)
    """
    stretches = _stretches(rs)
    return _first(stretches, ibis.desc(stretches.sessions_below), stretches.peak_session)


def _stretches(rs: ir.Table) -> ir.Table:
    t = rs.mutate(_new_peak=(~rs.below_peak).cast("int64"))
    t = t.mutate(_stretch=t._new_peak.sum().over(_cumulative(t)))
    keys = _keys(t)
    stretches = t.group_by(*keys, "_stretch").agg(
        peak_session=t.session.min(),
        last_below=t.session.max(),
        sessions_below=t.below_peak.cast("int64").sum(),
    )
    last = t.group_by(*keys).agg(_last_stretch=t._stretch.max())
    s = stretches.join(last, keys)
    s = s.mutate(recovered=s._stretch < s._last_stretch, under_way=s._stretch == s._last_stretch)
    return s.drop("_stretch", "_last_stretch")


def underperformance_under_way(rs: ir.Table) -> ir.Table:
    """The stretch below the relative-strength peak that is still under way at the end of the
    table (``sessions_below`` is 0 when the line is at its peak).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> a = example_bars(closes=[10, 12, 11, 11.5, 13, 12])
    >>> b = example_bars(symbol="^B", closes=[10] * 6)
    >>> s = underperformance_under_way(relative_strength(a, b)).to_polars()
    >>> s["peak_session"].item(), s["sessions_below"].item()
    (datetime.date(2025, 1, 7), 1)
    """
    s = _stretches(rs)
    return s.filter(s.under_way).drop("under_way", "recovered")


def max_drawdown(bars: ir.Table, *, start: Day | None = None, end: Day | None = None) -> ir.Table:
    """The deepest peak-to-trough fall of the close within ``[start, end]``.

    Returns
    -------
    ibis.Table
        ``symbol, [view,] peak_session, peak_close, trough_session, trough_close, drawdown``
        (negative).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> d = max_drawdown(example_bars(closes=[10, 12, 9, 11, 8, 13])).to_polars()
    >>> d["peak_session"].item(), d["trough_session"].item(), round(d["drawdown"].item(), 4)
    (datetime.date(2025, 1, 2), datetime.date(2025, 1, 7), -0.3333)
    """
    t = _within(bars, start, end)
    cum = _cumulative(t)
    t = t.mutate(peak_close=t.close.max().over(cum))
    # the peak's session is the latest session so far whose close equals the running peak
    t = t.mutate(
        peak_session=(t.close == t.peak_close).ifelse(t.session, ibis.null()).max().over(cum),
        drawdown=t.close / t.peak_close - 1,
    )
    t = _first(t, t.drawdown, t.session)
    return t.select(
        *_keys(t),
        "peak_session",
        "peak_close",
        trough_session=t.session,
        trough_close=t.close,
        drawdown=t.drawdown,
    )


def pullback_after(bars: ir.Table, after: Day, until: Day) -> ir.Table:
    """The deepest peak-to-trough pullback of the close in the sessions after ``after``
    through ``until``, the peak counted from the close on ``after``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> p = pullback_after(example_bars(closes=[10, 12, 9, 11, 8, 13]), dt.date(2025, 1, 3),
    ...                    dt.date(2025, 1, 8)).to_polars()
    >>> p["peak_session"].item(), round(p["drawdown"].item(), 4)
    (datetime.date(2025, 1, 6), -0.2727)
    """
    start = close_on_or_before(bars, after, "_start").select(*_keys(bars), "_start_session")
    t = bars.join(start, _keys(bars))
    t = t.filter(t.session >= t._start_session).drop("_start_session")
    return max_drawdown(t, end=until)


def fall_from(bars: ir.Table, reference: Day, until: Day) -> ir.Table:
    """How far the close fell below its level at ``reference`` (the last close on or before
    it) in the sessions after it through ``until``, and the best and worst closes of that path.

    Returns
    -------
    ibis.Table
        ``symbol, [view,] reference_session, reference_close, trough_session, trough_close,
        fall`` (``trough_close / reference_close - 1``, negative when it fell), ``best_session,
        best_close, rise`` (the highest close against the reference), and ``sessions``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> f = fall_from(example_bars(closes=[10, 12, 9, 11, 8, 13]), dt.date(2025, 1, 3),
    ...               dt.date(2025, 1, 8)).to_polars()
    >>> f["reference_close"].item(), f["trough_close"].item(), round(f["fall"].item(), 4)
    (9.0, 8.0, -0.1111)
    >>> f["best_close"].item(), f["sessions"].item()
    (13.0, 3)
    """
    ref = close_on_or_before(bars, reference, "reference")
    keys = _keys(bars)
    t = bars.join(ref, keys)
    t = t.filter(t.session > t.reference_session, t.session <= _day(t, until))
    w = ibis.window(group_by=[t[k] for k in keys])
    t = t.mutate(
        _low=t.close.min().over(w), _high=t.close.max().over(w), sessions=t.close.count().over(w)
    )
    lows, highs = t.filter(t.close == t._low), t.filter(t.close == t._high)
    trough = _first(lows, lows.session).select(
        *keys,
        "reference_session",
        "reference_close",
        "sessions",
        trough_session="session",
        trough_close="close",
    )
    best = _first(highs, highs.session).select(*keys, best_session="session", best_close="close")
    out = trough.join(best, keys)
    return out.mutate(
        fall=out.trough_close / out.reference_close - 1,
        rise=out.best_close / out.reference_close - 1,
    )


def month_end_closes(bars: ir.Table) -> ir.Table:
    """The last close of each calendar month (a month still under way has its latest close),
    with ``month`` (the month's first day).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> m = month_end_closes(example_bars()).order_by("session").to_polars()
    >>> m.select("session", "close").rows()
    [(datetime.date(2024, 12, 31), 100.0), (datetime.date(2025, 1, 8), 108.0)]
    """
    t = bars.mutate(month=bars.session.truncate("M"))
    last = _first(t, ibis.desc(t.session), keys=(*_keys(t), "month"))
    return last.select(*_keys(last), "month", "session", "close")


def growth_from_returns(obs: ir.Table, series: str) -> ir.Table:
    """A growth index from a series of period returns in percent (monthly portfolio returns):
    ``close`` is 1 compounded through each period, ``session`` the period's last day, and
    ``symbol`` the series id, so price signals (relative strength) read it like bars.

    Examples
    --------
    >>> obs = ibis.memtable({"series": ["S"] * 3, "period": ["2000-01", "2000-02", "2000-03"],
    ...                      "value": [10.0, -10.0, 5.0]})
    >>> g = growth_from_returns(obs, "S").order_by("session").to_polars()
    >>> [round(x, 4) for x in g["close"]], g["session"][0]
    ([1.1, 0.99, 1.0395], datetime.date(2000, 1, 31))
    """
    t = obs.filter(obs.series == series)
    w = _by(t, SERIES_KEYS, order="period", rows=(None, 0))
    first_day = (t.period + "-01").cast("date")
    t = t.mutate(
        session=(first_day + ibis.interval(months=1)).cast("date") - ibis.interval(days=1),
        close=(1 + t.value / 100).ln().sum().over(w).exp(),
    )
    return t.select(
        *_keys(t, ("view",)), symbol=t.series, session=t.session.cast("date"), close=t.close
    )


def last_session_within(
    bars: ir.Table, field: Field, low: float, high: float, *, end: Day | None = None
) -> ir.Table:
    """The last session on or before ``end`` whose ``field`` lay within ``[low, high]``: where
    in the price history a cited level comes from ("resistance around 2,466").

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> last_session_within(example_bars(), "high", 105.5, 106.5).to_polars()["session"].item()
    datetime.date(2025, 1, 6)
    """
    t = _within(bars.filter(bars[field] >= low, bars[field] <= high), None, end)
    return _first(t, ibis.desc(t.session))


def pinned(
    bars: ir.Table, sessions: int, band: float, *, start: Day | None = None, end: Day | None = None
) -> ir.Table:
    """The first session within ``[start, end]`` that ends ``sessions`` sessions whose closes all
    lay within ``band`` of each other (highest / lowest - 1): a price held by a pending deal
    (a cash takeover bid pins a stock near the offer). No row when the price moved freely.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> flat = example_bars(closes=[100, 110, 100.5, 100.2, 100.4, 100.1])
    >>> pinned(flat, 4, 0.01).to_polars()["session"].item()
    datetime.date(2025, 1, 8)
    """
    t = _within(bars, start, end)
    w = _by(t, rows=(-(sessions - 1), 0))
    t = t.mutate(_hi=t.close.max().over(w), _lo=t.close.min().over(w), _n=t.close.count().over(w))
    held = t.filter(t._n == sessions, t._hi / t._lo - 1 <= band)
    held = _first(held, held.session)
    return held.select(*_keys(held), "session", range_low="_lo", range_high="_hi")


# -- targets --------------------------------------------------------------------------------


def implied_upside(bars: ir.Table, target: float, reference: Day) -> ir.Table:
    """Implied upside of ``target`` against the last close on or before ``reference``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> u = implied_upside(example_bars(), 107, dt.date(2025, 1, 7)).to_polars()
    >>> u["reference_close"].item(), round(u["implied_upside"].item(), 4)
    (106.0, 0.0094)
    """
    ref = close_on_or_before(bars, reference, "reference")
    return ref.mutate(target=ibis.literal(target), implied_upside=target / ref.reference_close - 1)


def target_touched(bars: ir.Table, target: float, after: Day, horizon_end: Day) -> ir.Table:
    """The first session after ``after`` through ``horizon_end`` whose range reached
    ``target`` (high at or above an upside target, low at or below a downside one, judged
    against the close on ``after``); no row when it never did.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> target_touched(example_bars(), 106.5, dt.date(2025, 1, 2), dt.date(2025, 1, 8)
    ...                ).execute().session.astype(str).tolist()
    ['2025-01-07']
    """
    ref = close_on_or_before(bars, after, "ref")
    t = bars.join(ref, _keys(bars))
    t = t.filter(t.session > t.ref_session, t.session <= _day(t, horizon_end))
    upward = t.ref_close < target
    high = t.high.fill_null(t.close)
    low = t.low.fill_null(t.close)
    hit = t.filter(upward.ifelse(high >= target, low <= target))
    return _first(hit, hit.session)


def target_met(bars: ir.Table, target: float, horizon_end: Day) -> ir.Table:
    """The close at the horizon (last close on or before ``horizon_end``) against ``target``:
    ``signed_error`` = close / target - 1.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> m = target_met(example_bars(), 100, dt.date(2025, 1, 8)).to_polars()
    >>> m["met"].item(), round(m["signed_error"].item(), 4)
    (True, 0.08)
    """
    end = close_on_or_before(bars, horizon_end, "horizon")
    return end.mutate(
        target=ibis.literal(target),
        met=end.horizon_close >= target,
        signed_error=end.horizon_close / target - 1,
    )


def group_medians(returns: ir.Table, groups: Mapping[str, Sequence[str]]) -> ir.Table:
    """The median of ``period_return`` over each named group of symbols, with how many
    members had a return (an exact median: the middle value, or the mean of the two middle
    values, on every engine).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> bars = ibis.union(example_bars("A"), example_bars("B", closes=[50, 50, 50, 51, 51, 60]),
    ...                   example_bars("C", closes=[10, 10, 10, 10, 10, 11]))
    >>> r = period_return(bars, dt.date(2024, 12, 31), dt.date(2025, 1, 8))
    >>> m = group_medians(r, {"ab": ["A", "B"], "c": ["C"]}).order_by("group").to_polars()
    >>> m.select("group", "members", pl.col("median_return").round(3)).rows()
    [('ab', 2, 0.14), ('c', 1, 0.1)]
    """
    rows = [(g, s) for g, members in groups.items() for s in members]
    member = ibis.memtable(pl.DataFrame(rows, schema=["group", "symbol"], orient="row"))
    t = returns.filter(returns.period_return.notnull()).join(member, "symbol")
    keys = [*_keys(t, ("view",)), "group"]
    by = [t[k] for k in keys]
    t = t.mutate(
        _i=ibis.row_number().over(group_by=by, order_by=t.period_return),
        _n=t.count().over(ibis.window(group_by=by)),
    )
    middle = t.filter((t._i == (t._n - 1) // 2) | (t._i == t._n // 2))
    return middle.group_by(keys).agg(
        median_return=middle.period_return.mean(), members=middle._n.max()
    )


# -- observations ---------------------------------------------------------------------------


def factor_premia(obs: ir.Table, series: str, first_year: int, last_year: int) -> ir.Table:
    """Arithmetic and geometric mean of an annual factor series (percent) over a span of
    years, with the share of years it was positive.

    Examples
    --------
    >>> from analysis.examples import example_factor
    >>> p = factor_premia(example_factor(), "FF3:SMB:A", 2000, 2002).to_polars()
    >>> p.select("years", "arithmetic_mean", pl.col("geometric_mean").round(4)).row(0)
    (3, 2.0, 1.8152)
    """
    t = obs.filter(obs.series == series)
    year = t.period.cast("int64")
    t = t.filter(year >= first_year, year <= last_year)
    agg = t.group_by(_keys(t, SERIES_KEYS)).agg(
        years=t.count(),
        first_period=t.period.min(),
        last_period=t.period.max(),
        arithmetic_mean=t.value.mean(),
        _mean_log=(1 + t.value / 100).ln().mean(),
        positive_share=(t.value > 0).cast("float64").mean(),
    )
    return agg.mutate(geometric_mean=(agg._mean_log.exp() - 1) * 100).drop("_mean_log")


def rate_changes(obs: ir.Table, series: str) -> ir.Table:
    """The periods where a policy-rate series changed: ``change_bp`` and ``direction``
    (``cut`` or ``hike``).

    Examples
    --------
    >>> from analysis.examples import example_rates
    >>> r = rate_changes(example_rates(), "FRED:DFEDTARU").to_polars()
    >>> r.select("period", "change_bp", "direction").rows()
    [('2024-09-19', -50.0, 'cut')]
    """
    t = obs.filter(obs.series == series)
    t = t.mutate(previous=t.value.lag().over(_by(t, SERIES_KEYS, order="period")))
    changed = t.filter(t.previous.notnull() & (t.value != t.previous))
    change = ((changed.value - changed.previous) * 100).round(2)
    return changed.mutate(change_bp=change, direction=(change < 0).ifelse("cut", "hike"))


def observation_on_or_before(obs: ir.Table, series: str, day: Day) -> ir.Table:
    """A series' last value on or before ``day`` (periods are ISO dates or months).

    Examples
    --------
    >>> from analysis.examples import example_rates
    >>> o = observation_on_or_before(example_rates(), "FRED:DFEDTARU", dt.date(2024, 9, 19))
    >>> o.to_polars().select("period", "value").row(0)
    ('2024-09-19', 5.0)
    """
    t = obs.filter(obs.series == series)
    t = t.mutate(_day=(t.period.length() == 7).ifelse(t.period + "-01", t.period).cast("date"))
    upto = t.filter(t._day <= _day(t, day))
    return _first(upto, ibis.desc(upto._day), keys=SERIES_KEYS).drop("_day")


def observation_change(obs: ir.Table, series: str, after: Day, through: Day) -> ir.Table:
    """The change of an observation series from its last value on or before ``after`` to its
    last value on or before ``through`` (periods are ISO dates).

    Examples
    --------
    >>> from analysis.examples import example_rates
    >>> c = observation_change(example_rates(), "FRED:DFEDTARU", dt.date(2024, 9, 17),
    ...                        dt.date(2024, 9, 20)).to_polars()
    >>> c["start_value"].item(), c["end_value"].item(), c["change"].item()
    (5.5, 5.0, -0.5)
    """
    t = obs.filter(obs.series == series)
    t = t.mutate(_day=t.period.cast("date"))
    keys = _keys(t, SERIES_KEYS)

    def last(day: Day, prefix: str) -> ir.Table:
        upto = t.filter(t._day <= _day(t, day))
        row = _first(upto, ibis.desc(upto._day), keys=SERIES_KEYS)
        return row.select(*keys, **{f"{prefix}_period": row.period, f"{prefix}_value": row.value})

    both = last(after, "start").join(last(through, "end"), keys)
    return both.mutate(change=both.end_value - both.start_value)
