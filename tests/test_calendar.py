"""The XNYS session table, and the copy of it kept in the cache directory (oracle:
exchange_calendars' own schedule, read with pandas)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import exchange_calendars as xcals
import polars as pl
import pytest

from store.reference import calendar

ROOT = Path(__file__).resolve().parents[1]


def _oracle() -> pl.DataFrame:
    schedule = xcals.get_calendar("XNYS", start="1885-01-01").schedule
    rows = [
        {"session": s.date(), "open": o.to_pydatetime(), "close": c.to_pydatetime()}
        for s, o, c in zip(schedule.index, schedule["open"], schedule["close"], strict=True)
    ]
    frame = pl.DataFrame(rows)
    return frame.with_columns(pl.col("open", "close").dt.convert_time_zone("UTC"))


def _fresh(monkeypatch: pytest.MonkeyPatch, cache: str) -> pl.DataFrame:
    monkeypatch.setenv("TAPECHECK_CACHE", cache)
    calendar.sessions.cache_clear()
    try:
        return calendar.sessions()
    finally:
        calendar.sessions.cache_clear()


def test_kept_sessions_equal_the_calendar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    oracle = _oracle()
    built_name = calendar._kept_path
    monkeypatch.setenv("TAPECHECK_CACHE", str(tmp_path))
    today = built_name()
    assert today is not None
    earlier = today.with_name(today.name[: -len("2000-01-01.parquet")] + "2000-01-01.parquet")
    other = today.with_name("XNYS-from-1885-01-01-xcals-0.0.1-format-1-2000-01-01.parquet")
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"an earlier day's table")
    other.write_bytes(b"another version's table, kept for another environment")
    built = _fresh(monkeypatch, str(tmp_path))
    kept = sorted((tmp_path / "calendar").glob("XNYS-*.parquet"))
    assert kept == sorted([today, other])  # today's replaces the earlier day's
    again = _fresh(monkeypatch, str(tmp_path))  # read back from the kept file
    for frame in (built, again):
        assert frame.select("session", "open", "close").equals(
            oracle.select("session", "open", "close").cast(frame.schema)
        )
    # a new process reads the kept table without importing exchange_calendars or pandas
    code = (
        "import sys; from store.reference.calendar import sessions; n = sessions().height; "
        "print(n, 'exchange_calendars' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"TAPECHECK_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    ).stdout.split()
    assert out == [str(oracle.height), "False", "False"]


def test_a_damaged_or_unwritable_cache_costs_time_not_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    oracle = _oracle()
    _fresh(monkeypatch, str(tmp_path))
    (kept,) = (tmp_path / "calendar").glob("XNYS-*.parquet")
    kept.write_bytes(b"PAR1 not a parquet file")
    assert _fresh(monkeypatch, str(tmp_path)).height == oracle.height
    assert pl.read_parquet(kept).height == oracle.height  # written again, whole
    # a readable table with wrong content (out of order, a session repeated) is rebuilt too
    table = pl.read_parquet(kept)
    for damaged in (table.reverse(), pl.concat([table.head(5), table])):
        damaged.write_parquet(kept)
        assert _fresh(monkeypatch, str(tmp_path)).equals(table)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    assert _fresh(monkeypatch, str(blocked)).height == oracle.height
    assert _fresh(monkeypatch, "off").height == oracle.height
