"""Spec files: unknown fields, wrong types, unknown predicates and bad YAML name file and line."""

from __future__ import annotations

import pytest

from analysis.claims.loader import load_article
from analysis.claims.model import PeriodReturn
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
    assert isinstance(check, PeriodReturn) and check.window.kind == "ytd"
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


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        # a rule without the figure it compares against
        ("      value: 0.12\n", "", "compares against a claimed figure"),
        # a predicate that always needs a level
        (
            "      predicate: period_return\n      symbol: ^RUT\n      window: ytd\n"
            "      rule: more_than\n      value: 0.12\n",
            "      predicate: first_above\n      symbol: ^RUT\n",
            "first_above compares against a claimed figure",
        ),
        # an option the predicate cannot honour
        ("      window: ytd\n", "      window: sessions:1\n      ending: 2025-10-01\n", "ending"),
        # nonsense measurements
        ("      window: ytd\n", "      window: sessions:0\n", "holds no session"),
        ("      window: ytd\n", "      window: years:5000\n", "before any market data"),
        (
            "      window: ytd\n",
            "      window: between:2025-03-01..2025-01-01\n",
            "ends on or before it starts",
        ),
        ("      value: 0.12\n", "      value: .nan\n", "not a finite number"),
        ("      value: 0.12\n", "      stated: 12%\n      value: 0.2\n", "disagrees"),
        ("      value: 0.12\n", "      stated: twelve\n", "not a figure"),
        ("      window: ytd\n", "      window: last fortnight\n", "not understood"),
    ],
)
def test_spec_errors_name_the_claim_and_field(tmp_path, old, new, needle):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(BadInput) as info:
        load_article(path)
    text = str(info.value)
    assert needle in text and "claim T01" in text and str(path) in text, text
    assert info.value.row is not None and info.value.field.startswith("claims.0")


def test_an_unquoted_time_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path, GOOD.replace("basis: given}", "basis: given, time: 11:00}"))
    with pytest.raises(BadInput, match=r'base 60; quote it: "11:00"') as info:
        load_article(path)
    assert info.value.row == 4


def test_an_unquoted_yaml_boolean_key_is_refused(tmp_path):
    path = write(
        tmp_path, GOOD.replace("      window: ytd\n", "      window: ytd\n      on: Monday\n")
    )
    with pytest.raises(BadInput, match="quote it") as info:
        load_article(path)
    assert info.value.row == 13


def test_an_invalid_unquoted_date_is_one_line(tmp_path):
    path = write(tmp_path, GOOD.replace("date: 2025-10-06", "date: 2025-02-30"))
    with pytest.raises(BadInput, match="bad value"):
        load_article(path)


def test_a_reversed_publication_window_is_refused(tmp_path):
    path = write(
        tmp_path,
        GOOD.replace("basis: given}", "basis: given, window: 2025-12-31..2025-09-01}"),
    )
    with pytest.raises(BadInput, match="ends before it starts"):
        load_article(path)


def test_deep_nesting_and_huge_specs_are_refused_unread(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(BadInput, match="nested too deep"):
        load_article(deep)
    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "#" * 1_100_000 + "\n")
    with pytest.raises(BadInput, match="at most 1,000,000 bytes"):
        load_article(big)


def test_a_scored_predicate_in_an_as_published_claim_names_the_line(tmp_path):
    path = write(
        tmp_path,
        GOOD.replace(
            "      predicate: period_return\n      symbol: ^RUT\n      window: ytd\n"
            "      rule: more_than\n      value: 0.12\n",
            "      predicate: drawdown_within\n      symbol: ^RUT\n      weeks: 6\n",
        ),
    )
    with pytest.raises(BadInput, match="claim T01: predicate 'drawdown_within' is scored"):
        load_article(path)


