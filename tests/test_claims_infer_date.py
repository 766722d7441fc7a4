"""infer-date on the real data against an oracle: the XNYS sessions of each article's window on
which all its anchor claims hold at its publication time, computed from the raw files with the
claims' oracles (:mod:`claim_oracles`), never from the engine or from the spec's own list."""

from __future__ import annotations

import datetime as dt

import oracles as o
import pytest
from claim_oracles import ANCHORS, CUTS, candidates, in_the_week_of_its_mentions

from analysis.claims.engine import infer_dates
from analysis.claims.loader import load_articles
from analysis.tape import Tape


def window(article: str) -> tuple[dt.date, dt.date]:
    (spec,) = load_articles([article])
    assert spec.published.window is not None
    start, end = (dt.date.fromisoformat(x) for x in spec.published.window.split(".."))
    return start, end


def test_the_anchors_are_the_ones_claims_md_marks(data_dir):
    import re

    text = (data_dir.parent / "CLAIMS.md").read_text()
    marked = re.findall(r"^\| ([A-D]\d{2}) \| P, anchor \|", text, flags=re.M)
    assert sorted(marked) == sorted(c for ids in ANCHORS.values() for c in ids)


@pytest.mark.parametrize("article", ["A", "B", "C"])
def test_the_anchors_pin_one_session_and_the_spec_is_dated_on_it(data_dir, article):
    """The oracle alone decides the date: the sessions on which the anchors hold and which the
    weekdays the article names allow (B: "as of Wednesday" sets 2024-07-30, a Tuesday, aside)
    are exactly one, and the spec is dated on it at the cut the oracle uses."""
    (spec,) = load_articles([article])
    found = [
        d
        for d in candidates(data_dir, article, *window(article))
        if in_the_week_of_its_mentions(article, d)
    ]
    assert len(found) == 1, found
    assert spec.published.date == found[0]
    assert spec.published.time == CUTS[article].at


def test_a_rewrite_takes_its_originals_date(data_dir):
    (c,) = load_articles(["C"])
    (d,) = load_articles(["D"])
    assert d.published.basis == "same_as" and d.published.same_as == "C"
    assert d.published.date == c.published.date
    # D's own anchors (no numbers) do not pin a date: they hold on many sessions
    assert len(candidates(data_dir, "D", *window("D"))) > 5


@pytest.mark.parametrize(
    "article",
    # B and D have several candidates each and take about 80 s together: the slow session
    [
        "A",
        pytest.param("B", marks=pytest.mark.slow),
        "C",
        pytest.param("D", marks=pytest.mark.slow),
    ],
)
def test_infer_date_finds_the_sessions_the_oracle_finds(real_log, data_dir, article):
    (spec,) = load_articles([article])
    start, end = window(article)
    found, tried = infer_dates(spec, Tape(real_log, cache=True), start, end)
    holding = candidates(data_dir, article, start, end)
    kept = [d for d in holding if in_the_week_of_its_mentions(article, d)]
    assert sorted(c.day for c in found if c.excluded is None) == kept
    assert sorted(c.day for c in found if c.excluded is not None) == sorted(
        set(holding) - set(kept)
    )
    assert tried == len(o.sessions_between(start, end))
    # ranked by fit, best first; the set-aside sessions last
    fits = [c.fit for c in found if c.excluded is None]
    assert fits == sorted(fits)
