"""Spark reads exactly the pinned Delta version: after compaction (which leaves the files it
removed on disk) and at an older version (time travel), with the right row count and the same
results as DuckDB.

delta-spark's JARs cannot be downloaded here, so Spark reads each version's file list (the
path every session without delta-spark takes). The native path (``format("delta")`` with
``versionAsOf``) is chosen by :meth:`SparkBackend.reads_delta`; its detection is tested here on
real Spark, and the native read is driven until Spark reports the missing data source.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import UTC, bars_batch, session_bar
from parity import assert_same

from analysis.backends import SparkBackend
from analysis.tape import Tape
from store import EventLog, Retraction, batch

pytestmark = pytest.mark.spark

BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)
CUT = dt.datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def compacted(tmp_path_factory):
    """A log of ten small commits, a correction and a retraction, then compacted.

    Returns the log, the event count appended by each version (counted here, from what was
    written), the version before compaction and a middle version.
    """
    log = EventLog.open(tmp_path_factory.mktemp("delta") / "store", create=True)
    counts = {log.version(): 0}
    total = 0
    for i in range(10):
        frame = bars_batch(
            25, start=dt.date(2025, 1, 1) + dt.timedelta(days=7 * i), symbol=f"^S{i % 4}"
        )
        log.append(frame, recorded_at=BASE + dt.timedelta(hours=i))
        total += frame.height
        counts[log.version()] = total
    middle = log.version() - 5
    log.append(
        batch([session_bar(dt.date(2025, 1, 5), 999.0, symbol="^S0")]),
        recorded_at=BASE + dt.timedelta(hours=20),
    )
    total += 1
    counts[log.version()] = total
    target = log.history("^S1@unit", "1d/2025-01-10")["event_id"][0]
    log.append(
        batch([Retraction(target, "^S1@unit", "1d/2025-01-10", BASE, "bad print", "tests")]),
        recorded_at=BASE + dt.timedelta(hours=21),
    )
    total += 1
    counts[log.version()] = total
    before = log.version()
    metrics = log.compact()
    assert metrics["numFilesRemoved"] > 1
    counts[log.version()] = total
    return log, counts, before, middle


def _events(tape: Tape) -> int:
    e = tape._events
    return tape.run(e.agg(n=e.count()))["n"].item()


def test_compaction_leaves_removed_files_on_disk(compacted, spark_con):
    log, counts, _, _ = compacted
    on_disk = sorted(Path(log.table_path).glob("*.parquet"))
    assert len(on_disk) > len(log.snapshot().files)
    # what a reader of the directory gets: the removed files' rows a second time
    naive = SparkBackend.session(spark_con).read.parquet(str(log.table_path)).count()
    assert naive > counts[log.version()]


@pytest.mark.parametrize("which", ["compacted", "before compaction", "time travel"])
def test_spark_reads_exactly_the_version(compacted, spark_con, which):
    log, counts, before, middle = compacted
    version = {"compacted": None, "before compaction": before, "time travel": middle}[which]
    spark = Tape(log, version=version, con=spark_con)
    duck = Tape(log, version=version, backend="duckdb")
    assert spark.version == duck.version
    assert _events(spark) == counts[spark.version]
    for recorded_by in (
        None,
        BASE + dt.timedelta(hours=3),
        BASE + dt.timedelta(hours=20, minutes=30),
    ):
        facts = [t.run(t.facts(CUT, recorded_by).drop("recorded_at")) for t in (duck, spark)]
        assert facts[0].height > 0
        assert_same(*facts, f"{which} at {recorded_by}")
        bars = [t.run(t.bars(CUT, recorded_by)) for t in (duck, spark)]
        assert_same(*bars, f"bars {which} at {recorded_by}")
        # Spark hands timestamps back without a zone: the tape puts them back in UTC
        assert bars[1].schema["valid_at"].time_zone == "UTC"


def test_compaction_changes_no_read_on_spark(compacted, spark_con):
    log, _, before, _ = compacted
    old, new = Tape(log, version=before, con=spark_con), Tape(log, con=spark_con)
    assert new.version == before + 1
    for recorded_by in (None, BASE + dt.timedelta(hours=5)):
        assert_same(
            old.run(old.facts(CUT, recorded_by)), new.run(new.facts(CUT, recorded_by)), "compact"
        )


def test_delta_spark_detection_on_this_session(spark_con):
    backend = SparkBackend()
    # the lookup Spark's reader does: Parquet is built in, delta-spark is not installed here
    assert backend.resolves(spark_con, "parquet")
    assert not backend.resolves(spark_con, "delta")
    assert not backend.reads_delta(spark_con)


def test_the_native_path_asks_spark_for_the_delta_source(compacted, spark_con, monkeypatch):
    """With delta-spark detected, the tape reads ``format("delta")`` at ``versionAsOf``: here
    Spark, lacking the JARs, answers that it has no such source (nothing falls back silently)."""
    log, _, _, middle = compacted
    monkeypatch.setattr(SparkBackend, "reads_delta", lambda self, con: True)
    with pytest.raises(Exception, match=r"DATA_SOURCE_NOT_FOUND.*delta"):
        Tape(log, version=middle, con=spark_con)
