"""``python -m benchmarks`` (``nox -s bench``): the suite on the chosen universe sizes, then
tapecheck's own commands on the real data; writes reports/bench.json and reports/bench.md.

    nox -s bench -- --sizes S,M,L   # L (30M bars) takes the better part of an hour
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.commands import run_commands
from benchmarks.ingest_bench import run_ingest_bench
from benchmarks.suite import SizeReport, run_size
from benchmarks.universe import SIZES, Universe

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="S,M", help="comma-separated, from S, M, L")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--no-commands", action="store_true", help="skip the real-data commands")
    parser.add_argument("--json", type=Path, default=ROOT / "reports" / "bench.json")
    parser.add_argument("--md", type=Path, default=ROOT / "reports" / "bench.md")
    parser.add_argument(
        "--ingest-mb",
        type=float,
        nargs="*",
        default=[5, 50],
        help="sizes of the synthetic price files of the ingest memory benchmark (none: skip)",
    )
    args = parser.parse_args()
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    with tempfile.TemporaryDirectory(prefix="tapecheck-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        reports: list[SizeReport] = []
        commands: list[dict] = []
        for size in sizes:
            universe = Universe.of(size)
            print(f"{size}: {universe.symbols} symbols x {universe.years} years", flush=True)
            reports.append(run_size(universe, work, args.repeat))
            report.write(reports, commands, args.json, args.md)
        if not args.no_commands:
            from store.config import data_path

            print("commands on the real data", flush=True)
            commands = run_commands(work, data_path(), args.repeat)
        report.write(reports, commands, args.json, args.md)
    print(args.md.read_text())
    if args.ingest_mb:
        run_ingest_bench(args.ingest_mb)


if __name__ == "__main__":
    main()
