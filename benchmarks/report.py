"""``reports/bench.json`` and the Markdown table: medians, peak RSS and ratios to baselines
measured in the same run."""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
from pathlib import Path
from typing import Any

from benchmarks.harness import Measurement
from benchmarks.suite import SizeReport

GIB = 2**30
# For each workload: the tapecheck cases, and the cases they are compared with.
COMPARISONS: dict[str, tuple[list[str], list[str]]] = {
    "append": (["append/tapecheck"], ["append/raw Polars->Delta", "append/eventsourcing+SQLite"]),
    "reappend": (
        ["reappend/tapecheck", "reappend/tapecheck keyed (reshaped frames)"],
        ["append/tapecheck"],
    ),
    "replay": (
        ["replay/tapecheck Tape", "replay/tapecheck projection"],
        ["replay/DuckDB SQL", "replay/Polars", "replay/pandas"],
    ),
    "incremental": (
        ["incremental/tapecheck"],
        ["replay/tapecheck Tape", "replay/tapecheck projection", "replay/DuckDB SQL"],
    ),
    "point": (
        ["point/tapecheck projection", "point/tapecheck Tape"],
        ["point/DuckDB SQL", "point/Polars", "point/pandas"],
    ),
}


def per_row(m: Measurement) -> float:
    """Seconds per row for the throughput comparison (eventsourcing runs on a subset)."""
    return m.median / m.rows if m.rows else m.median


def ratio(ours: Measurement, other: Measurement) -> float:
    """How many times slower ``ours`` is than ``other`` (< 1: faster)."""
    if ours.workload == "append" and other.engine.startswith("eventsourcing"):
        return per_row(ours) / per_row(other)
    return ours.median / other.median


def ratio_text(ours: Measurement, other: Measurement) -> str:
    r = ratio(ours, other)
    if ours.workload in ("reappend", "incremental"):
        return f"{1 / r:,.1f}x faster than {other.engine}" + (
            f" ({other.workload})" if other.workload != ours.workload else ""
        )
    label = other.engine + (
        " (per bar, subset)" if other.engine.startswith("eventsourcing") else ""
    )
    return f"{r:.2f}x {label}"


def to_json(reports: list[SizeReport], commands: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        "sizes": [
            {
                "size": r.size,
                "symbols": r.symbols,
                "sessions": r.sessions,
                "bars": r.bars,
                "cases": [
                    {
                        "case": m.case,
                        "times_s": m.times,
                        "median_s": m.median,
                        "peak_rss_bytes": m.peak_rss,
                        "rows": m.rows,
                    }
                    for m in r.measurements
                ],
                "ratios": {
                    ours.case: {other.case: ratio(ours, other) for other in _others(r, w)}
                    for w, (mine, _) in COMPARISONS.items()
                    for ours in filter(None, (r.get(c) for c in mine))
                },
                "checks": r.checks,
                "figures": r.figures,
                "did_not_finish": r.failures,
            }
            for r in reports
        ],
        "commands": [{**c, "median_s": statistics.median(c["times"])} for c in commands],
    }


def _others(r: SizeReport, workload: str) -> list[Measurement]:
    return [m for c in COMPARISONS[workload][1] if (m := r.get(c)) is not None]


def to_markdown(reports: list[SizeReport], commands: list[dict[str, Any]]) -> str:
    lines = [
        "# tapecheck benchmarks",
        "",
        f"Generated {dt.date.today().isoformat()} on {_cpus()} CPU(s) by `nox -s bench`; "
        "medians of the runs, peak RSS of each case's own process, ratios against baselines "
        "measured in the same run on the same files. A ratio `Nx baseline` is tapecheck's "
        "time over the baseline's (below 1: tapecheck is faster); re-appends and incremental "
        "updates are given as speed-ups.",
        "",
        "| workload | size | case | median | peak RSS | compared with |",
        "|---|---|---|---|---|---|",
    ]
    for r in reports:
        for m in r.measurements:
            mine = COMPARISONS.get(m.workload, ([], []))[0]
            versus = (
                "; ".join(ratio_text(m, o) for o in _others(r, m.workload) if o.case != m.case)
                if m.case in mine
                else ""
            )
            rows = f" ({m.rows:,} rows)" if m.rows and m.workload == "append" else ""
            lines.append(
                f"| {m.workload} | {r.size} | {m.engine}{rows} | {_s(m.median)} | "
                f"{m.peak_rss / GIB:.2f} GiB | {versus} |"
            )
        for case, why in r.failures.items():
            workload, engine = case.split("/", 1)
            lines.append(f"| {workload} | {r.size} | {engine} | did not finish: {why} | - | |")
    lines += ["", "## Growth from size to size", ""]
    lines += _growth(reports)
    lines += ["", "## Pruning of the one-symbol query", ""]
    for r in reports:
        p = r.figures.get("pruning")
        if p:
            lg, pj = p["log"], p["projection"]
            lines.append(
                f"- {r.size}: the log has {lg['files_total']} files ({lg['bytes_total']:,} B); "
                f"the projection read opens {pj['files_opened']} of {pj['files_total']} files "
                f"and reads {pj['bytes_read']:,} B of them, "
                f"{100 * pj['share_of_log_bytes']:.2f}% of the log's bytes."
            )
    lines += ["", "## Correctness checks (engines agree on every result)", ""]
    for r in reports:
        bad = {k: v for k, v in r.checks.items() if v}
        lines.append(f"- {r.size}: " + ("all agree" if not bad else json.dumps(bad)))
    if commands:
        lines += ["", "## Commands on the real data", "", "| command | median | peak RSS |"]
        lines.append("|---|---|---|")
        for c in commands:
            median = statistics.median(c["times"])
            peak = "-" if c["peak_rss"] is None else f"{c['peak_rss'] / GIB:.2f} GiB"
            lines.append(f"| `{c['command']}` | {_s(median)} | {peak} |")
    return "\n".join(lines) + "\n"


def _growth(reports: list[SizeReport]) -> list[str]:
    if len(reports) < 2:
        return ["(one size measured)"]
    head = "| case | " + " | ".join(f"{r.size} ({r.bars:,} bars)" for r in reports) + " |"
    out = [head, "|---|" + "---|" * len(reports)]
    for case in [m.case for m in reports[0].measurements]:
        cells = []
        for r in reports:
            m = r.get(case)
            cells.append("" if m is None else f"{_s(m.median)} ({_s(m.median / r.bars * 1e6)}/M)")
        out.append(f"| {case} | " + " | ".join(cells) + " |")
    return out


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def write(
    reports: list[SizeReport], commands: list[dict[str, Any]], json_path: Path, md: Path
) -> None:
    from store.files import write_atomically

    json_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(json.dumps(to_json(reports, commands), indent=2, default=str), json_path)
    write_atomically(to_markdown(reports, commands), md)
