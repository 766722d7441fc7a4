"""Run every benchmark: ``python -m benchmarks [--bars N]``."""

from __future__ import annotations

import argparse

from benchmarks.ingest_bench import run_ingest_bench
from benchmarks.signals_bench import run_signals_bench
from benchmarks.store_bench import run_store_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--bars", type=int, default=1_000_000, help="bars in the append batch")
    parser.add_argument("--only", choices=["store", "signals", "ingest"], help="run one suite")
    parser.add_argument(
        "--ingest-mb",
        type=float,
        nargs="+",
        default=[5, 50],
        help="sizes of the synthetic price files of the ingest memory benchmark",
    )
    args = parser.parse_args()
    if args.only in (None, "store"):
        run_store_bench(args.bars)
    if args.only in (None, "signals"):
        run_signals_bench()
    if args.only in (None, "ingest"):
        run_ingest_bench(args.ingest_mb)


if __name__ == "__main__":
    main()
