"""The storage contract: every adapter appends and reads the same way."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import UTC, bars_batch, session_bar

from store import AnalystCall, BadInput, Observation, Retraction, batch

T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
R1, R2, R3 = (T0 + dt.timedelta(days=d) for d in (1, 2, 3))


def closes(frame: pl.DataFrame) -> dict[str, float]:
    return dict(
        zip(frame.get_column("key").to_list(), frame.get_column("close").to_list(), strict=True)
    )


def test_append_then_read_returns_every_fact(any_log):
    result = any_log.append(bars_batch(5))
    assert (result.added, result.skipped) == (5, 0)
    view = any_log.read()
    assert view.height == 5
    assert view.get_column("close").to_list() == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert view.get_column("event_id").n_unique() == 5


def test_reappending_is_a_counted_no_op(any_log):
    any_log.append(bars_batch(5))
    version = any_log.version()
    before = any_log.events()
    again = any_log.append(bars_batch(5))
    assert (again.added, again.skipped) == (0, 5)
    assert any_log.version() == version
    assert any_log.events().equals(before)


def test_overlapping_batch_adds_only_the_new_events(any_log):
    any_log.append(bars_batch(5))
    result = any_log.append(bars_batch(8))
    assert (result.added, result.skipped) == (3, 5)
    assert any_log.read().height == 8


def test_identical_rows_inside_one_batch_are_stored_once(any_log):
    bar = session_bar(dt.date(2025, 1, 2), 10.0)
    result = any_log.append(batch([bar, bar]))
    assert (result.added, result.skipped) == (1, 1)


def test_event_id_is_a_deterministic_content_hash(any_log):
    any_log.append(bars_batch(2, source="first-download"))
    # the same facts from another download of the same feed hash the same: a no-op
    again = any_log.append(bars_batch(2, source="second-download"))
    assert again.added == 0


def test_a_bad_row_rejects_the_whole_batch(any_log):
    any_log.append(bars_batch(3))
    version, before = any_log.version(), any_log.events()
    good = [session_bar(dt.date(2025, 2, d), 50.0) for d in range(1, 6)]
    bad = session_bar(dt.date(2025, 2, 6), 50.0)
    bad = type(bad)(**{**bad.__dict__, "high": 40.0})
    with pytest.raises(BadInput, match="high"):
        any_log.append(batch([*good, bad]))
    assert any_log.version() == version
    assert any_log.events().equals(before)


def test_a_correction_wins_for_readers_recorded_after_it(any_log):
    d = dt.date(2025, 3, 3)
    any_log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
    any_log.append(batch([session_bar(d, 11.0)]), recorded_at=R2)
    key = f"1d/{d}"
    assert closes(any_log.read())[key] == 11.0
    assert closes(any_log.read(recorded_by=R1))[key] == 10.0
    assert closes(any_log.read(recorded_by=R2 - dt.timedelta(microseconds=1)))[key] == 10.0
    assert any_log.read(recorded_by=R1 - dt.timedelta(seconds=1)).height == 0
    history = any_log.history("^TST@unit", key)
    assert history.get_column("close").to_list() == [10.0, 11.0]


def test_retracting_a_correction_restores_the_prior_version(any_log):
    d = dt.date(2025, 3, 3)
    key = f"1d/{d}"
    any_log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
    any_log.append(batch([session_bar(d, 11.0)]), recorded_at=R2)
    wrong = any_log.history("^TST@unit", key).filter(pl.col("close") == 11.0)["event_id"][0]
    retraction = Retraction(wrong, "^TST@unit", key, T0, "bad print", "tests")
    any_log.append(batch([retraction]), recorded_at=R3)
    assert closes(any_log.read())[key] == 10.0
    assert closes(any_log.read(recorded_by=R2))[key] == 11.0
    assert any_log.history("^TST@unit", key).get_column("event_type").to_list() == [
        "PriceBar",
        "PriceBar",
        "Retraction",
    ]


def test_retracting_the_only_version_removes_the_fact(any_log):
    d = dt.date(2025, 3, 3)
    any_log.append(batch([session_bar(d, 10.0)]), recorded_at=R1)
    eid = any_log.read()["event_id"][0]
    any_log.append(
        batch([Retraction(eid, "^TST@unit", f"1d/{d}", T0, "dup", "tests")]), recorded_at=R2
    )
    assert any_log.read().height == 0
    assert any_log.read(recorded_by=R1).height == 1


def test_known_at_cuts_on_valid_time(any_log):
    any_log.append(bars_batch(5, start=dt.date(2025, 1, 1)))
    close_of_jan3 = dt.datetime(2025, 1, 3, 21, 0, tzinfo=UTC)
    view = any_log.read(known_at=close_of_jan3)
    assert view.get_column("session").to_list() == [dt.date(2025, 1, d) for d in (1, 2, 3)]
    just_before = any_log.read(known_at=close_of_jan3 - dt.timedelta(microseconds=1))
    assert just_before.height == 2


def test_both_axes_together(any_log):
    d1, d2 = dt.date(2025, 1, 1), dt.date(2025, 1, 2)
    any_log.append(batch([session_bar(d1, 10.0), session_bar(d2, 20.0)]), recorded_at=R1)
    any_log.append(batch([session_bar(d1, 15.0)]), recorded_at=R2)
    end_d1 = dt.datetime(2025, 1, 1, 21, tzinfo=UTC)
    assert closes(any_log.read(known_at=end_d1, recorded_by=R1)) == {f"1d/{d1}": 10.0}
    assert closes(any_log.read(known_at=end_d1, recorded_by=R2)) == {f"1d/{d1}": 15.0}
    assert closes(any_log.read(recorded_by=R1)) == {f"1d/{d1}": 10.0, f"1d/{d2}": 20.0}


def test_reads_come_back_in_a_stable_total_order(any_log):
    any_log.append(bars_batch(3, symbol="^B"), recorded_at=R1)
    any_log.append(bars_batch(3, symbol="^A"), recorded_at=R2)
    view = any_log.read()
    assert view.get_column("stream").to_list() == ["^A@unit"] * 3 + ["^B@unit"] * 3
    assert view.equals(any_log.read())
    log = any_log.events()
    assert log.get_column("recorded_at").is_sorted()
    assert log.equals(log.sort(["recorded_at", "stream", "valid_at", "key", "event_id"]))


def test_versions_pin_a_past_log(any_log):
    any_log.append(bars_batch(2))
    v1 = any_log.version()
    any_log.append(bars_batch(4))
    assert any_log.read(version=v1).height == 2
    assert any_log.read().height == 4


def test_mixed_event_types_in_one_batch(any_log):
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
    result = any_log.append(batch([call, obs, session_bar(dt.date(2025, 10, 7), 5.0)]))
    assert result.added == 3
    view = any_log.read()
    assert sorted(view.get_column("event_type").to_list()) == [
        "AnalystCall",
        "Observation",
        "PriceBar",
    ]
    row = view.filter(pl.col("event_type") == "AnalystCall").row(0, named=True)
    assert row["stream"] == "call:jefferies/steven-desanctis"
    assert row["subjects"] == ["^RUT"] and row["value"] == 2665.0
