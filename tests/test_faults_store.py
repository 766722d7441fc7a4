"""Fault injection on the store folder: kill -9 during creation and concurrent creation (real
processes), a full disk and a read-only store (a small tmpfs and a read-only bind mount in a
private mount namespace where ``unshare`` allows it; simulated errors otherwise), a store path
under a file, and bad input into a store path that does not exist yet."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _faults import assert_one_line_error, cli, log_tree

from store import EventLog, fsck
from store.log import CREATING, MARKER

ROOT = Path(__file__).parent.parent
WORKER = str(Path(__file__).with_name("_faults_worker.py"))
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def prices(n: int, start_year: int = 2001) -> str:
    """``n`` daily rows of a Yahoo file, one per calendar day."""
    import datetime as dt

    day = dt.date(start_year, 1, 1)
    rows = []
    for i in range(n):
        c = 100 + (i % 37)
        rows.append(f"{day + dt.timedelta(days=i)},{c},{c + 1},{c - 1},{c},{c},{1000 + i}")
    return HEADER + "\n".join(rows) + "\n"


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def leftovers(store: Path) -> list[str]:
    return sorted(p.name for p in store.parent.glob(f".{store.name}{CREATING}*"))


def kill_during_creation(tmp_path: Path, kills: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    store = tmp_path / "store"
    seen = {"nothing yet": 0, "mid-creation": 0, "complete": 0}
    for _ in range(kills):
        shutil.rmtree(store, ignore_errors=True)
        proc = start("create", str(store))
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.12))
        proc.kill()
        proc.wait(timeout=30)
        # Never a half store: nothing at the path, or a whole store.
        EventLog.check_path(store)
        if (store / MARKER).is_file():
            log = EventLog.open(store)
            assert log.version() == 0 and fsck(log).ok
            seen["complete"] += 1
        else:
            assert not store.exists() or not any(store.iterdir())
            seen["mid-creation" if leftovers(store) else "nothing yet"] += 1
        # the next run creates (or reopens) it, and sweeps what the killed one left
        EventLog.open(store, create=True)
        assert leftovers(store) == []
    return seen


def test_kill_9_during_store_creation(tmp_path):
    seen = kill_during_creation(tmp_path, kills=6, seed=15)
    assert sum(seen.values()) == 6


@pytest.mark.faults
def test_kill_9_during_store_creation_many(tmp_path):
    seen = kill_during_creation(tmp_path, kills=40, seed=1515)
    # the kills landed inside the creation and after it
    assert seen["mid-creation"] and seen["complete"], seen


def race(tmp_path: Path, writers: int) -> None:
    rows = 300
    data = tmp_path / "RACE_daily_race.csv"
    data.write_text(prices(rows))
    store = tmp_path / "deep" / "new" / "store"
    go = tmp_path / "go"
    procs = [start("ingest", str(store), str(data), str(go)) for _ in range(writers)]
    time.sleep(2.0)  # every process imported and waits at the start line
    go.write_text("go")
    added = 0
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        added += int(out.split()[1])
    assert added == rows  # one process added them, the others found them there
    log = EventLog.open(store)
    assert log.events().height == rows
    report = fsck(log)
    assert report.ok, report.problems
    assert leftovers(store) == []


def test_concurrent_first_ingests_into_a_new_store(tmp_path):
    race(tmp_path, writers=3)


@pytest.mark.faults
def test_concurrent_first_ingests_into_a_new_store_many(tmp_path):
    race(tmp_path, writers=12)


def test_bad_input_into_a_new_store_path_creates_nothing(tmp_path, capsys):
    bad = tmp_path / "BAD_daily_unit.csv"
    bad.write_text(prices(3).replace("2001-01-02", "2001-02-30"))
    store = tmp_path / "not" / "yet" / "store"
    code, _, err = cli(["ingest", str(bad), "--symbol", "BAD", "--store", str(store)], capsys)
    assert_one_line_error(code, err, str(bad), "line 3")
    assert not (tmp_path / "not").exists()


def test_store_path_under_a_file(tmp_path, capsys):
    good = tmp_path / "GOOD_daily_unit.csv"
    good.write_text(prices(3))
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    for store in (plain, plain / "store"):
        code, _, err = cli(["ingest", str(good), "--symbol", "G", "--store", str(store)], capsys)
        assert_one_line_error(code, err, str(plain), "is a file")


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only file system")],
)
def test_simulated_write_errors_are_one_line(tmp_path, capsys, monkeypatch, code, words):
    """The handler's side of a full disk or a read-only store (the real ones: below)."""
    import store.log

    store_path = tmp_path / "store"
    first = tmp_path / "FIRST_daily_unit.csv"
    first.write_text(prices(20))
    assert cli(["ingest", str(first), "--symbol", "F", "--store", str(store_path)], capsys)[0] == 0
    before = log_tree(store_path)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), str(store_path / "events" / "part-0.parquet"))

    monkeypatch.setattr(store.log, "write_deltalake", fail)
    second = tmp_path / "SECOND_daily_unit.csv"
    second.write_text(prices(20, start_year=2011))
    exit_code, _, err = cli(
        ["ingest", str(second), "--symbol", "S", "--store", str(store_path)], capsys
    )
    assert_one_line_error(exit_code, err, words)
    assert log_tree(store_path) == before


