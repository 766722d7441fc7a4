"""Compaction (Delta optimize) never changes what any (known_at, recorded_by) read returns."""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
from conftest import UTC, bars_batch, session_bar

from analysis.tape import Tape
from store import Retraction, batch
from store.reference.clock import FAR_FUTURE

BASE = dt.datetime(2026, 1, 1, tzinfo=UTC)


def facts(log, known_at, recorded_by, version=None) -> pl.DataFrame:
    tape = Tape(log, version=version)
    return tape.run(tape.facts(known_at or FAR_FUTURE, recorded_by)).sort("event_id")


def test_compaction_preserves_every_as_of_read(delta_log):
    for i in range(8):
        delta_log.append(
            bars_batch(
                30, start=dt.date(2025, 1, 1) + dt.timedelta(days=10 * i), symbol=f"^S{i % 3}"
            ),
            recorded_at=BASE + dt.timedelta(hours=i),
        )
    corrected = session_bar(dt.date(2025, 1, 5), 999.0, symbol="^S0")
    delta_log.append(batch([corrected]), recorded_at=BASE + dt.timedelta(hours=10))
    target = delta_log.history("^S0@unit", "1d/2025-01-06")["event_id"][0]
    delta_log.append(
        batch([Retraction(target, "^S0@unit", "1d/2025-01-06", BASE, "x", "t")]),
        recorded_at=BASE + dt.timedelta(hours=11),
    )
    cuts = list(
        itertools.product(
            [None, *(dt.datetime(2025, m, 15, tzinfo=UTC) for m in (1, 2, 3))],
            [None, *(BASE + dt.timedelta(hours=h) for h in (0, 3, 9, 10, 11))],
        )
    )
    before = {c: facts(delta_log, *c) for c in cuts}
    version = delta_log.version()
    files_before = len(delta_log.snapshot().files)
    metrics = delta_log.compact()
    assert metrics["numFilesRemoved"] == files_before
    assert len(delta_log.snapshot().files) < files_before
    assert delta_log.version() == version + 1
    for cut, frame in before.items():
        after = facts(delta_log, *cut)
        assert after.equals(frame), cut
    # the pre-compaction version still reads the same through time travel
    assert facts(delta_log, None, None, version=version).equals(before[(None, None)])
    assert (
        delta_log.events()
        .sort("event_id")
        .equals(delta_log.events(version=version).sort("event_id"))
    )
    assert pl.Series(delta_log.events()["event_id"]).is_unique().all()
