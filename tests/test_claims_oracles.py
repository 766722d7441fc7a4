"""Every checkable claim against an oracle computed from the raw CSV files.

Each test recomputes a claim's decisive figures with pandas from the files in TAPECHECK_DATA
(:mod:`claim_oracles`, on the readers of :mod:`oracles`, the XNYS calendar from
exchange_calendars and the documented rule table), asserts the engine's ``measured`` values and
dates against them (to 1e-9 relative), and derives the verdict from the independent figure and
the interval the claim's stated figure and rule accept. Nothing here calls tapecheck to compute
an expectation: the engine's results are only ever the thing checked.

The verdicts the engine reports for the other feeds of a claim's first series
(``source_verdicts``) are checked the same way, by the oracle reading that feed alone.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import oracles as o
import pandas as pd
import pytest
from claim_oracles import BY_FEED, CUTS, NED, ORACLES, Expect, expected

if TYPE_CHECKING:
    from analysis.claims.engine import ClaimResult


def parse_changes(printed: list[str]) -> list[tuple[str, int]]:
    """The engine prints a change as ``2025-09-18 -25bp``."""
    out = []
    for text in printed:
        match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) ([-+]\d+)bp", text)
        assert match, text
        out.append((match[1], int(match[2])))
    return out


def same(got: Any, want: Any, where: str) -> None:
    """``got`` (the engine's) equals ``want`` (the oracle's): numbers to 1e-9 relative."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not a mapping"
        for key, value in want.items():
            # a label the engine words at length ("^RUT return (stated 0.8%)") is found by the
            # part of it that names the quantity
            matches = [key] if key in got else [k for k in got if isinstance(k, str) and key in k]
            assert len(matches) == 1, f"{where}: no single key {key!r} in {sorted(map(str, got))}"
            same(got[matches[0]], value, f"{where}[{key}]")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), f"{where}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, int | float), f"{where}: {got!r} is not a number"
        if math.isinf(want):
            assert got == want, f"{where}: {got} != {want}"
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"{where}: {got} != {want}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def agree(result: ClaimResult, want: Expect) -> None:
    """The engine's result for a claim agrees with the oracle: verdict, measured values and
    dates (for not_enough_data, the missing series)."""
    cid = result.id
    assert result.verdict == want.verdict, (cid, result.summary)
    if want.verdict == NED and "missing" in want.measured:
        assert result.missing == want.measured["missing"], cid
        return
    measured = dict(result.measured)
    if "changes_in_window" in want.measured:
        measured["changes_in_window"] = parse_changes(measured["changes_in_window"])
    if "cuts_after_publication" in want.measured:
        measured["cuts_after_publication"] = parse_changes(measured["cuts_after_publication"])
    same(measured, want.measured, cid)
    for name, day in want.dates.items():
        assert result.dates.get(name) == day, (cid, name)


def check(claims: dict[str, ClaimResult], data: Path, *ids: str) -> dict[str, Expect]:
    wants = {cid: expected(cid, data) for cid in ids}
    for cid, want in wants.items():
        agree(claims[cid], want)
    return wants


@pytest.fixture(scope="module")
def claims(verified):
    return verified[0]


@pytest.fixture(scope="module")
def data(data_dir):
    return data_dir


# -- the tests, one per claim or small family -----------------------------------------------------


def test_a01_c02_on_pace_for_the_third_and_fifth_record_closes(claims, data):
    wants = check(claims, data, "A01", "C02")
    # the decisive figures: the records before the session, and its close against the prior one
    assert wants["A01"].measured["records_this_year_before"] == 2
    assert (
        wants["C02"].measured["at_close"] == wants["C02"].measured["records_this_year_before"] + 1
    )


def test_b02_d02_record_closes_this_year(claims, data):
    check(claims, data, "B02", "D02")


def test_a02_topped_2500_for_the_first_time_ever(claims, data):
    want = check(claims, data, "A02")["A02"]
    assert want.measured["highest_prior_high"] <= 2500 < want.measured["at_high"]


def test_a03_c01_all_time_intraday_highs(claims, data):
    check(claims, data, "A03", "C01")


def test_d01_a_record_close_within_the_last_five_sessions(claims, data):
    check(claims, data, "D01")


def test_a04_ytd_more_than_12_percent_at_the_close_and_over_the_range(claims, data):
    want = check(claims, data, "A04")["A04"]
    # neither reading is near the edge: the verdict cannot hinge on rounding
    assert abs(want.measured["at_close"] - 0.12) > 1e-4


