"""The claim language on the real data: new predicates, windows and time references against
independent pandas computations on the raw files, on real sessions around holidays and an early
close, and windows with no session at the cut."""

from __future__ import annotations

import oracles
import pandas as pd
import pytest

from analysis.claims.engine import evaluate_article
from analysis.claims.model import ArticleSpec
from analysis.tape import Tape


def article(published: str, time: str, checks: dict[str, dict]) -> ArticleSpec:
    claims = [
        {"id": cid, "kind": "as_published", "says": cid, "check": check}
        for cid, check in checks.items()
    ]
    return ArticleSpec.model_validate(
        {
            "id": "T",
            "source_file": "none.txt",
            "title": "t",
            "published": {"date": published, "basis": "given", "time": time},
            "claims": claims,
        }
    )


def run(real_log, spec: ArticleSpec) -> dict:
    result = evaluate_article(spec, Tape(real_log, cache=True), cross_source=False)
    return {c.id: c for c in result.claims}


@pytest.fixture(scope="module")
def rut(data_dir):
    return oracles.rut(data_dir)


@pytest.fixture(scope="module")
def gspc(data_dir):
    return oracles.gspc(data_dir)


def test_friday_before_a_holiday_and_monday_after_one(real_log, rut):
    # Monday 2025-07-07: "Friday" is June 27 (July 4 was a holiday); Tuesday 2025-09-02:
    # "Monday" is Aug 25 (Labor Day), "previous" is Friday Aug 29
    a = run(
        real_log,
        article(
            "2025-07-07",
            "16:30",
            {
                "T01": dict(
                    predicate="session_move",
                    symbol="^RUT",
                    session="Friday",
                    rule="roughly",
                    stated="1%",
                ),
            },
        ),
    )
    friday = rut.close.loc["2025-06-27"] / rut.close.loc["2025-06-26"] - 1
    assert a["T01"].measured["session"] == "2025-06-27"
    assert a["T01"].measured["move"] == pytest.approx(friday)
    b = run(
        real_log,
        article(
            "2025-09-02",
            "10:00",
            {
                "T02": dict(
                    predicate="session_move",
                    symbol="^RUT",
                    session="Monday",
                    change="fell",
                    rule="about",
                    stated="1%",
                ),
                "T03": dict(
                    predicate="session_move",
                    symbol="^RUT",
                    session="previous",
                    rule="about",
                    stated="1%",
                ),
            },
        ),
    )
    monday = rut.close.loc["2025-08-25"] / rut.close.loc["2025-08-22"] - 1
    assert b["T02"].measured["session"] == "2025-08-25"
    assert b["T02"].measured["move"] == pytest.approx(monday)
    # "fell about 1%": the fall's size is judged, within one unit (0 to 2%)
    assert b["T02"].verdict == ("supported" if 0.0 <= -monday <= 0.02 else "refuted")
    previous = rut.close.loc["2025-08-29"] / rut.close.loc["2025-08-28"] - 1
    assert b["T03"].measured["session"] == "2025-08-29"
    assert b["T03"].measured["move"] == pytest.approx(previous)


def test_an_early_close_during_and_after_the_session(real_log, rut):
    # the day after Thanksgiving closes at 13:00 New York
    level = float(rut.close.loc["2025-11-28"])
    check = dict(predicate="close_level", symbol="^RUT", session="today", rule="at_least", value=1)
    during = run(real_log, article("2025-11-28", "12:30", {"T01": check}))["T01"]
    after = run(real_log, article("2025-11-28", "13:30", {"T01": check}))["T01"]
    assert during.session_in_progress and during.measured["at_close"] == pytest.approx(level)
    assert not after.session_in_progress and after.measured["close"] == pytest.approx(level)


def test_the_worst_day_of_the_year(real_log, gspc):
    checks = {
        "T01": dict(
            predicate="session_rank",
            symbol="^GSPC",
            session="today",
            among="this year",
            direction="loss",
            value=1,
        ),
        "T02": dict(
            predicate="session_rank",
            symbol="^GSPC",
            session="Thursday",
            among="this year",
            direction="loss",
            value=1,
        ),
    }
    got = run(real_log, article("2025-04-04", "16:30", checks))
    moves = gspc.close.pct_change().loc["2025-01-02":"2025-04-04"]
    ranks = moves.rank(method="min").astype(int)  # 1 = the biggest loss
    assert got["T01"].measured["rank"] == ranks.loc["2025-04-04"]
    assert got["T01"].measured["moves_in_window"] == len(moves)
    assert got["T01"].verdict == ("supported" if ranks.loc["2025-04-04"] == 1 else "refuted")
    assert got["T02"].measured["rank"] == ranks.loc["2025-04-03"]


