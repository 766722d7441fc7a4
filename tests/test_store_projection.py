"""The projection: filtering it at any (known_at, version) equals a cold fold of the log.

The oracle is the naive dict fold of ``test_tape_fold`` (it shares no code with the
store). Histories mix corrections (new versions of a session's bar, same ``valid_at``),
retractions of any earlier event, and recording times that do not follow commit order.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from conftest import UTC, bars_batch, session_bar, tape_fold
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tape_fold import BASE, build, cut_times, histories
from test_tape_fold import naive_fold as fold

from store import BadInput, EventLog, Retraction, batch
from store.projection import Projection

version_cuts = st.lists(st.tuples(st.integers(-1, 7), st.integers(0, 12)), min_size=1, max_size=8)


def as_map(frame: pl.DataFrame) -> dict:
    return {(r["stream"], r["key"]): r["event_id"] for r in frame.iter_rows(named=True)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, version_cuts)
def test_projection_filtered_at_any_cut_equals_a_cold_fold(history, cuts):
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog.open(Path(tmp) / "s", create=True)
        for frame, recorded_at in build(history):
            log.append(frame.drop("event_id"), recorded_at=recorded_at)
        last = log.version()
        for day, v in cuts:
            version = min(v, last)
            known_at, _ = cut_times((day, -1))
            rows = log.events(version=version).to_dicts()
            got = log.folded(known_at, version=version)
            assert as_map(got) == fold(rows, known_at, None), (day, version)
            # the same rows, column for column, as the store's own cold fold
            cold = tape_fold(log, known_at, version=version)
            assert got.equals(cold)
            # and the tape, which reads the projection for everything recorded, agrees too
            assert as_map(projected_facts(log, known_at, version)) == as_map(cold)


def projected_facts(log: EventLog, known_at: dt.datetime | None, version: int) -> pl.DataFrame:
    from analysis.tape import Tape

    tape = Tape(log, version=version)
    return tape.run(tape.fold() if known_at is None else tape.facts(known_at))


def test_the_tape_reads_the_projection_and_folds_where_it_cannot(delta_log, tmp_path):
    from analysis.tape import Tape

    d = dt.date(2025, 3, 3)
    delta_log.append(batch([session_bar(d, 10.0)]))
    delta_log.append(batch([session_bar(d, 11.0), session_bar(dt.date(2025, 3, 4), 12.0)]))
    wanted = as_map(tape_fold(delta_log))
    tape = Tape(delta_log)
    projected = tape.fold()
    # the projection's scan has no window function: nothing is folded on the engine
    assert "ROW_NUMBER" not in str(tape.con.compile(projected)).upper()
    assert as_map(tape.run(projected)) == wanted
    # a store whose projection cannot be read (here: a file where its table should be)
    broken = EventLog.open(tmp_path / "broken", create=True)
    broken.append(batch([session_bar(d, 10.0)]))
    broken.append(batch([session_bar(d, 11.0), session_bar(dt.date(2025, 3, 4), 12.0)]))
    projection_dir = Projection(broken.root).path
    for f in sorted(projection_dir.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    projection_dir.rmdir()
    projection_dir.write_text("not a table")
    fallback = Tape(broken)
    folded = fallback.fold()
    assert "ROW_NUMBER" in str(fallback.con.compile(folded)).upper()
    closes = fallback.run(folded.order_by("valid_at"))["close"].to_list()
    assert closes == [11.0, 12.0]


def test_a_correction_that_moves_valid_at_is_refused(delta_log):
    d = dt.date(2025, 3, 3)
    delta_log.append(batch([session_bar(d, 10.0)]))
    version, before = delta_log.version(), delta_log.events()
    moved = session_bar(d, 11.0)
    moved = type(moved)(**{**moved.__dict__, "bar_end": moved.bar_end + dt.timedelta(hours=1)})
    good = session_bar(dt.date(2025, 3, 4), 12.0)
    with pytest.raises(BadInput) as err:
        delta_log.append(batch([good, moved]))
    assert str(err.value).startswith("row 1, field 'valid_at': ^TST@unit 1d/2025-03-03")
    assert "\n" not in str(err.value)
    assert delta_log.version() == version and delta_log.events().equals(before)


def test_a_retraction_must_name_an_event_of_its_key(delta_log):
    d = dt.date(2025, 3, 3)
    delta_log.append(batch([session_bar(d, 10.0)]))
    eid = delta_log.events()["event_id"][0]
    wrong_key = Retraction(eid, "^TST@unit", "1d/2025-03-04", BASE, "typo", "tests")
    with pytest.raises(BadInput, match=r"row 0, field 'retracts': retracts [0-9a-f]{32}"):
        delta_log.append(batch([wrong_key]))
    unknown = Retraction("0" * 32, "^TST@unit", f"1d/{d}", BASE, "typo", "tests")
    with pytest.raises(BadInput, match="field 'retracts'"):
        delta_log.append(batch([unknown]))
    # naming the right key works, in the same batch as a correction too
    right = Retraction(eid, "^TST@unit", f"1d/{d}", BASE, "bad print", "tests")
    delta_log.append(batch([right, session_bar(d, 10.5)]))
    assert delta_log.folded()["close"].to_list() == [10.5]


def test_retracting_the_latest_version_brings_back_the_one_before(delta_log):
    d = dt.date(2025, 3, 3)
    r1, r2, r3 = (BASE + dt.timedelta(days=i) for i in (1, 2, 3))
    delta_log.append(batch([session_bar(d, 10.0)]), recorded_at=r1)
    delta_log.append(batch([session_bar(d, 11.0)]), recorded_at=r2)
    v2 = delta_log.version()
    latest = delta_log.folded()["event_id"][0]
    delta_log.append(
        batch([Retraction(latest, "^TST@unit", f"1d/{d}", BASE, "bad", "t")]), recorded_at=r3
    )
    assert delta_log.folded()["close"].to_list() == [10.0]
    assert delta_log.folded(version=v2)["close"].to_list() == [11.0]
    first = delta_log.folded()["event_id"][0]
    delta_log.append(batch([Retraction(first, "^TST@unit", f"1d/{d}", BASE, "bad", "t")]))
    assert delta_log.folded().height == 0 and tape_fold(delta_log).height == 0


def test_a_crash_between_the_log_and_the_projection_is_healed(delta_log, monkeypatch):
    delta_log.append(bars_batch(5))
    # the process dies right after the log commit: the projection never hears of it
    monkeypatch.setattr(EventLog, "_project", lambda self, version, fresh=None: None)
    delta_log.append(bars_batch(3, start=dt.date(2025, 2, 1), symbol="^B"))
    delta_log.append(batch([session_bar(dt.date(2025, 1, 2), 99.0)]))
    monkeypatch.undo()
    projection = Projection(delta_log.root)
    assert projection.reflected(projection.table()) == delta_log.version() - 2
    reopened = EventLog.open(delta_log.root)
    assert reopened.folded().equals(tape_fold(reopened))
    assert projection.reflected(projection.table()) == reopened.version()
    # each missed log version got its own projection version: time travel still holds
    for v in range(reopened.version() + 1):
        assert reopened.folded(version=v).equals(tape_fold(reopened, version=v))


def test_compaction_keeps_every_projection_version(delta_log):
    for i in range(4):
        delta_log.append(bars_batch(20, start=dt.date(2025, 1, 1), symbol=f"^S{i}"))
    delta_log.append(batch([session_bar(dt.date(2025, 1, 3), 7.0, symbol="^S1")]))
    before = {v: delta_log.folded(version=v) for v in range(delta_log.version() + 1)}
    delta_log.compact()
    for v, frame in before.items():
        assert delta_log.folded(version=v).equals(frame), v
    assert delta_log.folded().equals(before[max(before)])
    assert delta_log.folded().equals(tape_fold(delta_log))


def test_stream_pruned_snapshots_hold_every_event_of_their_streams(delta_log):
    for i in range(6):
        delta_log.append(bars_batch(10, symbol=f"^S{i}"))
    snap = delta_log.snapshot(streams=["^S3@unit"])
    assert len(snap.files) == 1 < len(delta_log.snapshot().files)
    got = pl.read_parquet(list(snap.files)).filter(pl.col("stream") == "^S3@unit")
    assert got.sort("event_id").equals(
        delta_log.events().filter(pl.col("stream") == "^S3@unit").sort("event_id")
    )
    projected = delta_log.projection(streams=["^S3@unit"])
    assert 1 <= len(projected.files) < len(delta_log.projection().files)
    folded = delta_log.folded(streams=["^S3@unit"])
    assert folded.equals(tape_fold(delta_log, streams=["^S3@unit"]))


def test_an_identical_batch_is_a_no_op_without_revalidation(delta_log):
    frame = bars_batch(50)
    first = delta_log.append(frame, recorded_at=BASE)
    again = delta_log.append(frame, recorded_at=BASE + dt.timedelta(days=1))
    assert (again.added, again.skipped, again.attempts) == (0, 50, 0)
    assert again.version == first.version
    # the same events in another frame take the keyed path, with the same outcome
    reshaped = delta_log.append(frame.reverse())
    assert (reshaped.added, reshaped.skipped, reshaped.attempts) == (0, 50, 1)


def test_folded_reads_at_a_past_cut_are_a_filter(delta_log):
    delta_log.append(bars_batch(10, start=dt.date(2025, 1, 1)))
    cut = dt.datetime(2025, 1, 4, 21, tzinfo=UTC)
    assert delta_log.folded(cut)["session"].to_list() == [dt.date(2025, 1, d) for d in (1, 2, 3, 4)]


def test_fsck_finds_a_projection_that_disagrees_with_the_log(delta_log):
    from store import fsck
    from store.projection import WRITER

    delta_log.append(bars_batch(5))
    assert fsck(delta_log).ok
    table = Projection(delta_log.root).table()
    forged = delta_log.folded().head(1).with_columns(pl.lit("f" * 32).alias("event_id"))
    forged.write_delta(table, mode="append", delta_write_options={"writer_properties": WRITER})
    report = fsck(delta_log)
    assert not report.ok
    assert any("disagrees with the fold of log version" in str(p) for p in report.problems)


def test_a_projection_that_cannot_be_written_does_not_fail_a_committed_append(
    delta_log, monkeypatch
):
    def disk_full(self, log_path, log_version, fresh=None):
        raise OSError(28, "No space left on device")

    delta_log.append(bars_batch(3))
    monkeypatch.setattr(Projection, "update", disk_full)
    with pytest.warns(UserWarning, match="is committed; its projection is not up to date"):
        result = delta_log.append(bars_batch(5))
    assert result.added == 2
    monkeypatch.undo()
    assert delta_log.folded().equals(tape_fold(delta_log))


def test_a_late_projection_compaction_keeps_each_log_version_its_own_facts(delta_log):
    delta_log.append(batch([session_bar(dt.date(2025, 3, 3), 10.0)]))
    delta_log.append(batch([session_bar(dt.date(2025, 3, 4), 11.0)]))
    began_at = delta_log.version()
    # a writer moves the projection on before the compaction that began at `began_at` commits
    delta_log.append(batch([session_bar(dt.date(2025, 3, 5), 12.0)]))
    Projection(delta_log.root).compact()
    for version in range(1, delta_log.version() + 1):
        assert delta_log.folded(version=version).equals(tape_fold(delta_log, version=version))
    assert delta_log.folded(version=began_at).height == 2


def test_a_large_version_is_merged_in_parts_and_a_crash_between_parts_heals(delta_log, monkeypatch):
    """A streamed ingest's version is read back from the log and merged a few events at a
    time (memory does not grow with the file); only the last part records the log version,
    so a crash between parts leaves it unapplied, and the next read applies it whole."""
    import store.log
    import store.projection

    monkeypatch.setattr(store.log, "STREAM_FILE_BYTES", 1024)
    monkeypatch.setattr(store.log, "STREAM_ROW_GROUP", 3)
    monkeypatch.setattr(store.projection, "APPLY_ROWS", 4)
    batches = [
        bars_batch(5, start=dt.date(2025, 1, 1) + dt.timedelta(days=10 * k), symbol=f"^S{k}")
        for k in range(3)
    ]
    merge = Projection._write_part
    calls = []

    def dies_on_the_second_part(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return merge(self, *args, **kwargs)

    monkeypatch.setattr(Projection, "_write_part", dies_on_the_second_part)
    with pytest.warns(UserWarning, match="not up to date"):
        delta_log.append_stream(lambda: ((b, None) for b in batches))
    projection = Projection(delta_log.root)
    table = projection.table()
    # one part merged, and the version not recorded as applied
    assert [h.get(store.projection.PART_OF) for h in table.history()].count("1") == 1
    assert projection.reflected(table) < delta_log.version()
    monkeypatch.setattr(Projection, "_write_part", merge)
    reopened = EventLog.open(delta_log.root)
    assert reopened.folded().height == 15
    assert reopened.folded().equals(tape_fold(reopened))
    assert projection.reflected(projection.table()) == reopened.version()
    parts = store.projection.added_parts(reopened.table_path, reopened.version())
    assert len(parts) >= 2 and sum(read().height for read in parts) == 15
    assert reopened.folded(version=0).height == 0


@pytest.mark.parametrize("other_has_the_events", [True, False])
def test_brand_new_keys_are_applied_once_when_two_writers_race(
    delta_log, monkeypatch, other_has_the_events
):
    """A version of brand-new keys reaches the projection as a plain append, not a MERGE.
    Two processes may bring the projection up to the same log version at once (the other one
    with the events in hand, or reading them back from the log); the one whose table is
    stale must fail and re-read, never add the facts a second time (delta-rs would rebase a
    plain append over the other commit if it were allowed to retry)."""
    from deltalake.exceptions import CommitFailedError

    from store.projection import Fresh

    delta_log.append(bars_batch(3))
    monkeypatch.setattr(EventLog, "_project", lambda self, version, fresh=None: None)
    result = delta_log.append(bars_batch(4, symbol="^NEW"))  # keys the log has never seen
    monkeypatch.undo()
    version = result.version
    fresh = Fresh(version, delta_log.added(version - 1), all_new=True)
    projection = Projection(delta_log.root)
    stale = projection.table()  # both writers read the projection before either commits
    projection.update(delta_log.table_path, version, fresh if other_has_the_events else None)
    with pytest.raises(CommitFailedError):
        projection._apply(stale, delta_log.table_path, version, fresh)
    # the update, which catches that failure, re-reads: the version is there, nothing is added
    projection.update(delta_log.table_path, version, fresh)
    assert delta_log.folded().height == 7
    assert delta_log.folded().equals(tape_fold(delta_log))


def test_brand_new_keys_are_appended_and_known_keys_merged(delta_log):
    delta_log.append(bars_batch(3))
    operations = [h["operation"] for h in Projection(delta_log.root).table().history(limit=1)]
    assert operations == ["WRITE"]
    delta_log.append(batch([session_bar(dt.date(2025, 1, 2), 99.0)]))  # a correction
    operations = [h["operation"] for h in Projection(delta_log.root).table().history(limit=1)]
    assert operations == ["MERGE"]
    assert delta_log.folded().equals(tape_fold(delta_log))


def test_a_read_after_a_compaction_does_not_replay_the_log(delta_log, monkeypatch):
    """The projection records no version for a log version without events (a compaction), so
    every later read asks whether that version added any: its own entry answers, without
    two Delta log replays, and the answer is still the fold."""
    import store.projection

    for i in range(3):
        delta_log.append(bars_batch(5, symbol=f"^S{i}"))
    delta_log.compact()
    opened = []
    real = store.projection.DeltaTable

    def counting(path, *args, **kwargs):
        opened.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(store.projection, "DeltaTable", counting)
    folded = delta_log.folded()
    assert str(delta_log.table_path) not in opened
    monkeypatch.undo()
    assert folded.equals(tape_fold(delta_log)) and folded.height == 15


def test_a_version_another_process_applied_meanwhile_is_not_appended_again(delta_log, monkeypatch):
    """An update applying several versions re-reads the table after each: if another process
    applied a later version meanwhile (here reading it back from the log), that version is
    skipped, not appended a second time (found in review: one fact came out twice)."""
    delta_log.append(bars_batch(2, symbol="^A"))
    monkeypatch.setattr(EventLog, "_project", lambda self, version, fresh=None: None)
    delta_log.append(bars_batch(2, symbol="^B"))  # its projection is still to be brought up
    monkeypatch.undo()
    apply = Projection._apply
    coming = delta_log.version() + 1  # the version the next append commits

    def meanwhile(self, table, log_path, version, fresh):
        apply(self, table, log_path, version, fresh)
        if version == coming - 1:
            Projection(delta_log.root).update(log_path, coming)

    monkeypatch.setattr(Projection, "_apply", meanwhile)
    delta_log.append(bars_batch(2, symbol="^C"))  # brand-new keys
    monkeypatch.undo()
    folded = delta_log.folded()
    assert folded.height == 6
    assert folded.equals(tape_fold(delta_log))
