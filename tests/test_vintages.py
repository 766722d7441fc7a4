"""Vintages recorded at their release: the revisions the log holds are exactly the differences
between the two vintages' raw files (read here with pandas, never with tapecheck), a tape cut
before a release reads the older vintage, and the release instants follow the catalog's rule."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pytest

from analysis.tape import Tape
from analysis.vintages import revisions, vintage_read
from store.errors import BadInput
from store.log import EventLog
from store.reference.catalog import CatalogError, load_catalog, parse_catalog
from store.reference.clock import FAR_FUTURE

NY = ZoneInfo("America/New_York")
FF3_OLD = "factors/F-F_Research_Data_Factors_vintage202412.CSV"
FF3_NEW = "factors/F-F_Research_Data_Factors_monthly_vintage202511.csv"
ME_OLD = "factors/Portfolios_Formed_on_ME_vintage202412.CSV"
ME_NEW = "factors/Portfolios_Formed_on_ME_VWmonthly_vintage202511.csv"
FF3_CODES = ["MKT-RF", "SMB", "HML", "RF"]
# the size portfolios by position: <= 0, Lo 30, Med 40, Hi 30, quintiles, deciles
ME_CODES = ["LE0", "LO30", "MED40", "HI30"] + [f"QNT{i}" for i in range(1, 6)]
ME_CODES += [f"DEC{i}" for i in range(1, 11)]


# -- the oracle: the raw files, read as plain CSV blocks -----------------------------------------


def first_block(path: Path) -> pd.DataFrame:
    """The file's first block (header line to the first blank line), as strings."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(","))
    end = next((j for j in range(start, len(lines)) if not lines[j].strip()), len(lines))
    frame = pd.read_csv(io.StringIO("\n".join(lines[start:end])), dtype=str)
    frame = frame.rename(columns={frame.columns[0]: "key"})
    frame["key"] = frame["key"].str.strip()
    return frame[frame["key"].str.fullmatch(r"\d{6}")]


def monthly(path: Path, family: str, codes: list[str]) -> pd.DataFrame:
    """Long form: series (``FF3:SMB:M``, ``FFME:VW:DEC1:M``), period (YYYY-MM), value."""
    block = first_block(path)
    block.columns = ["key", *codes]
    long = block.melt(id_vars="key", var_name="code", value_name="value")
    long["value"] = long["value"].astype(float)
    long = long[~long["value"].isin([-99.99, -999.0])]
    long["series"] = family + ":" + long["code"] + ":M"
    long["period"] = long["key"].str[:4] + "-" + long["key"].str[4:]
    return long[["series", "period", "value"]]


def differences(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    both = old.merge(new, on=["series", "period"], suffixes=("_old", "_new"))
    return both[both["value_old"] != both["value_new"]]


@pytest.fixture(scope="module")
def ff3_diff(data_dir: Path) -> pd.DataFrame:
    return differences(
        monthly(data_dir / FF3_OLD, "FF3", FF3_CODES), monthly(data_dir / FF3_NEW, "FF3", FF3_CODES)
    )


@pytest.fixture(scope="module")
def me_diff(data_dir: Path) -> pd.DataFrame:
    # the 202412 file's first block is the value-weight monthly returns
    return differences(
        monthly(data_dir / ME_OLD, "FFME:VW", ME_CODES),
        monthly(data_dir / ME_NEW, "FFME:VW", ME_CODES),
    )


def as_set(frame: pd.DataFrame) -> set[tuple[str, str, float, float]]:
    return set(
        zip(frame["series"], frame["period"], frame["value_old"], frame["value_new"], strict=True)
    )


# -- revisions -----------------------------------------------------------------------------------


def test_factor_revisions_are_the_differences_between_the_two_files(real_log, ff3_diff):
    got = revisions(real_log, "FF3")
    assert got.height == len(ff3_diff) > 2_000
    assert {
        (r["series"], r["period"], r["before"], r["after"]) for r in got.iter_rows(named=True)
    } == as_set(ff3_diff)
    # the largest revision, by the oracle: PROVENANCE.md reports 1.59 pp (SMB/HML, 1931-10)
    oracle = (ff3_diff["value_new"] - ff3_diff["value_old"]).abs().round(10).max()
    assert got["change"].abs().max() == pytest.approx(oracle) == pytest.approx(1.59)
    assert set(got["vintage_before"]) == {"202412"} and set(got["vintage_after"]) == {"202511"}
    assert set(got["recorded_after"]) == {dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)}
    assert set(got["recorded_before"]) == {dt.datetime(2025, 3, 1, 5, tzinfo=dt.UTC)}