def _namespaces() -> bool:
    """Whether this machine lets us mount a tmpfs in a private user and mount namespace."""
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt && echo ok"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return probe.stdout.strip() == "ok"


NAMESPACES = pytest.mark.skipif(
    not _namespaces(), reason="no unprivileged mount namespaces here (simulated above instead)"
)

# Runs inside the namespace: every command is the real CLI in its own process, and the results
# come back as JSON (the mounts vanish with the namespace).
DRIVER = r"""
import json, hashlib, subprocess, sys
from pathlib import Path
mnt, mode, small, big, out = sys.argv[1:6]
def tap(*args):
    done = subprocess.run([sys.executable, "-c", "from analysis.cli import main; main()", *args],
                          capture_output=True, text=True)
    return {"rc": done.returncode, "out": done.stdout, "err": done.stderr}
def tree(root):
    files = [root / "tapecheck-store.json", *sorted((root / "events" / "_delta_log").iterdir())]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
store = Path(mnt) / "store"
size = "2m" if mode == "full" else "64m"
subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt], check=True)
result = {"first": tap("ingest", small, "--symbol", "SML", "--store", str(store))}
result["before"] = tree(store)
if mode == "readonly":
    subprocess.run(["mount", "--bind", str(store), str(store)], check=True)
    subprocess.run(["mount", "-o", "remount,ro,bind", str(store)], check=True)
result["write"] = tap("ingest", big, "--symbol", "BIG", "--store", str(store))
result["after"] = tree(store)
result["fsck"] = tap("fsck", "--store", str(store))
result["log"] = tap("log", "--store", str(store))
Path(out).write_text(json.dumps(result))
"""


def in_namespace(tmp_path: Path, mode: str, big_rows: int) -> dict:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    small = tmp_path / "SML_daily_unit.csv"
    small.write_text(prices(5))
    big = tmp_path / "BIG_daily_unit.csv"
    big.write_text(prices(big_rows, start_year=1900))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    out = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            "unshare",
            "-rm",
            sys.executable,
            str(driver),
            str(mnt),
            mode,
            str(small),
            str(big),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


@pytest.mark.faults
@NAMESPACES
def test_disk_full_on_a_small_tmpfs(tmp_path):
    result = in_namespace(tmp_path, "full", big_rows=40_000)
    assert result["first"]["rc"] == 0, result["first"]["err"]
    write = result["write"]
    assert_one_line_error(write["rc"], write["err"], "No space left on device", "disk full")
    assert result["after"] == result["before"]  # the log and the marker did not move
    assert result["fsck"]["rc"] == 0, result["fsck"]["err"]
    assert result["log"]["rc"] == 0, result["log"]["err"]


@pytest.mark.faults
@NAMESPACES
def test_read_only_store(tmp_path):
    result = in_namespace(tmp_path, "readonly", big_rows=50)
    assert result["first"]["rc"] == 0, result["first"]["err"]
    write = result["write"]
    assert_one_line_error(write["rc"], write["err"], "Read-only file system")
    assert result["after"] == result["before"]
    assert result["fsck"]["rc"] == 0, result["fsck"]["err"]  # reads still work
    assert result["log"]["rc"] == 0, result["log"]["err"]
