"""The notebooks: each executes without error on the real data (the article notebook once per
article spec, its parameter injected papermill-style), its charts export, running them leaves
the git tree as it was, and no committed notebook file carries outputs."""

from __future__ import annotations

import ast
import html
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.claims.loader import load_articles
from analysis.notebook_runner import jobs, notebook_files, run_all

ROOT = Path(__file__).resolve().parent.parent


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def executed(real_log, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TAPECHECK_STORE", str(real_log.root))
    out = tmp_path_factory.mktemp("notebooks")
    before = git_status()
    try:
        runs = {r.name: r for r in run_all(jobs(), out)}
    finally:
        mp.undo()
    return runs, before, git_status()


def test_one_article_notebook_plus_scorecard_and_time_machine():
    assert {p.stem for p in notebook_files()} == {"article", "scorecard", "time_machine"}


def test_the_article_notebook_runs_once_per_spec_with_its_id_injected():
    specs = [s.id for s in load_articles(None)]
    articles = [j for j in jobs() if j.path.stem == "article"]
    assert [j.name for j in articles] == [f"article_{i}" for i in specs]
    assert [j.parameters for j in articles] == [{"article_id": i} for i in specs]


def test_every_notebook_executes_and_renders(executed):
    runs, _, _ = executed
    assert set(runs) == {f"article_{s.id}" for s in load_articles(None)} | {
        "scorecard",
        "time_machine",
    }
    for name, run in runs.items():
        assert run.html is not None and run.html.stat().st_size > 10_000, name
        page = run.html.read_text()
        assert "Traceback" not in page, name
        assert run.charts, f"{name} exported no chart"
        assert all(p.read_bytes()[:4] == b"\x89PNG" for p in run.charts)
    assert len(runs["article_C"].charts) >= 15  # one per checkable claim and more


def test_each_article_page_is_that_article(executed):
    runs, _, _ = executed
    for spec in load_articles(None):
        page = runs[f"article_{spec.id}"].html.read_text()
        # the article's own title (from the injected id) and every claim id
        assert f"{spec.id}: {html.escape(spec.title)}" in page
        assert all(c.id in page for c in spec.claims)


def test_verdict_tables_show_every_claim_in_full(executed):
    runs, _, _ = executed
    for spec in load_articles(None):
        page = runs[f"article_{spec.id}"].html.read_text()
        assert "gt_table" in page  # great_tables, not a Polars repr
        text = html.unescape(page)
        for claim in spec.claims:
            assert claim.says in text, claim.id


def test_running_the_notebooks_leaves_the_git_tree_as_it_was(executed):
    _, before, after = executed
    assert after == before


def test_nox_notebooks_regenerates_nothing_under_version_control():
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    session = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "notebooks")
    assert "readme" not in ast.unparse(session).lower()


def test_readme_chart_export_is_deterministic(real_log, tmp_path):
    """Two processes export the README chart from the same store: the same bytes."""
    env = {"TAPECHECK_STORE": str(real_log.root)}
    pngs = []
    for name in ("a.png", "b.png"):
        subprocess.run(
            [sys.executable, "-m", "analysis.notebook_runner", "--readme-chart", tmp_path / name],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            timeout=600,
        )
        pngs.append((tmp_path / name).read_bytes())
    assert pngs[0] == pngs[1] and pngs[0][:4] == b"\x89PNG"


def test_the_notebooks_have_a_parameters_cell():
    import jupytext

    for name, variable in (("time_machine", "known_at"), ("article", "article_id")):
        nb = jupytext.read(ROOT / "notebooks" / f"{name}.py")
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and variable in tagged[0].source, name


def test_jupyterlab_opens_py_notebooks_as_notebooks():
    settings = json.loads(
        (ROOT / "jupyter-config" / "labconfig" / "default_setting_overrides.json").read_text()
    )
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"


def test_no_committed_notebook_has_outputs():
    tracked = subprocess.run(
        ["git", "ls-files", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "no notebooks tracked"
    for name in tracked:
        path = ROOT / name
        if name.endswith(".ipynb"):
            nb = json.loads(path.read_text())
            assert all(not c.get("outputs") for c in nb["cells"]), name
        elif name.endswith(".py"):
            # py:percent files cannot hold outputs; make sure they are jupytext notebooks
            assert "format_name: percent" in path.read_text() or "# %%" in path.read_text()
