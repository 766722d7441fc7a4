"""The event log against the baselines a user would otherwise write.

- append: one batch of N daily bars through ``EventLog.append`` (validate, hash, dedupe against
  the log, one Delta commit) against ``DataFrame.write_parquet`` of the same rows;
- as-of read: ``EventLog.read(known_at, recorded_by)`` (the bitemporal fold) on that log
  against a plain ``scan_parquet(...).filter(valid_at <= T)`` of the same files.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from store import EventLog, price_bars_frame


def synthetic_bars(n: int, sessions: int = 2_500) -> pl.DataFrame:
    """``n`` bars: ``n // sessions`` symbols with ``sessions`` consecutive days each."""
    symbols = max(1, n // sessions)
    day0 = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)
    frame = pl.DataFrame({"i": pl.int_range(0, symbols * sessions, eager=True)}).with_columns(
        (pl.col("i") // sessions).alias("s"),
        (pl.lit(day0) + pl.duration(days=pl.col("i") % sessions)).alias("day"),
    )
    close = 50.0 + ((pl.col("i") * 7919) % 1000).cast(pl.Float64) / 10
    frame = frame.select(
        pl.format("SYM{}", pl.col("s")).alias("symbol"),
        pl.col("day").dt.date().alias("session"),
        (pl.col("day") + pl.duration(hours=14, minutes=30)).alias("bar_start"),
        (pl.col("day") + pl.duration(hours=21)).alias("bar_end"),
        close.alias("open"),
        (close * 1.01).alias("high"),
        (close * 0.99).alias("low"),
        close.alias("close"),
        pl.lit(1000.0).alias("volume"),
    )
    return price_bars_frame(frame, feed="bench", source="bench")


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_store_bench(n: int) -> dict[str, float]:
    console = Console()
    events = synthetic_bars(n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = EventLog.open(root / "store", create=True)
        t_append = timed(lambda: log.append(events))
        t_parquet = timed(lambda: events.write_parquet(root / "baseline.parquet"))
        t_noop = timed(lambda: log.append(events))
        known_at = dt.datetime(2005, 6, 30, 21, tzinfo=dt.UTC)
        recorded_by = dt.datetime.now(dt.UTC)
        t_read = timed(lambda: log.read(known_at, recorded_by), repeat=3)
        files = list(log.snapshot().files)
        t_scan = timed(
            lambda: pl.scan_parquet(files).filter(pl.col("valid_at") <= known_at).collect(),
            repeat=3,
        )
        rows = log.read(known_at, recorded_by).height
    figures = {
        "append_s": t_append,
        "append_events_per_s": n / t_append,
        "parquet_write_s": t_parquet,
        "noop_append_s": t_noop,
        "asof_read_s": t_read,
        "plain_scan_s": t_scan,
    }
    table = Table(title=f"event log, {n:,} bars ({rows:,} rows in the as-of view)")
    for col in ("operation", "tapecheck", "baseline", "ratio"):
        table.add_column(col)
    table.add_row(
        "append (validate+hash+dedupe+commit) vs write_parquet",
        f"{t_append:.2f} s ({n / t_append:,.0f} ev/s)",
        f"{t_parquet:.2f} s",
        f"{t_append / t_parquet:.1f}x",
    )
    table.add_row(
        "re-append (all skipped) vs write_parquet",
        f"{t_noop:.2f} s",
        f"{t_parquet:.2f} s",
        f"{t_noop / t_parquet:.1f}x",
    )
    table.add_row(
        "as-of read (bitemporal fold) vs plain filtered scan",
        f"{t_read:.3f} s",
        f"{t_scan:.3f} s",
        f"{t_read / t_scan:.1f}x",
    )
    console.print(table)
    return figures
