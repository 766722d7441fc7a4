"""JupyterLab in a real browser, as a new user meets it: headless Chromium (Debian's package,
driven by Playwright; no browser is downloaded) on a machine without internet.

A double-click on ``article.py`` must open it as a notebook; running all cells must give no
cell error, no "Error loading script" and no widget error; every chart must be drawn (an SVG
or a canvas inside its vega-embed); and a click on a chart must list the events behind the
picked session under it. Screenshots go to ``reports/browser/``. Run with ``nox -s browser``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "reports" / "browser"
# flags that work as root in containers, with no network and no first-run chores
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_TIMEOUT_S = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on a copy of notebooks/ (so the paired .ipynb it saves stays out of
    the working tree), with the project's settings and nothing from the user's."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    if not os.environ.get("TAPECHECK_STORE"):
        pytest.fail("TAPECHECK_STORE is not set: run with nox -s browser (it ingests first)")
    home = tmp_path_factory.mktemp("lab")
    root = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copy(ROOT / "jupytext.toml", home / "jupytext.toml")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(ROOT / "jupyter-config"), os.environ.get("JUPYTER_CONFIG_PATH")) if p
    )
    for name in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(home / name.lower())
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()}")
                time.sleep(0.5)
        yield f"{base}/lab?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const nb = panel && panel.content;
  if (!nb || !nb.model) { return null; }
  const cells = [];
  for (const cell of nb.model.cells) {
    if (cell.type !== 'code') { continue; }
    const outputs = cell.outputs.toJSON();
    cells.push({
      count: cell.executionCount,
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
    });
  }
  const busy = panel.sessionContext.session?.kernel?.status !== 'idle';
  return {cells, busy};
}"""

CHARTS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .vega-embed')).map(
  el => !!el.querySelector('svg, canvas'))"""


def test_article_notebook_runs_in_jupyterlab_and_draws_every_chart(lab: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"tapecheck-chromium-{secrets.token_hex(4)}"
    console: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.goto(lab)
            item = page.locator(".jp-DirListing-item", has_text="article.py").first
            item.wait_for(timeout=90_000)
            page.screenshot(path=str(SHOTS / "01_file_browser.png"))

            # a double-click opens the jupytext file as a notebook, not as text
            item.dblclick()
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
            assert page.locator(".jp-FileEditor").count() == 0
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
                "?.status === 'idle'",
                timeout=120_000,
            )
            page.screenshot(path=str(SHOTS / "02_opened_as_notebook.png"))

            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while True:
                state = page.evaluate(NOTEBOOK_STATE)
                done = state and not state["busy"]
                done = done and all(c["count"] is not None for c in state["cells"])
                if done:
                    break
                assert time.monotonic() < deadline, f"cells still running: {state}"
                time.sleep(2)
            errors = [e for c in state["cells"] for e in c["errors"]]
            assert errors == [], errors

            # every chart drawn: wait for the widgets to render, then check each one
            page.wait_for_function(
                f"() => {{ const d = ({CHARTS})(); return d.length > 0 && d.every(x => x); }}",
                timeout=120_000,
            )
            drawn = page.evaluate(CHARTS)
            text = page.locator(".jp-NotebookPanel").inner_text()
            for bad in ("Error loading script", "JavaScript Error", "Error displaying widget"):
                assert bad not in text and bad not in page.content(), bad
            page.screenshot(path=str(SHOTS / "03_all_cells_run.png"))

            # the first chart, then a click on it: the events behind the picked session
            explorer = page.locator(".tapecheck-explorer").first
            explorer.scroll_into_view_if_needed()
            chart = explorer.locator(".vega-embed").first
            chart.screenshot(path=str(SHOTS / "04_first_chart.png"))
            # the drawing (title and legend above the plot): a click inside the plot, where
            # the line may well be, picks the session under it
            box = chart.locator("canvas, svg").first.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.65)
            details = explorer.locator("table", has_text="event_id")
            try:
                details.wait_for(timeout=60_000)
            finally:
                explorer.screenshot(path=str(SHOTS / "05_picked_session_events.png"))
            listed = details.inner_text()
            assert "recorded_at" in listed and "yes" in listed  # the event the check read
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    errors_in_console = [m for m in console if "Error loading script" in m]
    assert errors_in_console == []
    summary = {"charts": len(drawn), "charts_drawn": sum(drawn), "code_cells": len(state["cells"])}
    (SHOTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"browser: {summary}")
