"""Every signal, and the fold under them, give the same results on Spark as on DuckDB: on the
real data and on a seeded synthetic universe (corrections, retractions, a second feed).

Both engines read the same version of the same Delta log through their own :class:`Tape`; each
signal runs universe-wide (every symbol at once) on each engine and the two results must be the
same table (floats within 1e-9 relative). The expected values are DuckDB's: what makes these
results right is tested against independent oracles in the default suite (test_signals_real).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pytest
from parity import assert_same
from universe import FACTOR, MONTHLY, RATE, RECORDED

from analysis import signals as sg
from analysis.panel import Panel, View
from analysis.tape import BAR_COLUMNS, Tape

pytestmark = pytest.mark.spark

NOW = dt.datetime(2026, 8, 22, tzinfo=dt.UTC)
D = dt.date


@dataclass
class Universe:
    """One engine's reading of a data set, with the dates and names the signals take."""

    tape: Tape
    bars: ir.Table  # every symbol, as known now
    obs: ir.Table
    bench: ir.Table  # one symbol, for the signals that compare two
    after: dt.date
    day: dt.date
    level: float
    rate: str
    factor: str
    first_year: int
    monthly: str  # a series of monthly returns in percent
    groups: dict[str, list[str]]
    panel_symbols: list[str]


SETS = {
    "real": dict(
        after=D(2024, 12, 31),
        day=D(2025, 10, 6),
        level=100.0,
        rate="FRED:DFEDTARU",
        factor="FF3:SMB:A",
        first_year=1927,
        monthly="FFME:VW:LO30:M",
        bench="^GSPC",
    ),
    "synthetic": dict(
        after=D(2024, 6, 28),
        day=D(2025, 6, 30),
        level=100.0,
        rate=RATE,
        factor=FACTOR,
        first_year=1950,
        monthly=MONTHLY,
        bench="SYN000",
    ),
}


def _universe(log, con, name: str) -> Universe:
    spec = dict(SETS[name])
    tape = Tape(log, backend="duckdb" if con is None else None, con=con, cache=True)
    bars = tape.keep(tape.bars(NOW).select(*BAR_COLUMNS))
    symbols = sorted(tape.run(bars.select("symbol").distinct())["symbol"].to_list())
    bench = spec.pop("bench")
    return Universe(
        tape=tape,
        bars=bars,
        obs=tape.keep(tape.observations(NOW)),
        bench=bars.filter(bars.symbol == bench),
        groups={"even": symbols[::2], "odd": symbols[1::2]},
        panel_symbols=symbols[:5],
        **spec,
    )


@pytest.fixture(scope="module", params=sorted(SETS))
def engines(request, spark_con):
    """The data set on both engines: ``(duckdb, pyspark)``."""
    log = request.getfixturevalue("real_log" if request.param == "real" else "universe_log")
    duck = _universe(log, None, request.param)
    spark = _universe(log, spark_con, request.param)
    assert spark.tape.version == duck.tape.version
    return duck, spark


def _recent(t: ir.Table, u: Universe) -> ir.Table:
    # per-session signals: the last year and a half is plenty to compare, and keeps results small
    return t.filter(t.session > u.after - dt.timedelta(days=180))


def _panel_returns(u: Universe) -> ir.Table:
    cuts = [dt.datetime.combine(u.day - dt.timedelta(days=d), dt.time(22), dt.UTC) for d in (0, 30)]
    panel = Panel(u.tape, [View(c) for c in cuts], symbols=u.panel_symbols)
    return sg.period_return(panel.closed(), u.after, ibis._.day)


