"""Signals on the real catalog through the tape, against plain Polars on in-memory frames.

tapecheck: the 200-session average, the record closes and the YTD return, as ibis expressions
over the as-of tape (DuckDB reading the log's Parquet files, fold and preference included).
Baseline: the same three numbers in Polars on a DataFrame of the very same bars, already in
memory (what a user holding a CSV would write). Both are timed warm: best of three runs.
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

from analysis import signals as sg
from analysis.tape import Tape
from store import EventLog
from store.config import data_path
from store.ingest.run import ingest_catalog
from store.reference.catalog import load_catalog

KNOWN_AT = dt.datetime(2026, 8, 22, tzinfo=dt.UTC)
AS_OF = dt.date(2025, 10, 8)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    fn()  # warm: connection, parquet metadata, calendar
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def tape_signals(tape: Tape, symbols: list[str]) -> None:
    bars = tape.bars(KNOWN_AT, symbols=symbols)
    sg.moving_average(bars, 200).filter(bars.session == AS_OF).to_polars()
    sg.record_closes(bars).to_polars()
    sg.ytd_return(bars, AS_OF).to_polars()


def polars_signals(frame: pl.DataFrame) -> None:
    f = frame.sort("symbol", "session")
    f.with_columns(sma=pl.col("close").rolling_mean(200).over("symbol")).filter(
        pl.col("session") == AS_OF
    )
    prior = pl.col("close").cum_max().shift().over("symbol")
    f.filter(pl.col("close") > prior)
    base = f.filter(pl.col("session") <= dt.date(AS_OF.year - 1, 12, 31)).group_by("symbol").last()
    end = f.filter(pl.col("session") <= AS_OF).group_by("symbol").last()
    end.join(base, on="symbol").with_columns(ytd=pl.col("close") / pl.col("close_right") - 1)


def run_signals_bench() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog.open(Path(tmp) / "store", create=True)
        ingest_catalog(log, data_path())
        tape = Tape(log)
        priced = [s.id for s in load_catalog().series.values() if s.preferred]
        frames = {
            name: tape.bars(KNOWN_AT, symbols=syms).to_polars()
            for name, syms in (("all", priced), ("rut", ["^RUT"]))
        }
        figures = {
            "all_tape_s": best_of(lambda: tape_signals(tape, priced)),
            "all_polars_s": best_of(lambda: polars_signals(frames["all"])),
            "rut_tape_s": best_of(lambda: tape_signals(tape, ["^RUT"])),
            "rut_polars_s": best_of(lambda: polars_signals(frames["rut"])),
        }
    table = Table(title="SMA-200 + record closes + YTD, warm (best of 3)")
    for col in ("series", "bars", "tapecheck (tape + ibis/DuckDB)", "Polars in memory", "ratio"):
        table.add_column(col)
    for name, label in (("all", f"{len(priced)} priced series"), ("rut", "^RUT")):
        t, b = figures[f"{name}_tape_s"], figures[f"{name}_polars_s"]
        table.add_row(
            label, f"{frames[name].height:,}", f"{t:.3f} s", f"{b:.3f} s", f"{t / b:.1f}x"
        )
    Console().print(table)
    return figures
