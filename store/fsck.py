"""Integrity check of the log: its history of entries, and every data file it references.

Layers, cheapest first:

1. **Log entries.** Every ``_delta_log/<version>.json`` parses and the versions have no gap.
   Every entry tapecheck committed is sealed (:mod:`store.seal`), and every entry is covered by
   a later seal or by the store's marker, whose digest must match its bytes: a forged, altered
   or deleted entry is named. An entry without a seal after the first sealed one was not
   committed by tapecheck. Entries older than the first seal (a store made before seals) are
   reported as such: they cannot be checked.
2. **What each entry does.** The table is append-only: a remove must come with adds of as many
   rows in the same commit (compaction), otherwise the entry drops events.
3. **Data files of the current version.** Each exists with the size its add action recorded,
   decodes as Parquet with the recorded row count, and every event's ``event_id`` matches its
   content and every ``record_hash`` its id, recording time and source. Between them the two
   hashes cover every stored column, so a flipped bit in any value is found even when it
   decodes cleanly.

``deep=True`` also checks every data file any version ever added (removed ones included) and
proves, version by version, that each version contains every event of the one before: the
events of the files a version removes must all be in that version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from store.errors import clip
from store.events import EVENT_SCHEMA, event_ids, record_hashes
from store.log import EventLog, read_marker
from store.projection import problems as projection_problems
from store.pruning import add_actions
from store.seal import (
    Entry,
    checkpoints,
    digest,
    entry_name,
    log_versions,
    read_entry,
    records,
)

IDENTITY = ["event_id", "record_hash"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file of the store (a data file or a log entry)."""

    file: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


@dataclass
class FsckReport:
    """What fsck checked and what it found."""

    version: int | None = None
    entries_checked: int = 0
    sealed_entries: int = 0
    files_checked: int = 0
    events_checked: int = 0
    versions_proved: int = 0
    deep: bool = False
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Added:
    """A data file as an add action recorded it, and the digest a seal recorded of it."""

    version: int
    size: int | None
    records: int | None
    sealed: str | None = None
    sealed_by: str = ""


def fsck(log: EventLog, *, deep: bool = False) -> FsckReport:
    """Check the log entries and the data files of ``log`` (every version's with ``deep``)."""
    report = FsckReport(deep=deep)
    marker = read_marker(log.root)  # before the entries: it never runs ahead of them
    entries = _entries(log.table_path, report)
    _check_history(entries, marker, log.table_path, report)
    added = _added_files(entries)
    _sealed_files(entries, marker, added)
    _check_actions(entries, added, log.table_path, report)
    current = _check_current(log, added, report)
    if deep:
        _check_all_files(log, added, current, report)
        _prove_containment(log, entries, report)
    if not report.problems:  # the projection is checked against a log known to be intact
        report.problems += [
            Problem(str(log.root / "projection"), "projection", text)
            for text in projection_problems(log.table_path, log.root)
        ]
    report.unreferenced = sorted(
        str(p.relative_to(log.table_path))
        for p in log.table_path.glob("*.parquet")
        if p.resolve() not in current
    )
    return report


# -- 1. log entries ----------------------------------------------------------------------------


def _entries(table: Path, report: FsckReport) -> dict[int, Entry]:
    entries: dict[int, Entry] = {}
    for version in log_versions(table):
        try:
            entry = read_entry(table, version)
        except OSError as exc:
            report.problems.append(
                Problem(entry_name(version), "unreadable log entry", exc.strerror or str(exc))
            )
            continue
        entries[version] = entry
        if entry.error:
            report.problems.append(Problem(entry.name, "corrupt log entry", clip(entry.error, 300)))
    report.entries_checked = len(entries)
    return entries


