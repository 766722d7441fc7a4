"""The wording rules at their edges: just inside, just outside, and at the stated precision."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.claims.figures import Figure
from analysis.claims.wording import INF, RULES, Interval, rule


def accepts(name: str, stated: str | None = None, value: float | None = None, tol=None):
    figure = Figure.parse(stated) if stated is not None else None
    claimed = figure.value if figure is not None else value
    unit = figure.unit if figure is not None else None
    return RULES[name].interval(claimed, tol, unit)


@pytest.mark.parametrize(
    ("name", "stated", "measured", "holds"),
    [
        # a plain figure accepts what rounds to it at its printed precision
        ("rounds_to", "11%", 0.105, True),
        ("rounds_to", "11%", 0.10499, False),
        ("rounds_to", "11%", 0.11499, True),
        ("rounds_to", "11%", 0.115, False),  # rounds to 12%
        ("rounds_to", "11.37%", 0.11365, True),
        ("rounds_to", "11.37%", 0.1136, False),
        ("rounds_to", "11.37%", 0.11375, False),
        ("rounds_to", "0.8%", 0.0097, False),
        ("rounds_to", "0.8%", 0.0084, True),
        ("rounds_to", "2", 2.02, True),
        ("rounds_to", "2", 2.5, False),
        # "about": one unit of the printed figure either way
        ("about", "7%", 0.06, True),
        ("about", "7%", 0.0599, False),
        ("about", "2,460", 2458.86, True),
        ("about", "2,460", 2470.0, True),
        ("about", "2,460", 2470.01, False),
        ("about", "2,466", 2464.9, False),
        ("about", "6,600", 6845.5, False),
        # "roughly" and "around" are wider: two units
        ("roughly", "-10%", -0.1144, True),
        ("roughly", "-10%", -0.12, True),
        ("roughly", "-10%", -0.1201, False),
        ("roughly", "7%", 0.0679, True),
    ],
)
def test_precision_aware_rules(name, stated, measured, holds):
    assert accepts(name, stated).contains(measured) is holds


def test_roughly_is_wider_than_about_which_is_wider_than_a_plain_figure():
    plain, about, rough = (accepts(n, "11%") for n in ("rounds_to", "about", "roughly"))
    assert rough.lo < about.lo < plain.lo and plain.hi < about.hi < rough.hi


@pytest.mark.parametrize(
    ("name", "measured", "claimed", "tol", "holds"),
    [
        ("more_than", 0.1201, 0.12, None, True),
        ("more_than", 0.12, 0.12, None, False),
        ("at_least", 0.12, 0.12, None, True),
        ("at_least", 0.1199, 0.12, None, False),
        ("about", 0.077, 0.07, None, True),  # no printed figure: within 10% of 7%
        ("about", 0.078, 0.07, None, False),
        ("about", 0.078, 0.07, 0.2, True),  # per-claim override
        ("nearly", 0.095, 0.10, None, True),
        ("nearly", 0.101, 0.10, None, False),
        ("flat", -0.01, None, None, True),
        ("flat", -0.0101, None, None, False),
        ("flat", 0.0113, None, None, False),
        ("treading_water", 0.049, None, None, True),
        ("treading_water", 0.0501, None, None, False),
        ("twice", 2.5, None, None, True),
        ("twice", 2.51, None, None, False),
        ("twice", 1.5, None, None, True),
        ("twice", 1.49, None, None, False),
        ("on_a_tear", 0.10, None, None, True),
        ("on_a_tear", 0.0999, None, None, False),
        ("pullback", -0.05, None, None, True),
        ("pullback", -0.0499, None, None, False),
        ("correction", -0.10, None, None, True),
        ("correction", -0.09, None, None, False),
        ("record", 2501.92, 2500.0, None, True),
        ("record", 2500.0, 2500.0, None, False),
        ("first_time", 2500.01, 2500.0, None, True),
        ("below", 6599.99, 6600, None, True),
        ("below", 6600, 6600, None, False),
        ("above", 6600.01, 6600, None, True),
        ("above", 6600, 6600, None, False),
        ("exactly", 3, 3, None, True),
        ("exactly", 4, 3, None, False),
    ],
)
def test_rule_edges(name, measured, claimed, tol, holds):
    assert RULES[name].holds(measured, claimed, tol) is holds


def test_every_rule_prints_the_interval_it_accepts():
    for r in RULES.values():
        claimed, unit = (0.11, 0.01) if r.uses_unit else (1.0, None)
        text = r.describe(claimed, None, unit)
        assert text.startswith(r.name) and "(accepts " in text, text


def test_the_printed_interval_is_the_one_judged():
    text = RULES["rounds_to"].describe(0.11, None, 0.01)
    assert "10.5% up to 11.5%" in text
    assert "-12% to -8%" in RULES["roughly"].describe(-0.10, None, 0.01)


def test_unknown_rule_names_the_known_ones():
    with pytest.raises(KeyError, match="known: rounds_to, about, roughly"):
        rule("kinda")


def test_a_comparison_rule_needs_a_claimed_value():
    with pytest.raises(ValueError, match="claimed value"):
        RULES["more_than"].holds(1.0, None, None)


def test_rounds_to_needs_the_printed_figure():
    with pytest.raises(ValueError, match="stated"):
        RULES["rounds_to"].interval(0.11, None, None)


@pytest.mark.parametrize(
    ("text", "value", "unit", "percent"),
    [
        ("11%", 0.11, 0.01, True),
        ("-10%", -0.10, 0.01, True),
        ("0.8%", 0.008, 0.001, True),
        ("11.37%", 0.1137, 0.0001, True),
        ("2,466", 2466.0, 1.0, False),
        ("2,460", 2460.0, 10.0, False),
        ("6,600", 6600.0, 100.0, False),
        ("2", 2.0, 1.0, False),
    ],
)
def test_figures_keep_their_printed_precision(text, value, unit, percent):
    f = Figure.parse(text)
    assert math.isclose(f.value, value) and math.isclose(f.unit, unit) and f.percent is percent


@pytest.mark.parametrize("text", ["eleven", "11 %%", "1.2.3", "", "2,46"])
def test_a_figure_that_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError, match="not a figure"):
        Figure.parse(text)


@given(
    st.floats(-1e3, 1e3, allow_nan=False),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.floats(-1e3, 1e3, allow_nan=False),
)
def test_an_interval_meets_a_range_exactly_when_some_point_of_it_is_accepted(lo, a, b):
    interval = Interval(lo, lo + 10, hi_open=True)
    low, high = min(a, b), max(a, b)
    inside = [x for x in (low, high, max(low, interval.lo), min(high, interval.hi - 1e-9))]
    expected = any(low <= x <= high and interval.contains(x) for x in inside)
    assert interval.meets(low, high) is expected


def test_open_ends_and_infinite_bounds():
    above = Interval(2500.0, INF, lo_open=True)
    assert not above.contains(2500.0) and above.contains(2500.0001)
    assert above.meets(2481.0, 2501.92) and not above.meets(2400.0, 2500.0)
