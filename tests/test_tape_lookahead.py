"""No look-ahead: nothing recorded later, and nothing valid later, reaches an earlier cut."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import signals as sg
from analysis.tape import Tape
from store import EventLog, PriceBar, batch
from store.reference.calendar import sessions

UTC = dt.UTC
CAL = sessions().filter(pl.col("session").is_between(dt.date(2025, 1, 2), dt.date(2025, 6, 30)))
DAYS = CAL.rows(named=True)  # session, open, close (UTC)
CUT_INDEX = 80  # the cut sits at the close of the 81st session
KNOWN_AT = DAYS[CUT_INDEX]["close"]
RECORDED_BY = dt.datetime(2026, 1, 1, tzinfo=UTC)


def bar(i: int, close: float, symbol: str = "^TST") -> PriceBar:
    day = DAYS[i]
    return PriceBar(
        symbol=symbol,
        feed="unit",
        session=day["session"],
        bar_start=day["open"],
        bar_end=day["close"],
        open=close,
        high=close * 1.01,
        low=close * 0.99,
        close=close,
        source="tests",
    )


def history() -> pl.DataFrame:
    closes = [100 + (i % 17) - (i % 5) * 0.7 + i * 0.3 for i in range(len(DAYS))]
    return batch(bar(i, c) for i, c in enumerate(closes[: CUT_INDEX + 40]))


def signal_values(tape: Tape) -> dict[str, object]:
    bars = tape.bars(KNOWN_AT, RECORDED_BY, symbols=["^TST"])
    as_of = DAYS[CUT_INDEX]["session"]
    # through the tape's own engine path, as every claim runs (each shape compiles once)
    run = tape.run
    return {
        "bars": run(bars.order_by("session")).drop("recorded_at"),
        "sma": run(sg.moving_average(bars, 20).order_by("session"))["sma"].to_list(),
        "crossings": run(sg.ma_crossings(bars, 10))["session"].to_list(),
        "records": run(sg.record_closes(bars))["session"].to_list(),
        "ytd": run(sg.ytd_return(bars, as_of))["period_return"].to_list(),
        "weekly": run(sg.weekly_closes(bars))["session"].to_list(),
        "drawdown": run(sg.max_drawdown(bars)).row(0),
        "first_above": run(sg.first_close_above(bars, 110))["session"].to_list(),
    }


later_valid = st.lists(
    st.tuples(st.integers(CUT_INDEX + 1, len(DAYS) - 1), st.floats(50, 200)), max_size=6
)
corrections = st.lists(st.tuples(st.integers(0, CUT_INDEX), st.floats(50, 200)), max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(later_valid, corrections)
def test_later_events_and_later_corrections_change_nothing_at_an_earlier_cut(later, fixes):
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog.open(Path(tmp) / "s", create=True)
        log.append(history(), recorded_at=dt.datetime(2025, 12, 1, tzinfo=UTC))
        before = signal_values(Tape(log))
        events = {}
        for i, close in later:  # new facts, valid after the cut
            events[i] = bar(i, close)
        if events:
            log.append(batch(events.values()), recorded_at=dt.datetime(2025, 12, 15, tzinfo=UTC))
        fixed = {i: bar(i, close) for i, close in fixes}  # corrections recorded after the cut
        if fixed:
            log.append(batch(fixed.values()), recorded_at=dt.datetime(2026, 2, 1, tzinfo=UTC))
        after = signal_values(Tape(log))
        for name, value in before.items():
            if isinstance(value, pl.DataFrame):
                assert value.equals(after[name]), name
            else:
                assert value == after[name], name


def test_a_correction_is_seen_by_readers_recorded_after_it():
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog.open(Path(tmp) / "s", create=True)
        log.append(history(), recorded_at=dt.datetime(2025, 12, 1, tzinfo=UTC))
        log.append(batch([bar(CUT_INDEX, 500.0)]), recorded_at=dt.datetime(2026, 2, 1, tzinfo=UTC))
        tape = Tape(log)
        later_reader = tape.bars(KNOWN_AT, symbols=["^TST"]).order_by("session").to_polars()
        assert later_reader["close"][-1] == 500.0
        early = tape.bars(KNOWN_AT, RECORDED_BY, symbols=["^TST"]).order_by("session").to_polars()
        assert early["close"][-1] != 500.0


@pytest.fixture
def thanksgiving_tape(tmp_path) -> Tape:
    """^TST bars around the 2025 Thanksgiving early close (Friday 28 Nov closes 13:00 NY)."""
    cal = sessions().filter(
        pl.col("session").is_between(dt.date(2025, 11, 24), dt.date(2025, 12, 1))
    )
    log = EventLog.open(tmp_path / "s", create=True)
    log.append(
        batch(
            PriceBar(
                symbol="^TST",
                feed="unit",
                session=r["session"],
                bar_start=r["open"],
                bar_end=r["close"],
                open=10.0,
                high=11.0,
                low=9.0,
                close=10.5,
                source="t",
            )
            for r in cal.rows(named=True)
        )
    )
    return Tape(log)


def test_a_bar_closing_after_known_at_is_not_on_the_tape_even_on_an_early_close(thanksgiving_tape):
    early_close = dt.datetime(2025, 11, 28, 18, 0, tzinfo=UTC)  # 13:00 New York
    before = thanksgiving_tape.bars(early_close - dt.timedelta(minutes=1), symbols=["^TST"])
    at = thanksgiving_tape.bars(early_close, symbols=["^TST"])
    assert before.to_polars()["session"].max() == dt.date(2025, 11, 26)
    assert at.to_polars()["session"].max() == dt.date(2025, 11, 28)
    # at 15:00 New York the session is over on an early-close day: nothing is in progress
    assert thanksgiving_tape.session_in_progress(early_close + dt.timedelta(hours=2)) is None


def test_the_session_in_progress_is_separate_and_marked(thanksgiving_tape):
    noon_ny = dt.datetime(2025, 11, 28, 17, 0, tzinfo=UTC)
    closed = thanksgiving_tape.bars(noon_ny, symbols=["^TST"]).to_polars()
    assert dt.date(2025, 11, 28) not in closed["session"].to_list()
    live = thanksgiving_tape.session_in_progress(noon_ny, symbols=["^TST"]).to_polars()
    assert live["session"].to_list() == [dt.date(2025, 11, 28)]
    assert live["in_progress"].to_list() == [True]
    assert (
        thanksgiving_tape.session_in_progress(dt.datetime(2025, 11, 29, 17, tzinfo=UTC)) is None
    )  # a Saturday
