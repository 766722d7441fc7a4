"""Every signal compiles for DuckDB and for Spark: none silently depends on one backend."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from analysis import signals as sg
from analysis.examples import example_bars, example_factor, example_rates

D = dt.date(2025, 1, 7)
A, B = example_bars(), example_bars(symbol="^B")

EXPRESSIONS = {
    "period_return": lambda: sg.period_return(A, dt.date(2024, 12, 31), D),
    "ytd_return": lambda: sg.ytd_return(A, D),
    "month_to_date_return": lambda: sg.month_to_date_return(A, D),
    "trailing_return": lambda: sg.trailing_return(A, D, 3),
    "window_return": lambda: sg.window_return(A, D, months=6),
    "relative_return": lambda: sg.relative_return(A, B, dt.date(2024, 12, 31), D),
    "moving_average": lambda: sg.moving_average(A, 200),
    "ma_crossings": lambda: sg.ma_crossings(A, 200),
    "record_closes": lambda: sg.record_closes(A),
    "record_highs": lambda: sg.record_highs(A),
    "records_per_year": lambda: sg.records_per_year(A),
    "first_close_above": lambda: sg.first_close_above(A, 2500, start=D),
    "first_high_above": lambda: sg.first_high_above(A, 2500),
    "weekly_closes": lambda: sg.weekly_closes(A),
    "consecutive_weekly_closes_above": lambda: sg.consecutive_weekly_closes_above(A, 2460, 2),
    "relative_strength": lambda: sg.relative_strength(A, B),
    "longest_below_peak": lambda: sg.longest_below_peak(sg.relative_strength(A, B)),
    "max_drawdown": lambda: sg.max_drawdown(A, start=dt.date(2024, 1, 1)),
    "pullback_after": lambda: sg.pullback_after(A, D, dt.date(2025, 2, 1)),
    "implied_upside": lambda: sg.implied_upside(A, 2665, D),
    "target_touched": lambda: sg.target_touched(A, 2665, D, dt.date(2025, 12, 31)),
    "target_met": lambda: sg.target_met(A, 2665, dt.date(2025, 12, 31)),
    "factor_premia": lambda: sg.factor_premia(example_factor(), "FF3:SMB:A", 1927, 2023),
    "rate_changes": lambda: sg.rate_changes(example_rates(), "FRED:DFEDTARU"),
    "close_on_or_before": lambda: sg.close_on_or_before(A, D),
    "return_ratio": lambda: sg.return_ratio(A, B, dt.date(2024, 12, 31), D),
    "peak": lambda: sg.peak(A, "high", start=dt.date(2024, 11, 1), end=D),
    "underperformance_under_way": lambda: sg.underperformance_under_way(sg.relative_strength(A, B)),
    "fall_from": lambda: sg.fall_from(A, D, dt.date(2025, 2, 1)),
    "group_medians": lambda: sg.group_medians(
        sg.period_return(A, dt.date(2024, 12, 31), D), {"g": ["^A"]}
    ),
    "observation_change": lambda: sg.observation_change(
        example_rates(), "FRED:DFEDTARU", dt.date(2024, 9, 17), D
    ),
    "month_end_closes": lambda: sg.month_end_closes(A),
    "growth_from_returns": lambda: sg.growth_from_returns(MONTHLY, "S"),
    "last_session_within": lambda: sg.last_session_within(A, "high", 2460, 2470, end=D),
    "pinned": lambda: sg.pinned(A, 20, 0.02, start=dt.date(2024, 12, 31)),
    # a panel of several views, with per-view dates given as columns
    "period_return over views": lambda: sg.period_return(VIEWS, ibis._.after, ibis._.day),
}
MONTHLY = ibis.memtable(
    {"series": ["S", "S"], "period": ["2000-01", "2000-02"], "value": [1.0, -2.0]}
)
VIEWS = example_bars().mutate(
    view=ibis.literal(1), after=ibis.literal(dt.date(2024, 12, 31)), day=ibis.literal(D)
)


def test_every_public_signal_is_covered():
    assert set(sg.__all__) <= set(EXPRESSIONS)


@pytest.fixture(autouse=True)
def pyspark_options(monkeypatch):
    # ibis registers its pyspark options only when pyspark itself is importable; compiling
    # needs just this one flag, so the default suite compiles without a 300 MB Spark install
    # (the spark nox session runs the same expressions on real Spark).
    if getattr(ibis.options, "pyspark", None) is None:

        class PySparkOptions(ibis.config.Config):  # mirrors ibis.backends.pyspark's Options
            treat_nan_as_null: bool = False

        monkeypatch.setattr(ibis.options, "pyspark", PySparkOptions())


@pytest.mark.parametrize("dialect", ["duckdb", "pyspark"])
@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_signal_compiles(name, dialect):
    sql = ibis.to_sql(EXPRESSIONS[name](), dialect=dialect)
    assert "SELECT" in sql.upper()
