"""Whole-catalog ingest (once per module), idempotency, sources, calendar and catalog API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from analysis.sources import compare_sources, feeds_overview
from store.config import data_path
from store.events import EventType
from store.ingest.run import IngestResult, ingest_catalog
from store.ingest.stamping import stamp_sessions
from store.log import EventLog
from store.reference.calendar import session_bounds
from store.reference.catalog import (
    entry,
    is_adjusted,
    load_catalog,
    parse_catalog,
    preferred_feeds,
    proxy_for,
)

DATA = data_path()
needs_data = pytest.mark.skipif(
    not (DATA / "prices").is_dir(), reason=f"real data folder {DATA} is absent (TAPECHECK_DATA)"
)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[EventLog, IngestResult]:
    if not (DATA / "prices").is_dir():
        pytest.skip(f"real data folder {DATA} is absent (TAPECHECK_DATA)")
    log = EventLog.open(tmp_path_factory.mktemp("catalog") / "store", create=True)
    return log, ingest_catalog(log, DATA)


@needs_data
def test_whole_catalog_ingest_then_a_second_run_adds_nothing(ingested) -> None:
    log, first = ingested
    assert first.added + first.skipped == first.events > 300_000
    # only a later vintage skips anything on a first run: the values it leaves unchanged
    later = {"factors/F-F_Research_Data_Factors_monthly_vintage202511.csv"}
    later |= {"factors/Portfolios_Formed_on_ME_VWmonthly_vintage202511.csv"}
    later |= {f"macro/DFEDTAR{x}_to20260605_DateValue.csv" for x in "UL"}
    assert {f.file for f in first.files if f.skipped} == later
    assert first.unlisted == []
    version = log.version()
    second = ingest_catalog(log, DATA)
    assert second.added == 0
    assert second.skipped == first.events
    assert log.version() == version


@needs_data
def test_every_source_is_its_own_stream(ingested) -> None:
    log, _ = ingested
    streams = set(log.summary().get_column("stream").to_list())
    assert {"^RUT@alitalbi", "^RUT@heliar", "^RUT@shresth", "^RUT@chatterjee"} <= streams
    # vintages are one feed: the same facts re-recorded at each release
    assert {"FRED:DFEDTARU@fred", "FF3:SMB:M@french", "FF3:SMB:A@french"} <= streams
    assert not any("vintage" in s for s in streams)
    assert not any("clean" in s for s in streams)


@needs_data
def test_bars_close_at_the_xnys_close_early_closes_included(ingested) -> None:
    log, _ = ingested
    view = (
        log.events()
        .filter(pl.col("stream") == "^RUT@heliar")
        .filter(
            pl.col("session").is_in(
                [dt.date(2025, 11, 28), dt.date(2025, 7, 1), dt.date(2025, 1, 3)]
            )
        )
    )
    ends = dict(zip(view.get_column("session"), view.get_column("valid_at"), strict=True))
    assert ends[dt.date(2025, 11, 28)] == dt.datetime(2025, 11, 28, 18, tzinfo=dt.UTC)
    assert ends[dt.date(2025, 7, 1)] == dt.datetime(2025, 7, 1, 20, tzinfo=dt.UTC)
    assert ends[dt.date(2025, 1, 3)] == dt.datetime(2025, 1, 3, 21, tzinfo=dt.UTC)


@needs_data
def test_as_of_read_sees_the_fed_cut_only_once_public(ingested) -> None:
    log, _ = ingested
    from analysis.tape import Tape

    tape = Tape(log)

    def seen(known_at: dt.datetime) -> pl.DataFrame:
        obs = tape.observations(known_at, series=["FRED:DFEDTARU"], source="fred")
        return tape.run(obs).sort("valid_at")

    assert seen(dt.datetime(2024, 9, 19, 3, 59, tzinfo=dt.UTC))["value"][-1] == 5.5
    assert seen(dt.datetime(2024, 9, 19, 4, 0, tzinfo=dt.UTC))["value"][-1] == 5.0


@needs_data
def test_rut_2025_09_08_close_disagreement_is_found(ingested) -> None:
    log, _ = ingested
    diffs = compare_sources(log, "^RUT", fields=["close"])
    hit = diffs.filter(pl.col("session") == "2025-09-08")
    assert set(hit.get_column("feed_a")) == {"alitalbi"}
    assert set(hit.get_column("feed_b")) == {"chatterjee", "heliar", "shresth"}
    assert hit.get_column("value_a")[0] == pytest.approx(2393.69, abs=0.005)
    assert hit.get_column("value_b").to_list() == pytest.approx([2394.89] * 3, abs=0.005)
    # the other closes of the four downloads agree
    assert diffs.height == 3


@needs_data
def test_intraday_last_rows_show_up_as_adjusted_return_disagreements(ingested) -> None:
    log, _ = ingested
    diffs = compare_sources(log, "IWM")
    assert diffs.filter(pl.col("measure") == "return").get_column("session").to_list() == [
        "2025-09-26"
    ]
    overview = feeds_overview(log, "IWM")
    assert overview.filter(pl.col("adjusted")).get_column("feed").to_list() == ["guydekowski"]


@needs_data
def test_french_vintages_are_versions_of_one_fact(ingested) -> None:
    log, _ = ingested
    july = log.history("FF3:MKT-RF:M@french", "1926-07")
    assert july.get_column("value").to_list() == [2.96, 2.89]  # 202412, then 202511
    assert july.get_column("recorded_at").to_list() == [
        dt.datetime(2025, 3, 1, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC),
    ]


@needs_data
def test_catalog_lists_every_file_that_exists() -> None:
    for source in load_catalog().sources():
        assert (DATA / source.file).is_file(), source.file


def test_catalog_accessors() -> None:
    assert preferred_feeds("^RUT") == ["heliar", "alitalbi"]
    assert preferred_feeds("IWN", adjusted=True) == ["dsturdy", "chenc319"]
    assert preferred_feeds("FLS") == []
    assert preferred_feeds("FF3:SMB:M") == ["french"]
    assert preferred_feeds("NOPE") == []
    assert proxy_for("^RUJ") == "IWN"
    assert proxy_for("^RUT") is None
    iwn = entry("IWN")
    assert iwn is not None and iwn.proxy_of == "^RUJ" and iwn.kind == "etf"
    assert iwn.currency == "USD" and iwn.adjusted is None  # mixed raw and adjusted sources
    assert is_adjusted("IWM", "guydekowski") is True
    assert is_adjusted("IWM", "chenc319") is False
    assert entry("FRED:DFF").publication == "next-morning"  # type: ignore[union-attr]


def test_catalog_refuses_a_preferred_feed_without_a_source() -> None:
    from store.reference.catalog import CatalogError

    text = """
