"""Signals: lazy ibis expressions over the tape.

Every function takes a bars (or observations) table from :class:`analysis.tape.Tape` and returns
an ibis table expression; nothing runs until the caller executes it. Only portable ibis
operations are used, so each signal compiles for DuckDB (the embedded default) and for Spark.
Bars tables have at least ``symbol``, ``session`` and ``close``; tables may hold several
symbols, and every window is partitioned by symbol.

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

import ibis
import ibis.expr.types as ir
from dateutil.relativedelta import relativedelta

from store.reference.calendar import weekly_calendar

__all__ = [
    "consecutive_weekly_closes_above",
    "factor_premia",
    "first_close_above",
    "first_high_above",
    "implied_upside",
    "longest_below_peak",
    "ma_crossings",
    "max_drawdown",
    "month_to_date_return",
    "moving_average",
    "period_return",
    "pullback_after",
    "rate_changes",
    "record_closes",
    "record_highs",
    "records_per_year",
    "relative_return",
    "relative_strength",
    "target_met",
    "target_touched",
    "trailing_return",
    "weekly_closes",
    "window_return",
    "ytd_return",
]


def _by_symbol(t: ir.Table, **kw: object) -> ibis.expr.builders.LegacyWindowBuilder:
    return ibis.window(group_by=t.symbol, order_by=t.session, **kw)


def _cumulative(t: ir.Table) -> ibis.expr.builders.LegacyWindowBuilder:
    # explicit frame: an ordered ibis window without one spans the whole partition
    return _by_symbol(t, rows=(None, 0))


# -- returns --------------------------------------------------------------------------------


def _last_on_or_before(bars: ir.Table, day: dt.date, prefix: str) -> ir.Table:
    upto = bars.filter(bars.session <= day)
    latest = ibis.row_number().over(group_by=upto.symbol, order_by=ibis.desc(upto.session))
    picked = upto.mutate(_n=latest).filter(ibis._._n == 0)
    return picked.select(
        "symbol", **{f"{prefix}_session": picked.session, f"{prefix}_close": picked.close}
    )


def period_return(bars: ir.Table, after: dt.date, through: dt.date) -> ir.Table:
    """Return from the last close on or before ``after`` to the last close on or before
    ``through``.

    Returns
    -------
    ibis.Table
        ``symbol, base_session, base_close, end_session, end_close, period_return``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> r = period_return(example_bars(), dt.date(2025, 1, 3), dt.date(2025, 1, 7)).to_polars()
    >>> r["base_close"].item(), r["end_close"].item(), round(r["period_return"].item(), 4)
    (101.0, 106.0, 0.0495)
    """
    base = _last_on_or_before(bars, after, "base")
    end = _last_on_or_before(bars, through, "end")
    joined = base.join(end, "symbol")
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


def trailing_return(bars: ir.Table, as_of: dt.date, sessions: int) -> ir.Table:
    """Return over the last ``sessions`` sessions ending at the last close on or before
    ``as_of`` (null when the table holds fewer sessions).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> r = trailing_return(example_bars(), dt.date(2025, 1, 8), 2).to_polars()
    >>> r["base_session"].item(), r["end_session"].item()
    (datetime.date(2025, 1, 6), datetime.date(2025, 1, 8))
    """
    upto = bars.filter(bars.session <= as_of)
    back = upto.close.lag(sessions).over(_by_symbol(upto))
    back_session = upto.session.lag(sessions).over(_by_symbol(upto))
    latest = ibis.row_number().over(group_by=upto.symbol, order_by=ibis.desc(upto.session))
    t = upto.mutate(base_close=back, base_session=back_session, _n=latest)
    t = t.filter(t._n == 0)
    return t.select(
        "symbol",
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


def relative_return(a: ir.Table, b: ir.Table, after: dt.date, through: dt.date) -> ir.Table:
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
    ra = period_return(a, after, through).select(a_symbol="symbol", a_return="period_return")
    rb = period_return(b, after, through).select(b_symbol="symbol", b_return="period_return")
    joined = ra.cross_join(rb)
    return joined.mutate(relative_return=joined.a_return - joined.b_return)


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
    w = _by_symbol(bars, rows=(-(sessions - 1), 0))
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
    w = _by_symbol(m)
    m = m.mutate(prev_close=m.close.lag().over(w), prev_sma=m.sma.lag().over(w))
    up = (m.prev_close <= m.prev_sma) & (m.close > m.sma)
    down = (m.prev_close >= m.prev_sma) & (m.close < m.sma)
    crossed = m.filter(up | down)
    return crossed.mutate(direction=(crossed.close > crossed.sma).ifelse("up", "down"))


# -- records and levels ---------------------------------------------------------------------


def _records(bars: ir.Table, column: str) -> ir.Table:
    prior = bars[column].max().over(_by_symbol(bars, rows=(None, -1)))
    t = bars.mutate(prior_record=prior)
    return t.filter(t[column] > t.prior_record)


def record_closes(bars: ir.Table) -> ir.Table:
    """Sessions whose close is above every earlier close in the table (``prior_record`` is
    the record it broke).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> record_closes(example_bars()).execute().session.astype(str).tolist()
    ['2025-01-03', '2025-01-06', '2025-01-07', '2025-01-08']
    """
    return _records(bars, "close")


def record_highs(bars: ir.Table) -> ir.Table:
    """Sessions whose intraday high is above every earlier high in the table.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> len(record_highs(example_bars()).execute())
    4
    """
    return _records(bars, "high")


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
    return rec.group_by("symbol", "year").agg(records=rec.count(), last_record=rec.session.max())


def _first_above(
    bars: ir.Table, column: str, level: float, start: dt.date | None, end: dt.date | None
) -> ir.Table:
    t = bars.filter(bars[column] > level)
    if start is not None:
        t = t.filter(t.session >= start)
    if end is not None:
        t = t.filter(t.session <= end)
    first = ibis.row_number().over(group_by=t.symbol, order_by=t.session)
    return t.mutate(_n=first).filter(ibis._._n == 0).drop("_n")


def first_close_above(
    bars: ir.Table, level: float, *, start: dt.date | None = None, end: dt.date | None = None
) -> ir.Table:
    """The first session whose close is above ``level``, ever or within ``[start, end]``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> first_close_above(example_bars(), 104).execute().session.astype(str).tolist()
    ['2025-01-07']
    """
    return _first_above(bars, "close", level, start, end)


def first_high_above(
    bars: ir.Table, level: float, *, start: dt.date | None = None, end: dt.date | None = None
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
    cal = ibis.memtable(weekly_calendar().filter(week_last=True).select("session", "week"))
    joined = bars.join(cal, bars.session == cal.session)
    return joined.select(*bars.columns, "week")


def consecutive_weekly_closes_above(
    bars: ir.Table, level: float, weeks: int, *, start: dt.date | None = None
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
    wk = weekly_closes(bars)
    if start is not None:
        wk = wk.filter(wk.session >= start)
    above = wk.close > level
    # each weekly close at or below the level starts a new run
    wk = wk.mutate(_above=above, _run=(~above).cast("int64").sum().over(_cumulative(wk)))
    run = ibis.window(group_by=[wk.symbol, wk._run], order_by=wk.session, rows=(None, 0))
    wk = wk.mutate(
        _streak=wk._above.cast("int64").sum().over(run),
        run_start=wk.session.min().over(ibis.window(group_by=[wk.symbol, wk._run, wk._above])),
    )
    hit = wk.filter(wk._above & (wk._streak == weeks))
    first = ibis.row_number().over(group_by=hit.symbol, order_by=hit.session)
    return hit.mutate(_n=first).filter(ibis._._n == 0).drop("_n", "_above", "_run", "_streak")


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
    bb = b.select(session_b="session", close_b="close")
    j = a.join(bb, a.session == bb.session_b)
    j = j.select(symbol=j.symbol, session=j.session, ratio=j.close / j.close_b)
    peak = j.ratio.max().over(_cumulative(j))
    j = j.mutate(peak=peak)
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
    t = rs.mutate(_new_peak=(~rs.below_peak).cast("int64"))
    t = t.mutate(_stretch=t._new_peak.sum().over(_cumulative(t)))
    stretches = t.group_by("symbol", "_stretch").agg(
        peak_session=t.session.min(),
        last_below=t.session.max(),
        sessions_below=t.below_peak.cast("int64").sum(),
    )
    last = t.group_by("symbol").agg(_last_stretch=t._stretch.max())
    s = stretches.join(last, "symbol")
    s = s.mutate(recovered=s._stretch < s._last_stretch)
    longest = ibis.row_number().over(
        group_by=s.symbol, order_by=[ibis.desc(s.sessions_below), s.peak_session]
    )
    return s.mutate(_n=longest).filter(ibis._._n == 0).drop("_n", "_stretch", "_last_stretch")


def max_drawdown(
    bars: ir.Table, *, start: dt.date | None = None, end: dt.date | None = None
) -> ir.Table:
    """The deepest peak-to-trough fall of the close within ``[start, end]``.

    Returns
    -------
    ibis.Table
        ``symbol, peak_session, peak_close, trough_session, trough_close, drawdown`` (negative).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> d = max_drawdown(example_bars(closes=[10, 12, 9, 11, 8, 13])).to_polars()
    >>> d["peak_session"].item(), d["trough_session"].item(), round(d["drawdown"].item(), 4)
    (datetime.date(2025, 1, 2), datetime.date(2025, 1, 7), -0.3333)
    """
    t = bars
    if start is not None:
        t = t.filter(t.session >= start)
    if end is not None:
        t = t.filter(t.session <= end)
    cum = _cumulative(t)
    t = t.mutate(peak_close=t.close.max().over(cum))
    # the peak's session is the latest session so far whose close equals the running peak
    t = t.mutate(
        peak_session=(t.close == t.peak_close).ifelse(t.session, ibis.null()).max().over(cum),
        drawdown=t.close / t.peak_close - 1,
    )
    deepest = ibis.row_number().over(group_by=t.symbol, order_by=[t.drawdown, t.session])
    t = t.mutate(_n=deepest).filter(ibis._._n == 0)
    return t.select(
        "symbol",
        "peak_session",
        "peak_close",
        trough_session=t.session,
        trough_close=t.close,
        drawdown=t.drawdown,
    )


def pullback_after(bars: ir.Table, after: dt.date, until: dt.date) -> ir.Table:
    """The deepest peak-to-trough pullback of the close in the sessions after ``after``
    through ``until``, the peak counted from the close on ``after`` (a pullback "in the
    coming weeks" starts from where the market stood when it was called).

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> p = pullback_after(example_bars(closes=[10, 12, 9, 11, 8, 13]), dt.date(2025, 1, 3),
    ...                    dt.date(2025, 1, 8)).to_polars()
    >>> p["peak_session"].item(), round(p["drawdown"].item(), 4)
    (datetime.date(2025, 1, 6), -0.2727)
    """
    start = bars.filter(bars.session <= after).session.max()
    return max_drawdown(bars.filter(bars.session >= start), end=until)


# -- targets --------------------------------------------------------------------------------


def implied_upside(bars: ir.Table, target: float, reference: dt.date) -> ir.Table:
    """Implied upside of ``target`` against the last close on or before ``reference``.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> u = implied_upside(example_bars(), 107, dt.date(2025, 1, 7)).to_polars()
    >>> u["reference_close"].item(), round(u["implied_upside"].item(), 4)
    (106.0, 0.0094)
    """
    ref = _last_on_or_before(bars, reference, "reference")
    return ref.mutate(target=ibis.literal(target), implied_upside=target / ref.reference_close - 1)


def target_touched(bars: ir.Table, target: float, after: dt.date, horizon_end: dt.date) -> ir.Table:
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
    ref = _last_on_or_before(bars, after, "ref")
    t = bars.filter(bars.session > after, bars.session <= horizon_end)
    t = t.join(ref, "symbol")
    upward = t.ref_close < target
    reached = upward.ifelse(t.high >= target, t.low <= target)
    hit = t.filter(reached)
    first = ibis.row_number().over(group_by=hit.symbol, order_by=hit.session)
    return hit.mutate(_n=first).filter(ibis._._n == 0).drop("_n")


def target_met(bars: ir.Table, target: float, horizon_end: dt.date) -> ir.Table:
    """The close at the horizon (last close on or before ``horizon_end``) against ``target``:
    ``signed_error`` = close / target - 1.

    Examples
    --------
    >>> from analysis.examples import example_bars
    >>> m = target_met(example_bars(), 100, dt.date(2025, 1, 8)).to_polars()
    >>> m["met"].item(), round(m["signed_error"].item(), 4)
    (True, 0.08)
    """
    end = _last_on_or_before(bars, horizon_end, "horizon")
    return end.mutate(
        target=ibis.literal(target),
        met=end.horizon_close >= target,
        signed_error=end.horizon_close / target - 1,
    )


# -- observations ---------------------------------------------------------------------------


def factor_premia(obs: ir.Table, series: str, first_year: int, last_year: int) -> ir.Table:
    """Arithmetic and geometric mean of an annual factor series (percent) over a span of
    years, with the share of years it was positive.

    Examples
    --------
    >>> from analysis.examples import example_factor
    >>> import polars as pl
    >>> p = factor_premia(example_factor(), "FF3:SMB:A", 2000, 2002).to_polars()
    >>> p.select("years", "arithmetic_mean", pl.col("geometric_mean").round(4)).row(0)
    (3, 2.0, 1.8152)
    """
    t = obs.filter(obs.series == series)
    year = t.period.cast("int64")
    t = t.filter(year >= first_year, year <= last_year)
    agg = t.agg(
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
    w = ibis.window(order_by=t.period)
    t = t.mutate(previous=t.value.lag().over(w))
    changed = t.filter(t.previous.notnull() & (t.value != t.previous))
    change = ((changed.value - changed.previous) * 100).round(2)
    return changed.mutate(change_bp=change, direction=(change < 0).ifelse("cut", "hike"))
