"""The benchmark suite for one universe size: every workload, tapecheck and its baselines.

Order matters and is fixed: appends from empty build the store (the last run's store is kept),
the corrections stream is appended, then re-appends, cold replays, the incremental runs (each
appends one more session per symbol) and the one-symbol point queries.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from benchmarks import engines
from benchmarks.harness import CaseDied, Measurement, measure, run_here
from benchmarks.universe import LAST_YEAR, Universe

CORRECTED = dt.datetime(2026, 2, 2, tzinfo=dt.UTC)
INCREMENTS = 3
FINAL_CUT = engines.Cut(dt.datetime(2026, 1, 1, 4, 59, tzinfo=dt.UTC), dt.date(2025, 12, 31))

REPLAY = ["tapecheck Tape", "tapecheck projection", "pandas", "Polars", "DuckDB SQL"]
POINT = ["tapecheck projection", "tapecheck Tape", "DuckDB SQL", "Polars", "pandas"]
# Baselines that read the whole log into memory: at L they may need more than the machine has.
MAY_NOT_FIT = {"pandas", "Polars"}


@dataclass
class SizeReport:
    size: str
    bars: int
    symbols: int
    sessions: int
    measurements: list[Measurement] = field(default_factory=list)
    checks: dict[str, list[str]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    # baselines that could not finish (a process killed for memory at L), and why
    failures: dict[str, str] = field(default_factory=dict)

    def get(self, case: str) -> Measurement | None:
        return next((m for m in self.measurements if m.case == case), None)


def prepare(universe: Universe, work: Path) -> Path:
    """Write the universe's batches, corrections and next sessions as Parquet (once)."""
    folder = work / f"universe-{universe.size}-{universe.symbols}x{universe.years}"
    done = folder / "done"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    parts = []
    for i, frame in enumerate(universe.batches()):
        frame.write_parquet(folder / f"batch_{i:04d}.parquet")
        parts.append(universe.corrections(frame))
    pl.concat(parts).write_parquet(folder / "corrections.parquet")
    for k in range(INCREMENTS):
        universe.next_bars(k).write_parquet(folder / f"next_{k}.parquet")
    done.write_text("ok\n")
    return folder


