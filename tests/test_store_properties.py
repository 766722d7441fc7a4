"""Properties of the log: replay equals a plain fold of the events, and appends are idempotent.

The oracle below is deliberately naive Python over dicts: it shares no code with the Polars
plan in ``store.log.as_of``.
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
cuts = st.lists(st.tuples(st.integers(-1, 7), st.integers(-1, 9)), min_size=1, max_size=6)


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


def fold(rows: list[dict], known_at: dt.datetime | None, recorded_by: dt.datetime | None) -> dict:
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


def view(frame: pl.DataFrame) -> dict:
    return {(r["stream"], r["key"]): r["event_id"] for r in frame.iter_rows(named=True)}


def cut_times(cut: tuple[int, int]) -> tuple[dt.datetime | None, dt.datetime | None]:
    day, hour = cut
    known_at = (
        None if day < 0 else dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(21, 0), UTC)
    )
    recorded_by = None if hour < 0 else BASE + dt.timedelta(hours=hour)
    return known_at, recorded_by


def check_replay(log, history, cut_list) -> None:
    for frame, recorded_at in build(history, []):
        log.append(frame.drop("event_id"), recorded_at=recorded_at)
    rows = log.events().to_dicts()
    for cut in cut_list:
        known_at, recorded_by = cut_times(cut)
        assert view(log.read(known_at, recorded_by)) == fold(rows, known_at, recorded_by)


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


@settings(max_examples=150, deadline=None)
@given(histories, cuts)
def test_replay_equals_fold_memory(history, cut_list):
    check_replay(MemoryEventLog(), history, cut_list)


@settings(max_examples=60, deadline=None)
@given(histories, st.lists(st.tuples(st.integers(0, 20), st.integers(0, 63)), max_size=4))
def test_reappending_any_subset_changes_nothing_memory(history, picks):
    check_idempotent(MemoryEventLog(), history, picks)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, cuts)
def test_replay_equals_fold_delta(history, cut_list):
    with tempfile.TemporaryDirectory() as tmp:
        check_replay(EventLog.open(Path(tmp) / "s", create=True), history, cut_list)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, st.lists(st.tuples(st.integers(0, 20), st.integers(0, 63)), max_size=4))
def test_reappending_any_subset_changes_nothing_delta(history, picks):
    with tempfile.TemporaryDirectory() as tmp:
        check_idempotent(EventLog.open(Path(tmp) / "s", create=True), history, picks)
