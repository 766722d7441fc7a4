"""fsck finds missing, truncated and altered data files and names them; exit code non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import bars_batch, run_tapecheck

from store import EventLog, fsck


@pytest.fixture
def filled(delta_log: EventLog) -> EventLog:
    for i in range(3):
        delta_log.append(bars_batch(400, symbol=f"^S{i}"))
    return delta_log


def data_files(log: EventLog) -> list[Path]:
    return [Path(f) for f in log.snapshot().files]


def test_clean_log_passes(filled):
    report = fsck(filled)
    assert report.ok and report.files_checked == 3 and report.events_checked == 1200
    done = run_tapecheck("fsck", store=filled.root)
    assert done.returncode == 0, done.stderr
    assert "1,200 events checked: ok" in done.stdout


def test_deleted_file(filled):
    victim = data_files(filled)[1]
    victim.unlink()
    report = fsck(filled)
    assert [(p.file, p.kind) for p in report.problems] == [(str(victim), "missing")]
    done = run_tapecheck("fsck", store=filled.root)
    assert done.returncode == 1 and victim.name in done.stderr


def test_truncated_file(filled):
    victim = data_files(filled)[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    report = fsck(filled)
    assert [(p.file, p.kind) for p in report.problems] == [(str(victim), "wrong size")]


@pytest.mark.parametrize("fraction", [0.2, 0.35, 0.5, 0.65, 0.8])
def test_bit_flipped_file(filled, fraction):
    victim = data_files(filled)[2]
    data = bytearray(victim.read_bytes())
    pos = int(len(data) * fraction)
    data[pos] ^= 0x10
    victim.write_bytes(bytes(data))
    report = fsck(filled)
    assert report.problems, f"flip at byte {pos} of {len(data)} went unnoticed"
    assert {p.file for p in report.problems} == {str(victim)}
    done = run_tapecheck("fsck", store=filled.root)
    assert done.returncode != 0 and victim.name in done.stderr
