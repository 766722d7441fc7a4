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
from pathlib import Path
from uuid import UUID

import polars as pl

ES_SUBSET = 50_000
RECORDED = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def load_batches(universe_dir: Path) -> list[pl.DataFrame]:
    return [pl.read_parquet(p) for p in sorted(universe_dir.glob("batch_*.parquet"))]


def tapecheck_append(batches: list[pl.DataFrame], store: Path) -> int:
    from store import EventLog

    log = EventLog.open(store, create=True)
    added = 0
    for frame in batches:
        added += log.append(frame, recorded_at=RECORDED).added
    return added


def sealed(batches: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """The frames as the log stores them (validated, ids, recording time, seals, sorted)."""
    from store.log import prepare, seal

    return [seal(prepare(f)[1].drop("_row"), RECORDED) for f in batches]


def raw_write(frames: list[pl.DataFrame], target: Path) -> int:
    for frame in frames:
        frame.write_delta(target, mode="append")
    return sum(f.height for f in frames)


def reappend(batches: list[pl.DataFrame], store: Path) -> int:
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
