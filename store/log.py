"""The append-only, bitemporal event log on one Delta Lake table.

Appends are one Delta commit each, written with Polars (``write_delta``, i.e. delta-rs).
Idempotency needs "check which ids exist" and "commit the rest" to be one serializable step
even with several writer processes. Delta gives that without a lock file: every append also
commits an application transaction (``txn``) for one app id, and delta-rs refuses a commit when
a concurrent winner touched the same app id. The loser re-reads and retries.

Every commit carries a seal (:mod:`store.seal`): digests of the log entries before it. After
each commit the marker file records the newest entry's version and digest, so a deleted newest
entry is noticed too: a writer refuses to write on top of it and a reader refuses to read it.

A store is created whole or not at all: the table and the marker are built in a temporary
sibling folder, which is then renamed into place. Of several processes creating the same store
at once, one rename wins and the others open the winner's store.

After each commit the projection (:mod:`store.projection`) is brought up to date from the new
events; :meth:`EventLog.projection` gives its files for any log version, and
:meth:`EventLog.folded` reads the facts known at a cut from it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import json
import os
import random
import secrets
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

from store.config import store_path
from store.errors import ConcurrencyExhausted, NotAStore, StoreDamaged, StoreMissing, clip
from store.events import EVENT_SCHEMA, EventType, event_ids, record_hashes
from store.projection import (
    CLUSTER,
    COMPACT_MEMORY,
    WRITER,
    Fresh,
    Projection,
    added_events,
    files_of,
    versions_of,
)
from store.projection import COLUMNS as PROJECTION_COLUMNS
from store.pruning import add_actions, select_files
from store.reference.clock import utc
from store.seal import (
    SEAL_KEY,
    digest,
    entry_name,
    entry_path,
    file_digests,
    log_versions,
    read_entry,
    records,
    seal_for,
)
from store.validate import check_against_log, validate_batch

MARKER = "tapecheck-store.json"
TABLE = "events"
APP_ID = "tapecheck-event-log"
STORE_FORMAT = 1
# Delta table properties of a new store: remove actions that drop data are refused by Delta
# writers (compaction's remove and add of the same rows is allowed), and Delta never deletes
# old log entries, so every version stays readable and every entry stays checkable by fsck.
TABLE_CONFIGURATION = {"delta.appendOnly": "true", "delta.enableExpiredLogCleanup": "false"}
CREATING = ".creating-"
# A streamed append keeps about one row group and one data file's bytes in delta-rs's buffers:
# bounded here, so memory does not grow with the size of the stream.
STREAM_ROW_GROUP = 64 * 1024
STREAM_FILE_BYTES = 32 * 1024 * 1024
# Commit metadata: the digest of each appended batch, so an identical batch is a no-op at once.
BATCH_DIGEST = "tapecheck.batch_digest"
# How many recent commits the identical-batch check looks back over.
DIGEST_WINDOW = 1_000
# What the dedupe reads of the logged versions of a batch's keys.
PRIOR_COLUMNS = ("stream", "key", "valid_at", "event_id", "event_type")

# The log's schema in Arrow's types (what delta-rs writes and creates the table with).
ARROW_SCHEMA = pl.DataFrame(schema=EVENT_SCHEMA).to_arrow().schema

# Total order of the raw log: when it was learned, then the fact, then the id as tie-break.
LOG_ORDER = ("recorded_at", "stream", "valid_at", "key", "event_id")
# Order of an as-of view: one row per fact, by entity and valid time.
VIEW_ORDER = ("stream", "valid_at", "key")


@dataclass(frozen=True)
class AppendResult:
    """What one append did."""

    added: int
    skipped: int
    version: int
    recorded_at: dt.datetime | None
    attempts: int


@dataclass(frozen=True)
class Snapshot:
    """One Delta version of the log: what readers outside ``store`` (ibis, Spark) scan."""

    version: int
    files: tuple[str, ...]
    path: Path


@dataclass
class _Attempt:
    """One attempt of an append, prepared on the log version it read."""

    stamp: dt.datetime
    metadata: dict[str, str]  # the commit's metadata besides the seal
    write: Callable[[CommitProperties], None]  # write and commit with these properties
    counts: Callable[[], tuple[int, int]]  # events added and skipped, once written
    fresh: Fresh | None = None  # the projection's update from the new events
    failure: list[BaseException] = field(default_factory=list)  # what the input stream raised


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LogReads:
    """The read API every storage adapter shares; an adapter supplies ``scan(version)``.

    The store reads its log as a log (every event, one fact's history, counts per stream);
    folding it into the facts known at a cut is the tape's job (:mod:`analysis.tape`).
    """

    def scan(self, version: int | None = None) -> pl.LazyFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def events(self, version: int | None = None) -> pl.DataFrame:
        """The whole log in its stable total order (recorded, stream, valid, key, id)."""
        return self.scan(version).sort(list(LOG_ORDER)).collect()

    def history(self, stream: str, key: str, *, version: int | None = None) -> pl.DataFrame:
        """Every version of one fact, retractions included, in recording order."""
        return (
            self.scan(version)
            .filter((pl.col("stream") == stream) & (pl.col("key") == key))
            .sort(list(LOG_ORDER))
            .collect()
        )

    def summary(self, version: int | None = None) -> pl.DataFrame:
        """Event counts and time spans per stream and event type."""
        return (
            self.scan(version)
            .group_by("stream", "event_type")
            .agg(
                pl.len().alias("events"),
                pl.col("valid_at").min().alias("first_valid"),
                pl.col("valid_at").max().alias("last_valid"),
                pl.col("recorded_at").max().alias("last_recorded"),
            )
            .sort("stream", "event_type")
            .collect()
        )


def prepare(
    batch: pl.DataFrame, *, file: str | None = None, lines: list[int] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate a batch and give it event ids: ``(batch, batch without repeated events)``.

    The second frame carries ``_row``, each event's first row in the batch, for error messages.
    """
    batch = validate_batch(batch, file=file, lines=lines)
    batch = batch.with_columns(event_ids(batch).alias("event_id"))
    unique = batch.with_row_index("_row")
    if batch.get_column("event_id").n_unique() < batch.height:  # the common case skips this
        unique = unique.unique(subset=["event_id"], keep="first", maintain_order=True)
    return batch, unique


def dedupe(
    unique: pl.DataFrame,
    prior: pl.DataFrame,
    *,
    file: str | None = None,
    lines: list[int] | None = None,
) -> tuple[pl.DataFrame, bool]:
    """The events of ``unique`` not in the log, checked against the versions it holds.

    ``prior`` is every logged event of the batch's keys (:data:`PRIOR_COLUMNS`): an event's id
    hashes its stream and key, so an event already in the log is among them. Returns the new
    events, and whether all of them are facts of keys the log has never seen.
    """
    new = unique.filter(~pl.col("event_id").is_in(prior.get_column("event_id").implode()))
    check_against_log(new, prior, file=file, lines=lines)
    seen = new.join(prior.select("stream", "key"), on=["stream", "key"], how="semi").height
    retracts = bool((new.get_column("event_type") == EventType.RETRACTION.value).any())
    return new, seen == 0 and not retracts


def batch_digest(batch: object) -> str | None:
    """SHA-256 of a batch frame's content: equal digests mean identical batches.

    The hashed bytes are a JSON header (the height, and each column's name, type and whether
    every value is null) and, after a NUL the JSON cannot hold, the Arrow IPC bytes of the
    columns that hold a value. An all-null column is fully described by the header, so its
    buffers are not serialised: a bulk batch of one event type leaves most of the event
    schema's 36 columns null, and skipping them halves the bytes (a re-append of an identical
    batch is mostly this digest). Both parts are faithful encodings, so different batches
    cannot share the bytes. Equal frames built in different ways may serialise differently;
    that only costs the fast path, never correctness.
    """
    if not isinstance(batch, pl.DataFrame) or batch.height == 0:
        return None
    counts = batch.null_count().row(0)
    empty = {c for c, n in zip(batch.columns, counts, strict=True) if n == batch.height}
    header = {
        "height": batch.height,
        "columns": [[c, str(t), c in empty] for c, t in batch.schema.items()],
    }
    digest = hashlib.sha256(json.dumps(header).encode() + b"\0")
    buffer = io.BytesIO()
    batch.drop(empty).write_ipc(buffer, compression="uncompressed")
    digest.update(buffer.getbuffer())
    return digest.hexdigest()


def seal(new: pl.DataFrame, recorded_at: dt.datetime) -> pl.DataFrame:
    """Stamp the recording time, seal it with ``record_hash`` and order rows for the file."""
    stamp = pl.lit(utc(recorded_at)).cast(EVENT_SCHEMA["recorded_at"])
    new = new.select(list(EVENT_SCHEMA)).with_columns(stamp.alias("recorded_at"))
    new = new.with_columns(record_hashes(new).alias("record_hash"))
    # Sorted by stream and time, each file's column statistics bound a few streams, so
    # readers that filter on stream skip most files.
    return new.sort([*CLUSTER, "event_id"])


class EventLog(LogReads):
    """The event store rooted at a directory holding a marker file and the Delta table."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.table_path = root / TABLE

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path | str | None = None, *, create: bool = False) -> EventLog:
        """Open the store at ``root`` (default: ``TAPECHECK_STORE``).

        With ``create``, a missing or empty directory becomes a new store. A directory that
        holds anything else is refused: the store never writes into a folder it did not make.
        """
        root = cls.check_path(root)
        if (root / MARKER).is_file():
            return cls(root)
        if not create:
            raise StoreMissing(f"no store at {root} yet; run `tapecheck ingest` first")
        _create(root)
        return cls(root)

    @staticmethod
    def check_path(root: Path | str | None = None) -> Path:
        """``root`` if it is a store, an empty or missing directory, or a creation to finish.

        Nothing is created: ingest calls this first, so that a wrong store path is refused
        before the input is read, and creates the store only once the input is valid.
        """
        root = Path(root) if root is not None else store_path()
        if root.exists() and not root.is_dir():
            raise NotAStore(f"{root} is a file, not a tapecheck store")
        above = next((p for p in root.parents if p.exists()), None)
        if above is not None and not above.is_dir():
            raise NotAStore(f"{root}: {above} is a file, so no store can be made below it")
        if (root / MARKER).is_file():
            meta = read_marker(root)
            if meta.get("format") != STORE_FORMAT:
                raise NotAStore(f"{root}: store format {meta.get('format')!r} is not supported")
            return root
        if root.is_dir() and any(root.iterdir()) and not _interrupted(root):
            raise NotAStore(
                f"{root} is not a tapecheck store (no {MARKER}); refusing to use it. "
                "Point TAPECHECK_STORE at an empty or new directory."
            )
        return root

    def _table(self, version: int | None = None) -> DeltaTable:
        try:
            if version is None:
                return DeltaTable(str(self.table_path))
            return DeltaTable(str(self.table_path), version=version)
        except TableNotFoundError:
            raise StoreMissing(f"{self.table_path} holds no Delta table") from None
        except Exception as exc:  # delta-rs raises plain errors for a bad version or log
            latest = self._latest_entry()
            if version is not None and latest is not None and version > latest:
                raise StoreMissing(
                    f"{self.root} has no version {version} (the latest is {latest})"
                ) from None
            raise StoreDamaged(
                f"cannot read the Delta log of {self.table_path}"
                + (f" at version {version}" if version is not None else "")
                + f" ({clip(' '.join(str(exc).split()), 160)}); run `tapecheck fsck`"
            ) from None

    def _latest_entry(self) -> int | None:
        return max(log_versions(self.table_path), default=None)

    def _marked(self) -> dict[str, object]:
        """The newest entry the marker recorded (version and digest). Read it before the
        table: it never runs ahead of the table unless the table lost entries."""
        return read_marker(self.root)

    def _check_tail(self, marker: dict[str, object], version: int) -> None:
        """The cheap check every latest read and every write makes of the log's newest
        entries: none was deleted, the one the marker recorded is unchanged, and the ones
        after it were sealed by tapecheck over what is there and drop nothing. (``fsck``
        checks the whole history.)"""
        marked, recorded = marker.get("version"), marker.get("entry")
        if not isinstance(marked, int):
            return  # a store made before seals
        stop = "nothing was read or written: run `tapecheck fsck`"
        if version < marked:
            raise StoreDamaged(
                f"{self.root}: the log ends at version {version} but the store recorded version "
                f"{marked} ({entry_name(version + 1)} is gone); {stop}"
            )
        try:
            if digest(entry_path(self.table_path, marked).read_bytes()) != recorded:
                raise StoreDamaged(
                    f"{self.table_path / entry_name(marked)} changed after it was committed; "
                    + stop
                )
            for later in range(marked + 1, version + 1):
                entry = read_entry(self.table_path, later)
                chain = (entry.seal or {}).get("chain")
                if entry.error or not isinstance(chain, dict):
                    raise StoreDamaged(
                        f"{self.table_path / entry.name} was not committed by tapecheck; {stop}"
                    )
                for key, value in chain.items():
                    path = entry_path(self.table_path, int(key))
                    if path.is_file() and digest(path.read_bytes()) != value:
                        raise StoreDamaged(
                            f"{self.table_path / entry_name(int(key))} changed after it was "
                            f"committed; {stop}"
                        )
                if any(r.get("dataChange") for r in entry.removes):
                    raise StoreDamaged(
                        f"{self.table_path / entry.name} removes events from the append-only "
                        f"log; {stop}"
                    )
                if entry.removes:
                    removed = sum(self._rows(str(r.get("path", ""))) for r in entry.removes)
                    added = sum(records(a) or 0 for a in entry.adds)
                    if removed > added:
                        raise StoreDamaged(
                            f"{self.table_path / entry.name} removes {removed:,} events and adds "
                            f"back {added:,}; {stop}"
                        )
        except (OSError, ValueError) as exc:
            raise StoreDamaged(f"{self.table_path}: unreadable log entry ({exc}); {stop}") from None

    def _rows(self, path: str) -> int:
        """Rows of a data file, from its Parquet footer (a compaction's removed files stay)."""
        try:
            return int(pq.ParquetFile(self.table_path / unquote(path)).metadata.num_rows)
        except Exception:
            raise StoreDamaged(
                f"{self.table_path / unquote(path)}: a data file the log removes is missing or "
                "unreadable; run `tapecheck fsck`"
            ) from None

    def _sealed(self, table: DeltaTable, marker: dict[str, object]) -> dict[str, object]:
        """Commit metadata that seals a commit made on top of ``table``'s version."""
        base = table.version()
        self._check_tail(marker, base)
        return {SEAL_KEY: seal_for(self.table_path, base, marker)}

    def _mark(self) -> None:
        """After a commit: record the newest entry in the marker (never moving it backwards)."""
        latest = self._latest_entry()
        if latest is None:
            return
        marked = self._marked().get("version")
        if isinstance(marked, int) and marked >= latest:
            return  # a concurrent writer already recorded this entry or a newer one
        entry = digest(entry_path(self.table_path, latest).read_bytes())
        _write_marker(self.root, latest, entry, file_digests(self.table_path, latest))

    # -- the write path ------------------------------------------------------------------------

    def append(
        self,
        batch: pl.DataFrame,
        *,
        recorded_at: dt.datetime | None = None,
        file: str | None = None,
        lines: list[int] | None = None,
        max_attempts: int = 200,
    ) -> AppendResult:
        """Append a batch atomically; events already in the log (by ``event_id``) are skipped.

        ``recorded_at`` defaults to the commit's wall-clock time; pass it only to replay a
        history whose recording times are known. After the commit the projection is brought
        up to date from the new events (see :mod:`store.projection`).

        Dedupe reads only the logged versions of the batch's keys, from the files whose
        statistics can hold them. A batch byte-identical to one appended before is known by
        its digest and skipped whole, without validating or hashing it again.
        """
        batch_sha = batch_digest(batch)
        if batch_sha is not None and batch_sha in self._recent_digests():
            version = self.version()
            self._project(version)
            return AppendResult(0, batch.height, version, None, 0)
        batch, unique = prepare(batch, file=file, lines=lines)
        if unique.height == 0:
            return AppendResult(0, batch.height, self.version(), None, 0)
        keys = unique.select("stream", "key")
        if (unique.get_column("event_type") == EventType.RETRACTION.value).any():
            keys = keys.unique()  # facts have distinct keys (validated); retractions may not

        def attempt_on(table: DeltaTable, base: int, attempt: int) -> _Attempt | AppendResult:
            prior = versions_of(table, keys, PRIOR_COLUMNS)
            new, all_new = dedupe(unique, prior, file=file, lines=lines)
            if new.height == 0:
                self._project(base)
                return AppendResult(0, batch.height, base, None, attempt)
            stamp = recorded_at or _now()
            new = seal(new, stamp)
            metadata = {"tapecheck.added": str(new.height), "tapecheck.source": _sources(new)}
            if batch_sha is not None:
                metadata[BATCH_DIGEST] = batch_sha

            def write(props: CommitProperties) -> None:
                options = {"commit_properties": props, "writer_properties": WRITER}
                new.write_delta(table, mode="append", delta_write_options=options)

            return _Attempt(
                stamp,
                metadata,
                write,
                lambda: (new.height, batch.height - new.height),
                Fresh(base + 1, new, all_new),
            )

        return self._commit(attempt_on, max_attempts, f"{unique.height} events")

    def _commit(
        self,
        attempt_on: Callable[[DeltaTable, int, int], _Attempt | AppendResult],
        max_attempts: int,
        what: str,
    ) -> AppendResult:
        """Commit an append, retrying on conflicts: the attempt loop of :meth:`append` and
        :meth:`append_stream`.

        Each attempt reads the marker, then the table (its version ``base`` and the app's
        ``txn``), and calls ``attempt_on(table, base, attempt)`` to prepare the write on that
        version (an :class:`AppendResult` there means nothing to commit). The commit carries
        the app transaction ``txn + 1`` and the seal, with no retries in delta-rs: a concurrent
        winner makes it fail, and the whole attempt is redone on the new version.
        """
        for attempt in range(1, max_attempts + 1):
            marked = self._marked()
            table = self._table()
            base = table.version()
            txn = table.transaction_version(APP_ID) or 0
            plan = attempt_on(table, base, attempt)
            if isinstance(plan, AppendResult):
                return plan
            props = CommitProperties(
                app_transactions=[Transaction(APP_ID, txn + 1)],
                custom_metadata={**plan.metadata, **self._sealed(table, marked)},
                max_commit_retries=0,
            )
            try:
                plan.write(props)
            except CommitFailedError:
                if plan.failure:
                    raise plan.failure[0] from None
                # Another writer committed since we read; back off and redo the id check.
                time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))
                continue
            except Exception:
                if plan.failure:  # delta-rs wraps the stream's exception; raise the original
                    raise plan.failure[0] from None
                raise
            self._mark()
            try:
                self._project(base + 1, plan.fresh)
            except (OSError, DeltaError) as exc:
                # The events are committed: the append succeeded. The projection is derived
                # and is brought up to date by the next append or read.
                warnings.warn(
                    f"log version {base + 1} is committed; its projection is not up to date "
                    f"yet ({exc}) and will be brought up to date on next use",
                    stacklevel=3,  # the caller of append or append_stream
                )
            added, skipped = plan.counts()
            return AppendResult(added, skipped, base + 1, plan.stamp, attempt)
        raise ConcurrencyExhausted(
            f"gave up appending {what} after {max_attempts} concurrent conflicts"
        )

    def _recent_digests(self) -> set[str]:
        table = self._table()
        limit = min(DIGEST_WINDOW, table.version() + 1)
        return {str(c[BATCH_DIGEST]) for c in table.history(limit=limit) if BATCH_DIGEST in c}

    def added(self, since: int, until: int | None = None) -> pl.DataFrame:
        """The events committed after log version ``since``, up to ``until`` (default: the
        latest), read from the files those appends added: what a consumer keeping its own
        state (signals, caches) needs to catch up, without rereading the log."""
        until = self.version() if until is None else until
        frames = [added_events(self.table_path, v) for v in range(since + 1, until + 1)]
        if not frames:
            return pl.DataFrame(schema=EVENT_SCHEMA)
        return pl.concat(frames).sort(list(LOG_ORDER))

    # -- the projection ------------------------------------------------------------------------

    def _project(self, version: int, fresh: Fresh | None = None) -> None:
        Projection(self.root).update(self.table_path, version, fresh)

    def projection(
        self, version: int | None = None, *, streams: list[str] | None = None
    ) -> Snapshot:
        """The data files of the folded tape as of log ``version`` (default: the latest).

        One row per natural key ``(stream, key)``: its latest non-retracted version (by
        ``recorded_at``, then ``event_id``), in :data:`store.projection.COLUMNS`. Every version
        of a fact shares its ``valid_at``, so the facts known at ``T`` in log version ``v`` are
        exactly the rows of ``projection(v)`` with ``valid_at <= T``: a filter, not a fold.

        An older ``version`` reads the projection as it was then (Delta time travel). A
        projection behind its log (a crash between the two commits) is brought up to date
        first. ``streams`` keeps only the files whose statistics can hold those streams.
        """
        # The latest is the newest entry's name, not a replay of the Delta log (30 ms at 30M
        # bars, a third of a one-symbol read): the projection's own table is what is read, and
        # bringing it up to date reads the log wherever it must.
        log_version = version if version is not None else self._latest_entry()
        if log_version is None:
            log_version = self.version()
        projection = Projection(self.root)
        latest = projection.update(self.table_path, log_version)
        table, chosen = projection.files(
            projection.version_for(log_version, latest), streams, latest
        )
        return Snapshot(log_version, tuple(files_of(table, chosen)), projection.path)

    def folded(
        self,
        known_at: dt.datetime | None = None,
        *,
        version: int | None = None,
        streams: list[str] | None = None,
        event_type: EventType | None = None,
    ) -> pl.DataFrame:
        """The facts known at ``known_at`` in log ``version``, read from the projection.

        Equal to ``Tape.facts(known_at)`` on a tape pinned to ``version`` (the fold of
        everything recorded, cut at ``valid_at <= known_at``), restricted to the projection's
        columns, at the cost of a filtered scan instead of a fold.
        """
        snap = self.projection(version, streams=streams)
        schema = {c: EVENT_SCHEMA[c] for c in PROJECTION_COLUMNS}
        if not snap.files:
            return pl.DataFrame(schema=schema)
        rows = pl.scan_parquet(list(snap.files), schema=schema, hive_partitioning=False)
        if streams is not None:
            rows = rows.filter(pl.col("stream").is_in(streams))
        if event_type is not None:
            rows = rows.filter(pl.col("event_type") == EventType(event_type).value)
        if known_at is not None:
            rows = rows.filter(pl.col("valid_at") <= utc(known_at))
        return rows.sort(list(VIEW_ORDER)).collect()

    def append_stream(
        self,
        batches: Callable[[], Iterable[tuple[pl.DataFrame, list[int] | None]]],
        *,
        file: str | None = None,
        recorded_at: dt.datetime | None = None,
        max_attempts: int = 200,
    ) -> AppendResult:
        """Append a stream of batches as ONE commit: all of it lands, or none of it.

        ``batches`` is called once per attempt and yields ``(events, lines)`` pairs, ``lines``
        giving the input file's line of each row (for error messages). Each batch is
        validated, deduplicated against the log and handed to delta-rs as it comes, so memory
        holds about one batch at a time; the commit happens after the last one. An exception
        raised by the stream (the file changed under us, say) aborts the commit and is raised
        here as it was.

        The stream must not repeat an event across batches: ingest guarantees it by keying
        each file's rows (one row per session or period).
        """

        def attempt_on(table: DeltaTable, base: int, attempt: int) -> _Attempt | AppendResult:
            stamp = recorded_at or _now()
            counts = {"offered": 0, "added": 0}
            failure: list[BaseException] = []
            stream = self._new_batches(batches, table, stamp, file, counts, failure)
            # Peek: a stream with nothing new must not commit an empty version.
            first = next(stream, None)
            if first is None:
                return AppendResult(0, counts["offered"], base, None, attempt)

            def write(props: CommitProperties) -> None:
                write_deltalake(
                    table,
                    pa.RecordBatchReader.from_batches(ARROW_SCHEMA, _chain(first, stream)),
                    mode="append",
                    commit_properties=props,
                    target_file_size=STREAM_FILE_BYTES,
                    writer_properties=WriterProperties(max_row_group_size=STREAM_ROW_GROUP),
                )

            return _Attempt(
                stamp,
                {"tapecheck.source": clip(file or "stream", 200)},
                write,
                lambda: (counts["added"], counts["offered"] - counts["added"]),
                failure=failure,
            )

        return self._commit(attempt_on, max_attempts, file or "a stream")

    def _new_batches(
        self,
        batches: Callable[[], Iterable[tuple[pl.DataFrame, list[int] | None]]],
        table: DeltaTable,
        stamp: dt.datetime,
        file: str | None,
        counts: dict[str, int],
        failure: list[BaseException],
    ) -> Iterator[pa.RecordBatch]:
        try:
            for frame, lines in batches():
                checked, unique = prepare(frame, file=file, lines=lines)
                counts["offered"] += checked.height
                if unique.height == 0:
                    continue
                prior = versions_of(table, unique.select("stream", "key").unique(), PRIOR_COLUMNS)
                new, _ = dedupe(unique, prior, file=file, lines=lines)
                if new.height == 0:
                    continue
                counts["added"] += new.height
                yield from seal(new, stamp).to_arrow().cast(ARROW_SCHEMA).to_batches()
        except BaseException as exc:
            failure.append(exc)
            raise

    def compact(self) -> dict[str, object]:
        """Rewrite the log's files into larger ones clustered by stream (Delta optimize with
        Z-order on ``stream``), then the projection's; no read changes.

        The commit is sealed like an append. Delta may rebase it over a concurrent append,
        which is why a seal names the version it was made on (see :mod:`store.seal`).
        """
        marked = self._marked()
        table = self._table()
        props = CommitProperties(custom_metadata=self._sealed(table, marked))
        metrics = table.optimize.z_order(
            ["stream"],
            writer_properties=WRITER,
            commit_properties=props,
            max_spill_size=COMPACT_MEMORY,
        )
        self._mark()
        projection = Projection(self.root)
        version = self.version()
        projection.update(self.table_path, version)
        projection.compact()
        return dict(metrics)

    # -- the read path -------------------------------------------------------------------------

    def version(self) -> int:
        """The Delta version of the log: cite it to re-run a verification on the same log."""
        return self._table().version()

    def snapshot(self, version: int | None = None, *, streams: list[str] | None = None) -> Snapshot:
        """The data files of one version, for external scanners (DuckDB via ibis, Spark).

        ``streams`` keeps only the files whose ``stream`` statistics (from the Delta log's add
        actions, before any file is opened) can hold one of them. Each file is checked to be
        there with the size its add action recorded (one ``stat`` each), so a reader of a
        damaged store stops with one line that says to run ``tapecheck fsck``, instead of
        reading wrong numbers or failing deep in a scanner.
        """
        marker = self._marked() if version is None else {}
        table = self._table(version)
        self._check_tail(marker, table.version())
        actions = add_actions(table)
        if streams is not None:
            actions = select_files(actions, streams=streams)
        files = tuple(files_of(table, actions))
        sizes = actions.get_column("size_bytes").to_list()
        for path, expected in zip(files, sizes, strict=True):
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                raise StoreDamaged(
                    f"{path}: a data file of version {table.version()} is missing; "
                    "run `tapecheck fsck`"
                ) from None
            if expected is not None and size != expected:
                raise StoreDamaged(
                    f"{path}: a data file of version {table.version()} has {size:,} bytes where "
                    f"the log recorded {expected:,}; run `tapecheck fsck`"
                )
        return Snapshot(table.version(), files, self.table_path)

    def scan(self, version: int | None = None) -> pl.LazyFrame:
        """Every event of one version, lazily (empty frame for an empty log)."""
        snap = self.snapshot(version)
        if not snap.files:
            return pl.DataFrame(schema=EVENT_SCHEMA).lazy()
        return pl.scan_parquet(list(snap.files), schema=EVENT_SCHEMA)


