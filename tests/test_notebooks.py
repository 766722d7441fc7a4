"""The notebooks: each executes without error on the real data, its charts export, and no
committed notebook file carries outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from analysis.notebook_runner import notebook_files, run_notebook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def executed(real_log, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TAPECHECK_STORE", str(real_log.root))
    out = tmp_path_factory.mktemp("notebooks")
    try:
        yield {p.stem: run_notebook(p, out) for p in notebook_files()}
    finally:
        mp.undo()


def test_there_is_a_notebook_per_article_plus_scorecard_and_time_machine():
    names = {p.stem for p in notebook_files()}
    assert names == {
        "article_A",
        "article_B",
        "article_C",
        "article_D",
        "scorecard",
        "time_machine",
    }


def test_every_notebook_executes_and_renders(executed):
    for name, run in executed.items():
        assert run.html is not None and run.html.stat().st_size > 10_000, name
        assert "Traceback" not in run.html.read_text(), name
        assert run.charts, f"{name} exported no chart"
        assert all(p.read_bytes()[:4] == b"\x89PNG" for p in run.charts)
    assert len(executed["article_C"].charts) >= 15  # one per checkable claim and more


def test_time_machine_has_a_parameters_cell():
    import jupytext

    nb = jupytext.read(ROOT / "notebooks" / "time_machine.py")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "known_at" in tagged[0].source


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
