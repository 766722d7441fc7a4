"""The projection: the folded tape, kept as a Delta table beside the log, one version per log
version.

It holds, per natural key ``(stream, key)``, the latest non-retracted version of the fact (by
``recorded_at``, then ``event_id``): exactly what :meth:`analysis.tape.Tape.fold` computes
with no cut.
If the latest version is retracted, the one before it is the fact again; a key whose versions
are all retracted has no row.

**The invariant.** Every version of a fact shares its ``valid_at`` (a correction restates a
fact, it does not move it in time); :func:`store.validate.check_against_log` refuses any append
that would break it. Because of it, the cut ``valid_at <= T`` selects the same keys before and
after the fold, so *filtering* the projection of log version ``v`` by ``valid_at <= T`` equals
folding log version ``v`` as of ``T``. Without it, a correction moved past ``T`` would hide an
older version that the fold at ``T`` still shows.

**Versions.** Every projection commit that applies log events records the log version it
reflects (a compaction, which changes no fact, records none), in its commit
metadata (``tapecheck.log_version``) and as a Delta application transaction
(``tapecheck-projection``), so the projection of log version ``v`` is found by time travel,
and concurrent writers bringing it up to date conflict instead of applying a log version twice.

**Updates.** After each log commit, only the touched keys are recomputed (events of brand-new
keys are their own fold; otherwise the touched keys are refolded from the log at that version)
and applied with a Delta ``MERGE`` whose target scan is pruned by the keys' ranges. A version
of brand-new keys only (every first append of a symbol, a bulk ingest) has nothing to match,
and is a plain append instead, about a third of a MERGE's cost. Every projection commit
carries the application transaction and allows no delta-rs retry, so either kind fails,
rather than being rebased, when another commit landed since the table was read; the update
then re-reads where the projection stands.
The log is the source of truth: a projection behind its log (a crash between the two commits)
is brought up to date, one log version at a time, by the next append or read.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction, WriterProperties
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from store.errors import ConcurrencyExhausted, StoreMissing
from store.events import EVENT_SCHEMA, EventType
from store.pruning import add_actions, select_files
from store.seal import read_entry

DIRECTORY = "projection"
APP_ID = "tapecheck-projection"
LOG_VERSION = "tapecheck.log_version"
# A commit applying one part of a log version (the last part records LOG_VERSION instead).
PART_OF = "tapecheck.part_of_log_version"
# Events per MERGE when a version is read back from the log: bounds the memory of applying a
# streamed ingest of a large file (delta-rs holds a MERGE's source and its join in memory).
APPLY_ROWS = 262_144
# Seals and retraction fields stay in the log: the folded tape never needs them.
COLUMNS: tuple[str, ...] = tuple(
    c for c in EVENT_SCHEMA if c not in ("record_hash", "retracts", "reason")
)
SCHEMA = pl.Schema({c: EVENT_SCHEMA[c] for c in COLUMNS})
# Both tables are written in this order, so file and row-group statistics of stream and key
# are narrow and pruning works.
CLUSTER = ("stream", "valid_at", "key")
# Row groups of tens of thousands of rows: a one-stream read skips most of each file.
ROW_GROUP_ROWS = 32_768
WRITER = WriterProperties(max_row_group_size=ROW_GROUP_ROWS, statistics_truncate_length=256)
# The memory a compaction's sort may hold before it spills to disk. delta-rs's default is
# 20 GiB, more than many machines have: a 30M-bar log would be killed rather than spill.
COMPACT_MEMORY = 2 * 2**30


@dataclass(frozen=True)
class Fresh:
    """What an append just committed: the log version, its new events, and whether every one
    of them is a fact of a key the log had never seen (then the fold of those keys is the
    events themselves, and the log need not be read again). ``events`` are sealed, so
    in :data:`CLUSTER` order."""

    version: int
    events: pl.DataFrame
    all_new: bool


def files_of(table: DeltaTable, actions: pl.DataFrame) -> list[str]:
    """Local paths of the data files named by add actions of ``table``."""
    root = Path(unquote(table.table_uri.removeprefix("file://")))
    return [str(root / unquote(p)) for p in actions.get_column("path").to_list()]


def versions_of(
    table: DeltaTable, keys: pl.DataFrame, columns: tuple[str, ...] | list[str]
) -> pl.DataFrame:
    """Every event of ``table`` (one log version) whose ``(stream, key)`` is in ``keys``.

    Only files whose statistics can hold the keys' streams and keys are opened, and only
    ``columns`` are read; row groups are skipped on the same statistics.
    """
    schema = {c: EVENT_SCHEMA[c] for c in columns}
    if keys.height == 0:
        return pl.DataFrame(schema=schema)
    streams = keys.get_column("stream").unique()
    chosen = select_files(add_actions(table), streams=streams, keys=keys.get_column("key"))
    if chosen.height == 0:
        return pl.DataFrame(schema=schema)
    wanted = list(dict.fromkeys(["stream", "key", *columns]))
    found = (
        pl.scan_parquet(files_of(table, chosen), hive_partitioning=False)
        .select(wanted)
        .filter(pl.col("stream").is_in(streams.implode()))
        .join(keys.lazy().select("stream", "key"), on=["stream", "key"], how="semi")
        .collect()
    )
    return found.select(list(columns)).cast(schema)  # type: ignore[arg-type]


def fold(events: pl.DataFrame) -> pl.DataFrame:
    """The latest non-retracted version per key of ``events`` (any order), projection columns.

    The same rule as :meth:`analysis.tape.Tape.fold` with no cut, written out in Polars (the
    store does not depend on the analysis layer).
    """
    retracted = events.filter(pl.col("event_type") == EventType.RETRACTION.value).get_column(
        "retracts"
    )
    facts = events.filter(
        (pl.col("event_type") != EventType.RETRACTION.value)
        & ~pl.col("event_id").is_in(retracted.implode())
    )
    latest = facts.sort(["recorded_at", "event_id"], descending=True).unique(
        subset=["stream", "key"], keep="first"
    )
    return latest.select(COLUMNS).sort(list(CLUSTER))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _q(column: str) -> str:
    return f'"{column}"'


class Projection:
    """The projection table of one store (``<store>/projection``)."""

    def __init__(self, root: Path) -> None:
        self.path = root / DIRECTORY

    # -- the table and its versions -------------------------------------------------------------

    def table(self, version: int | None = None) -> DeltaTable | None:
        try:
            if version is None:
                return DeltaTable(str(self.path))
            return DeltaTable(str(self.path), version=version)
        except TableNotFoundError:
            return None

    def _create(self) -> DeltaTable:
        return DeltaTable.create(
            str(self.path),
            schema=pl.DataFrame(schema=SCHEMA).to_arrow().schema,
            name="tapecheck_projection",
            description="tapecheck folded tape: latest fact per (stream, key), per log version",
            mode="ignore",
        )

    @staticmethod
    def reflected(table: DeltaTable | None) -> int:
        """The log version a projection table reflects (-1: none yet)."""
        if table is None:
            return -1
        found = table.transaction_version(APP_ID)
        return -1 if found is None else int(found)

    def version_for(self, log_version: int, latest: DeltaTable | None = None) -> int:
        """The projection version that reflects ``log_version``, by its commit metadata.

        A log version that added no event (the table's creation, a compaction) shares the
        projection of the last one before it that did. Call :meth:`update` first: a log
        version the projection has not reached yet maps to the last one it has. Once it is up
        to date, the newest projection (compacted or not) serves every log version from the
        one it reflects on, since none of them added an event. ``latest`` is the newest table
        when the caller has just opened it (:meth:`update` returns it).
        """
        table = latest if latest is not None else self.table()
        if table is None:
            raise StoreMissing(f"{self.path} holds no projection")
        if self.reflected(table) <= log_version:
            return table.version()
        best: tuple[int, int] | None = None
        for commit in table.history():
            raw = commit.get(LOG_VERSION)
            if raw is None:
                continue
            reflected = int(raw)
            if reflected <= log_version and (best is None or (reflected, commit["version"]) > best):
                best = (reflected, int(commit["version"]))
        # no commit at or before it: the log had no event yet, and the empty first version is
        # its projection
        return best[1] if best is not None else 0

    # -- bringing it up to date ------------------------------------------------------------------

    def update(self, log_path: Path, log_version: int, fresh: Fresh | None = None) -> DeltaTable:
        """Bring the projection up to ``log_version`` (one commit per event-adding log version).

        ``fresh`` carries the events an append just committed at ``fresh.version``, so that
        version is applied without re-reading the log. Returns the projection table as this
        update left it (opening a Delta table reads its log: 30-50 ms).
        """
        for attempt in range(1, 201):
            table = self.table() or self._create()
            start = self.reflected(table) + 1
            try:
                for version in range(start, log_version + 1):
                    if self.reflected(table) >= version:
                        # another process applied it, and re-reading after our last commit
                        # brought that in: applying it again could append its facts twice
                        continue
                    self._apply(table, log_path, version, fresh)
                    table.update_incremental()
            except CommitFailedError:
                # another process moved the projection: re-read where it stands, go on from there
                time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))
                continue
            return table
        raise ConcurrencyExhausted(f"gave up bringing {self.path} up to log version {log_version}")

    def _apply(self, table: DeltaTable, log_path: Path, version: int, fresh: Fresh | None) -> None:
        """Apply one log version. The events of a version read back from the log (a streamed
        ingest of a large file, a version another process committed) are merged in parts of
        at most :data:`APPLY_ROWS` events, so memory does not grow with the version; only the
        last part's commit records the log version, so a crash part-way leaves the version
        unapplied and the next update applies it again (a MERGE applied twice changes
        nothing)."""
        if fresh is not None and fresh.version == version:
            # A plain append needs the table to hold no part of this version: its newest
            # commit must be a whole version's (or the creation). Another process's commit of
            # some of its parts, or a compaction, sends it through the MERGE.
            plain = fresh.all_new and _ends_on_a_whole_version(table)
            parts: list[tuple[Callable[[], pl.DataFrame], bool]] = [(lambda: fresh.events, plain)]
        else:
            parts = [(read, False) for read in added_parts(log_path, version)]
        for n, (read, all_new) in enumerate(parts, start=1):
            last = n == len(parts)
            props = CommitProperties(
                app_transactions=[Transaction(APP_ID, version)] if last else None,
                custom_metadata={LOG_VERSION if last else PART_OF: str(version)},
                max_commit_retries=0,
            )
            self._write_part(table, read(), all_new, log_path, version, props)
            if not last:
                table.update_incremental()

    def _write_part(
        self,
        table: DeltaTable,
        events: pl.DataFrame,
        all_new: bool,
        log_path: Path,
        version: int,
        props: CommitProperties,
    ) -> None:
        """Apply the fold of the keys ``events`` touch, as of log ``version``: a plain append
        when they are all brand-new keys, otherwise a MERGE."""
        if events.height == 0:
            return
        if all_new and bool((events.get_column("event_type") != EventType.RETRACTION.value).all()):
            # Brand-new keys: their fold is the events themselves, and the projection this
            # version starts from holds none of them, so there is nothing to match. delta-rs
            # rebases a plain append over a concurrent commit instead of failing, so a version
            # another process applied meanwhile could be appended twice; two guards stop it.
            # The commit carries the application transaction, which delta-rs's conflict check
            # refuses when the winning commit set the same application id, and ``props``
            # allows no retry, so any commit since ``table`` was read makes this one fail and
            # the update re-read (tests/test_store_projection.py races two writers).
            options = {"commit_properties": props, "writer_properties": WRITER}
            rows = events.select(COLUMNS).cast(dict(SCHEMA))  # type: ignore[arg-type]
            rows.write_delta(table, mode="append", delta_write_options=options)
            return
        log = DeltaTable(str(log_path), version=version)
        touched = events.select("stream", "key").unique()
        live = fold(versions_of(log, touched, tuple(EVENT_SCHEMA)))
        # A MERGE, checked against what it read: applying a version twice changes nothing.
        gone = touched.join(live.select("stream", "key"), on=["stream", "key"], how="anti")
        source = pl.concat(
            [
                live.with_columns(pl.lit(False).alias("_gone")),
                gone.with_columns(pl.lit(True).alias("_gone")),
            ],
            how="diagonal_relaxed",
        ).select(*COLUMNS, "_gone")
        source = source.cast({c: t for c, t in SCHEMA.items()})
        values = {_q(c): f"s.{_q(c)}" for c in COLUMNS}
        (
            table.merge(
                source.to_arrow(),
                predicate=_match_predicate(touched),
                source_alias="s",
                target_alias="t",
                writer_properties=WRITER,
                commit_properties=props,
            )
            .when_matched_delete(predicate="s._gone")
            .when_matched_update(values, predicate="NOT s._gone")
            .when_not_matched_insert(values, predicate="NOT s._gone")
            .execute()
        )

    def compact(self) -> None:
        """Rewrite the projection's files clustered by stream (the log's compaction adds no
        event, so nothing else changes).

        The commit records no log version: it holds the same facts as the version before it,
        and Delta may rebase it over a writer's concurrent commit, so any log version it named
        could be stale (mapping an older log version to facts appended after it, or moving
        :meth:`reflected` back so a writer's events were applied twice). Readers still find the
        compacted files: the newest projection serves every log version from the one it
        reflects on (see :meth:`version_for`).
        """
        for attempt in range(1, 6):
            table = self.table()
            if table is None or self.reflected(table) < 0:
                return
            try:
                table.optimize.z_order(
                    ["stream"], writer_properties=WRITER, max_spill_size=COMPACT_MEMORY
                )
            except CommitFailedError:
                # a writer's MERGE rewrote files this read: start again from the new state; after
                # a few tries leave the files as they are (compaction changes no read)
                time.sleep(random.uniform(0.005, 0.05) * attempt)
                continue
            return

    # -- reading ----------------------------------------------------------------------------------

    def files(
        self, version: int, streams: list[str] | None = None, latest: DeltaTable | None = None
    ) -> tuple[DeltaTable, pl.DataFrame]:
        """The projection table at ``version`` and its add actions (pruned to ``streams``);
        ``latest``, an open table, is used when it is at ``version``."""
        table = (
            latest if latest is not None and latest.version() == version else self.table(version)
        )
        if table is None:
            raise StoreMissing(f"{self.path} holds no projection")
        return table, select_files(add_actions(table), streams=streams)


def _ends_on_a_whole_version(table: DeltaTable) -> bool:
    """Whether the newest commit of ``table`` is its creation or the one that applied a whole
    log version (not a part of one, not a compaction)."""
    if table.version() == 0:
        return True
    newest = table.history(limit=1)
    return bool(newest) and newest[0].get(LOG_VERSION) is not None


def _match_predicate(touched: pl.DataFrame) -> str:
    """``t`` and ``s`` share the key; the literal ranges let the MERGE skip every target file
    whose statistics cannot hold a touched key (a matching row has the source's key)."""
    parts = ['t."stream" = s."stream"', 't."key" = s."key"']
    for column in ("stream", "key"):
        col = touched.get_column(column)
        lo, hi = col.min(), col.max()
        parts.append(f"t.{_q(column)} >= {_literal(str(lo))}")
        parts.append(f"t.{_q(column)} <= {_literal(str(hi))}")
    return " AND ".join(parts)


def added_parts(log_path: Path, version: int) -> list[Callable[[], pl.DataFrame]]:
    """The events a log version added (the files in it that were not in the version
    before), as readers of groups of files of at most :data:`APPLY_ROWS` events each (a
    single larger file is a group of its own).

    The log is append-only, so a version that removes files is a compaction: it rewrites
    events without adding any (no part).
    """
    if version == 0:
        return []  # the table's creation
    # A version that added no file, or removed some (the log is append-only: only a
    # compaction removes, and it adds no event), is known from its own entry, without
    # replaying the Delta log twice below (80 ms at 30M bars). Every read after a compaction
    # asks about it: the projection records no version for a log version without events.
    with contextlib.suppress(OSError):
        entry = read_entry(log_path, version)
        if entry.error is None and (entry.removes or not entry.adds):
            return []
    try:
        table = DeltaTable(str(log_path), version=version)
        before = DeltaTable(str(log_path), version=version - 1)
    except Exception as exc:  # delta-rs raises plain errors for a missing version
        raise StoreMissing(f"cannot read log version {version} of {log_path}: {exc}") from None
    old = set(add_actions(before).get_column("path").to_list())
    actions = add_actions(table)
    if not old <= set(actions.get_column("path").to_list()):
        return []
    added = actions.filter(~pl.col("path").is_in(list(old)))
    groups: list[list[int]] = []
    rows = 0
    for i, records in enumerate(added.get_column("num_records").fill_null(0).to_list()):
        if not groups or rows + records > APPLY_ROWS:
            groups.append([])
            rows = 0
        groups[-1].append(i)
        rows += records

    def reader(files: pl.DataFrame) -> Callable[[], pl.DataFrame]:
        def read() -> pl.DataFrame:
            frame = pl.read_parquet(files_of(table, files), hive_partitioning=False)
            return frame.cast(dict(EVENT_SCHEMA))  # type: ignore[arg-type]

        return read

    return [reader(added[g]) for g in groups]


def added_events(log_path: Path, version: int) -> pl.DataFrame:
    """Every event a log version added, in one frame (see :func:`added_parts`)."""
    frames = [read() for read in added_parts(log_path, version)]
    return pl.concat(frames) if frames else pl.DataFrame(schema=EVENT_SCHEMA)


def problems(log_path: Path, root: Path) -> list[str]:
    """What is wrong with a store's projection, checked against a fold of its log (for fsck).

    It is compared at the log version it reflects: one behind its log (a crash between the two
    commits) is no fault, the next append or read brings it up to date. One that disagrees with
    the fold is; deleting ``projection/`` repairs it (it is rebuilt from the log on next use).
    A log that cannot be read is left to fsck's own file checks, which name the file.
    """
    projection = Projection(root)
    table = projection.table()
    reflected = projection.reflected(table)
    if table is None or reflected < 0:
        return []
    try:
        return _disagreement(table, log_path, reflected)
    except (OSError, pl.exceptions.PolarsError):
        return []


def _disagreement(table: DeltaTable, log_path: Path, reflected: int) -> list[str]:
    log = DeltaTable(str(log_path), version=reflected)
    files = files_of(log, add_actions(log))
    schema = dict(EVENT_SCHEMA)
    events = (
        pl.read_parquet(files, hive_partitioning=False).cast(schema)  # type: ignore[arg-type]
        if files
        else pl.DataFrame(schema=EVENT_SCHEMA)
    )
    key = ["stream", "key", "event_id"]
    # a whole refold of the log, against the projection that was kept up to date piecewise
    expected = fold(events).select(key)
    rows = files_of(table, add_actions(table))
    got = pl.read_parquet(rows, columns=key, hive_partitioning=False) if rows else expected.clear()
    missing = expected.join(got, on=key, how="anti").height
    extra = got.join(expected, on=key, how="anti").height
    if missing or extra or got.height != expected.height:
        return [
            f"disagrees with the fold of log version {reflected}: {missing} fact(s) missing, "
            f"{extra} not in the fold, {got.height} rows for {expected.height} facts"
        ]
    return []
