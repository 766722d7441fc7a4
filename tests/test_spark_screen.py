"""The universe screen gives the same table on Spark as on DuckDB: the real catalog, and the
synthetic universe as known now and as recorded before its corrections and retractions."""

from __future__ import annotations

import datetime as dt

import pytest
from parity import assert_same
from universe import RECORDED

from analysis.screen import screen
from analysis.tape import Tape
from store.reference.clock import end_of_day

pytestmark = pytest.mark.spark

CASES = {
    "real, 2025-10-06": ("real_log", end_of_day(dt.date(2025, 10, 6)), None, False),
    "real adjusted, 2025-10-06": ("real_log", end_of_day(dt.date(2025, 10, 6)), None, True),
    "synthetic, now": ("universe_log", end_of_day(dt.date(2025, 6, 30)), None, False),
    # recorded before the corrections (2 h) and the retractions (3 h): another fold
    "synthetic, as recorded": (
        "universe_log",
        end_of_day(dt.date(2025, 6, 30)),
        RECORDED + dt.timedelta(hours=1.5),
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_screen_is_the_same_on_spark(request, spark_con, case):
    log_fixture, cut, recorded_by, adjusted = CASES[case]
    log = request.getfixturevalue(log_fixture)
    duck, spark = Tape(log, backend="duckdb"), Tape(log, con=spark_con)
    got = {}
    for name, tape in (("duckdb", duck), ("pyspark", spark)):
        got[name] = tape.run(screen(tape, cut, recorded_by, adjusted=adjusted, sessions=50))
    assert got["duckdb"].height > 5
    assert got["duckdb"]["above_sma"].any() and got["duckdb"]["records_ytd"].max() > 0
    assert_same(got["duckdb"], got["pyspark"], case)


def test_the_recorded_cut_changes_the_screen(universe_log):
    # guards the case above: the corrections are visible in the screen's numbers
    tape = Tape(universe_log, backend="duckdb")
    cut = end_of_day(dt.date(2025, 6, 30))
    now = tape.run(screen(tape, cut, sessions=50)).sort("symbol")
    then = tape.run(screen(tape, cut, RECORDED + dt.timedelta(hours=1.5), sessions=50))
    assert not now.equals(then.sort("symbol"))
