"""Opening a store: created when asked, refused when a folder is not ours, clear errors."""

from __future__ import annotations

import os

import pytest
from conftest import bars_batch, run_tapecheck

from store import EventLog, NotAStore, StoreMissing
from store.config import store_path


def test_create_then_reopen(tmp_path):
    log = EventLog.open(tmp_path / "s", create=True)
    log.append(bars_batch(2))
    again = EventLog.open(tmp_path / "s")
    assert again.events().height == 2


def test_refuses_a_folder_that_is_not_a_store(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(NotAStore, match="not a tapecheck store"):
        EventLog.open(tmp_path, create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_refuses_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(NotAStore, match="is a file"):
        EventLog.open(f, create=True)


def test_missing_store_on_read(tmp_path):
    with pytest.raises(StoreMissing, match="tapecheck ingest"):
        EventLog.open(tmp_path / "nothing")


def test_store_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TAPECHECK_STORE", str(tmp_path / "elsewhere"))
    assert store_path() == tmp_path / "elsewhere"
    monkeypatch.delenv("TAPECHECK_STORE")
    assert store_path().name == "store" and store_path().parent.name == ".tapecheck"


def test_cli_log_shows_counts(delta_log):
    delta_log.append(bars_batch(7, symbol="^RUT", feed="heliar"))
    done = run_tapecheck("log", store=delta_log.root)
    assert done.returncode == 0, done.stderr
    assert "^RUT@heliar" in done.stdout and "PriceBar" in done.stdout
    assert "7 events" in done.stdout


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    done = run_tapecheck("log", store=tmp_path)
    assert done.returncode == 2
    assert "not a tapecheck store" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2  # rich may wrap one long line
    done = run_tapecheck("log", store=tmp_path / "absent")
    assert done.returncode == 2 and "no store at" in done.stderr


def test_a_store_whose_path_has_a_space_and_a_percent_sign(tmp_path):
    """Delta's file URIs escape such characters; the snapshot still names the files on disk."""
    import datetime as dt

    from analysis.tape import Tape

    log = EventLog.open(tmp_path / "my stores 100%" / "s", create=True)
    log.append(bars_batch(3))
    snapshot = log.snapshot()
    assert snapshot.files and all(os.path.exists(f) for f in snapshot.files)
    folded = log.projection()
    assert folded.files and all(os.path.exists(f) for f in folded.files)
    tape = Tape(log)
    assert tape.run(tape.bars(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))).height == 3
