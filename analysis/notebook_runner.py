"""Execute the jupytext notebooks headlessly, export their charts and render them to HTML.

``python -m analysis.notebook_runner [--out reports/notebooks] [NOTEBOOK...]``

Each ``notebooks/*.py`` (py:percent) is read with jupytext and run with nbclient in a fresh
kernel; any cell error fails the run. Every altair output (a Vega-Lite mime bundle) is converted
to PNG with vl-convert, saved beside the HTML, and embedded in the notebook so the static HTML
shows it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass
class NotebookRun:
    """What running one notebook produced."""

    name: str
    seconds: float
    cells: int
    charts: list[Path] = field(default_factory=list)
    html: Path | None = None


def notebook_files() -> list[Path]:
    """The notebooks of the project (jupytext py:percent files)."""
    return sorted(p for p in NOTEBOOKS.glob("*.py") if p.name != "__init__.py")


def run_notebook(path: Path, out: Path | None, *, timeout: int = 900) -> NotebookRun:
    """Execute one notebook; with ``out``, write its HTML and chart PNGs there."""
    import jupytext
    import vl_convert as vlc

    nb = jupytext.read(path)
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
    run = NotebookRun(path.stem, time.perf_counter() - started, len(nb.cells))
    if out is None:
        return run
    out.mkdir(parents=True, exist_ok=True)
    chart_dir = out / f"{path.stem}_charts"
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
    run.html = out / f"{path.stem}.html"
    run.html.write_text(body, encoding="utf-8")
    return run


def export_readme_chart(path: Path) -> None:
    """The README's picture: article C's breakout call (C07), drawn from the store."""
    from analysis.claims.charts import save_png
    from analysis.notebook import check

    chart = check("C", "C07").chart()
    assert chart is not None
    save_png(chart, path)
    print(f"README chart -> {path}")


def _execute(nb: object, path: Path, timeout: int) -> None:
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
        "--readme-chart", type=Path, help="also export the README's chart (C07) to this PNG"
    )
    args = parser.parse_args(argv)
    if args.readme_chart is not None:
        export_readme_chart(args.readme_chart)
    total = 0.0
    for path in args.notebooks or notebook_files():
        run = run_notebook(path, args.out)
        total += run.seconds
        print(
            f"{run.name}: {run.cells} cells, {len(run.charts)} charts, {run.seconds:.1f} s "
            f"-> {run.html}"
        )
    print(f"all notebooks executed in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