def _sources(frame: pl.DataFrame) -> str:
    names = frame.get_column("source").unique().sort().to_list()
    return ";".join(names[:5]) + (f";+{len(names) - 5} more" if len(names) > 5 else "")


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


# -- the store folder ----------------------------------------------------------------------


def read_marker(root: Path) -> dict[str, object]:
    """The store's marker: format, table, and the newest entry recorded (``{}`` if absent)."""
    try:
        meta = json.loads((root / MARKER).read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise NotAStore(f"{root}: unreadable store marker {MARKER} ({exc})") from None
    if not isinstance(meta, dict):
        raise NotAStore(f"{root}: unreadable store marker {MARKER} (not a JSON object)")
    return meta


def _write_marker(
    root: Path, version: int, entry: str, files: dict[str, str] | None = None
) -> None:
    meta = {
        "format": STORE_FORMAT,
        "table": TABLE,
        "version": version,
        "entry": entry,
        "files": files or {},
    }
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{MARKER}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(meta) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, root / MARKER)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _interrupted(root: Path) -> bool:
    """A folder an older tapecheck left mid-creation: only ``events/``, holding nothing or an
    empty tapecheck table. Such a folder is ours to finish."""
    names = {p.name for p in root.iterdir()}
    leftovers = {n for n in names if n == MARKER + ".tmp" or n.startswith(f".{MARKER}.")}
    if TABLE not in names or names - leftovers != {TABLE}:
        return False
    table = root / TABLE
    if not table.is_dir():
        return False
    files = [p for p in table.rglob("*") if p.is_file()]
    if not files:
        return True
    first = entry_path(table, 0)
    if any(p.suffix == ".parquet" for p in files) or not first.is_file():
        return False
    try:
        return b'"tapecheck_events"' in first.read_bytes()
    except OSError:
        return False


