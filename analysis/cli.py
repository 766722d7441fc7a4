"""The ``tapecheck`` command line (typer + rich).

Every command reports a user error as one line on stderr with exit code 2 and no traceback;
a refuted claim is a result, never an error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from store.errors import TapecheckError
from store.fsck import fsck as run_fsck
from store.log import EventLog

app = typer.Typer(
    name="tapecheck",
    help="Check what market articles claim against the tape, as it was known at publication.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Event store directory (default: $TAPECHECK_STORE)."),
]


@app.command("log")
def log_command(
    store: StoreOption = None,
    last: Annotated[int, typer.Option("--last", "-n", help="How many recent events to show.")] = 10,
    stream: Annotated[str | None, typer.Option(help="Only this stream.")] = None,
) -> None:
    """Show the store version, event counts per stream and type, and the latest events."""
    log = EventLog.open(store)
    summary = log.summary()
    if stream is not None:
        summary = summary.filter(pl.col("stream") == stream)
    table = Table(title=f"tapecheck log {log.root} (version {log.version()})")
    for col in ("stream", "type", "events", "first valid", "last valid", "last recorded"):
        table.add_column(col, justify="right" if col == "events" else "left")
    for row in summary.iter_rows(named=True):
        table.add_row(
            row["stream"],
            row["event_type"],
            f"{row['events']:,}",
            _ts(row["first_valid"]),
            _ts(row["last_valid"]),
            _ts(row["last_recorded"]),
        )
    total = int(summary.get_column("events").sum()) if summary.height else 0
    table.caption = f"{total:,} events in {summary.height} stream/type pairs"
    console.print(table)
    recent = log.scan()
    if stream is not None:
        recent = recent.filter(pl.col("stream") == stream)
    recent = recent.sort(["recorded_at", "stream", "valid_at", "key"], descending=True).head(last)
    tail = Table(title=f"latest {last} events recorded")
    for col in ("recorded", "type", "stream", "key", "valid at", "event id"):
        tail.add_column(col)
    for row in recent.collect().iter_rows(named=True):
        tail.add_row(
            _ts(row["recorded_at"]),
            row["event_type"],
            row["stream"],
            row["key"],
            _ts(row["valid_at"]),
            row["event_id"][:12],
        )
    console.print(tail)


@app.command("fsck")
def fsck_command(store: StoreOption = None) -> None:
    """Verify every data file of the log and every event's content hash."""
    log = EventLog.open(store)
    report = run_fsck(log)
    for problem in report.problems:
        err_console.print(f"[red]PROBLEM[/red] {problem}", soft_wrap=True, highlight=False)
    if report.unreferenced:
        console.print(
            f"note: {len(report.unreferenced)} data file(s) not in the current version "
            "(left by an interrupted write or by compaction; harmless)"
        )
    status = "[green]ok[/green]" if report.ok else f"[red]{len(report.problems)} problem(s)[/red]"
    console.print(
        f"fsck version {report.version}: {report.files_checked} files, "
        f"{report.events_checked:,} events checked: {status}"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("compact")
def compact_command(store: StoreOption = None) -> None:
    """Compact small data files (Delta optimize). What every as-of read returns is unchanged."""
    log = EventLog.open(store)
    before = log.version()
    metrics = log.compact()
    console.print(
        f"compacted version {before} -> {log.version()}: "
        f"{metrics.get('numFilesRemoved', 0)} files into {metrics.get('numFilesAdded', 0)}"
    )


def _ts(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "Z")


_registered: list[bool] = []


def _register_plugins() -> None:
    # Command groups that live beside the code they drive register themselves here, so this
    # module stays the one place that owns error handling and exit codes.
    if _registered:
        return
    from analysis.claims.commands import register as register_claims
    from analysis.replay import replay_command
    from analysis.screen import screen_command
    from analysis.sources import sources_command
    from store.ingest.commands import register as register_ingest

    register_ingest(app)
    app.command("replay")(replay_command)
    app.command("screen")(screen_command)
    app.command("sources")(sources_command)
    register_claims(app)
    _registered.append(True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``tapecheck`` console script."""
    _register_plugins()
    try:
        # standalone mode lets click own usage errors (exit 2) and --help; our own errors
        # escape it as exceptions and are reported here as one line.
        app(args=argv)
    except TapecheckError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