def _check_history(
    entries: dict[int, Entry], marker: dict[str, object], table: Path, report: FsckReport
) -> None:
    if not entries:
        report.problems.append(Problem(str(table / "_delta_log"), "missing log", "no entries"))
        return
    versions = sorted(entries)
    first, last = versions[0], versions[-1]
    present = set(versions)
    for version in range(first, last + 1):
        if version not in present and not any(
            p.file == entry_name(version) for p in report.problems
        ):
            report.problems.append(
                Problem(
                    entry_name(version),
                    "missing log entry",
                    f"deleted: the log has versions {first} to {last} without it",
                )
            )
    if first > 0:
        if any(c >= first - 1 for c in checkpoints(table)):
            report.notes.append(
                f"the log starts at version {first}: Delta cleaned up older entries after a "
                "checkpoint; they cannot be checked"
            )
        else:
            report.problems.append(
                Problem(
                    entry_name(0),
                    "missing log entry",
                    f"the log starts at version {first} and no checkpoint replaces the entries "
                    "before it",
                )
            )

    marked, marked_digest = marker.get("version"), marker.get("entry")
    covered: dict[int, list[int]] = {}
    if isinstance(marked, int):
        if marked > last:
            gone = "entry was" if marked == last + 1 else f"{marked - last} entries were"
            report.problems.append(
                Problem(
                    entry_name(last + 1),
                    "missing log entry",
                    f"the store's marker recorded version {marked}, the log ends at version "
                    f"{last}: the newest {gone} deleted",
                )
            )
        elif marked in entries:
            covered.setdefault(marked, [])
            if entries[marked].digest != marked_digest:
                report.problems.append(
                    Problem(
                        entries[marked].name,
                        "altered log entry",
                        "its sha256 is not the one the store's marker recorded when it was "
                        "committed",
                    )
                )

    sealed = [v for v in versions if entries[v].seal is not None]
    report.sealed_entries = len(sealed)
    altered: dict[int, list[int]] = {}
    for version in sealed:
        seal = entries[version].seal or {}
        chain = seal.get("chain")
        if (
            seal.get("v") != 1
            or not isinstance(chain, dict)
            or not isinstance(seal.get("base"), int)
        ):
            report.problems.append(
                Problem(entries[version].name, "corrupt log entry", "its seal is malformed")
            )
            continue
        for key, value in chain.items():
            if not str(key).lstrip("-").isdigit():
                continue
            earlier = int(key)
            if earlier not in entries:
                continue  # a gap, reported above
            covered.setdefault(earlier, []).append(version)
            if entries[earlier].digest != value:
                altered.setdefault(earlier, []).append(version)
    for version, by in sorted(altered.items()):
        report.problems.append(
            Problem(
                entries[version].name,
                "altered log entry",
                f"its sha256 is not the one sealed by version{'s' if len(by) > 1 else ''} "
                f"{', '.join(map(str, by))}",
            )
        )

    first_sealed = sealed[0] if sealed else None
    legacy = [v for v in versions if first_sealed is None or v < first_sealed]
    for version in versions:
        if version in legacy or entries[version].seal is not None or entries[version].error:
            continue
        entry = entries[version]
        report.problems.append(
            Problem(
                entry.name,
                "unsealed log entry",
                f"a {entry.operation} commit without tapecheck's seal: forged, or written by "
                "another program",
            )
        )
    if legacy:
        span = f"version {legacy[0]}" if len(legacy) == 1 else f"versions {legacy[0]}-{legacy[-1]}"
        report.notes.append(
            f"{span} predate{'s' if len(legacy) == 1 else ''} tapecheck's seals (a store made "
            "by an older tapecheck): those entries cannot be checked for alteration; "
            + (
                f"seals start at version {first_sealed}"
                if first_sealed is not None
                else "the next write starts sealing"
            )
        )
    if first_sealed is None:
        return
    loose = [
        v
        for v in versions
        if v >= first_sealed and v not in covered and entries[v].seal is not None
    ]
    for version in loose:
        if version == last:
            report.notes.append(
                f"the newest entry {entry_name(version)} is not recorded in the store's marker "
                "yet (a writer stopped between its commit and the marker): it is checked once "
                "the next commit seals it"
            )
        else:
            report.notes.append(
                f"{entry_name(version)} is covered by no later seal (a compaction committed "
                "over a concurrent append): it cannot be checked for alteration"
            )


# -- 2. what the entries do ----------------------------------------------------------------------


def _added_files(entries: dict[int, Entry]) -> dict[str, _Added]:
    added: dict[str, _Added] = {}
    for version in sorted(entries):
        for action in entries[version].adds:
            path = action.get("path")
            if isinstance(path, str):
                size = action.get("size")
                added[unquote(path)] = _Added(
                    version, size if isinstance(size, int) else None, records(action)
                )
    return added