def _new_table(table: Path) -> None:
    try:
        DeltaTable.create(
            str(table),
            schema=ARROW_SCHEMA,
            name="tapecheck_events",
            description="tapecheck append-only bitemporal event log",
            configuration=TABLE_CONFIGURATION,
            mode="ignore",
            commit_properties=CommitProperties(
                custom_metadata={SEAL_KEY: {"v": 1, "base": -1, "chain": {}}}
            ),
        )
    except Exception:
        # Finishing an interrupted creation in place races with other processes doing the
        # same: whoever wrote the first entry won, and that is all we need.
        if not entry_path(table, 0).is_file():
            raise


def _create_in(folder: Path) -> None:
    _new_table(folder / TABLE)
    _write_marker(folder, 0, digest(entry_path(folder / TABLE, 0).read_bytes()))


def _create(root: Path) -> None:
    """Create the store at ``root`` whole, or find that a concurrent process just did."""
    root.parent.mkdir(parents=True, exist_ok=True)
    _sweep(root)
    if root.is_dir() and _interrupted(root):
        # Left by an older version that built the store in place: finish it in place.
        _create_in(root)
        return
    tmp = root.parent / f".{root.name}{CREATING}{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        _create_in(tmp)
        try:
            # rename(2) replaces an empty directory and fails on a non-empty one, so of several
            # processes creating the same store at once, exactly one wins.
            os.rename(tmp, root)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.EBUSY, errno.EXDEV):
                raise
            if exc.errno in (errno.EBUSY, errno.EXDEV) and not any(root.iterdir()):
                # root is a mount point: build in place, table first and marker last; a crash
                # in between leaves a creation that the next run finishes (_interrupted).
                _create_in(root)
                return
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not (root / MARKER).is_file():
        raise NotAStore(f"{root} was filled by another program while the store was created")


def _sweep(root: Path) -> None:
    """Remove temporary siblings left by creations that were killed (their process is gone)."""
    prefix = f".{root.name}{CREATING}"
    for tmp in root.parent.glob(f"{prefix}*"):
        pid = tmp.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
