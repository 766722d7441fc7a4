"""The same work on Spark ``local[2]`` and on embedded DuckDB, timed in the same run.

``python -m benchmarks.spark_bench [--repeat N]`` ingests the real catalog into a scratch store,
then runs, as a user does (one process each, so Spark's start-up counts), alternating the
engines: ``tapecheck verify --backend B`` (every article; DuckDB goes first and records the
calls, so both check the same store version) and ``tapecheck screen --backend B`` (every
symbol at one cut). It prints each wall time and Spark's as a multiple of DuckDB's, and
whether the two engines wrote the same report. Needs the ``spark`` extra and Java 17.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from rich.console import Console
from rich.table import Table

from store import EventLog
from store.config import data_path
from store.ingest.run import ingest_catalog

ENGINES = ("duckdb", "pyspark")
JOBS = {
    "verify": lambda out: ["verify", "--no-charts", "--json", str(out)],
    "screen": lambda out: ["screen", "--known-at", "2025-10-06", "--csv", str(out)],
}


def tapecheck(args: list[str], store: Path) -> float:
    """Wall time of one ``tapecheck`` process (it must succeed)."""
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from analysis.cli import main; main()",
            *args,
            "--store",
            str(store),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def _same(job: str, duck: bytes, spark: bytes) -> bool:
    """verify: byte-identical JSON (it rounds to 6 decimals); screen: the same CSV table, floats
    within 1e-9 relative (the engines sum a moving average in different orders)."""
    if job == "verify":
        return duck == spark
    try:
        assert_frame_equal(pl.read_csv(duck), pl.read_csv(spark), rel_tol=1e-9)
    except AssertionError:
        return False
    return True


def run_spark_bench(repeat: int = 1) -> dict[str, float]:
    figures: dict[str, list[float]] = {}
    same: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        ingest_catalog(EventLog.open(store, create=True), data_path())
        for _ in range(repeat):
            for job, args in JOBS.items():
                outputs = {}
                for engine in ENGINES:
                    out = Path(tmp) / f"{job}-{engine}.out"
                    took = tapecheck([*args(out), "--backend", engine], store)
                    figures.setdefault(f"{job}_{engine}_s", []).append(took)
                    outputs[engine] = out.read_bytes()
                same[job] = _same(job, outputs["duckdb"], outputs["pyspark"])
    best = {name: min(times) for name, times in figures.items()}
    table = Table(title=f"Spark local[2] against DuckDB, wall time per process (best of {repeat})")
    for col in ("job", "DuckDB", "Spark local[2]", "Spark / DuckDB", "same output"):
        table.add_column(col)
    for job in JOBS:
        d, s = best[f"{job}_duckdb_s"], best[f"{job}_pyspark_s"]
        table.add_row(job, f"{d:.1f} s", f"{s:.1f} s", f"{s / d:.1f}x", str(same[job]))
    Console().print(table)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark_bench")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (best of)")
    run_spark_bench(parser.parse_args().repeat)


if __name__ == "__main__":
    main()