def test_an_unknown_symbol_exits_2_and_suggests_the_known_one(tmp_path):
    from conftest import run_tapecheck

    from store import EventLog

    store = tmp_path / "store"
    EventLog.open(store, create=True)
    path = write(tmp_path, GOOD.replace("symbol: ^RUT", "symbol: RUT"))
    before = sorted(p.name for p in store.rglob("*"))
    proc = run_tapecheck("verify", str(path), "--no-charts", store=store)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "unknown series 'RUT'" in lines[0] and "^RUT" in lines[0] and "claim T01" in lines[0]
    assert "line 10" in lines[0] or "line 9" in lines[0]
    assert sorted(p.name for p in store.rglob("*")) == before  # nothing written


def test_anchors_and_merge_keys_load_as_their_expansion(tmp_path):
    """The spec is built from the node tree the loader composes and checks; anchors, aliases
    and merge keys mean what ``yaml.safe_load`` makes of them (the oracle)."""
    import yaml

    shared = GOOD.replace(
        "    check:\n      predicate: period_return\n",
        "    check: &ytd\n      predicate: period_return\n",
    ) + (
        "  - id: T03\n    kind: as_published\n    says: Again\n"
        "    check:\n      <<: *ytd\n      value: 0.10\n"
    )
    spec = load_article(write(tmp_path, shared))
    expected = yaml.safe_load(shared)["claims"][2]["check"]
    check = spec.claims[2].check
    assert check.value == expected["value"] == 0.10
    assert check.symbol == expected["symbol"] == "^RUT"
    assert spec.claims[0].check.value == 0.12


def test_errors_in_a_spec_with_merge_keys_name_their_own_line(tmp_path):
    """Building merged mappings rewrites the node tree in place; errors must still point at
    the claim's own lines, not at the anchor's."""
    shared = GOOD.replace(
        "    check:\n      predicate: period_return\n",
        "    check: &ytd\n      predicate: period_return\n",
    ) + (
        "  - id: T03\n    kind: as_published\n    says: Again\n"
        "    check:\n      <<: *ytd\n      value: ten\n"
    )
    lines = shared.splitlines()
    bad = next(i for i, line in enumerate(lines, 1) if "value: ten" in line)
    with pytest.raises(BadInput) as err:
        load_article(write(tmp_path, shared))
    assert err.value.row == bad, (err.value.row, bad)
    good = load_article(write(tmp_path, shared.replace("value: ten", "value: 0.10")))
    # a claim's line is its check's
    check = next(i for i, line in enumerate(lines, 1) if i > bad - 3 and "check:" in line)
    assert good._lines["T03"] == check


def test_a_series_only_the_store_holds_may_be_named(tmp_path):
    """A claim may name a symbol of the user's own ingest (the catalog does not list it): the
    store is read for its series when the catalog falls short, and a near miss is refused
    with the store's name suggested."""
    import datetime as dt

    from analysis.claims.commands import run_verify
    from store import EventLog, batch
    from store.contract import session_bar

    log = EventLog.open(tmp_path / "store", create=True)
    days = [dt.date(2024, 12, 31), dt.date(2025, 10, 3)]
    closes = [10.0, 11.0]
    log.append(
        batch(
            [
                session_bar(d, c, symbol="ZZTOP", feed="mine")
                for d, c in zip(days, closes, strict=True)
            ]
        )
    )
    path = write(tmp_path, GOOD.replace("symbol: ^RUT", "symbol: ZZTOP"))
    (result,) = run_verify(log, [str(path)], charts=False)
    claim = result.claims[0]
    # the oracle: the two closes written above
    assert claim.measured["return"] == pytest.approx(closes[1] / closes[0] - 1)
    assert claim.verdict.value == "refuted"  # +10% is not more than 12%
    wrong = write(tmp_path, GOOD.replace("symbol: ^RUT", "symbol: ZZTOQ"))
    with pytest.raises(BadInput, match=r"unknown series 'ZZTOQ'.*ZZTOP"):
        run_verify(log, [str(wrong)], charts=False)
