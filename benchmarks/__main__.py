"""Run every benchmark: ``python -m benchmarks [--bars N]``."""

from __future__ import annotations

import argparse

from benchmarks.store_bench import run_store_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--bars", type=int, default=1_000_000, help="bars in the append batch")
    args = parser.parse_args()
    run_store_bench(args.bars)


if __name__ == "__main__":
    main()
