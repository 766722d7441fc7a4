"""Typed dispatch: one evaluator per IR class, kind-checked unions, declared subjects and
horizons, and a statement about the session in progress judged exactly on its ranges."""

from __future__ import annotations

import datetime as dt
import typing

import pytest

import analysis.claims.engine  # noqa: F401  (registers every evaluator)
from analysis.claims import model as m
from analysis.claims.dispatch import EVALUATORS, evaluate, evaluator_for
from analysis.claims.engine import judge_live
from analysis.claims.loader import load_article
from analysis.claims.verdict import Component, Live, Verdict
from analysis.claims.wording import INF, Interval
from store import BadInput


def test_every_ir_class_has_exactly_one_evaluator():
    published = set(typing.get_args(m.PublishedCheck))
    scored = set(typing.get_args(m.ScoredCheck))
    assert published == set(m.PUBLISHED_CHECKS) and scored == set(m.SCORED_CHECKS)
    assert not published & scored
    assert set(EVALUATORS) == published | scored
    # one evaluator each, and no two classes share a function
    assert len({id(f) for f in EVALUATORS.values()}) == len(EVALUATORS)


def test_a_class_without_an_evaluator_fails_loudly():
    class Orphan(m._OneSymbol):
        predicate: typing.Literal["orphan"]

    with pytest.raises(NotImplementedError, match="Orphan"):
        evaluator_for(Orphan)
    with pytest.raises(NotImplementedError, match="Orphan"):
        evaluate(Orphan(predicate="orphan", symbol="^X"), None)  # type: ignore[arg-type]


EXAMPLES: dict[type, dict[str, object]] = {
    m.PeriodReturn: {"symbol": "^A", "window": "ytd", "value": 0.1},
    m.RelativeReturn: {"a": "^A", "b": "^B", "window": "ytd"},
    m.ReturnRatio: {"a": "^A", "b": "^B", "window": "session"},
    m.RecordCount: {"symbol": "^A", "value": 3},
    m.AllTimeHigh: {"symbol": "^A"},
    m.FirstAbove: {"symbol": "^A", "value": 2500},
    m.RecordBroken: {"symbol": "^A", "prior_month": "2021-11"},
    m.MovingAverageCross: {"symbol": "^A", "month": "2025-09"},
    m.LevelOrigin: {"symbol": "^A", "month": "2021-11", "value": 2460},
    m.TargetVsLevel: {"symbol": "^A", "target": 2665},
    m.RateCycle: {"series": "FRED:X"},
    m.SectorLeaders: {"groups": {"g": ["S1", "S2"]}, "benchmark": "^A", "window": "ytd"},
    m.FactorPremium: {"series": "FF3:SMB:A", "first_year": 1927, "last_year": 2023, "value": 2},
    m.LongestUnderperformance: {"a": "^A", "b": "^B", "history": {"a": "H:A", "b": "H:B"}},
    m.SeriesChange: {"series": "FRED:X", "window": "months:3", "value": 0},
    m.SessionMove: {"symbol": "^A", "session": "Friday", "stated": "2%", "change": "fell"},
    m.CloseLevel: {"symbol": "^A", "session": "today", "stated": "2,486"},
    m.SessionRank: {"symbol": "^A", "among": "this year", "direction": "loss", "value": 1},
    m.MovingAverageState: {"symbol": "^A", "sessions": 200},
    m.FromExtreme: {"symbol": "^A", "of": "November", "change": "fell", "stated": "20%"},
    m.Streak: {"symbol": "^A", "direction": "up", "value": 3},
    m.SeriesLevel: {"series": "FRED:X", "rule": "below", "value": 0},
    m.TargetBy: {"symbol": "^A", "value": 2665, "horizon_end": "2025-12-31"},
    m.Direction: {"symbol": "^A", "horizon_end": "2025-12-31"},
    m.LevelAtHorizon: {"symbol": "^A", "value": 6600, "horizon_end": "2025-12-31"},
    m.WeeklyBreakout: {"symbol": "^A", "value": 2460, "horizon_end": "2025-12-31"},
    m.DrawdownWithin: {"symbol": "^A", "weeks": 6},
    m.Outperform: {"a": "^A", "b": "^B", "months": 12},
    m.FedCuts: {"series": "FRED:X", "months": ["2025-10", "2025-12"]},
    m.ListChange: {"adds": ["P", "F"], "removes": ["G"]},
}