def test_a05_c05_d04_the_november_2021_record_close_and_the_first_close_above_it(claims, data):
    check(claims, data, "A05", "C05", "D04")


def test_a06_c14_group_median_returns_against_the_index(claims, data):
    wants = check(claims, data, "A06", "C14")
    assert wants["C14"].measured["groups_without_data"] == ["clean energy"]
    # partial evidence says so, and whether the missing group could change the verdict
    assert claims["C14"].missing[0] == "clean energy"
    assert "3 of 4 groups have data; no data for clean energy" in claims["C14"].summary
    assert "could change the verdict" in claims["C14"].summary


LEADERS_IN_SESSIONS = """\
id: L
source_file: 000_77974f9479d0f05e.txt
title: groups over a window counted in sessions
published: {date: 2025-10-06, basis: given, time: "14:00:00"}
claims:
  - {id: L01, kind: as_published, says: the groups led over the last 21 sessions,
     check: {predicate: sector_leaders, benchmark: ^RUT, window: "sessions:21",
             groups: {rare-earth miners: [MP], small nuclear: [OKLO, SMR]}}}
"""


def test_group_medians_over_a_window_counted_in_sessions(tmp_path, data):
    """The index and each member over their last 21 closed sessions at the cut (a window
    without dates: every member's trailing return, none refused for a missing span)."""
    import claim_oracles as co

    from analysis.claims.commands import run_verify
    from store import EventLog
    from store.ingest.run import ingest_catalog

    groups = {"rare-earth miners": ["MP"], "small nuclear": ["OKLO", "SMR"]}
    log = EventLog.open(tmp_path / "s", create=True)
    ingest_catalog(log, data, series=["^RUT", "MP", "OKLO", "SMR"])
    spec = tmp_path / "l.yaml"
    spec.write_text(LEADERS_IN_SESSIONS)
    (result,) = run_verify(log, [str(spec)], charts=False)[0].claims

    cut, window = co.A, "sessions:21"
    bench = co.move(cut.closed(co.bars_of(data, "^RUT")), cut, "^RUT", window, False)
    returns = {}
    for sym in ("MP", "OKLO", "SMR"):
        try:
            returns[sym] = co.move(cut.closed(o.adjusted(data, sym)), cut, sym, window, False).value
        except co.Abstain:
            continue
    medians = {g: float(pd.Series([returns[s] for s in ms]).median()) for g, ms in groups.items()}
    leading = all(v > bench.value for v in medians.values())
    assert result.verdict == ("supported" if leading else "refuted"), result.summary
    same(
        result.measured,
        {
            "benchmark_return": bench.value,
            "stock_returns": returns,
            "group_median_returns": medians,
            "base_session": co.iso(bench.base_session),
            "end_session": co.iso(bench.end_session),
        },
        "L01",
    )
    assert len(returns) == 3


def test_a07_b01_b10_d07_relative_returns(claims, data):
    check(claims, data, "A07", "B01", "B10", "D07")


def test_a08_the_63_session_return(claims, data):
    check(claims, data, "A08")


def test_a09_target_range_cuts_after_publication(claims, data):
    check(claims, data, "A09")


def test_a10_further_upside_through_year_end(claims, data):
    check(claims, data, "A10")


def test_a11_list_change_members_and_the_deal_pin(claims, data):
    want = check(claims, data, "A11")["A11"]
    assert "GTLS" in want.measured["pinned_by_a_deal"]


def test_b03_b04_b05_b07_b08_b16_period_returns(claims, data):
    check(claims, data, "B03", "B04", "B05", "B07", "B08", "B16")


def test_b06_b14_b15_name_the_missing_series(claims, data):
    check(claims, data, "B06", "B14", "B15")
    # the reasons: no WWSIX file at all; Summit Materials' only file ends before publication
    assert "WWSIX" in claims["B06"].summary
    last = o.quoted(data, "SUM").index[-1].date().isoformat()
    for cid in ("B14", "B15"):
        assert f"data end {last}" in claims[cid].summary, claims[cid].summary


def test_b09_arithmetic_and_geometric_smb(claims, data):
    check(claims, data, "B09")
    # the summary prints both means as measured (issue 10, finding 10)
    m = claims["B09"].measured
    summary = claims["B09"].summary
    assert f"arithmetic mean {m['arithmetic_mean_pct']:.2f}" in summary
    assert f"geometric mean {m['geometric_mean_pct']:.2f}" in summary


def test_b11_the_longest_stretch_below_the_relative_strength_peak(claims, data):
    check(claims, data, "B11")


def test_b12_b13_b17_c19_d08_outperformance_after_publication(claims, data):
    check(claims, data, "B12", "B13", "B17", "C19", "D08")


