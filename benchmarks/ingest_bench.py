"""Peak memory of ``tapecheck ingest`` as a price file grows, against the same command on a
one-row file (the process's own baseline: interpreter, libraries, calendar), in one run.

Ingest reads a file in windows (``store.ingest.formats.CHUNK_BYTES``) in two passes, so its peak
should stay near the baseline plus a few windows, plus a ledger of about 20 bytes per distinct
session, whatever the file's size. Each ingest runs in its own process, measured through a
small wrapper process (as ``benchmarks.commands`` measures the commands); the files are
synthetic Yahoo CSVs, one row per calendar day from year 1000, written to a temporary folder
and removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from benchmarks.commands import run_command
from store.ingest.formats import CHUNK_BYTES

ROOT = Path(__file__).resolve().parent.parent
BYTES_PER_ROW = 143  # with 16 decimals, as float32-noisy exports write them


def synthetic_prices(path: Path, megabytes: float) -> int:
    """A Yahoo-format CSV of about ``megabytes`` MB; returns its row count."""
    rows = max(1, int(megabytes * 1e6 / BYTES_PER_ROW))
    rows = min(rows, 3_280_000)  # one row per day from 1000-01-01 stays below year 9999
    rng = np.random.default_rng(7)
    close = np.abs(100 + np.cumsum(rng.normal(0, 0.5, rows))) + 10
    spread = rng.uniform(0.1, 2.0, rows)
    start = dt.date(1000, 1, 1)
    pl.DataFrame(
        {
            "Date": pl.date_range(start, start + dt.timedelta(days=rows - 1), "1d", eager=True),
            "Open": close + spread * 0.3,
            "High": close + spread,
            "Low": close - spread,
            "Close": close,
            "Adj Close": close * 0.98765432101234,
            "Volume": rng.integers(1_000_000, 99_000_000_000, rows).astype(float),
        }
    ).write_csv(path, float_precision=16)
    return rows


def _ingest(args: list[str]) -> tuple[int, float]:
    """Peak resident memory (bytes) and wall time of ``tapecheck ARGS`` in a fresh process.

    Measured as the real-data commands are (:func:`benchmarks.commands.run_command`): through a
    small wrapper process, because Linux carries ``ru_maxrss`` across ``exec`` and a child
    of this process would report at least this process's own peak.
    """
    figures = run_command(args, {**os.environ, "PYTHONPATH": str(ROOT)})
    return figures["peak_rss"], figures["seconds"]


def run_ingest_bench(sizes_mb: list[float]) -> None:
    console = Console()
    table = Table(title=f"ingest peak memory (windows of {CHUNK_BYTES / 2**20:.0f} MiB)")
    for col in ("file", "rows", "peak RSS", "vs 1 row", "extra / file size", "time"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = folder / "ONE_daily_bench.csv"
        synthetic_prices(one, 0)
        base, seconds = _ingest(
            ["ingest", str(one), "--symbol", "B", "--store", str(folder / "s0")]
        )
        table.add_row("1 row", "1", f"{base / 2**20:,.0f} MiB", "1.00x", "", f"{seconds:.1f} s")
        for i, mb in enumerate(sizes_mb, start=1):
            path = folder / f"SYN{i}_daily_bench.csv"
            rows = synthetic_prices(path, mb)
            size = path.stat().st_size
            store = folder / f"s{i}"
            peak, seconds = _ingest(["ingest", str(path), "--symbol", "B", "--store", str(store)])
            table.add_row(
                f"{size / 1e6:,.0f} MB",
                f"{rows:,}",
                f"{peak / 2**20:,.0f} MiB",
                f"{peak / base:.2f}x",
                f"{(peak - base) / size:.2f}",
                f"{seconds:.1f} s",
            )
            path.unlink()
    console.print(table)
    console.print(
        "peak RSS against the same command on a one-row file; 'extra / file size': resident "
        "bytes beyond that baseline per byte of input (reading the file whole is above 1)"
    )
