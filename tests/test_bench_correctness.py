"""The benchmark suite at size S as a correctness check: every engine gives the same answers.

Runs every workload once, in this process: tapecheck's tape and projection, pandas, Polars and
DuckDB SQL agree on the signals after the as-of replay (corrections included) and on the
one-symbol query; the incremental signals equal a cold recompute; re-appends add nothing.
Nothing here asserts a speed (the machines are shared): `nox -s bench` measures.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.suite import run_size  # noqa: E402
from benchmarks.universe import Universe  # noqa: E402


def test_every_engine_agrees_at_size_s(tmp_path):
    report = run_size(Universe.of("S"), tmp_path, 1, log=lambda *_: None, check_only=True)
    assert report.checks == {"replay": [], "incremental": [], "point": []}
    engines = {m.engine for m in report.measurements if m.workload == "replay"}
    assert engines == {"tapecheck Tape", "tapecheck projection", "pandas", "Polars", "DuckDB SQL"}
    appended = report.get("append/tapecheck")
    assert appended is not None and appended.result == report.bars
    written = report.get("append/raw Polars->Delta")
    assert written is not None and written.result == report.bars
    assert report.figures["corrections"]["events"] > 0
    for m in report.measurements:
        if m.workload == "reappend":
            assert m.result == report.bars  # every event skipped, none added
    point = report.get("point/DuckDB SQL")
    assert point is not None and point.result["bars"] > 1_000
    pruning = report.figures["pruning"]["projection"]
    assert pruning["files_opened"] <= pruning["files_total"]
