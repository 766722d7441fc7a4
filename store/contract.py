"""The storage contract, as importable test base classes every adapter subclasses.

A new storage adapter proves it keeps the log's promises by subclassing
:class:`EventLogContract` in its own test module and supplying :meth:`EventLogContract.make_log`
(as eventsourcing ships its recorder tests). The promises are the store's own: atomic,
idempotent appends; an append-only history in a stable total order; versions that pin a past
log. How facts fold into the tape as of a cut is the tape's business
(:mod:`analysis.tape`), tested there on every adapter.

The builders below make calendar-free bars (14:30-21:00 UTC) so the contract needs no data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from store.errors import BadInput
from store.events import AnalystCall, Observation, PriceBar, Retraction, batch

__all__ = ["EventLogContract", "bars_batch", "session_bar"]

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
R1, R2, R3 = (T0 + dt.timedelta(days=d) for d in (1, 2, 3))


def session_bar(
    session: dt.date,
    close: float,
    *,
    symbol: str = "^TST",
    feed: str = "unit",
    spread: float = 1.0,
    source: str = "tests",
) -> PriceBar:
    """A plain 14:30-21:00 UTC bar around ``close``."""
    start = dt.datetime(session.year, session.month, session.day, 14, 30, tzinfo=UTC)
    end = dt.datetime(session.year, session.month, session.day, 21, 0, tzinfo=UTC)
    return PriceBar(
        symbol=symbol,
        feed=feed,
        session=session,
        bar_start=start,
        bar_end=end,
        open=close,
        high=close + spread,
        low=close - spread,
        close=close,
        source=source,
    )


def bars_batch(
    n: int,
    *,
    start: dt.date = dt.date(2025, 1, 1),
    base: float = 100.0,
    symbol: str = "^TST",
    feed: str = "unit",
    source: str = "tests",
) -> pl.DataFrame:
    """``n`` consecutive daily bars as one batch frame."""
    return batch(
        session_bar(start + dt.timedelta(days=i), base + i, symbol=symbol, feed=feed, source=source)
        for i in range(n)
    )


class EventLogContract:
    """Tests every storage adapter passes. Subclass it and implement :meth:`make_log`."""

    def make_log(self) -> Any:  # pragma: no cover - supplied by each adapter's test module
        raise NotImplementedError

    def test_append_stores_every_event(self) -> None:
        log = self.make_log()
        result = log.append(bars_batch(5))
        assert (result.added, result.skipped) == (5, 0)
        events = log.events()
        assert events.get_column("close").to_list() == [100.0, 101.0, 102.0, 103.0, 104.0]
        assert events.get_column("event_id").n_unique() == 5

    def test_reappending_is_a_counted_no_op(self) -> None:
        log = self.make_log()
        log.append(bars_batch(5))
        version, before = log.version(), log.events()
        again = log.append(bars_batch(5))
        assert (again.added, again.skipped) == (0, 5)
        assert log.version() == version
        assert log.events().equals(before)

    def test_overlapping_batch_adds_only_the_new_events(self) -> None:
        log = self.make_log()
        log.append(bars_batch(5))
        result = log.append(bars_batch(8))
        assert (result.added, result.skipped) == (3, 5)
        assert log.events().height == 8

    def test_identical_rows_inside_one_batch_are_stored_once(self) -> None:
        bar = session_bar(dt.date(2025, 1, 2), 10.0)
        result = self.make_log().append(batch([bar, bar]))
        assert (result.added, result.skipped) == (1, 1)

    def test_event_id_is_a_deterministic_content_hash(self) -> None:
        log = self.make_log()
        log.append(bars_batch(2, source="first-download"))
        # the same facts from another download of the same feed hash the same: a no-op
        assert log.append(bars_batch(2, source="second-download")).added == 0

    def test_a_bad_row_rejects_the_whole_batch(self) -> None:
        log = self.make_log()
        log.append(bars_batch(3))
        version, before = log.version(), log.events()
        good = [session_bar(dt.date(2025, 2, d), 50.0) for d in range(1, 6)]
        bad = session_bar(dt.date(2025, 2, 6), 50.0)
        bad = type(bad)(**{**bad.__dict__, "high": 40.0})
        try:
            log.append(batch([*good, bad]))
        except BadInput as exc:
            assert exc.field == "high"
        else:  # pragma: no cover - the contract is broken
            raise AssertionError("a batch with a bad row was accepted")
        assert log.version() == version
        assert log.events().equals(before)

    def test_corrections_and_retractions_are_new_events_in_the_history(self) -> None:
        log = self.make_log()
        d = dt.date(2025, 3, 3)
        key = f"1d/{d}"
        log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
        log.append(batch([session_bar(d, 11.0)]), recorded_at=R2)
        history = log.history("^TST@unit", key)
        assert history.get_column("close").to_list() == [10.0, 11.0]
        wrong = history.filter(pl.col("close") == 11.0)["event_id"][0]
        log.append(
            batch([Retraction(wrong, "^TST@unit", key, T0, "bad print", "tests")]), recorded_at=R3
        )
        assert log.history("^TST@unit", key).get_column("event_type").to_list() == [
            "PriceBar",
            "PriceBar",
            "Retraction",
        ]
        # nothing is ever updated or deleted: every version is still in the log
        assert log.events().height == 3

    def test_the_log_comes_back_in_a_stable_total_order(self) -> None:
        log = self.make_log()
        log.append(bars_batch(3, symbol="^B"), recorded_at=R1)
        log.append(bars_batch(3, symbol="^A"), recorded_at=R2)
        events = log.events()
        assert events.get_column("recorded_at").is_sorted()
        assert events.equals(events.sort(["recorded_at", "stream", "valid_at", "key", "event_id"]))
        assert events.equals(log.events())

    def test_versions_pin_a_past_log(self) -> None:
        log = self.make_log()
        log.append(bars_batch(2))
        v1 = log.version()
        log.append(bars_batch(4))
        assert log.events(version=v1).height == 2
        assert log.events().height == 4

    def test_mixed_event_types_in_one_batch(self) -> None:
        log = self.make_log()
        t = dt.datetime(2025, 10, 8, 16, tzinfo=UTC)
        call = AnalystCall(
            "c16",
            "Steven DeSanctis",
            "Jefferies",
            "price_target",
            ("^RUT",),
            "002",
            "Russell 2000 at 2,665 by year end",
            t,
            "spec",
            value=2665.0,
            comparator=">=",
            horizon_end=dt.date(2025, 12, 31),
        )
        obs = Observation("FRED:DFEDTARU", "unit", "2025-09-18", 4.25, "percent", t, "tests")
        result = log.append(batch([call, obs, session_bar(dt.date(2025, 10, 7), 5.0)]))
        assert result.added == 3
        events = log.events()
        assert sorted(events.get_column("event_type").to_list()) == [
            "AnalystCall",
            "Observation",
            "PriceBar",
        ]
        row = events.filter(pl.col("event_type") == "AnalystCall").row(0, named=True)
        assert row["stream"] == "call:jefferies/steven-desanctis"
        assert row["subjects"] == ["^RUT"] and row["value"] == 2665.0