def test_size_portfolio_revisions_are_the_differences_between_the_two_files(real_log, me_diff):
    got = revisions(real_log, "FFME")
    assert got.height == len(me_diff) > 10_000
    assert {
        (r["series"], r["period"], r["before"], r["after"]) for r in got.iter_rows(named=True)
    } == as_set(me_diff)


def test_the_two_fred_downloads_revise_nothing_and_the_later_adds_its_new_days(real_log, data_dir):
    old = pd.read_csv(data_dir / "macro/DFEDTARU_to20251210.csv")
    new = pd.read_csv(data_dir / "macro/DFEDTARU_to20260605_DateValue.csv")
    both = old.merge(new, left_on="observation_date", right_on="Date")
    assert (both["DFEDTARU"] != both["Value"]).sum() == 0
    assert revisions(real_log, "FRED").height == 0
    later = set(new["Date"]) - set(old["observation_date"])
    # no value is revised, so every event of the stream is a fact of its own
    facts = real_log.scan().filter(pl.col("stream") == "FRED:DFEDTARU@fred").collect()
    june = facts.filter(pl.col("recorded_at") == dt.datetime(2026, 6, 5, 4, tzinfo=dt.UTC))
    assert set(june["period"]) == later and len(later) == 177
    assert facts.height == len(set(new["Date"]) | set(old["observation_date"]))


# -- the tape across a release ----------------------------------------------------------------


def test_a_tape_recorded_before_the_later_release_reads_the_older_vintage(
    real_log, data_dir, ff3_diff
):
    tape = Tape(real_log)
    old = monthly(data_dir / FF3_OLD, "FF3", FF3_CODES).query("series == 'FF3:SMB:M'")
    new = monthly(data_dir / FF3_NEW, "FF3", FF3_CODES).query("series == 'FF3:SMB:M'")
    before_release = dt.datetime(2025, 12, 31, tzinfo=dt.UTC)
    then = tape.run(tape.observations(FAR_FUTURE, before_release, series=["FF3:SMB:M"]))
    now = tape.run(tape.observations(FAR_FUTURE, series=["FF3:SMB:M"]))
    assert dict(zip(then["period"], then["value"], strict=True)) == dict(
        zip(old["period"], old["value"], strict=True)
    )
    assert dict(zip(now["period"], now["value"], strict=True)) == dict(
        zip(new["period"], new["value"], strict=True)
    )
    # nothing of the 202412 vintage can be read before its release
    early = dt.datetime(2025, 2, 28, tzinfo=dt.UTC)
    assert tape.observations(FAR_FUTURE, early, series=["FF3:SMB:M"]).count().execute() == 0


