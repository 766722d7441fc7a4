"""docs/claims.md describes the claim language: every example in it loads and validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analysis.claims import model as m
from analysis.claims.loader import load_article

DOC = Path(__file__).resolve().parent.parent / "docs" / "claims.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
CHECKS = [line for block in BLOCKS for line in block.splitlines() if line.startswith("{predicate:")]
SCORED = {c.model_fields["predicate"].annotation.__args__[0] for c in m.SCORED_CHECKS}


def test_the_page_documents_every_predicate():
    documented = {yaml.safe_load(line)["predicate"] for line in CHECKS}
    every = {
        c.model_fields["predicate"].annotation.__args__[0]
        for c in (*m.PUBLISHED_CHECKS, *m.SCORED_CHECKS)
    }
    assert documented == every


@pytest.mark.parametrize("line", CHECKS)
def test_every_example_check_validates(line):
    check = yaml.safe_load(line)
    kind = "forecast" if check["predicate"] in SCORED else "as_published"
    claim = m.ClaimSpec.model_validate({"id": "Z01", "kind": kind, "says": "x", "check": check})
    assert claim.check is not None and claim.check.subjects()


def test_the_example_spec_and_publications_load(tmp_path):
    spec = tmp_path / "z.yaml"
    spec.write_text(BLOCKS[0])
    assert load_article(spec).claims[0].check.window.kind == "ytd"
    for line in [ln for b in BLOCKS for ln in b.splitlines() if ln.startswith("published:")]:
        m.Published.model_validate(yaml.safe_load(line)["published"])
