"""Append workloads: tapecheck's append against a raw write of the same frames and against the
``eventsourcing`` library on SQLite.

- ``tapecheck``: ``EventLog.append`` per batch into a new store (validation, SHA-256 ids and
  seals, dedupe against the log, the Delta commit, and the projection's update);
- ``raw``: Polars ``write_delta`` of the very frames the log stores (all 36 columns, ids and
  seals already computed, outside the timing): the floor any Delta-backed log pays;
- ``eventsourcing``: one aggregate per symbol, one domain event per bar, saved per symbol
  with the library's SQLite persistence. It runs on a fixed subset (:data:`ES_SUBSET` bars):
  at about 10k events/s the full universes would take hours. Compare throughput, not time.
- ``reappend``: the same batches again into the filled store, a no-op; ``reappend_keyed``
  does so with each frame's rows reversed, so the identical-batch digest cannot apply and
  the keyed dedupe does the work.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from uuid import UUID

import polars as pl
import pyarrow.parquet as pq

ES_SUBSET = 50_000
RECORDED = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


class Batches:
    """The frames of a list of Parquet files, read one at a time as they are iterated, so a
    run holds one batch (about a million bars) and never the whole universe: at L the
    universe's 30M bars take more memory than the machine has. ``reading`` is the time spent
    reading the files, which the harness subtracts (the workload is the append, and every
    engine reads its input the same way).

    ``transform`` reshapes each frame after reading (untimed too)."""

    def __init__(
        self, paths: list[Path], transform: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    ) -> None:
        self.paths = list(paths)
        self.transform = transform
        self.reading = 0.0

    def __iter__(self) -> Iterator[pl.DataFrame]:
        for path in self.paths:
            t0 = time.perf_counter()
            frame = pl.read_parquet(path)
            if self.transform is not None:
                frame = self.transform(frame)
            self.reading += time.perf_counter() - t0
            yield frame
            del frame

    @property
    def rows(self) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.paths)

    @classmethod
    def of_universe(
        cls, universe_dir: Path, transform: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    ) -> Batches:
        return cls(sorted(universe_dir.glob("batch_*.parquet")), transform)


def tapecheck_append(batches: Iterable[pl.DataFrame], store: Path) -> int:
    from store import EventLog

    log = EventLog.open(store, create=True)
    added = 0
    for frame in batches:
        added += log.append(frame, recorded_at=RECORDED).added
    return added


def sealed(batches: Iterable[pl.DataFrame]) -> list[pl.DataFrame]:
    """The frames as the log stores them (validated, ids, recording time, seals, sorted)."""
    from store.log import prepare, seal

    return [seal(prepare(f)[1].drop("_row"), RECORDED) for f in batches]


def write_sealed(batches: Iterable[pl.DataFrame], folder: Path) -> list[Path]:
    """Each batch as the log stores it, written to ``folder`` one at a time (the raw
    baseline's input, prepared outside its timing)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, frame in enumerate(batches):
        path = folder / f"sealed_{i:04d}.parquet"
        sealed([frame])[0].write_parquet(path)
        paths.append(path)
    return paths


def raw_write(frames: Iterable[pl.DataFrame], target: Path) -> int:
    rows = 0
    for frame in frames:
        frame.write_delta(target, mode="append")
        rows += frame.height
    return rows


def reappend(batches: Iterable[pl.DataFrame], store: Path) -> int:
    from store import EventLog

    log = EventLog.open(store)
    skipped = 0
    for frame in batches:
        result = log.append(frame, recorded_at=RECORDED)
        assert result.added == 0
        skipped += result.skipped
    return skipped


def eventsourcing_append(bars: pl.DataFrame, db: Path) -> int:
    """One aggregate per symbol, one event per bar, persisted by eventsourcing on SQLite."""
    os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    os.environ["SQLITE_DBNAME"] = str(db)
    from eventsourcing.application import Application

    from benchmarks.es_model import Symbol

    app: Application[UUID] = Application()
    count = 0
    for (symbol,), rows in bars.group_by("symbol", maintain_order=True):
        agg = Symbol(str(symbol))
        for session, o, h, lo, c, v in rows.select(
            "session", "open", "high", "low", "close", "volume"
        ).iter_rows():
            agg.record_bar(session.isoformat(), o, h, lo, c, v)
            count += 1
        app.save(agg)
    return count


def scratch(path: Path) -> Path:
    """An empty directory for one run (whatever a previous run left there is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