def test_vintage_read_says_which_release_a_check_read_and_if_after_the_cut(
    real_log, data_dir, ff3_diff
):
    tape = Tape(real_log)
    # B09 reads annual SMB 1927..2023 at article B's publication (July 2024): only the 202412
    # vintage has annual rows, and it was released in 2025
    cut = dt.datetime(2024, 7, 12, 20, tzinfo=dt.UTC)
    annual = tape.run(tape.observations(cut, series=["FF3:SMB:A"]))
    read = vintage_read(annual, cut)
    assert read.recorded_after_cut and read.released_after_cut
    assert read.vintages["vintage"].to_list() == ["202412"]
    assert read.vintages["observations"].to_list() == [97]  # 1927..2023
    assert "FF3:SMB:A vintage 202412" in read.summary() and "after the cut" in read.summary()
    # read now, monthly SMB comes from both vintages: the newer one for what it revised or
    # added, the older one for values it left unchanged
    monthly_now = tape.run(tape.observations(FAR_FUTURE, series=["FF3:SMB:M"]))
    later = vintage_read(monthly_now, dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    counts = dict(zip(later.vintages["vintage"], later.vintages["observations"], strict=True))
    new = monthly(data_dir / FF3_NEW, "FF3", FF3_CODES).query("series == 'FF3:SMB:M'")
    old = monthly(data_dir / FF3_OLD, "FF3", FF3_CODES).query("series == 'FF3:SMB:M'")
    revised = (ff3_diff["series"] == "FF3:SMB:M").sum()
    added = len(set(new["period"]) - set(old["period"]))
    assert counts == {"202511": revised + added, "202412": len(new) - revised - added}
    assert not later.recorded_after_cut
    assert later.evidence()[0]["released"] == "2026-01-01T05:00:00Z"


def test_b09_verdict_names_the_vintage_it_read_released_after_the_article(verified, data_dir):
    claims, articles = verified
    b09 = claims["B09"]
    published = articles["B"].known_at
    # oracle: the only raw file with annual SMB rows, and when its newest value was public
    annual_files = [
        p
        for p in sorted((data_dir / "factors").glob("F-F_Research_Data_Factors*"))
        if any(
            line.split(",")[0].strip().isdigit() and len(line.split(",")[0].strip()) == 4
            for line in p.read_text().splitlines()
        )
    ]
    assert [p.name for p in annual_files] == [Path(FF3_OLD).name]
    released = newest_public(annual_files[0])
    assert released > published  # the file was released after the article
    [read] = b09.vintages
    assert read["vintage"] == "202412" and read["series"] == "FF3:SMB:A"
    assert read["released"] == released.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert read["after_cut"] is True
    assert b09.note is not None and "checkable only on data recorded after the article" in b09.note
    assert "vintage 202412" in b09.to_json()["note"]
    # a check read only from prices names no vintage
    assert claims["B01"].vintages == [] and claims["B01"].note is None


# -- the catalog's release instants -------------------------------------------------------------


def newest_public(path: Path) -> dt.datetime:
    """When the newest value of a French file is public: month M on the 1st of M+2, year Y on
    March 1 of Y+1 (00:00 New York), computed from the file's keys."""
    keys = [
        line.split(",")[0].strip()
        for line in path.read_text().splitlines()
        if line.split(",")[0].strip().isdigit()
    ]
    months = [k for k in keys if len(k) == 6]
    years = [k for k in keys if len(k) == 4]
    last = max(months)
    y, m = int(last[:4]), int(last[4:]) + 2
    candidates = [dt.datetime(y + (m - 1) // 12, (m - 1) % 12 + 1, 1, tzinfo=NY)]
    if years:
        candidates.append(dt.datetime(int(max(years)) + 1, 3, 1, tzinfo=NY))
    return max(candidates).astimezone(dt.UTC)


def test_each_vintage_is_released_when_its_newest_value_is_public(data_dir):
    cat = load_catalog()
    seen = 0
    for source in cat.sources():
        if source.released is None:
            continue
        seen += 1
        path = data_dir / source.file
        if source.series.startswith("FRED:"):
            last = pd.read_csv(path).iloc[-1, 0]
            want = dt.datetime.fromisoformat(last).replace(tzinfo=NY).astimezone(dt.UTC)
        else:
            want = newest_public(path)
        assert source.released == want, source.file
    assert seen == 8  # FF3, FFME, DFEDTARU, DFEDTARL: two vintages each


# -- ingest order, idempotency and refusals ---------------------------------------------------


def test_vintages_ingested_newest_first_still_read_newest_and_rerun_adds_nothing(
    tmp_path, data_dir
):
    from store.ingest.run import ingest_file

    log = EventLog.open(tmp_path / "store", create=True)
    ingest_file(log, data_dir / FF3_NEW, "FF3")
    ingest_file(log, data_dir / FF3_OLD, "FF3")
    version = log.version()
    assert ingest_file(log, data_dir / FF3_OLD, "FF3").added == 0
    assert log.version() == version
    new = monthly(data_dir / FF3_NEW, "FF3", FF3_CODES)
    tape = Tape(log)
    now = tape.run(tape.observations(FAR_FUTURE, series=["FF3:HML:M"]))
    want = new.query("series == 'FF3:HML:M'")
    assert dict(zip(now["period"], now["value"], strict=True)) == dict(
        zip(want["period"], want["value"], strict=True)
    )


CATALOG = """
[[series]]
id = "FRED:DFEDTARU"
kind = "macro"
unit = "percent"
publication = "fomc-target"
preferred = ["fred"]

[[series.sources]]
feed = "fred"
file = "macro/DFEDTARU_to20251210.csv"
adapter = "fred"
vintage = "2025-12-10"
released = {old}

[[series.sources]]
feed = "fred"
file = "macro/DFEDTARU_to20260605_DateValue.csv"
adapter = "fred-datevalue"
vintage = "2026-06-05"
released = {new}
"""


def test_a_vintage_released_before_its_newest_value_is_refused_whole(tmp_path, data_dir):
    from store.ingest.run import ingest_catalog

    cat = parse_catalog(
        CATALOG.format(old="2025-12-09T00:00:00-05:00", new="2026-06-05T00:00:00-04:00")
    )
    log = EventLog.open(tmp_path / "store", create=True)
    with pytest.raises(BadInput) as info:
        ingest_catalog(log, data_dir, catalog=cat)
    message = str(info.value)
    assert message.startswith("macro/DFEDTARU_to20251210.csv, line 6205, field 'released'")
    assert "vintage 2025-12-10" in message
    assert log.scan().collect().height == 0


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("2025-12-10T00:00:00", "2026-06-05T00:00:00-04:00", "UTC offset"),
        ("2026-06-06T00:00:00-04:00", "2026-06-05T00:00:00-04:00", "oldest first"),
    ],
)
def test_catalog_refuses_undated_or_unordered_vintages(old, new, match):
    with pytest.raises(CatalogError, match=match):
        parse_catalog(CATALOG.format(old=old, new=new))


def test_catalog_refuses_two_sources_of_one_feed_without_vintages():
    text = CATALOG.format(old="2025-12-10T00:00:00-05:00", new="2026-06-05T00:00:00-04:00")
    text = text.replace('vintage = "2025-12-10"\nreleased = 2025-12-10T00:00:00-05:00\n', "")
    with pytest.raises(CatalogError, match="is a vintage"):
        parse_catalog(text)


# -- the time machine and the revisions view ----------------------------------------------------


def test_time_machine_shows_which_values_changed_when_and_by_how_much(real_log, ff3_diff):
    from analysis.notebook import Workbench

    bench = Workbench(real_log)
    before_release = dt.datetime(2025, 12, 31, tzinfo=dt.UTC)
    machine = bench.time_machine("FF3:SMB:M", FAR_FUTURE, before_release)
    changes = machine.changes
    revised = changes.filter(pl.col("status") == "revised")
    want = ff3_diff[ff3_diff["series"] == "FF3:SMB:M"]
    assert set(zip(revised["period"], revised["value_then"], revised["value"], strict=True)) == set(
        zip(want["period"], want["value_old"], want["value_new"], strict=True)
    )
    assert set(revised["recorded_at"]) == {dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)}
    assert set(revised["recorded_then"]) == {dt.datetime(2025, 3, 1, 5, tzinfo=dt.UTC)}
    got = dict(zip(revised["period"], revised["change"], strict=True))
    for period, old, new in zip(want["period"], want["value_old"], want["value_new"], strict=True):
        assert got[period] == pytest.approx(new - old)
    # the 2025 months exist only in the later vintage: valid before the cut, recorded after
    later = changes.filter(pl.col("status") == "recorded later")["period"].to_list()
    assert later == [f"2025-{m:02d}" for m in range(1, 12)]
    revisions_view = bench.revisions("FF3")
    assert f"{len(ff3_diff):,} values of FF3 revised" in revisions_view.summary()
    assert "1931-10" in revisions_view.summary()  # the largest revision (1.59 pp)
