"""The universe screen against independent computations on the raw files (pandas), and its CLI.

The screen is one query for every symbol; here two of its rows (^RUT, ^GSPC) are recomputed
from the raw CSV files, and the synthetic universe's rows from the frames written to its log.
"""

from __future__ import annotations

import datetime as dt

import oracles
import pandas as pd
import pytest
from conftest import run_tapecheck

from analysis.screen import SCREEN_COLUMNS, screen
from analysis.tape import Tape
from store.reference.clock import end_of_day

DAY = dt.date(2025, 10, 6)
CUT = end_of_day(DAY)


def expected(frame: pd.DataFrame, day: dt.date, sessions: int = 200) -> dict[str, object]:
    upto = frame.loc[: pd.Timestamp(day)]
    close = upto.close
    prior = close.cummax().shift()
    records = upto.index[(close > prior) & (upto.index.year == day.year)]
    before = close.loc[: pd.Timestamp(day.year - 1, 12, 31)]
    this_year = upto.index[-1].year == day.year
    return {
        "session": upto.index[-1].date(),
        "close": float(close.iloc[-1]),
        "sma": float(close.rolling(sessions).mean().iloc[-1]),
        # no YTD numbers for a series without a session this year (it stopped)
        "ytd_return": float(close.iloc[-1] / before.iloc[-1] - 1)
        if this_year and len(before)
        else None,
        "records_ytd": len(records) if this_year else None,
        "last_record": records[-1].date() if len(records) else None,
    }


@pytest.fixture(scope="module")
def screened(real_tape):
    return real_tape.run(screen(real_tape, CUT)).sort("symbol")


@pytest.mark.parametrize("symbol", ["^RUT", "^GSPC"])
def test_screen_rows_match_the_raw_files(screened, data_dir, symbol):
    raw = oracles.rut(data_dir) if symbol == "^RUT" else oracles.gspc(data_dir)
    want = expected(raw, DAY)
    got = screened.filter(screened["symbol"] == symbol).row(0, named=True)
    assert got["session"] == want["session"]
    assert got["records_ytd"] == want["records_ytd"] > 0
    assert got["last_record"] == want["last_record"]
    for field in ("close", "sma", "ytd_return"):
        assert got[field] == pytest.approx(want[field], rel=1e-9), field
    assert got["above_sma"] == (want["close"] > want["sma"])


def test_screen_covers_every_symbol_once(screened, real_tape):
    bars = real_tape.bars(CUT)
    quoted = real_tape.run(bars.filter(bars.close.notnull()).select("symbol").distinct())
    assert sorted(screened["symbol"]) == sorted(quoted["symbol"])
    assert list(screened.columns) == list(SCREEN_COLUMNS)
    # symbols whose feeds carry only dividend-adjusted closes are screened on those
    adjusted = real_tape.run(screen(real_tape, CUT, adjusted=True))
    assert "FLS" in set(adjusted["symbol"]) - set(screened["symbol"])
    # and indexes, which have no dividend-adjusted series, only on quoted closes
    assert "^RUT" in set(screened["symbol"]) - set(adjusted["symbol"])


def test_a_stopped_series_has_no_ytd_numbers(screened):
    # SUM's last bar is in March 2024: no session this year, so no YTD return and no count
    row = screened.filter(screened["symbol"] == "SUM").row(0, named=True)
    assert row["session"].year < DAY.year
    assert row["ytd_return"] is None and row["records_ytd"] is None


def test_screen_cli_writes_the_csv(real_log, tmp_path):
    out = tmp_path / "screen.csv"
    done = run_tapecheck(
        "screen", "--known-at", DAY.isoformat(), "--above", "--csv", str(out), store=real_log.root
    )
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert len(frame) > 0 and frame.above_sma.all()
    assert "^RUT" in set(frame.symbol)


def test_unknown_backend_is_one_line_and_exit_2(real_log):
    for command in (
        ["verify", "A"],
        ["infer-date", "A"],
        ["calls"],
        ["replay", "^RUT", "--known-at", "2025-10-06"],
        ["screen", "--known-at", "2025-10-06"],
    ):
        done = run_tapecheck(*command, "--backend", "nosuch", store=real_log.root)
        assert done.returncode == 2, (command, done.stderr)
        assert "unknown backend 'nosuch'" in done.stderr, command
        assert "Traceback" not in done.stderr


def test_screen_on_the_synthetic_universe(universe_log):
    import polars as pl

    tape = Tape(universe_log, backend="duckdb")
    cut = end_of_day(dt.date(2025, 6, 30))
    got = tape.run(screen(tape, cut, sessions=50)).sort("symbol")
    # the oracle: the written events, folded by hand in polars (newest version per key, minus
    # retracted ones), the first feed filling from the second, then the same arithmetic
    events = universe_log.scan().collect()
    retracted = events.filter(pl.col("event_type") == "Retraction")["retracts"]
    bars = (
        events.filter(
            pl.col("event_type") == "PriceBar", ~pl.col("event_id").is_in(retracted.implode())
        )
        .sort("recorded_at")
        .group_by("stream", "key")
        .last()
        .filter(pl.col("valid_at") <= cut)
        .sort("feed")  # synth-a before synth-b: alphabetical, as for feeds the catalog lacks
        .group_by("symbol", "session")
        .first()
        .sort("symbol", "session")
    )
    for symbol, frame in bars.group_by("symbol"):
        want = expected(
            frame.to_pandas().set_index(pd.to_datetime(frame["session"])), cut.date(), 50
        )
        row = got.filter(got["symbol"] == symbol[0]).row(0, named=True)
        assert row["session"] == want["session"], symbol
        assert row["records_ytd"] == want["records_ytd"], symbol
        assert row["last_record"] == want["last_record"], symbol
        for field in ("close", "ytd_return", "sma"):
            if want[field] is None or pd.isna(want[field]):
                assert row[field] is None, (symbol, field)
            else:
                assert row[field] == pytest.approx(want[field], rel=1e-9), (symbol, field)
    assert got.height == bars["symbol"].n_unique()