SIGNALS: dict[str, Callable[[Universe], ir.Table]] = {
    "close_on_or_before": lambda u: sg.close_on_or_before(u.bars, u.day),
    "period_return": lambda u: sg.period_return(u.bars, u.after, u.day),
    "ytd_return": lambda u: sg.ytd_return(u.bars, u.day),
    "month_to_date_return": lambda u: sg.month_to_date_return(u.bars, u.day),
    "trailing_return": lambda u: sg.trailing_return(u.bars, u.day, 20),
    "window_return": lambda u: sg.window_return(u.bars, u.day, months=6),
    "relative_return": lambda u: sg.relative_return(u.bars, u.bench, u.after, u.day),
    "return_ratio": lambda u: sg.return_ratio(u.bars, u.bench, u.after, u.day),
    "moving_average": lambda u: _recent(sg.moving_average(u.bars, 200), u),
    "ma_crossings": lambda u: sg.ma_crossings(u.bars, 50),
    "record_closes": lambda u: sg.record_closes(u.bars),
    "record_highs": lambda u: sg.record_highs(u.bars, start=u.after),
    "records_per_year": lambda u: sg.records_per_year(u.bars),
    "peak": lambda u: sg.peak(u.bars, "high", start=u.after, end=u.day),
    "first_close_above": lambda u: sg.first_close_above(u.bars, u.level, start=u.after),
    "first_high_above": lambda u: sg.first_high_above(u.bars, u.level),
    "weekly_closes": lambda u: _recent(sg.weekly_closes(u.bars), u),
    "consecutive_weekly_closes_above": lambda u: sg.consecutive_weekly_closes_above(
        u.bars, u.level, 3
    ),
    "relative_strength": lambda u: _recent(sg.relative_strength(u.bars, u.bench), u),
    "longest_below_peak": lambda u: sg.longest_below_peak(sg.relative_strength(u.bars, u.bench)),
    "underperformance_under_way": lambda u: sg.underperformance_under_way(
        sg.relative_strength(u.bars, u.bench)
    ),
    "max_drawdown": lambda u: sg.max_drawdown(u.bars, start=u.after, end=u.day),
    "pullback_after": lambda u: sg.pullback_after(u.bars, u.after, u.day),
    "fall_from": lambda u: sg.fall_from(u.bars, u.after, u.day),
    "implied_upside": lambda u: sg.implied_upside(u.bars, 150.0, u.day),
    "target_touched": lambda u: sg.target_touched(u.bars, 150.0, u.after, u.day),
    "target_met": lambda u: sg.target_met(u.bars, 150.0, u.day),
    "group_medians": lambda u: sg.group_medians(sg.period_return(u.bars, u.after, u.day), u.groups),
    "factor_premia": lambda u: sg.factor_premia(u.obs, u.factor, u.first_year, 2023),
    "rate_changes": lambda u: sg.rate_changes(u.obs, u.rate),
    "observation_change": lambda u: sg.observation_change(u.obs, u.rate, u.after, u.day),
    "observation_on_or_before": lambda u: sg.observation_on_or_before(u.obs, u.rate, u.day),
    "growth_from_returns": lambda u: sg.growth_from_returns(u.obs, u.monthly),
    "month_end_closes": lambda u: _recent(sg.month_end_closes(u.bars), u),
    "daily_moves": lambda u: sg.daily_moves(u.bars, start=u.after, end=u.day),
    "session_bar": lambda u: sg.session_bar(u.bars, u.day),
    "streak": lambda u: sg.streak(u.bars, u.day),
    "trough": lambda u: sg.trough(u.bars, "low", start=u.after, end=u.day),
    "pinned": lambda u: sg.pinned(u.bars, 5, 0.05, start=u.after, end=u.day),
    "last_session_within": lambda u: sg.last_session_within(
        u.bars, "high", 0.95 * u.level, 1.05 * u.level, end=u.day
    ),
    # several cuts stacked in a panel, the end date a column of it
    "period_return on a panel of cuts": _panel_returns,
}


def test_every_public_signal_is_compared():
    assert set(sg.__all__) <= set(SIGNALS)


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_signal_is_the_same_on_spark(engines, name):
    duck, spark = engines
    expected = duck.tape.run(SIGNALS[name](duck))
    got = spark.tape.run(SIGNALS[name](spark))
    assert expected.height > 0, f"{name} is empty: the comparison would prove nothing"
    assert_same(expected, got, name)


def test_observations_and_bars_are_the_same_on_spark(engines):
    duck, spark = engines
    for table in ("bars", "obs"):
        expected = duck.tape.run(getattr(duck, table).drop("event_id", "recorded_at"))
        assert_same(expected, spark.tape.run(getattr(spark, table).drop("event_id", "recorded_at")))


@pytest.mark.parametrize("hours", [0.5, 1.5, 2.5, 3.5, None])
def test_the_fold_is_the_same_on_spark_at_every_recorded_cut(universe_log, spark_con, hours):
    """Before and after the second feed, the corrections and the retractions."""
    cut = RECORDED + dt.timedelta(hours=hours) if hours is not None else None
    duck, spark = Tape(universe_log, backend="duckdb"), Tape(universe_log, con=spark_con)
    ids = [set(t.run(t.fold(cut).select("event_id"))["event_id"]) for t in (duck, spark)]
    assert ids[0] == ids[1]
    assert ids[0]
