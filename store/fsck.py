"""Integrity check of the log: every referenced data file is there, whole, and says what its
hashes say.

Layers, cheapest first: the Delta log loads; each file the snapshot references exists and has
the size the log recorded; it decodes as Parquet with the row count the log recorded; every
event's ``event_id`` matches its content and every ``record_hash`` matches its id, recording
time and source. Between them the two hashes cover every stored column, so a flipped bit in any
value is found even when it decodes cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from store.events import EVENT_SCHEMA, event_ids, record_hashes
from store.log import EventLog
from store.projection import problems as projection_problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file of the log."""

    file: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


@dataclass
class FsckReport:
    """What fsck checked and what it found."""

    version: int | None = None
    files_checked: int = 0
    events_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def fsck(log: EventLog) -> FsckReport:
    """Check every data file of the current version of ``log``."""
    report = FsckReport()
    try:
        table = log._table()
        actions = pl.DataFrame(pa.table(table.get_add_actions(flatten=True)))
    except Exception as exc:  # a broken _delta_log is itself the finding
        report.problems.append(Problem(str(log.table_path), "unreadable Delta log", str(exc)))
        return report
    assert isinstance(actions, pl.DataFrame)
    report.version = table.version()
    referenced = set()
    for action in actions.iter_rows(named=True):
        rel = action["path"]
        path = log.table_path / rel
        referenced.add(path.resolve())
        report.files_checked += 1
        _check_file(path, action, report)
    if not report.problems:  # the projection is checked against a log known to be intact
        report.problems += [
            Problem(str(log.root / "projection"), "projection", text)
            for text in projection_problems(log.table_path, log.root)
        ]
    report.unreferenced = sorted(
        str(p.relative_to(log.table_path))
        for p in log.table_path.glob("*.parquet")
        if p.resolve() not in referenced
    )
    return report


def _check_file(path: Path, action: dict[str, object], report: FsckReport) -> None:
    name = str(path)
    if not path.is_file():
        report.problems.append(Problem(name, "missing", "referenced by the Delta log, not on disk"))
        return
    size = path.stat().st_size
    if size != action["size_bytes"]:
        report.problems.append(
            Problem(name, "wrong size", f"{size} bytes on disk, {action['size_bytes']} in the log")
        )
        return
    try:
        table = pq.read_table(path)
        frame = pl.from_arrow(table)
    except Exception as exc:
        report.problems.append(Problem(name, "unreadable", f"{type(exc).__name__}: {exc}"))
        return
    assert isinstance(frame, pl.DataFrame)
    expected_rows = action.get("num_records")
    if expected_rows is not None and frame.height != expected_rows:
        report.problems.append(
            Problem(name, "wrong row count", f"{frame.height} rows, {expected_rows} in the log")
        )
        return
    try:
        frame = frame.select(pl.col(c).cast(t) for c, t in EVENT_SCHEMA.items())
    except Exception as exc:
        report.problems.append(Problem(name, "wrong schema", str(exc)))
        return
    report.events_checked += frame.height
    ids = event_ids(frame)
    bad = frame.filter(ids != frame.get_column("event_id"))
    if bad.height:
        report.problems.append(
            Problem(
                name,
                "content hash mismatch",
                f"{bad.height} event(s) whose payload does not hash to their event_id, "
                f"first {bad.get_column('event_id')[0]} ({bad.get_column('stream')[0]} "
                f"{bad.get_column('key')[0]})",
            )
        )
    sealed = record_hashes(frame)
    bad = frame.filter(sealed != frame.get_column("record_hash"))
    if bad.height:
        report.problems.append(
            Problem(
                name,
                "record hash mismatch",
                f"{bad.height} event(s) whose recorded_at/source changed since they were "
                f"written, first {bad.get_column('event_id')[0]}",
            )
        )
