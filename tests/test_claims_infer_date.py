"""infer-date on the real data: every article's anchors give exactly the candidates its spec
records (one for A and C; several, listed, for B and D)."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.claims.engine import infer_dates
from analysis.claims.loader import load_articles
from analysis.tape import Tape


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
def test_infer_date_finds_the_recorded_candidates(real_log, article):
    (spec,) = load_articles([article])
    start, end = (dt.date.fromisoformat(x) for x in spec.published.window.split(".."))
    found, tried = infer_dates(spec, Tape(real_log, cache=True), start, end)
    assert [c.day for c in found] == spec.published.candidates
    assert spec.published.date in spec.published.candidates
    if article in ("A", "C"):
        assert len(found) == 1
    assert tried > 20
