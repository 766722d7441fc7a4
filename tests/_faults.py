"""Helpers of the fault-injection suite (tests/test_faults_*.py): how a failure must look."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from analysis.cli import main
from store import EventLog
from store.seal import entry_path


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in this process: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, and the needles in that line."""
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert len(lines[0]) <= 1_100, f"error line of {len(lines[0])} characters"
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def log_tree(root: Path) -> dict[str, str]:
    """sha256 of the marker and of every log entry: what a commit changes."""
    files = [root / "tapecheck-store.json", *sorted((root / "events" / "_delta_log").iterdir())]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def entry_actions(log: EventLog, version: int) -> list[dict[str, object]]:
    """The actions of one log entry, parsed."""
    return [
        json.loads(line) for line in entry_path(log.table_path, version).read_text().splitlines()
    ]


def forge_entry(
    log: EventLog, actions: list[dict[str, object]], commit: dict[str, object] | None = None
) -> Path:
    """Write a well-formed Delta entry by hand after the newest one, as an intruder would."""
    version = len(list((log.table_path / "_delta_log").glob("*.json")))
    info = {"timestamp": 1, "operation": "DELETE", "operationParameters": {}, **(commit or {})}
    path = entry_path(log.table_path, version)
    path.write_text("\n".join(json.dumps(a) for a in [{"commitInfo": info}, *actions]) + "\n")
    return path


def flip_byte(path: Path, fraction: float) -> None:
    """Flip one bit of ``path`` at ``fraction`` of its length (size unchanged)."""
    data = bytearray(path.read_bytes())
    data[int(len(data) * fraction)] ^= 0x10
    path.write_bytes(bytes(data))
