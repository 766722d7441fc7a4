"""The fold: Tape.facts is the one bitemporal fold, checked on every storage adapter and, by
Hypothesis, against a naive fold of random logs with corrections, retractions and several feeds.

The oracle is deliberately plain Python over dicts: it shares no code with the ibis fold.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from conftest import UTC, bars_batch, session_bar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.tape import Tape
from store import EventLog, MemoryEventLog, Retraction, batch
from store.events import event_ids
from store.reference.clock import FAR_FUTURE

T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
R1, R2, R3 = (T0 + dt.timedelta(days=d) for d in (1, 2, 3))


def facts(log, known_at=FAR_FUTURE, recorded_by=None, version=None) -> pl.DataFrame:
    tape = Tape(log, version=version)
    return tape.run(tape.facts(known_at, recorded_by)).sort("stream", "valid_at", "key")


def closes(frame: pl.DataFrame) -> dict[str, float]:
    return dict(zip(frame["key"].to_list(), frame["close"].to_list(), strict=True))


def test_a_correction_wins_for_readers_recorded_after_it(any_log):
    d = dt.date(2025, 3, 3)
    any_log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
    any_log.append(batch([session_bar(d, 11.0)]), recorded_at=R2)
    key = f"1d/{d}"
    assert closes(facts(any_log))[key] == 11.0
    assert closes(facts(any_log, recorded_by=R1))[key] == 10.0
    assert closes(facts(any_log, recorded_by=R2 - dt.timedelta(microseconds=1)))[key] == 10.0
    assert facts(any_log, recorded_by=R1 - dt.timedelta(seconds=1)).height == 0


def test_retracting_a_correction_restores_the_prior_version(any_log):
    d = dt.date(2025, 3, 3)
    key = f"1d/{d}"
    any_log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
    any_log.append(batch([session_bar(d, 11.0)]), recorded_at=R2)
    wrong = any_log.history("^TST@unit", key).filter(pl.col("close") == 11.0)["event_id"][0]
    any_log.append(batch([Retraction(wrong, "^TST@unit", key, T0, "bad", "t")]), recorded_at=R3)
    assert closes(facts(any_log))[key] == 10.0
    assert closes(facts(any_log, recorded_by=R2))[key] == 11.0


def test_retracting_the_only_version_removes_the_fact(any_log):
    d = dt.date(2025, 3, 3)
    any_log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
    eid = any_log.events()["event_id"][0]
    any_log.append(
        batch([Retraction(eid, "^TST@unit", f"1d/{d}", T0, "dup", "tests")]), recorded_at=R2
    )
    assert facts(any_log).height == 0
    assert facts(any_log, recorded_by=R1).height == 1


def test_known_at_cuts_on_valid_time(any_log):
    any_log.append(bars_batch(5, start=dt.date(2025, 1, 1)))
    close_of_jan3 = dt.datetime(2025, 1, 3, 21, 0, tzinfo=UTC)
    view = facts(any_log, known_at=close_of_jan3)
    assert view["session"].to_list() == [dt.date(2025, 1, d) for d in (1, 2, 3)]
    assert facts(any_log, known_at=close_of_jan3 - dt.timedelta(microseconds=1)).height == 2


def test_both_axes_together(any_log):
    d1, d2 = dt.date(2025, 1, 1), dt.date(2025, 1, 2)
    any_log.append(batch([session_bar(d1, 10.0), session_bar(d2, 20.0)]), recorded_at=R1)
    any_log.append(batch([session_bar(d1, 15.0)]), recorded_at=R2)
    end_d1 = dt.datetime(2025, 1, 1, 21, tzinfo=UTC)
    assert closes(facts(any_log, end_d1, R1)) == {f"1d/{d1}": 10.0}
    assert closes(facts(any_log, end_d1, R2)) == {f"1d/{d1}": 15.0}
    assert closes(facts(any_log, recorded_by=R1)) == {f"1d/{d1}": 10.0, f"1d/{d2}": 20.0}


def test_versions_pin_a_past_log(any_log):
    any_log.append(bars_batch(2))
    v1 = any_log.version()
    any_log.append(bars_batch(4))
    assert facts(any_log, version=v1).height == 2
    assert facts(any_log).height == 4


@pytest.mark.parametrize("cache", [False, True])
def test_the_kept_fold_reads_the_same_as_the_lazy_one(any_log, cache):
    any_log.append(bars_batch(4), recorded_at=R1)
    any_log.append(batch([session_bar(dt.date(2025, 1, 2), 55.0)]), recorded_at=R2)
    tape = Tape(any_log, cache=cache)
    cut = dt.datetime(2025, 1, 3, 21, tzinfo=UTC)
    got = tape.run(tape.facts(cut, entities=["^TST"])).sort("session")
    assert got["close"].to_list() == [100.0, 55.0, 102.0]


# -- the property: Tape.facts equals a naive fold -------------------------------------------------

BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)
SYMBOLS = ("^AAA", "^BBB")
FEEDS = ("one", "two")
DAY0 = dt.date(2025, 1, 6)

bar_op = st.tuples(
    st.just("bar"),
    st.sampled_from(SYMBOLS),
    st.sampled_from(FEEDS),
    st.integers(0, 5),
    st.sampled_from([10.0, 11.0, 12.5, 13.0]),
)
retract_op = st.tuples(st.just("retract"), st.integers(0, 10_000))
batch_ops = st.lists(st.one_of(bar_op, bar_op, retract_op), min_size=1, max_size=6)
histories = st.lists(st.tuples(batch_ops, st.integers(0, 8)), min_size=1, max_size=6)
cuts = st.lists(st.tuples(st.integers(-1, 7), st.integers(-1, 9)), min_size=1, max_size=6)


def build(history: list) -> list[tuple[pl.DataFrame, dt.datetime]]:
    """Drawn ops as batches; retractions point at events of earlier batches."""
    batches, known = [], []
    for ops, hour in history:
        events, seen = [], set()
        for op in ops:
            if op[0] == "bar":
                _, symbol, feed, day, close = op
                if (symbol, feed, day) in seen:
                    continue  # one version of a fact per batch
                seen.add((symbol, feed, day))
                events.append(
                    session_bar(DAY0 + dt.timedelta(days=day), close, symbol=symbol, feed=feed)
                )
            elif known:
                eid, stream, key = known[op[1] % len(known)]
                events.append(Retraction(eid, stream, key, BASE, "prop", "tests"))
        if not events:
            continue
        frame = batch(events)
        frame = frame.with_columns(event_ids(frame).alias("event_id"))
        known += list(zip(frame["event_id"], frame["stream"], frame["key"], strict=True))
        batches.append((frame, BASE + dt.timedelta(hours=hour)))
    return batches


def naive_fold(
    rows: list[dict], known_at: dt.datetime | None, recorded_by: dt.datetime | None
) -> dict:
    visible = [r for r in rows if recorded_by is None or r["recorded_at"] <= recorded_by]
    retracted = {r["retracts"] for r in visible if r["event_type"] == "Retraction"}
    latest: dict[tuple[str, str], dict] = {}
    for r in visible:
        if r["event_type"] == "Retraction" or r["event_id"] in retracted:
            continue
        if known_at is not None and r["valid_at"] > known_at:
            continue
        k = (r["stream"], r["key"])
        if k not in latest or (r["recorded_at"], r["event_id"]) > (
            latest[k]["recorded_at"],
            latest[k]["event_id"],
        ):
            latest[k] = r
    return {k: r["event_id"] for k, r in latest.items()}


def cut_times(cut: tuple[int, int]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A drawn ``(day, hour)`` as ``(known_at, recorded_by)``; negative means no cut."""
    day, hour = cut
    known_at = (
        None if day < 0 else dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(21, 0), UTC)
    )
    recorded_by = None if hour < 0 else BASE + dt.timedelta(hours=hour)
    return known_at, recorded_by


def check_fold(log, history, cut_list, cache: bool) -> None:
    for frame, recorded_at in build(history):
        log.append(frame.drop("event_id"), recorded_at=recorded_at)
    rows = log.events().to_dicts()
    tape = Tape(log, cache=cache)
    for day, hour in cut_list:
        known_at = (
            FAR_FUTURE
            if day < 0
            else dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(21), UTC)
        )
        recorded_by = None if hour < 0 else BASE + dt.timedelta(hours=hour)
        got = tape.run(tape.facts(known_at, recorded_by))
        view = {(r["stream"], r["key"]): r["event_id"] for r in got.iter_rows(named=True)}
        assert view == naive_fold(rows, known_at, recorded_by)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, cuts, st.booleans())
def test_tape_facts_equal_the_naive_fold_memory(history, cut_list, cache):
    check_fold(MemoryEventLog(), history, cut_list, cache)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, cuts)
def test_tape_facts_equal_the_naive_fold_delta(history, cut_list):
    with tempfile.TemporaryDirectory() as tmp:
        check_fold(EventLog.open(Path(tmp) / "s", create=True), history, cut_list, True)
