"""Execute the jupytext notebooks headlessly, export their charts and render them to HTML.

``python -m analysis.notebook_runner [--out reports/notebooks] [NOTEBOOK...]``

Each ``notebooks/*.py`` (py:percent) is read with jupytext and run with nbclient in a fresh
kernel; any cell error fails the run. ``notebooks/article.py`` is one notebook for every
article: it is run once per article spec, with ``article_id`` injected after its
``parameters`` cell by papermill (the same convention ``papermill -p article_id B`` uses), and
rendered as ``article_<id>.html``. Every altair output (a Vega-Lite mime bundle) is converted
to PNG with vl-convert, saved beside the HTML, and embedded in the notebook so the static HTML
shows it.

Nothing under version control is written: the README's chart is exported only on request
(``--readme-chart PATH``, ``nox -s readme_chart``), and the export is deterministic (the same
store and code give the same bytes).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ARTICLE = "article"


@dataclass
class NotebookRun:
    """What running one notebook produced."""

    name: str
    seconds: float
    cells: int
    charts: list[Path] = field(default_factory=list)
    html: Path | None = None


@dataclass(frozen=True)
class Job:
    """One execution: a notebook file, the name of its output, and its parameters."""

    path: Path
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)


def notebook_files() -> list[Path]:
    """The notebooks of the project (jupytext py:percent files)."""
    return sorted(p for p in NOTEBOOKS.glob("*.py") if p.name != "__init__.py")


def jobs(paths: list[Path] | None = None) -> list[Job]:
    """What to run: every notebook once, the article notebook once per article spec."""
    from analysis.claims.loader import load_articles

    out = []
    for path in paths or notebook_files():
        if path.stem == ARTICLE:
            out += [
                Job(path, f"{ARTICLE}_{spec.id}", {"article_id": spec.id})
                for spec in load_articles(None)
            ]
        else:
            out.append(Job(path, path.stem))
    return out


def run_notebook(
    path: Path,
    out: Path | None,
    *,
    parameters: dict[str, Any] | None = None,
    name: str | None = None,
    timeout: int = 900,
) -> NotebookRun:
    """Execute one notebook (with ``parameters`` injected, papermill-style); with ``out``,
    write its HTML (``<name>.html``) and chart PNGs there."""
    import jupytext
    import vl_convert as vlc

    name = name or path.stem
    nb = jupytext.read(path)
    if parameters:
        nb = _parameterize(nb, parameters)
    # the kernel inherits this: charts come out as Vega-Lite specs, exportable to PNG; the
    # caller's environment is restored afterwards
    previous = os.environ.get("TAPECHECK_ALTAIR_RENDERER")
    os.environ["TAPECHECK_ALTAIR_RENDERER"] = "spec"
    started = time.perf_counter()
    try:
        _execute(nb, path, timeout)
    finally:
        if previous is None:
            os.environ.pop("TAPECHECK_ALTAIR_RENDERER", None)
        else:
            os.environ["TAPECHECK_ALTAIR_RENDERER"] = previous
    _fail_on_swallowed_errors(nb, name)
    run = NotebookRun(name, time.perf_counter() - started, len(nb.cells))
    if out is None:
        return run
    out.mkdir(parents=True, exist_ok=True)
    chart_dir = out / f"{name}_charts"
    n = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            spec_key = next((k for k in data if k.startswith("application/vnd.vegalite")), None)
            if spec_key is None:
                continue
            spec = data[spec_key]
            png = vlc.vegalite_to_png(json.dumps(spec) if not isinstance(spec, str) else spec)
            n += 1
            chart_dir.mkdir(parents=True, exist_ok=True)
            target = chart_dir / f"chart_{n:02d}.png"
            target.write_bytes(png)
            run.charts.append(target)
            data["image/png"] = base64.b64encode(png).decode()
            # the static HTML shows the PNG in place of the interactive spec
            del data[spec_key]
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    run.html = out / f"{name}.html"
    run.html.write_text(body, encoding="utf-8")
    return run


def _fail_on_swallowed_errors(nb: Any, name: str) -> None:
    """IPython prints, rather than raises, an error raised while displaying an object (an
    altair chart that fails to compile): the cell "succeeds" with a traceback in its output.
    Such a cell fails the run, as a cell error would."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise RuntimeError(
                    f"{name}: cell {i} shows an error: {output.get('ename')}: "
                    f"{output.get('evalue')}"
                )
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            if "Traceback (most recent call last)" in text:
                last = text.strip().splitlines()[-1]
                raise RuntimeError(f"{name}: cell {i} printed an error while displaying: {last}")


def _parameterize(nb: Any, parameters: dict[str, Any]) -> Any:
    """``nb`` with an ``injected-parameters`` cell after its ``parameters`` cell."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    # what papermill's own loader sets up: every cell has tags, and the notebook a record of
    # what was injected
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    nb.metadata.setdefault("papermill", nbformat.NotebookNode())
    return parameterize_notebook(nb, parameters, kernel_name="python3", language="python")


def export_readme_chart(path: Path) -> None:
    """The README's picture: article C's breakout call (C07), drawn from the store."""
    from analysis.claims.charts import save_png
    from analysis.notebook import check

    chart: Any = check("C", "C07").chart()
    assert chart is not None
    save_png(chart, path)
    print(f"README chart -> {path}")


def _execute(nb: Any, path: Path, timeout: int) -> None:
    from nbclient import NotebookClient

    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.notebook_runner")
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("reports/notebooks"))
    parser.add_argument(
        "--readme-chart",
        type=Path,
        help="only export the README's chart (C07) to this PNG; run no notebook",
    )
    args = parser.parse_args(argv)
    if args.readme_chart is not None:
        export_readme_chart(args.readme_chart)
        return 0
    runs = run_all(jobs(args.notebooks or None), args.out, report=print)
    print(f"all notebooks executed in {sum(r.seconds for r in runs):.1f} s")
    return 0


def run_all(
    todo: list[Job], out: Path | None, *, report: Callable[[str], None] | None = None
) -> list[NotebookRun]:
    """Run every job in turn (each in a fresh kernel), reporting each as it finishes."""
    runs = []
    for job in todo:
        run = run_notebook(job.path, out, parameters=job.parameters, name=job.name)
        runs.append(run)
        if report is not None:
            report(
                f"{run.name}: {run.cells} cells, {len(run.charts)} charts, {run.seconds:.1f} s "
                f"-> {run.html}"
            )
    return runs


if __name__ == "__main__":
    sys.exit(main())
