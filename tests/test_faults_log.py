"""Fault injection on the log: forged, deleted, altered and flipped log entries; missing,
truncated and flipped data files. fsck names the entry or file at fault; a read or a write of
a damaged store stops with one line (exit 2) that says to run fsck, and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _faults import (
    assert_one_line_error,
    cli,
    entry_actions,
    flip_byte,
    forge_entry,
    log_tree,
)
from conftest import bars_batch
from deltalake import DeltaTable, write_deltalake

from store import EventLog, StoreMissing, fsck
from store.errors import StoreDamaged
from store.log import MARKER, prepare, seal
from store.seal import SEAL_KEY, entry_name, entry_path, seal_for


@pytest.fixture
def three(delta_log: EventLog) -> EventLog:
    """A store of three appends (versions 1-3), one data file each, 40 events each."""
    for i in range(3):
        delta_log.append(bars_batch(40, symbol=f"^S{i}"))
    return delta_log


def adds_of(log: EventLog, version: int) -> list[dict]:
    return [a["add"] for a in entry_actions(log, version) if "add" in a]


def kinds(log: EventLog, *, deep: bool = False) -> set[tuple[str, str]]:
    return {(p.file, p.kind) for p in fsck(log, deep=deep).problems}


def test_a_clean_store_is_sealed_and_passes(three, capsys):
    report = fsck(three, deep=True)
    assert report.ok, report.problems
    assert (report.entries_checked, report.sealed_entries) == (4, 4)
    assert report.versions_proved == 4 and report.events_checked == 120
    code, out, _ = cli(["fsck", "--deep", "--store", str(three.root)], capsys)
    assert code == 0 and "4 log entries (4 sealed)" in out and "4 versions proved" in out


def test_forged_entry_removing_a_data_file(three, capsys):
    victim = adds_of(three, 2)[0]
    before = log_tree(three.root)
    forge_entry(
        three,
        [{"remove": {"path": victim["path"], "dataChange": True, "size": victim["size"]}}],
    )
    # Delta alone would read the forged version: 80 events instead of 120, silently.
    assert len(DeltaTable(str(three.table_path)).file_uris()) == 2
    found = kinds(three)
    assert (entry_name(4), "unsealed log entry") in found
    assert (entry_name(4), "remove drops events") in found
    code, _, err = cli(["fsck", "--store", str(three.root)], capsys)
    assert code == 1 and entry_name(4) in err and "remove drops events" in err
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    assert_one_line_error(code, err, entry_name(4), "tapecheck fsck")
    with pytest.raises(StoreDamaged, match="not committed by tapecheck"):
        three.append(bars_batch(5, symbol="^NEW"))
    assert {k: v for k, v in log_tree(three.root).items() if "0004" not in k} == before


def test_forged_entry_with_a_well_formed_seal_still_cannot_drop_events(three):
    # The intruder copies tapecheck's seal format; the removal itself gives the entry away.
    victim = adds_of(three, 1)[0]
    forge_entry(
        three,
        [{"remove": {"path": victim["path"], "dataChange": False, "size": victim["size"]}}],
        commit={"operation": "OPTIMIZE", SEAL_KEY: seal_for(three.table_path, 3)},
    )
    found = kinds(three)
    assert (entry_name(4), "remove drops events") in found
    assert (entry_name(4), "unsealed log entry") not in found
    with pytest.raises(StoreDamaged, match="removes 40 events"):
        three.events()


def test_deleted_newest_entry(three, capsys):
    entry_path(three.table_path, 3).unlink()
    assert (entry_name(3), "missing log entry") in kinds(three)
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    assert_one_line_error(code, err, entry_name(3), "gone", "tapecheck fsck")
    before = log_tree(three.root)
    with pytest.raises(StoreDamaged, match="recorded version 3"):
        three.append(bars_batch(5, symbol="^NEW"))
    assert log_tree(three.root) == before
    code, _, err = cli(["fsck", "--store", str(three.root)], capsys)
    assert code == 1 and entry_name(3) in err and "newest entry was deleted" in err


def test_deleted_middle_entry(three, capsys):
    entry_path(three.table_path, 1).unlink()
    assert (entry_name(1), "missing log entry") in kinds(three)
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    assert_one_line_error(code, err, "tapecheck fsck")


@pytest.mark.parametrize("version", [1, 3])
def test_altered_entry_that_still_parses(three, capsys, version):
    path = entry_path(three.table_path, version)
    text = path.read_text()
    path.write_text(text.replace('"dataChange":true', '"dataChange": true', 1))
    assert json.loads(path.read_text().splitlines()[1])  # still valid Delta JSON
    assert (entry_name(version), "altered log entry") in kinds(three)
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    if version == 3:  # the newest entry: every read checks it against the marker
        assert_one_line_error(code, err, entry_name(3), "changed after it was committed")
    else:  # an older entry: fsck's job
        assert code == 0, err


@pytest.mark.parametrize(("version", "fraction"), [(1, 0.3), (2, 0.6), (3, 0.5), (3, 0.9)])
def test_flipped_byte_in_a_log_entry_names_the_entry(three, capsys, version, fraction):
    flip_byte(entry_path(three.table_path, version), fraction)
    found = kinds(three)
    assert any(f == entry_name(version) for f, _ in found), found
    assert not any(f.endswith(".parquet") for f, _ in found), found
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    if version == 3 or code != 0:
        assert_one_line_error(code, err, "tapecheck fsck")


def test_missing_data_file_stops_reads_with_one_line(three, capsys):
    victim = Path(three.snapshot().files[1])
    victim.unlink()
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    assert_one_line_error(code, err, victim.name, "missing", "tapecheck fsck")
    problems = fsck(three).problems
    assert [(p.file, p.kind) for p in problems] == [(str(victim), "missing")]
    assert entry_name(2) in problems[0].detail  # the entry that added it


def test_truncated_data_file_stops_reads_with_one_line(three, capsys):
    victim = Path(three.snapshot().files[0])
    victim.write_bytes(victim.read_bytes()[:-100])
    code, _, err = cli(["log", "--store", str(three.root)], capsys)
    assert_one_line_error(code, err, victim.name, "bytes", "tapecheck fsck")
    with pytest.raises(StoreDamaged):
        three.snapshot()
    three.snapshot(version=0)  # versions without that file still read


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.75])
def test_flipped_byte_in_a_data_file_is_found_and_named(three, fraction):
    victim = Path(three.snapshot().files[2])
    flip_byte(victim, fraction)
    problems = fsck(three).problems
    assert problems and {p.file for p in problems} == {str(victim)}


def test_compaction_passes_fsck_and_deep_proves_every_version(three):
    three.compact()
    three.append(bars_batch(10, symbol="^LATE"))
    report = fsck(three, deep=True)
    assert report.ok, report.problems
    assert report.versions_proved == 6 and report.sealed_entries == 6


def test_deep_finds_events_lost_by_a_forged_compaction(three):
    # Remove one file and add a renamed copy of another with as many rows: the row counts
    # balance, so only re-reading the files shows that 40 events are gone.
    gone, kept = adds_of(three, 1)[0], adds_of(three, 2)[0]
    copy = "part-forged-copy.parquet"
    shutil.copy(three.table_path / kept["path"], three.table_path / copy)
    forge_entry(
        three,
        [
            {"remove": {"path": gone["path"], "dataChange": False, "size": gone["size"]}},
            {"add": {**kept, "path": copy, "dataChange": False}},
        ],
    )
    assert (entry_name(4), "remove drops events") not in kinds(three)
    deep = fsck(three, deep=True)
    lost = [p for p in deep.problems if p.kind == "events lost"]
    assert [p.file for p in lost] == [entry_name(4)] and "40 event(s)" in lost[0].detail


def test_store_made_before_seals_is_reported_not_crashed(tmp_path, capsys):
    root = tmp_path / "old"
    (root / "events").mkdir(parents=True)
    _, events = prepare(bars_batch(30))
    events = seal(events, dt.datetime(2025, 6, 1, tzinfo=dt.UTC)).to_arrow()
    DeltaTable.create(str(root / "events"), schema=events.schema, name="tapecheck_events")
    write_deltalake(str(root / "events"), events, mode="append")
    (root / MARKER).write_text(json.dumps({"format": 1, "table": "events"}) + "\n")
    log = EventLog.open(root)
    report = fsck(log)
    assert report.ok and report.sealed_entries == 0
    assert any("predate tapecheck's seals" in n for n in report.notes)
    code, out, _ = cli(["fsck", "--store", str(root)], capsys)
    assert code == 0 and "predate tapecheck's seals" in " ".join(out.split())
    log.append(bars_batch(5, symbol="^NEW"))
    after = fsck(log)
    assert after.ok and after.sealed_entries == 1
    assert any("seals start at version 2" in n for n in after.notes)


def test_reading_a_version_that_does_not_exist(three):
    with pytest.raises(StoreMissing, match="no version 9"):
        three.snapshot(version=9)


@pytest.mark.faults
def test_concurrent_appends_and_compactions_keep_the_seal(tmp_path):
    """Real writer processes append while this process compacts: every entry stays covered,
    nothing is lost, and a rebased compaction is at most a note."""
    store = tmp_path / "store"
    EventLog.open(store, create=True)
    go = tmp_path / "go"
    worker = str(Path(__file__).with_name("_appender.py"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    procs = [
        subprocess.Popen(
            [sys.executable, worker, "writer", str(store), str(w), "30", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(3)
    ]
    time.sleep(1.5)
    go.write_text("go")
    log = EventLog.open(store)
    while any(p.poll() is None for p in procs):
        log.compact()
        time.sleep(0.2)
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    log.compact()
    report = fsck(log, deep=True)
    assert report.ok, report.problems
    assert report.versions_proved == report.entries_checked
    counts = dict(log.events().group_by("stream").len().iter_rows())
    assert counts == {**{f"^W{w}@stress": 300 for w in range(3)}, "^SHARED@stress": 75}