def test_b18_the_curve_steepened_over_three_months(claims, data):
    check(claims, data, "B18")


def test_c03_c07_d06_weekly_closes_above_the_level(claims, data):
    check(claims, data, "C03", "C07", "D06")


def test_c04_d03_when_the_run_above_the_200_session_average_began(claims, data):
    check(claims, data, "C04", "D03")


def test_c06_d05_the_fall_from_the_level_at_the_call(claims, data):
    check(claims, data, "C06", "D05")


def test_c08_the_november_2021_intraday_high(claims, data):
    check(claims, data, "C08")


def test_c09_c10_the_session_moves_of_both_indexes(claims, data):
    check(claims, data, "C09", "C10")


def test_c11_d11_cuts_in_the_twelve_months_before(claims, data):
    check(claims, data, "C11", "D11")


def test_c15_implied_upside_from_tuesdays_close(claims, data):
    check(claims, data, "C15")


def test_d09_implied_upside_from_the_last_close(claims, data):
    check(claims, data, "D09")


def test_c16_the_2665_target_touched_and_met(claims, data):
    check(claims, data, "C16")


def test_c17_d10_the_level_against_6600(claims, data):
    check(claims, data, "C17", "D10")


def test_c18_the_year_end_close_near_6600(claims, data):
    check(claims, data, "C18")


# -- coverage, sources, rules, cuts ---------------------------------------------------------------


def test_every_checkable_claim_has_an_oracle(claims, data_dir):
    text = (data_dir.parent / "CLAIMS.md").read_text()
    kinds = dict(re.findall(r"^\| ([A-D]\d{2}) \| ([PFCN])", text, flags=re.M))
    checkable = {cid for cid, kind in kinds.items() if kind != "N"}
    assert len(checkable) == 57
    assert set(ORACLES) == checkable
    assert {cid for cid, c in claims.items() if c.verdict != "not_checkable"} == checkable


@pytest.mark.parametrize("cid", sorted(BY_FEED))
def test_other_feeds_vote_as_their_oracle(claims, data, cid):
    """Each other feed of the claim's first series gets the verdict the oracle finds on that
    feed alone (``not_enough_data`` where it cannot cover the claim)."""
    result = claims[cid]
    votes = result.source_verdicts
    if result.verdict == NED:
        assert votes == {}
        return
    assert votes, f"{cid} was judged on no other feed"
    want = {feed: expected(cid, data, feed).verdict for feed in votes}
    assert votes == want
    comparable = [v for v in want.values() if v != NED]
    assert result.sources_agree == (
        all(v == result.verdict for v in comparable) if comparable else None
    )


def _printed_interval(rule_text: str) -> list[float]:
    clause = re.search(r"\(accepts ([^)]*)\)", rule_text)
    assert clause, rule_text
    scale = 0.01 if "%" in clause.group(1) else 1.0
    return [
        float(x.replace(",", "")) * scale
        for x in re.findall(r"-?[\d,]*\d(?:\.\d+)?", clause.group(1))
    ]


@pytest.mark.parametrize("cid", sorted(ORACLES))
def test_each_rule_prints_the_interval_it_accepts(claims, data, cid):
    want = expected(cid, data)
    if want.accepts is None or claims[cid].verdict == NED:
        return
    finite = [x for x in (want.accepts.lo, want.accepts.hi) if not math.isinf(x)]
    printed = _printed_interval(claims[cid].rule)
    if want.accepts.lo == want.accepts.hi:
        finite = finite[:1]
    assert printed == pytest.approx(finite, abs=5e-5 * max(1.0, *map(abs, finite))), claims[
        cid
    ].rule


def test_the_oracles_read_the_feeds_the_catalog_prefers():
    catalog = tomllib.loads(
        (Path(__file__).parents[1] / "store/reference/catalog.toml").read_text()
    )
    for series in catalog["series"]:
        name = series["id"]
        if name not in o.SOURCES:
            continue
        files = {s["feed"]: (s["file"], bool(s.get("adjusted", False))) for s in series["sources"]}
        assert files == o.SOURCES[name], name
        assert tuple(series["preferred"]) == o.PREFERRED[name], name
        assert tuple(series["preferred_adjusted"]) == o.PREFERRED_ADJUSTED[name], name


def test_articles_are_read_at_their_publication_cuts(verified):
    _, articles = verified
    for aid, cut in CUTS.items():
        assert articles[aid].known_at == cut.instant.to_pydatetime(), aid
        assert articles[aid].in_progress == cut.in_progress, aid