def _sealed_files(
    entries: dict[int, Entry], marker: dict[str, object], added: dict[str, _Added]
) -> None:
    """The digest each data file was sealed with: by the next commit, or by the marker."""
    sources: list[tuple[object, str]] = [
        ((entries[v].seal or {}).get("files"), f"the seal of {entry_name(v)}")
        for v in sorted(entries)
    ]
    sources.append((marker.get("files"), "the store's marker"))
    for files, by in sources:
        if not isinstance(files, dict):
            continue
        for path, value in files.items():
            known = added.get(unquote(str(path)))
            if known is not None and known.sealed is None and isinstance(value, str):
                known.sealed, known.sealed_by = value, by


def _rows(table: Path, path: str, added: dict[str, _Added]) -> int | None:
    known = added.get(path)
    if known is not None and known.records is not None:
        return known.records
    try:
        return pq.ParquetFile(table / path).metadata.num_rows
    except Exception:
        return None


def _check_actions(
    entries: dict[int, Entry], added: dict[str, _Added], table: Path, report: FsckReport
) -> None:
    for version in sorted(entries):
        entry = entries[version]
        if not entry.removes:
            continue
        paths = [unquote(str(r.get("path", ""))) for r in entry.removes]
        counts = [_rows(table, p, added) for p in paths]
        removed = sum(c for c in counts if c is not None)
        adds = sum(records(a) or 0 for a in entry.adds)
        changing = [p for p, r in zip(paths, entry.removes, strict=True) if r.get("dataChange")]
        if changing:
            report.problems.append(
                Problem(
                    entry.name,
                    "remove drops events",
                    f"removes {len(changing)} data file(s) ({removed:,} events) from the "
                    f"append-only table, first {changing[0]}",
                )
            )
        elif removed > adds:
            report.problems.append(
                Problem(
                    entry.name,
                    "remove drops events",
                    f"removes {len(paths)} data file(s) holding {removed:,} events and adds "
                    f"back {adds:,}, first {paths[0]}",
                )
            )
        if any(c is None for c in counts):
            report.notes.append(
                f"{entry.name}: the row count of a removed file is unknown (no statistics, "
                "file gone): run `tapecheck fsck --deep`"
            )


# -- 3. data files -------------------------------------------------------------------------------


def _check_current(log: EventLog, added: dict[str, _Added], report: FsckReport) -> set[Path]:
    try:
        table = log._table()
        actions = add_actions(table)
    except Exception as exc:  # the entry at fault is named above; say what Delta made of it
        if report.problems:
            report.notes.append(f"Delta cannot load the current version: {clip(exc, 300)}")
        else:
            report.problems.append(
                Problem(str(log.table_path), "unreadable Delta log", clip(exc, 300))
            )
        return set()
    report.version = table.version()
    referenced: set[Path] = set()
    for action in actions.iter_rows(named=True):
        rel = unquote(action["path"])
        path = log.table_path / rel
        referenced.add(path.resolve())
        report.files_checked += 1
        origin = added.get(rel)
        _check_file(path, action["size_bytes"], action.get("num_records"), origin, report)
    return referenced


def _check_all_files(
    log: EventLog,
    added: dict[str, _Added],
    current: set[Path],
    report: FsckReport,
) -> None:
    for rel, origin in added.items():
        path = log.table_path / rel
        if path.resolve() in current:
            continue
        report.files_checked += 1
        _check_file(path, origin.size, origin.records, origin, report)


