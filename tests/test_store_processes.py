"""Real processes: kill -9 at random moments loses nothing committed and shows nothing partial;
concurrent writers lose and duplicate nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import tape_fold

from store import EventLog, fsck

WORKER = str(Path(__file__).with_name("_appender.py"))
BATCHES, SIZE = 30, 20_000


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def assert_whole_batches(store: Path) -> int:
    log = EventLog.open(store)
    events = log.events()
    assert events.get_column("event_id").is_unique().all(), "duplicate events after a crash"
    per_batch = events.group_by("stream").agg(pl.len().alias("n"), pl.col("recorded_at").n_unique())
    partial = per_batch.filter((pl.col("n") != SIZE) | (pl.col("recorded_at") != 1))
    assert partial.height == 0, f"partial or split batches visible: {partial}"
    return per_batch.height


def kill_cycles(store: Path, kills: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    seen = []
    for _ in range(kills):
        proc = start("crash", str(store), str(BATCHES), str(SIZE))
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        # kill after a random number of new commits, then a random moment into the next
        # append: the kills spread over the run however fast or busy the machine is
        for _ in range(rng.randint(0, 2)):
            line = proc.stdout.readline()
            while line and " added 0 " in line:
                line = proc.stdout.readline()
        # (an append also brings the projection up to date, so a moment into it may be past the
        # commit: the wider tail reaches both sides)
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        seen.append(assert_whole_batches(store))
    return seen


def finish_and_check(store: Path) -> None:
    proc = start("crash", str(store), str(BATCHES), str(SIZE))
    _out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert assert_whole_batches(store) == BATCHES
    log = EventLog.open(store)
    assert log.events().height == BATCHES * SIZE
    assert fsck(log).ok
    # kills between a log commit and its projection update were healed by the next append
    assert log.folded().equals(tape_fold(log))


def test_kill_9_at_random_moments(tmp_path):
    store = tmp_path / "store"
    committed = kill_cycles(store, kills=12, seed=20251006)
    # the kills landed at different points of the run, not all before the first commit
    assert len(set(committed)) > 3, committed
    assert committed == sorted(committed)
    finish_and_check(store)


@pytest.mark.slow
def test_kill_9_at_random_moments_many(tmp_path):
    store = tmp_path / "store"
    kill_cycles(store, kills=100, seed=7)
    finish_and_check(store)


def run_writers(store: Path, writers: int, appends: int) -> list[str]:
    EventLog.open(store, create=True)
    go = store.parent / "go"
    procs = [start("writer", str(store), str(w), str(appends), str(go)) for w in range(writers)]
    time.sleep(1.5)  # let every process import and wait at the start line
    go.write_text("go")
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        outs.append(out.strip())
    return outs


def check_concurrent_writers(store: Path, writers: int, appends: int) -> None:
    outs = run_writers(store, writers=writers, appends=appends)
    events = EventLog.open(store).events()
    assert events.get_column("event_id").is_unique().all()
    counts = dict(events.group_by("stream").len().iter_rows())
    # each writer: `appends` batches of 10 own bars; every other batch 5 bars all writers share
    shared = 5 * ((appends + 1) // 2)
    assert counts == {
        **{f"^W{w}@stress": 10 * appends for w in range(writers)},
        "^SHARED@stress": shared,
    }
    assert any("retries" in o for o in outs)
    log = EventLog.open(store)
    assert fsck(log).ok
    for version in range(0, log.version() + 1, 25):
        assert log.folded(version=version).equals(tape_fold(log, version=version))
    assert log.folded().equals(tape_fold(log))


def test_concurrent_writers(tmp_path):
    check_concurrent_writers(tmp_path / "store", writers=3, appends=20)


@pytest.mark.slow
def test_concurrent_writers_many(tmp_path):
    check_concurrent_writers(tmp_path / "store", writers=4, appends=50)