@pytest.mark.parametrize("cls", sorted(EVALUATORS, key=lambda c: c.__name__))
def test_every_check_declares_its_subjects_and_scored_ones_their_horizon(cls):
    name = cls.model_fields["predicate"].annotation.__args__[0]
    check = cls.model_validate({"predicate": name, **EXAMPLES[cls]})
    subjects = check.subjects()
    assert subjects and all(isinstance(s, str) for s in subjects)
    if cls in m.SCORED_CHECKS:
        assert isinstance(check.horizon(dt.date(2025, 10, 15)), dt.date)


def test_the_list_horizon_defaults_to_twelve_months():
    check = m.ListChange(predicate="list_change", adds=["P"], removes=["G"])
    assert check.horizon(dt.date(2025, 10, 6)) == dt.date(2026, 10, 6)


SPEC = """\
id: T
source_file: 999_test.txt
title: A test article
published: {date: 2025-10-15, basis: given}
claims:
  - id: T01
    kind: as_published
    says: The S&P 500 could see a pullback
    check: {predicate: drawdown_within, symbol: ^GSPC, weeks: 6, rule: pullback}
"""


def test_a_scored_predicate_in_an_as_published_claim_is_refused_at_load(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(SPEC)
    with pytest.raises(BadInput) as err:
        load_article(path)
    text = str(err.value)
    assert "t.yaml" in text and "line 9" in text and "claims.0.check" in text
    assert "scored after publication" in text


def test_an_as_published_predicate_in_a_forecast_is_refused_at_load(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        SPEC.replace("kind: as_published", "kind: forecast").replace(
            "{predicate: drawdown_within, symbol: ^GSPC, weeks: 6, rule: pullback}",
            "{predicate: period_return, symbol: ^GSPC, window: ytd, value: 0.1}",
        )
    )
    with pytest.raises(BadInput, match="checked as published"):
        load_article(path)


# -- the session in progress, judged exactly ------------------------------------------------------


def live_return(low: float, high: float, close: float, accepts: Interval) -> Live:
    base = 100.0
    return Live.single("^A return", "^A", lambda p: p / base - 1, (low, high, close), accepts)


def test_supported_at_the_close():
    verdict, measured = judge_live(live_return(99, 102, 101, Interval(0.005, 0.015)))
    assert verdict == Verdict.SUPPORTED and measured["at_close"] == pytest.approx(0.01)


def test_consistent_when_the_accepted_values_lie_inside_the_range_not_at_its_ends():
    # the range -1% .. +3% holds the accepted 0.75% .. 0.85% strictly inside: no end
    # of the range is accepted, yet the statement held at some moment of the session
    verdict, measured = judge_live(live_return(99, 103, 102, Interval(0.0075, 0.0085)))
    assert verdict == Verdict.CONSISTENT_INTRADAY
    assert measured["components"]["^A return"]["low"] == pytest.approx(-0.01)
    assert measured["components"]["^A return"]["high"] == pytest.approx(0.03)


def test_refuted_when_the_range_never_reached_the_claim():
    verdict, _ = judge_live(live_return(99, 100.5, 100, Interval(0.0075, 0.0085)))
    assert verdict == Verdict.REFUTED


def test_a_statement_about_the_high_is_judged_on_the_high():
    live = Live.single(
        "^A high",
        "^A",
        lambda p: p,
        (2481.0, 2501.92, 2486.35),
        Interval(2500.0, INF, lo_open=True),
        judged_on="high",
    )
    verdict, measured = judge_live(live)
    assert verdict == Verdict.SUPPORTED and measured["at_high"] == 2501.92


def test_each_stated_component_is_judged_on_its_own_range():
    # "ahead 0.8%, twice the gain": A's return must reach 0.8% and B's about 0.4% somewhere;
    # a ratio sampled over both ranges would take any value once B's range crosses zero
    a = Component.of("a", "^A", lambda p: p / 100 - 1, Interval(0.0075, 0.0085))
    b = Component.of("b", "^B", lambda p: p / 100 - 1, Interval(0.003, 0.0057))
    ranges = {"^A": (99.0, 101.0, 100.3), "^B": (99.5, 100.2, 100.4)}  # B never reached 0.3%
    live = Live(
        lambda p: (p["^A"] / 100 - 1) / (p["^B"] / 100 - 1), ranges, Interval(1.5, 2.5), (a, b)
    )
    verdict, measured = judge_live(live)
    assert verdict == Verdict.REFUTED
    assert measured["components"]["b"]["high"] == pytest.approx(0.002)
    reached = {**ranges, "^B": (99.5, 100.45, 100.4)}
    assert judge_live(Live(live.value_at, reached, live.accepts, (a, b)))[0] == (
        Verdict.CONSISTENT_INTRADAY
    )