def test_above_the_200_day_average_and_distance_from_the_record(real_log, rut):
    checks = {
        "T01": dict(
            predicate="ma_state", symbol="^RUT", session="previous", sessions=200, side="above"
        ),
        "T02": dict(
            predicate="from_extreme",
            symbol="^RUT",
            extreme="peak",
            session="previous",
            change="fell",
            rule="roughly",
            stated="25%",
        ),
        "T03": dict(
            predicate="from_extreme",
            symbol="^RUT",
            extreme="peak",
            of="November",
            session="previous",
            rule="about",
            stated="-25%",
        ),
    }
    got = run(real_log, article("2025-04-08", "16:30", checks))
    closes = rut.close.loc[:"2025-04-08"]
    sma = closes.rolling(200).mean().iloc[-1]
    assert got["T01"].measured["average"] == pytest.approx(sma)
    assert got["T01"].verdict == ("supported" if closes.iloc[-1] > sma else "refuted")
    record = closes.max()
    assert got["T02"].measured["peak"] == pytest.approx(record)
    assert got["T02"].measured["move"] == pytest.approx(closes.iloc[-1] / record - 1)
    november = closes.loc["2024-11-01":"2024-11-30"].max()
    assert got["T03"].measured["peak"] == pytest.approx(november)


def test_straight_gains_and_the_curve(real_log, gspc, data_dir):
    got = run(
        real_log,
        article(
            "2025-05-02",
            "16:30",
            {
                "T01": dict(
                    predicate="streak", symbol="^GSPC", session="today", direction="up", value=9
                ),
                "T02": dict(
                    predicate="series_level",
                    series="FRED:T10Y2Y",
                    session="previous",
                    rule="above",
                    value=0,
                ),
            },
        ),
    )
    moves = gspc.close.loc[:"2025-05-02"].diff().dropna()
    run_length = 0
    for move in reversed(moves.to_list()):
        if move <= 0:
            break
        run_length += 1
    assert got["T01"].measured["length"] == run_length
    assert got["T01"].verdict == ("supported" if run_length == 9 else "refuted")
    curve = pd.read_csv(data_dir / "macro/T10Y2Y.csv", na_values=".")
    curve.columns = ["date", "value"]
    curve = curve.dropna()
    # FRED publishes the day's spread in the evening: at 16:30 the last value known is the
    # previous day's
    last = curve[curve.date < "2025-05-02"].iloc[-1]
    assert got["T02"].measured["value"] == pytest.approx(float(last.value))


def test_windows_in_the_articles_words(real_log, rut):
    got = run(
        real_log,
        article(
            "2025-12-01",
            "16:30",
            {
                "T01": dict(
                    predicate="period_return",
                    symbol="^RUT",
                    window="last week",
                    rule="roughly",
                    stated="5%",
                ),
                "T02": dict(
                    predicate="period_return",
                    symbol="^RUT",
                    window="last month",
                    change="fell",
                    rule="roughly",
                    stated="1%",
                ),
                "T03": dict(
                    predicate="period_return",
                    symbol="^RUT",
                    window="since its October peak",
                    rule="roughly",
                    stated="-2%",
                ),
                "T04": dict(
                    predicate="record_count",
                    symbol="^RUT",
                    window="in 2024",
                    rule="at_least",
                    value=1,
                ),
            },
        ),
    )
    week = rut.close.loc["2025-11-28"] / rut.close.loc["2025-11-21"] - 1
    assert got["T01"].measured["return"] == pytest.approx(week)
    november = rut.close.loc["2025-11-28"] / rut.close.loc["2025-10-31"] - 1
    assert got["T02"].measured["return"] == pytest.approx(november)
    october = rut.close.loc["2025-10-01":"2025-10-31"]
    assert got["T03"].measured["base_close"] == pytest.approx(october.max())
    closes = rut.close.loc[:"2024-12-31"]
    records = closes[closes > closes.cummax().shift()]
    assert got["T04"].measured["records_this_year"] == int((records.index.year == 2024).sum())


def test_a_window_with_no_session_is_not_enough_data_never_zero(real_log):
    got = run(
        real_log,
        article(
            "2025-09-02",
            "08:00",
            {
                "T01": dict(
                    predicate="period_return",
                    symbol="^RUT",
                    window="today",
                    rule="about",
                    value=0.0,
                ),
            },
        ),
    )
    assert got["T01"].verdict == "not_enough_data"
    assert "no session" in got["T01"].summary
    new_year = run(
        real_log,
        article(
            "2025-01-02",
            "08:00",
            {
                "T01": dict(
                    predicate="period_return",
                    symbol="^RUT",
                    window="this year",
                    rule="about",
                    value=0.0,
                ),
            },
        ),
    )
    assert new_year["T01"].verdict == "not_enough_data"


def test_a_window_from_a_peak_starts_at_the_subjects_peak(real_log, rut, gspc):
    """ "The Russell 2000 has lagged the S&P 500 since its October peak": both returns run
    from the session of the Russell's own October high close, whichever symbol sorts first."""
    got = run(
        real_log,
        article(
            "2025-12-01",
            "16:30",
            {
                "T01": dict(
                    predicate="relative_return",
                    a="^RUT",
                    b="^GSPC",
                    window="since its October peak",
                    rule="below",
                    value=0,
                ),
            },
        ),
    )
    peak_day = rut.close.loc["2025-10-01":"2025-10-31"].idxmax()
    measured = got["T01"].measured
    assert measured["^RUT base_session"] == str(peak_day.date())
    assert measured["^GSPC base_session"] == str(peak_day.date())
    assert measured["^GSPC base_close"] == pytest.approx(gspc.close.loc[peak_day])
