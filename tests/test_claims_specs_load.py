"""Spec files: unknown fields, wrong types, unknown predicates and bad YAML name file and line."""

from __future__ import annotations

import pytest

from analysis.claims.loader import load_article
from analysis.claims.model import PeriodReturn, Window
from store import BadInput

GOOD = """\
id: T
source_file: 999_test.txt
title: A test article
published: {date: 2025-10-06, basis: given}
claims:
  - id: T01
    kind: as_published
    says: The index is up more than 12% this year
    check:
      predicate: period_return
      symbol: ^RUT
      window: ytd
      rule: more_than
      value: 0.12
  - id: T02
    kind: not_checkable
    says: Small caps are cheap
    reason: valuation data is not available
"""


def write(tmp_path, text):
    p = tmp_path / "t.yaml"
    p.write_text(text)
    return p


def test_a_good_spec_loads_into_frozen_typed_nodes(tmp_path):
    spec = load_article(write(tmp_path, GOOD))
    check = spec.claims[0].check
    assert isinstance(check, PeriodReturn) and check.window == Window(kind="ytd")
    with pytest.raises(Exception, match="frozen"):
        check.value = 0.2


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        (
            "      rule: more_than\n",
            "      rule: more_than\n      colour: red\n",
            14,
            "unknown field 'colour'",
        ),
        ("      value: 0.12\n", "      value: twelve\n", 14, "valid number"),
        ("      predicate: period_return\n", "      predicate: vibes\n", 10, "vibes"),
        ("      window: ytd\n", "      window: fortnight\n", 12, "fortnight"),
        ("      rule: more_than\n", "      rule: kinda\n", 13, "unknown wording rule"),
        ("    reason: valuation data is not available\n", "", 15, "reason"),
        ("  - id: T02\n", "  - id: T01\n", None, "appears twice"),
        ("title: A test article\n", "title: [unclosed\n", 4, "bad YAML"),
    ],
)
def test_bad_specs_name_file_line_and_field(tmp_path, old, new, line, needle):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(BadInput) as info:
        load_article(path)
    err = info.value
    assert err.file == str(path)
    assert needle in str(err)
    if line is not None:
        assert err.row == line, str(err)


def test_a_directory_is_not_a_spec(tmp_path):
    with pytest.raises(BadInput, match="directory"):
        load_article(tmp_path)