def _check_file(
    path: Path,
    size_recorded: int | None,
    rows_recorded: int | None,
    origin: _Added | None,
    report: FsckReport,
) -> None:
    name = str(path)
    by = f" (added by {entry_name(origin.version)})" if origin is not None else ""
    if not path.is_file():
        report.problems.append(Problem(name, "missing", f"referenced by the Delta log{by}"))
        return
    size = path.stat().st_size
    if size_recorded is not None and size != size_recorded:
        report.problems.append(
            Problem(name, "wrong size", f"{size} bytes on disk, {size_recorded} in the log{by}")
        )
        return
    try:
        # read once: the same bytes are hashed (as seal.file_digest does) and parsed
        data = path.read_bytes()
    except OSError as exc:
        report.problems.append(
            Problem(name, "unreadable", f"{type(exc).__name__}: {clip(exc, 300)}{by}")
        )
        return
    if origin is not None and origin.sealed is not None and digest(data) != origin.sealed:
        report.problems.append(
            Problem(
                name,
                "altered data file",
                f"its sha256 is not the one {origin.sealed_by} recorded when it was written{by}",
            )
        )
    try:
        frame = pl.from_arrow(pq.read_table(pa.BufferReader(data)))
    except Exception as exc:
        # Arrow names an in-memory source '<Buffer>'; name the file, as reading it by path did
        text = str(exc).replace("'<Buffer>'", f"'{path}'")
        report.problems.append(
            Problem(name, "unreadable", f"{type(exc).__name__}: {clip(text, 300)}{by}")
        )
        return
    assert isinstance(frame, pl.DataFrame)
    if rows_recorded is not None and frame.height != rows_recorded:
        report.problems.append(
            Problem(name, "wrong row count", f"{frame.height} rows, {rows_recorded} in the log{by}")
        )
        return
    try:
        frame = frame.select(pl.col(c).cast(t) for c, t in EVENT_SCHEMA.items())
    except Exception as exc:
        report.problems.append(Problem(name, "wrong schema", clip(exc, 300)))
        return
    report.events_checked += frame.height
    try:
        ids, sealed = event_ids(frame), record_hashes(frame)
    except Exception as exc:  # a flipped bit can null a value that every hash needs
        report.problems.append(
            Problem(name, "corrupt values", f"cannot hash its events ({clip(exc, 200)}){by}")
        )
        return
    bad = frame.filter(ids.ne_missing(frame.get_column("event_id")))
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
    bad = frame.filter(sealed.ne_missing(frame.get_column("record_hash")))
    if bad.height:
        report.problems.append(
            Problem(
                name,
                "record hash mismatch",
                f"{bad.height} event(s) whose recorded_at/source changed since they were "
                f"written, first {bad.get_column('event_id')[0]}",
            )
        )


# -- deep: every version contains the one before ------------------------------------------


def _identities(table: Path, paths: list[str]) -> pl.DataFrame | None:
    files = [table / p for p in paths]
    if not files:
        return pl.DataFrame(schema={"event_id": pl.String, "record_hash": pl.String})
    if not all(f.is_file() for f in files):
        return None
    try:
        return pl.scan_parquet(files).select(IDENTITY).collect()
    except Exception:
        return None


def _prove_containment(log: EventLog, entries: dict[int, Entry], report: FsckReport) -> None:
    versions = sorted(entries)
    if not versions or any(entries[v].error for v in versions):
        report.notes.append("--deep: the log has unreadable entries; containment not proved")
        return
    active: set[str] = set()
    if versions[0] > 0:
        try:
            seed = log._table(versions[0] - 1)
        except Exception:
            report.notes.append(
                f"--deep: version {versions[0] - 1} cannot be loaded; containment is proved "
                f"from version {versions[0]} on"
            )
        else:
            active = {unquote(p) for p in add_actions(seed).get_column("path").to_list()}
    proved = 0
    for version in versions:
        entry = entries[version]
        removed = [unquote(str(r.get("path", ""))) for r in entry.removes]
        adds = [unquote(str(a.get("path", ""))) for a in entry.adds]
        active.difference_update(removed)
        active.update(adds)
        if not removed:
            proved += 1
            continue
        gone = _identities(log.table_path, removed)
        kept = _identities(log.table_path, adds)
        if gone is None or kept is None:
            report.notes.append(
                f"--deep: {entry.name} removes or adds a file that cannot be read (reported "
                "above); its version is not proved"
            )
            continue
        missing = gone.join(kept, on=IDENTITY, how="anti")
        if missing.height:
            rest = _identities(log.table_path, sorted(active.difference(adds)))
            if rest is not None:
                missing = missing.join(rest, on=IDENTITY, how="anti")
        if missing.height:
            report.problems.append(
                Problem(
                    entry.name,
                    "events lost",
                    f"{missing.height:,} event(s) of version {version - 1} are not in version "
                    f"{version}, first {missing.get_column('event_id')[0]}",
                )
            )
            continue
        proved += 1
    report.versions_proved = proved
