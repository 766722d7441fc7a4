"""The wording rules, at and around their edges."""

from __future__ import annotations

import pytest

from analysis.claims.wording import RULES, rule


@pytest.mark.parametrize(
    ("name", "measured", "claimed", "tol", "holds"),
    [
        ("more_than", 0.1201, 0.12, None, True),
        ("more_than", 0.12, 0.12, None, False),
        ("at_least", 0.12, 0.12, None, True),
        ("about", 0.077, 0.07, None, True),  # within 10% of 7%
        ("about", 0.078, 0.07, None, False),
        ("about", 0.078, 0.07, 0.2, True),  # per-claim override
        ("nearly", 0.095, 0.10, None, True),
        ("nearly", 0.101, 0.10, None, False),
        ("flat", -0.009, None, None, True),
        ("flat", 0.0113, None, None, False),
        ("treading_water", 0.049, None, None, True),
        ("twice", 2.4, None, None, True),
        ("twice", 1.4, None, None, False),
        ("on_a_tear", 0.13, None, None, True),
        ("pullback", -0.051, None, None, True),
        ("pullback", -0.049, None, None, False),
        ("correction", -0.09, None, None, False),
        ("record", 2501.92, 2500.0, None, True),
        ("below", 6600, 6700, None, True),
    ],
)
def test_rule(name, measured, claimed, tol, holds):
    assert RULES[name].holds(measured, claimed, tol) is holds


def test_every_rule_describes_itself_with_its_tolerance():
    for r in RULES.values():
        text = r.describe(1.0, None)
        assert text.startswith(r.name) and "tolerance" in text


def test_unknown_rule_names_the_known_ones():
    with pytest.raises(KeyError, match="known: more_than"):
        rule("kinda")


def test_a_comparison_rule_needs_a_claimed_value():
    with pytest.raises(ValueError, match="claimed value"):
        RULES["more_than"].holds(1.0, None, None)
