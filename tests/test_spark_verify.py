"""``tapecheck verify --backend pyspark`` writes the same claims.json as DuckDB: every verdict
equal, every measured value within 1e-9 relative (both commands run as a user runs them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_tapecheck
from parity import close

pytestmark = pytest.mark.spark


def verdicts(report: dict) -> dict[str, str]:
    return {c["id"]: c["verdict"] for a in report["articles"] for c in a["claims"]}


def differences(a: object, b: object, where: str = "") -> list[str]:
    """Where two JSON documents differ (floats compared within the parity tolerance)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{where}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        ok = isinstance(a, int | float) and isinstance(b, int | float) and close(a, b)
        return [] if ok else [f"{where}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def test_verify_on_spark_writes_the_same_claims_json(real_log, tmp_path: Path):
    reports = {}
    for backend in ("duckdb", "pyspark"):  # DuckDB first: it records the calls, Spark finds them
        out = tmp_path / f"claims-{backend}.json"
        done = run_tapecheck(
            "verify",
            "--json",
            str(out),
            "--no-charts",
            "--backend",
            backend,
            store=real_log.root,
            timeout=3600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        reports[backend] = json.loads(out.read_text())
    duck, spark = reports["duckdb"], reports["pyspark"]
    assert duck["store_version"] == spark["store_version"]
    assert len(verdicts(duck)) == 64
    assert verdicts(spark) == verdicts(duck)
    assert differences(duck, spark) == []
