"""``tapecheck verify``, ``tapecheck infer-date`` and ``tapecheck calls``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from analysis.backends import BACKEND_HELP
from analysis.claims import model as m
from analysis.claims.calls import call_batch, record_calls
from analysis.claims.engine import (
    ArticleResult,
    context_for,
    evaluate_article,
    evaluate_claim,
    infer_dates,
)
from analysis.claims.loader import check_subjects, load_articles
from analysis.claims.report import dumps, report_json, report_markdown
from analysis.tape import Tape
from store import EventLog
from store.errors import BadInput
from store.files import write_atomically
from store.reference.catalog import load_catalog
from store.reference.clock import FAR_FUTURE

VERDICT_STYLE = {
    "supported": "green",
    "refuted": "red",
    "consistent_intraday": "yellow",
    "not_enough_data": "magenta",
    "pending": "cyan",
    "not_checkable": "dim",
}
StoreOption = Annotated[Path | None, typer.Option("--store", help="Event store directory.")]
BackendOption = Annotated[str | None, typer.Option("--backend", help=BACKEND_HELP)]


def catalog_series() -> set[str]:
    """The series the catalog lists (and what it lists as unavailable)."""
    cat = load_catalog()
    return set(cat.series) | set(cat.unavailable)


def known_series(log: EventLog, version: int | None = None) -> set[str]:
    """Every series a claim may name: the catalog's and every symbol or series in the store
    (a user's own ingest)."""
    names = catalog_series()
    for stream in log.summary(version).get_column("stream").to_list():
        names.add(stream.rsplit("@", 1)[0])
    return names


def check_series(specs: list[m.ArticleSpec], log: EventLog, version: int | None) -> None:
    """Refuse a claim about a series neither the catalog nor the store knows. The store is
    scanned only when a claim names a series the catalog does not list (the scan reads every
    event's stream: 0.1-0.2 s on the real data)."""
    try:
        check_subjects(specs, catalog_series())
    except BadInput:
        check_subjects(specs, known_series(log, version))


def data_end(tape: Tape) -> str | None:
    """The last session of the primary index on the tape (what 'now' means in a report)."""
    # the preferred feeds hold a session wherever any feed has it (unadjusted prices are
    # never filtered), so the last session of every feed's bars is theirs: no need to rank
    bars = tape.facts(FAR_FUTURE, event_type="PriceBar", entities=["^RUT", "^GSPC"])
    last = tape.run(bars.agg(last=bars.session.max()))["last"].item()
    return last.isoformat() if last else None


def run_verify(
    log: EventLog,
    articles: list[str] | None,
    *,
    version: int | None = None,
    json_path: Path | None = None,
    md_path: Path | None = None,
    charts: bool = True,
    console: Console | None = None,
    backend: str | None = None,
) -> list[ArticleResult]:
    """Record the specs' calls, evaluate every article, and write the requested reports.

    Everything is validated before anything is written: the specs load, every series they
    name is known, and every call makes a valid event; only then are the calls recorded."""
    specs = load_articles(articles)
    check_series(specs, log, version)
    batch_of_calls = call_batch(specs)
    if version is None and batch_of_calls is not None:
        log.append(batch_of_calls)
    # kept for the process: running again at this version reads the panels this run keeps
    tape = Tape.shared(log, version=version, backend=backend)
    results = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("checking claims", total=sum(len(s.claims) for s in specs))
        for spec in specs:
            results.append(evaluate_article(spec, tape))
            progress.advance(task, len(spec.claims))
    end = data_end(tape)
    if json_path is not None:
        write_atomically(dumps(report_json(results, end)), json_path)
    if md_path is not None:
        chart_files: dict[str, str] = {}
        if charts:
            # altair (and the jsonschema stack under it) costs seconds to import: only here
            from analysis.claims.charts import claim_chart, save_png

            chart_dir = md_path.parent / "charts"
            for spec, result in zip(specs, results, strict=True):
                ctx = context_for(spec, tape)
                for claim, claim_result in zip(spec.claims, result.claims, strict=True):
                    chart = claim_chart(claim, claim_result, ctx)
                    if chart is None:
                        continue
                    png = chart_dir / f"{claim.id}.png"
                    save_png(chart, png)
                    chart_files[claim.id] = f"charts/{png.name}"
        write_atomically(report_markdown(results, end, chart_files), md_path)
    return results


def verify_command(
    articles: Annotated[
        list[str] | None, typer.Argument(help="Article ids (A B ...) or spec files; default all.")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report.")] = None,
    md_path: Annotated[
        Path | None, typer.Option("--md", help="Write the Markdown report (charts beside it).")
    ] = None,
    version: Annotated[
        int | None,
        typer.Option("--version", help="Re-run against this store version (records nothing)."),
    ] = None,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Export PNG charts.")] = True,
    store: StoreOption = None,
    backend: BackendOption = None,
) -> None:
    """Check every claim of the articles on the tape as known at publication."""
    console = Console()
    log = EventLog.open(store)
    results = run_verify(
        log,
        articles,
        version=version,
        json_path=json_path,
        md_path=md_path,
        charts=charts,
        console=console,
        backend=backend,
    )
    for r in results:
        table = Table(
            title=f"{r.spec.id}: {r.spec.title} (published {r.spec.published.date}, "
            f"{r.spec.published.basis}; store version {r.store_version})"
        )
        for col in ("id", "kind", "verdict", "measured", "rule", "agree"):
            table.add_column(col, overflow="fold")
        for c in r.claims:
            style = VERDICT_STYLE.get(c.verdict, "")
            agree = {True: "yes", False: "NO", None: ""}[c.sources_agree]
            table.add_row(c.id, c.kind, f"[{style}]{c.verdict}[/{style}]", c.summary, c.rule, agree)
        console.print(table)
    counts = pl.DataFrame({"verdict": [c.verdict for r in results for c in r.claims]})
    summary = counts.group_by("verdict").len().sort("verdict")
    console.print(
        ", ".join(f"{row['verdict']} {row['len']}" for row in summary.iter_rows(named=True))
    )
    for label, path in (("JSON", json_path), ("Markdown", md_path)):
        if path is not None:
            console.print(f"{label} report: {path}")


def _window(text: str | None, default: str | None) -> tuple[dt.date, dt.date]:
    text = text or default
    if not text or ".." not in text:
        raise BadInput("give the window as START..END (ISO dates)", field="--window")
    try:
        a, b = (dt.date.fromisoformat(x) for x in text.split(".."))
    except ValueError:
        raise BadInput(f"{text!r} is not START..END with ISO dates", field="--window") from None
    if b < a:
        raise BadInput("the window ends before it starts", field="--window")
    return a, b


def infer_date_command(
    article: Annotated[str, typer.Argument(help="Article id (A) or spec file.")],
    window: Annotated[
        str | None, typer.Option("--window", help="START..END (default: the spec's window).")
    ] = None,
    store: StoreOption = None,
    backend: BackendOption = None,
) -> None:
    """Evaluate the anchor claims on every session of a window; rank the dates where all hold
    by how well the measured values fit the stated figures."""
    (spec,) = load_articles([article])
    start, end = _window(window, spec.published.window)
    console = Console()
    anchors = [c.id for c in spec.claims if c.anchor]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{spec.id}: anchors over {start}..{end}", total=len(anchors) + 1)
        tape = Tape(EventLog.open(store), backend=backend, cache=True)
        progress.advance(task)
        found, tried = infer_dates(
            spec,
            tape,
            start,
            end,
            progress=lambda cid: progress.update(task, advance=1, description=f"evaluating {cid}"),
        )
    table = Table(
        title=f"{spec.id}: sessions {start}..{end} where {', '.join(anchors)} all hold, best fit "
        "first (fit: distance from the stated figures, in units of their last digit)"
    )
    for col in ("rank", "date", "fit"):
        table.add_column(col, no_wrap=True)
    for a in anchors:
        table.add_column(a, overflow="fold")
    table.add_column("set aside", overflow="fold")
    kept = [c for c in found if c.excluded is None]
    for rank, cand in enumerate(found, start=1):
        table.add_row(
            str(rank) if cand.excluded is None else "-",
            str(cand.day),
            f"{cand.fit:.3g}",
            *(
                f"{cand.anchors[a].verdict} ({cand.distances.get(a, 0):.3g}): "
                f"{escape(cand.anchors[a].summary)}"
                for a in anchors
            ),
            escape(cand.excluded or ""),
        )
    console.print(table)
    if not kept:
        reason = "no session fits: the anchors contradict each other or the window is wrong"
    elif len(kept) == 1:
        reason = f"one session fits: {kept[0].day}"
    else:
        best = [c for c in kept if c.fit == kept[0].fit]
        reason = (
            f"{len(kept)} sessions fit; the best fit is {kept[0].day}"
            if len(best) == 1
            else f"{len(kept)} sessions fit and {len(best)} fit equally well: the anchors do not "
            "pin the date, so verify judges every claim on each of them"
        )
    console.print(
        f"{len(kept)} candidate(s) of {tried} sessions tried"
        + (
            f" ({len(found) - len(kept)} set aside by weekday mentions)"
            if len(found) > len(kept)
            else ""
        )
        + f": {reason}. "
        + (
            f"The spec takes {spec.published.same_as}'s date explicitly (same_as): "
            f"{spec.published.date}."
            if spec.published.basis == "same_as"
            else f"The spec records {spec.published.date} ({spec.published.basis}; candidates "
            f"{', '.join(str(d) for d in spec.published.candidates) or 'none'})."
        )
    )


def calls_command(store: StoreOption = None, backend: BackendOption = None) -> None:
    """Scorecard of every analyst call and forecast: how each played out, by firm and analyst."""
    log = EventLog.open(store)
    specs = load_articles(None)
    record_calls(log, specs)
    tape = Tape(log, backend=backend, cache=True)
    recorded = tape.run(tape.facts(FAR_FUTURE, event_type="AnalystCall"))
    table = Table(title=f"calls and forecasts (store version {tape.version})")
    for col in ("firm", "analyst", "claim", "call", "horizon", "verdict", "outcome"):
        table.add_column(col, overflow="fold")
    rows = []
    for spec in specs:
        ctx = context_for(spec, tape)
        for claim in spec.claims:
            if claim.kind not in ("call", "forecast"):
                continue
            result = evaluate_claim(claim, ctx, cross_source=False)
            firm = claim.call.firm if claim.call else "(article)"
            analyst = claim.call.analyst if claim.call else "(forecast)"
            horizon = claim.check.horizon(ctx.day) if isinstance(claim.check, m._Scored) else ""
            rows.append(
                (
                    firm,
                    analyst,
                    f"{spec.id}/{claim.id}",
                    claim.says,
                    str(horizon),
                    result.verdict,
                    result.summary,
                )
            )
    for row in sorted(rows):
        style = VERDICT_STYLE.get(row[5], "")
        table.add_row(*row[:5], f"[{style}]{row[5]}[/{style}]", row[6])
    console = Console()
    console.print(table)
    console.print(f"{recorded.height} AnalystCall events recorded in the log")


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_command)
    app.command("infer-date")(infer_date_command)
    app.command("calls")(calls_command)
