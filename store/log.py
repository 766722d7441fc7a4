"""The append-only, bitemporal event log on one Delta Lake table.

Appends are one Delta commit each, written with Polars (``write_delta``, i.e. delta-rs).
Idempotency needs "check which ids exist" and "commit the rest" to be one serializable step
even with several writer processes. Delta gives that without a lock file: every append also
commits an application transaction (``txn``) for one app id, and delta-rs refuses a commit when
a concurrent winner touched the same app id. The loser re-reads and retries.

After each commit the projection (:mod:`store.projection`) is brought up to date from the new
events; :meth:`EventLog.projection` gives its files for any log version, and
:meth:`EventLog.folded` reads the facts known at a cut from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

from store.config import store_path
from store.errors import ConcurrencyExhausted, NotAStore, StoreMissing
from store.events import EVENT_SCHEMA, EventType, event_ids, record_hashes
from store.projection import (
    CLUSTER,
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
from store.validate import check_against_log, validate_batch

MARKER = "tapecheck-store.json"
TABLE = "events"
APP_ID = "tapecheck-event-log"
STORE_FORMAT = 1
# Commit metadata: the digest of each appended batch, so an identical batch is a no-op at once.
BATCH_DIGEST = "tapecheck.batch_digest"
# How many recent commits the identical-batch check looks back over.
DIGEST_WINDOW = 1_000
# What the dedupe reads of the logged versions of a batch's keys.
PRIOR_COLUMNS = ("stream", "key", "valid_at", "event_id", "event_type")

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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


class LogReads:
    """The read API every storage adapter shares; an adapter supplies ``scan(version)``."""

    def scan(self, version: int | None = None) -> pl.LazyFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def events(self, version: int | None = None) -> pl.DataFrame:
        """The whole log in its stable total order (recorded, stream, valid, key, id)."""
        return self.scan(version).sort(list(LOG_ORDER)).collect()

    def read(
        self,
        known_at: dt.datetime | None = None,
        recorded_by: dt.datetime | None = None,
        *,
        version: int | None = None,
        streams: list[str] | None = None,
        event_type: EventType | None = None,
    ) -> pl.DataFrame:
        """The facts as known at ``known_at`` by a reader who saw what was recorded by
        ``recorded_by``: per natural key, the latest version with ``valid_at <= known_at`` and
        ``recorded_at <= recorded_by``, with retracted events removed. ``None`` means no cut.
        """
        return as_of(self.scan(version), known_at, recorded_by, streams, event_type).collect()

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
    """SHA-256 of a batch frame's Arrow IPC bytes: equal digests mean byte-identical batches.

    Equal frames built in different ways may serialise differently; that only costs the fast
    path, never correctness.
    """
    if not isinstance(batch, pl.DataFrame) or batch.height == 0:
        return None
    buffer = io.BytesIO()
    batch.write_ipc(buffer, compression="uncompressed")
    return hashlib.sha256(buffer.getbuffer()).hexdigest()


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
        root = Path(root) if root is not None else store_path()
        marker = root / MARKER
        if root.exists() and not root.is_dir():
            raise NotAStore(f"{root} is a file, not a tapecheck store")
        if marker.is_file():
            try:
                meta = json.loads(marker.read_text())
            except (OSError, ValueError) as exc:
                raise NotAStore(f"{root}: unreadable store marker {MARKER} ({exc})") from None
            if meta.get("format") != STORE_FORMAT:
                raise NotAStore(f"{root}: store format {meta.get('format')!r} is not supported")
            return cls(root)
        if root.is_dir() and any(root.iterdir()):
            raise NotAStore(
                f"{root} is not a tapecheck store (no {MARKER}); refusing to use it. "
                "Point TAPECHECK_STORE at an empty or new directory."
            )
        if not create:
            raise StoreMissing(f"no store at {root} yet; run `tapecheck ingest` first")
        root.mkdir(parents=True, exist_ok=True)
        DeltaTable.create(
            str(root / TABLE),
            schema=pl.DataFrame(schema=EVENT_SCHEMA).to_arrow().schema,
            name="tapecheck_events",
            description="tapecheck append-only bitemporal event log",
            mode="ignore",
        )
        # The marker goes last: a store interrupted mid-creation is an empty-ish folder that
        # the next create finishes, never a half store that claims to be whole.
        tmp = root / (MARKER + ".tmp")
        tmp.write_text(json.dumps({"format": STORE_FORMAT, "table": TABLE}) + "\n")
        tmp.replace(marker)
        return cls(root)

    def _table(self, version: int | None = None) -> DeltaTable:
        try:
            if version is None:
                return DeltaTable(str(self.table_path))
            return DeltaTable(str(self.table_path), version=version)
        except TableNotFoundError:
            raise StoreMissing(f"{self.table_path} holds no Delta table") from None
        except Exception as exc:  # delta-rs raises plain errors for a bad version or log
            raise StoreMissing(
                f"cannot open {self.table_path} at version {version}: {exc}"
            ) from None

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
        digest = batch_digest(batch)
        if digest is not None and digest in self._recent_digests():
            version = self.version()
            self._project(version)
            return AppendResult(0, batch.height, version, None, 0)
        batch, unique = prepare(batch, file=file, lines=lines)
        if unique.height == 0:
            return AppendResult(0, batch.height, self.version(), None, 0)
        keys = unique.select("stream", "key")
        if (unique.get_column("event_type") == EventType.RETRACTION.value).any():
            keys = keys.unique()  # facts have distinct keys (validated); retractions may not
        for attempt in range(1, max_attempts + 1):
            table = self._table()
            base = table.version()
            txn = table.transaction_version(APP_ID) or 0
            prior = versions_of(table, keys, PRIOR_COLUMNS)
            new, all_new = dedupe(unique, prior, file=file, lines=lines)
            if new.height == 0:
                self._project(base)
                return AppendResult(0, batch.height, base, None, attempt)
            stamp = recorded_at or _now()
            new = seal(new, stamp)
            metadata = {"tapecheck.added": str(new.height), "tapecheck.source": _sources(new)}
            if digest is not None:
                metadata[BATCH_DIGEST] = digest
            props = CommitProperties(
                app_transactions=[Transaction(APP_ID, txn + 1)],
                custom_metadata=metadata,
                max_commit_retries=0,
            )
            options = {"commit_properties": props, "writer_properties": WRITER}
            try:
                new.write_delta(table, mode="append", delta_write_options=options)
            except CommitFailedError:
                # Another writer committed since we read; back off and redo the id check.
                time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))
                continue
            try:
                self._project(base + 1, Fresh(base + 1, new, all_new))
            except (OSError, DeltaError) as exc:
                # The events are committed: the append succeeded. The projection is derived
                # and is brought up to date by the next append or read.
                warnings.warn(
                    f"log version {base + 1} is committed; its projection is not up to date "
                    f"yet ({exc}) and will be brought up to date on next use",
                    stacklevel=2,
                )
            return AppendResult(new.height, batch.height - new.height, base + 1, stamp, attempt)
        raise ConcurrencyExhausted(
            f"gave up appending {unique.height} events after {max_attempts} concurrent conflicts"
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
        log_version = self.version() if version is None else version
        projection = Projection(self.root)
        projection.update(self.table_path, log_version)
        table, chosen = projection.files(projection.version_for(log_version), streams)
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

        Equal to ``read(known_at, version=version, streams=streams)`` on the projection's
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

    def compact(self) -> dict[str, object]:
        """Rewrite the log's files into larger ones clustered by stream (Delta optimize with
        Z-order on ``stream``), then the projection's; no read changes."""
        metrics = self._table().optimize.z_order(["stream"], writer_properties=WRITER)
        projection = Projection(self.root)
        version = self.version()
        projection.update(self.table_path, version)
        projection.compact(version)
        return dict(metrics)

    # -- the read path -------------------------------------------------------------------------

    def version(self) -> int:
        """The Delta version of the log: cite it to re-run a verification on the same log."""
        return self._table().version()

    def snapshot(self, version: int | None = None, *, streams: list[str] | None = None) -> Snapshot:
        """The data files of one version, for external scanners (DuckDB via ibis, Spark).

        ``streams`` keeps only the files whose ``stream`` statistics (from the Delta log's
        add actions, before any file is opened) can hold one of them.
        """
        table = self._table(version)
        if streams is None:
            files = tuple(_local(u) for u in table.file_uris())
        else:
            files = tuple(files_of(table, select_files(add_actions(table), streams=streams)))
        return Snapshot(table.version(), files, self.table_path)

    def scan(self, version: int | None = None) -> pl.LazyFrame:
        """Every event of one version, lazily (empty frame for an empty log)."""
        snap = self.snapshot(version)
        if not snap.files:
            return pl.DataFrame(schema=EVENT_SCHEMA).lazy()
        return pl.scan_parquet(list(snap.files), schema=EVENT_SCHEMA)