def run_size(
    universe: Universe,
    work: Path,
    repeat: int,
    log: Any = print,
    *,
    check_only: bool = False,
) -> SizeReport:
    """Every workload on one universe. ``check_only`` runs each case once in this process and
    leaves out the eventsourcing baseline: the test suite's correctness check."""
    from store import EventLog

    data = prepare(universe, work)
    sessions = universe.sessions.height
    report = SizeReport(universe.size, universe.symbols * sessions, universe.symbols, sessions)
    runs = work / f"runs-{universe.size}"
    shutil.rmtree(runs, ignore_errors=True)

    def record(case: str, params: dict[str, Any], times: int = repeat) -> Measurement:
        m = (run_here if check_only else measure)(case, universe.size, params, times)
        report.measurements.append(m)
        log(f"  {case:<34} median {m.median:9.3f} s  peak {m.peak_rss / 2**30:5.2f} GiB")
        return m

    def record_baseline(case: str, params: dict[str, Any]) -> None:
        """A baseline may not fit in memory at L (pandas holds the whole log): its process
        dying is recorded with the reason, and the other cases go on. tapecheck's own cases
        and the DuckDB baseline, which every check compares with, must finish."""
        try:
            record(case, params)
        except CaseDied as exc:
            report.failures[case] = str(exc)
            log(f"  {case:<34} did not finish: {exc}")

    # appends from empty
    record("append/tapecheck", {"universe": str(data), "target": str(runs / "append")})
    store = runs / "store"
    shutil.move(runs / "append" / f"run-{repeat - 1}" / "store", store)
    shutil.rmtree(runs / "append", ignore_errors=True)
    record("append/raw Polars->Delta", {"universe": str(data), "target": str(runs / "raw")})
    shutil.rmtree(runs / "raw", ignore_errors=True)
    if not check_only:
        es = {"universe": str(data), "target": str(runs / "es")}
        record("append/eventsourcing+SQLite", es)
        shutil.rmtree(runs / "es", ignore_errors=True)

    # the corrections stream, recorded a month later
    log_ = EventLog.open(store)
    corrections = pl.read_parquet(data / "corrections.parquet")
    t0 = dt.datetime.now()
    result = log_.append(corrections, recorded_at=CORRECTED)
    report.figures["corrections"] = {
        "events": result.added,
        "seconds": (dt.datetime.now() - t0).total_seconds(),
    }

    # re-appends: the identical batches, then the same events in reshaped frames
    record("reappend/tapecheck", {"universe": str(data), "store": str(store)})
    keyed = (run_here if check_only else measure)(
        "reappend/tapecheck",
        universe.size,
        {"universe": str(data), "store": str(store), "reshape": True},
        repeat,
    )
    keyed.case = "reappend/tapecheck keyed (reshaped frames)"
    report.measurements.append(keyed)
    log(f"  {keyed.case:<34} median {keyed.median:9.3f} s")

    # cold replay plus signals
    files = list(EventLog.open(store).snapshot().files)
    params = {"store": str(store), "files": files, "cut": FINAL_CUT}
    for engine in REPLAY:
        (record_baseline if engine in MAY_NOT_FIT else record)(f"replay/{engine}", params)
    baseline = report.get("replay/DuckDB SQL")
    assert baseline is not None
    report.checks["replay"] = [
        f"{m.engine}: {d}"
        for m in report.measurements
        if m.workload == "replay"
        for d in engines.differences(m.result, baseline.result)
    ]

    # incremental: one more session per symbol per run, signals from the new events only
    nexts = [str(data / f"next_{k}.parquet") for k in range(INCREMENTS)]
    recorded = [CORRECTED + dt.timedelta(days=1 + k) for k in range(INCREMENTS)]
    inc = record(
        "incremental/tapecheck",
        {"store": str(store), "next": nexts, "recorded": recorded},
        times=min(repeat, INCREMENTS),
    )
    last = universe.next_session(min(repeat, INCREMENTS) - 1).item(0, "session")
    cut = engines.Cut(dt.datetime.combine(last, dt.time(23, 59), dt.UTC), last)
    cold = engines.duckdb_signals(list(EventLog.open(store).snapshot().files), cut)
    report.checks["incremental"] = engines.differences(inc.result, cold)

    # one symbol at a past cut, after `tapecheck compact`
    EventLog.open(store).compact()
    symbol = universe.names[len(universe.names) // 2]
    stream = f"{symbol}@synthetic"
    files = list(EventLog.open(store).snapshot().files)
    params = {
        "store": str(store),
        "files": files,
        "stream": stream,
        "symbol": symbol,
        "known_at": point_cut(universe),
    }
    for engine in POINT:
        (record_baseline if engine in MAY_NOT_FIT else record)(f"point/{engine}", params)
    first = report.get("point/DuckDB SQL")
    assert first is not None
    report.checks["point"] = [
        f"{m.engine}: {m.result} != {first.result}"
        for m in report.measurements
        if m.workload == "point" and m.result != first.result
    ]
    report.figures["pruning"] = pruning(store, stream)
    return report


def point_cut(universe: Universe) -> dt.datetime:
    """The one-symbol query's past cut: the end of June 30, halfway through the universe."""
    from store.reference.clock import end_of_day

    return end_of_day(dt.date(LAST_YEAR - universe.years // 2, 6, 30))


def pruning(store: Path, stream: str) -> dict[str, Any]:
    """Files and bytes a one-stream read opens, from the Delta statistics and Parquet footers:
    files whose add-action statistics can hold the stream, and within them the row groups whose
    statistics can, for the columns a bars read selects."""
    from store import EventLog

    log = EventLog.open(store)
    columns = ["stream", "key", "event_type", "symbol", "session", "valid_at", "close"]
    out: dict[str, Any] = {}
    for name, full, pruned in (
        ("log", log.snapshot(), log.snapshot(streams=[stream])),
        ("projection", log.projection(), log.projection(streams=[stream])),
    ):
        total = sum(Path(f).stat().st_size for f in full.files)
        opened = sum(Path(f).stat().st_size for f in pruned.files)
        read = sum(_row_group_bytes(f, stream, columns) for f in pruned.files)
        out[name] = {
            "files_total": len(full.files),
            "files_opened": len(pruned.files),
            "bytes_total": total,
            "bytes_of_opened_files": opened,
            "bytes_read": read,
        }
    log_total = out["log"]["bytes_total"]
    out["projection"]["share_of_log_bytes"] = out["projection"]["bytes_read"] / log_total
    return out


def _row_group_bytes(path: str, stream: str, columns: list[str]) -> int:
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    s = names.index("stream")
    total = meta.serialized_size
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        stats = group.column(s).statistics
        if stats is not None and stats.has_min_max and not stats.min <= stream <= stats.max:
            continue
        total += sum(
            group.column(i).total_compressed_size
            for i in range(group.num_columns)
            if names[i] in columns
        )
    return total