[[series]]
id = "X"
kind = "stock"
preferred = ["ghost"]
"""
    with pytest.raises(CatalogError, match="ghost"):
        parse_catalog(text)


def test_calendar_early_close_and_daylight_saving() -> None:
    assert session_bounds(dt.date(2025, 11, 28)) == (
        dt.datetime(2025, 11, 28, 14, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 11, 28, 18, 0, tzinfo=dt.UTC),
    )
    assert session_bounds(dt.date(2025, 1, 2))[1] == dt.datetime(2025, 1, 2, 21, tzinfo=dt.UTC)
    assert session_bounds(dt.date(2025, 7, 2))[1] == dt.datetime(2025, 7, 2, 20, tzinfo=dt.UTC)
    assert session_bounds(dt.date(2025, 12, 25)) is None
    assert session_bounds(dt.date(1930, 1, 2)) is not None  # the calendar reaches back


def test_non_sessions_are_kept_and_missing_sessions_counted() -> None:
    rows = pl.DataFrame(
        {
            "session": [dt.date(1950, 6, 2), dt.date(1950, 6, 3), dt.date(1950, 6, 7)],
            "close": [1.0, 1.0, 1.0],
        }
    )
    stamped, warnings = stamp_sessions(rows)
    assert stamped.height == 3
    saturday = stamped.filter(pl.col("session") == dt.date(1950, 6, 3))
    # fallback 16:00 New York (EDT in June)
    assert saturday.get_column("bar_end")[0] == dt.datetime(1950, 6, 3, 20, tzinfo=dt.UTC)
    found = {w.code: w for w in warnings}
    assert found["non-session"].count == 1
    assert found["missing-sessions"].count == 2
    assert found["missing-sessions"].examples == ("1950-06-05", "1950-06-06")


def test_event_types_of_the_whole_log(ingested) -> None:
    log, _ = ingested
    types = set(log.summary().get_column("event_type").to_list())
    assert types == {EventType.PRICE_BAR.value, EventType.OBSERVATION.value}


def test_ingest_catalog_reports_missing_data_folder(tmp_path: Path) -> None:
    from store.errors import TapecheckError

    log = EventLog.open(tmp_path / "store", create=True)
    with pytest.raises(TapecheckError, match="TAPECHECK_DATA"):
        ingest_catalog(log, tmp_path / "nowhere")


@needs_data
def test_sources_command_lists_feeds_and_the_rut_disagreement(ingested, capsys) -> None:
    from analysis.cli import main

    log, _ = ingested
    with pytest.raises(SystemExit) as info:
        main(["sources", "^RUT", "--field", "close", "--store", str(log.root)])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for feed in ("alitalbi", "heliar", "shresth", "chatterjee"):
        assert feed in out
    assert "2025-09-08" in out and "2393.69" in out and "2394.89" in out
    assert "3 disagreement(s)" in out
