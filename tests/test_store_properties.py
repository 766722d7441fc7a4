"""Properties of the log: appending any subset of what is already there changes nothing.

(That the fold of the log equals a naive fold is a property of the tape: test_tape_fold.py.)
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
from conftest import UTC, session_bar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import EventLog, MemoryEventLog, Retraction, batch
from store.events import event_ids

BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)
STREAMS = ("^AAA", "^BBB")
DAY0 = dt.date(2025, 1, 6)

bar_op = st.tuples(
    st.just("bar"),
    st.sampled_from(STREAMS),
    st.integers(0, 5),
    st.sampled_from([10.0, 11.0, 12.5, 13.0]),
)
retract_op = st.tuples(st.just("retract"), st.integers(0, 10_000))
batch_ops = st.lists(st.one_of(bar_op, bar_op, retract_op), min_size=1, max_size=6)
histories = st.lists(st.tuples(batch_ops, st.integers(0, 8)), min_size=1, max_size=6)


def build(history: list, ids_so_far: list) -> list[tuple[pl.DataFrame, dt.datetime]]:
    """Turn drawn ops into batches; retractions point at events of earlier batches."""
    batches = []
    known = list(ids_so_far)
    for ops, hour in history:
        events, seen_keys = [], set()
        for op in ops:
            if op[0] == "bar":
                _, symbol, day, close = op
                if (symbol, day) in seen_keys:
                    continue  # one version of a fact per batch
                seen_keys.add((symbol, day))
                events.append(session_bar(DAY0 + dt.timedelta(days=day), close, symbol=symbol))
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


def check_idempotent(log, history, picks) -> None:
    batches = build(history, [])
    if not batches:
        return
    for frame, recorded_at in batches:
        log.append(frame.drop("event_id"), recorded_at=recorded_at)
    version, before = log.version(), log.events()
    for i, mask_seed in picks:
        frame, _ = batches[i % len(batches)]
        subset = frame.filter(pl.Series([(mask_seed >> j) & 1 == 1 for j in range(frame.height)]))
        result = log.append(subset.drop("event_id"), recorded_at=BASE + dt.timedelta(days=30))
        assert result.added == 0 and result.skipped == subset.height
    assert log.version() == version
    assert log.events().equals(before)


@settings(max_examples=60, deadline=None)
@given(histories, st.lists(st.tuples(st.integers(0, 20), st.integers(0, 63)), max_size=4))
def test_reappending_any_subset_changes_nothing_memory(history, picks):
    check_idempotent(MemoryEventLog(), history, picks)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, st.lists(st.tuples(st.integers(0, 20), st.integers(0, 63)), max_size=4))
def test_reappending_any_subset_changes_nothing_delta(history, picks):
    with tempfile.TemporaryDirectory() as tmp:
        check_idempotent(EventLog.open(Path(tmp) / "s", create=True), history, picks)