def as_of(
    events: pl.LazyFrame,
    known_at: dt.datetime | None,
    recorded_by: dt.datetime | None,
    streams: list[str] | None = None,
    event_type: EventType | None = None,
) -> pl.LazyFrame:
    """The bitemporal fold as a lazy Polars plan (the reference reader of the log)."""
    if recorded_by is not None:
        events = events.filter(pl.col("recorded_at") <= utc(recorded_by))
    if streams is not None:
        events = events.filter(pl.col("stream").is_in(streams))
    retracted = events.filter(pl.col("event_type") == EventType.RETRACTION.value).select(
        pl.col("retracts").alias("event_id")
    )
    facts = events.filter(pl.col("event_type") != EventType.RETRACTION.value)
    if event_type is not None:
        facts = facts.filter(pl.col("event_type") == EventType(event_type).value)
    if known_at is not None:
        facts = facts.filter(pl.col("valid_at") <= utc(known_at))
    facts = facts.join(retracted, on="event_id", how="anti")
    # Latest recorded version per fact; equal recording times (possible only when a caller
    # stamps them) fall back to the larger event id, so the choice never depends on file order.
    fact = ["stream", "key"]
    latest = facts.filter(pl.col("recorded_at") == pl.col("recorded_at").max().over(fact))
    latest = latest.filter(pl.col("event_id") == pl.col("event_id").max().over(fact))
    return latest.sort(list(VIEW_ORDER))


def _sources(frame: pl.DataFrame) -> str:
    names = frame.get_column("source").unique().sort().to_list()
    return ";".join(names[:5]) + (f";+{len(names) - 5} more" if len(names) > 5 else "")
