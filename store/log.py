"""The append-only, bitemporal event log on one Delta Lake table.

Appends are one Delta commit each, written with Polars (``write_delta``, i.e. delta-rs).
Idempotency needs "check which ids exist" and "commit the rest" to be one serializable step
even with several writer processes. Delta gives that without a lock file: every append also
commits an application transaction (``txn``) for one app id, and delta-rs refuses a commit when
a concurrent winner touched the same app id. The loser re-reads and retries.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from store.config import store_path
from store.errors import ConcurrencyExhausted, NotAStore, StoreMissing
from store.events import EVENT_SCHEMA, event_ids, record_hashes
from store.reference.clock import utc
from store.validate import validate_batch

MARKER = "tapecheck-store.json"
TABLE = "events"
APP_ID = "tapecheck-event-log"
STORE_FORMAT = 1

# Total order of the raw log: when it was learned, then the fact, then the id as tie-break.
LOG_ORDER = ("recorded_at", "stream", "valid_at", "key", "event_id")


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
    """Validate a batch and give it event ids: ``(batch, batch without repeated events)``."""
    batch = validate_batch(batch, file=file, lines=lines)
    batch = batch.with_columns(event_ids(batch).alias("event_id"))
    return batch, batch.unique(subset=["event_id"], keep="first", maintain_order=True)


def seal(new: pl.DataFrame, recorded_at: dt.datetime) -> pl.DataFrame:
    """Stamp the recording time, seal it with ``record_hash`` and order rows for the file."""
    stamp = pl.lit(utc(recorded_at)).cast(EVENT_SCHEMA["recorded_at"])
    new = new.with_columns(stamp.alias("recorded_at"))
    new = new.with_columns(record_hashes(new).alias("record_hash"))
    # Sorted by stream and time, each file's column statistics bound a few streams, so
    # readers that filter on stream skip most files.
    return new.sort(["stream", "valid_at", "key", "event_id"])


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
        history whose recording times are known.
        """
        batch, unique = prepare(batch, file=file, lines=lines)
        if unique.height == 0:
            return AppendResult(0, batch.height, self.version(), None, 0)
        ids = unique.get_column("event_id")
        streams = unique.get_column("stream").unique()
        for attempt in range(1, max_attempts + 1):
            table = self._table()
            base = table.version()
            txn = table.transaction_version(APP_ID) or 0
            present = self._present_ids(table, ids, streams)
            new = unique.filter(~pl.col("event_id").is_in(present.implode()))
            if new.height == 0:
                return AppendResult(0, batch.height, base, None, attempt)
            stamp = recorded_at or _now()
            new = seal(new, stamp)
            props = CommitProperties(
                app_transactions=[Transaction(APP_ID, txn + 1)],
                custom_metadata={
                    "tapecheck.added": str(new.height),
                    "tapecheck.source": _sources(new),
                },
                max_commit_retries=0,
            )
            try:
                new.write_delta(
                    table, mode="append", delta_write_options={"commit_properties": props}
                )
            except CommitFailedError:
                # Another writer committed since we read; back off and redo the id check.
                time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))
                continue
            return AppendResult(new.height, batch.height - new.height, base + 1, stamp, attempt)
        raise ConcurrencyExhausted(
            f"gave up appending {unique.height} events after {max_attempts} concurrent conflicts"
        )

    def _present_ids(self, table: DeltaTable, ids: pl.Series, streams: pl.Series) -> pl.Series:
        files = [_local(u) for u in table.file_uris()]
        if not files:
            return pl.Series("event_id", [], dtype=pl.String)
        return (
            pl.scan_parquet(files)
            .select("stream", "event_id")
            .filter(pl.col("stream").is_in(streams.implode()))
            .filter(pl.col("event_id").is_in(ids.implode()))
            .collect()
            .get_column("event_id")
        )

    def compact(self) -> dict[str, object]:
        """Rewrite small files into larger ones (Delta ``optimize``); reads do not change."""
        metrics = self._table().optimize.compact()
        return dict(metrics)

    # -- the read path -------------------------------------------------------------------------

    def version(self) -> int:
        """The Delta version of the log: cite it to re-run a verification on the same log."""
        return self._table().version()

    def snapshot(self, version: int | None = None) -> Snapshot:
        """The data files of one version, for external scanners (DuckDB via ibis, Spark)."""
        table = self._table(version)
        return Snapshot(
            table.version(), tuple(_local(u) for u in table.file_uris()), self.table_path
        )

    def scan(self, version: int | None = None) -> pl.LazyFrame:
        """Every event of one version, lazily (empty frame for an empty log)."""
        snap = self.snapshot(version)
        if not snap.files:
            return pl.DataFrame(schema=EVENT_SCHEMA).lazy()
        return pl.scan_parquet(list(snap.files), schema=EVENT_SCHEMA)


def _sources(frame: pl.DataFrame) -> str:
    names = frame.get_column("source").unique().sort().to_list()
    return ";".join(names[:5]) + (f";+{len(names) - 5} more" if len(names) > 5 else "")
