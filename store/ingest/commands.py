"""CLI command ``tapecheck ingest`` (typer + rich).

Errors are raised as :class:`~store.errors.TapecheckError`; ``analysis.cli.main`` prints them
as one line and exits 2. Names that come from the input (files, series, feeds, warnings) are
printed as text, never as rich markup.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from store.ingest.adapters import ADAPTER_NAMES, adapter_help
from store.ingest.run import IngestResult, ingest_catalog, ingest_file
from store.log import EventLog

# Typer shows an Enum's values as the option's choices and refuses anything else (exit 2).
AdapterChoice = StrEnum("AdapterChoice", {name: name for name in ADAPTER_NAMES})  # type: ignore[misc]

# Piped output (files, CI logs, tests) gets 160 columns instead of rich's 80, so tables of
# dates and feed names are not cut; a terminal, or $COLUMNS, still decides when there is one.
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
AUTO = AdapterChoice("auto")
console = Console(width=_PIPE_WIDTH, emoji=False)
err_console = Console(stderr=True, emoji=False)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Event store directory (default: $TAPECHECK_STORE)."),
]

INGEST_HELP = (
    "Ingest source files into the event store.\n\n"
    "With no FILE, ingest every source of the data catalog from --data (default "
    "$TAPECHECK_DATA): all files are read and checked first, then appended one commit per "
    "file. Running it again adds nothing. Files are read in windows of a few MB, so memory "
    "stays bounded whatever their size; only regular files are read (no FIFOs or devices), "
    "FRED and French files up to 64 MiB, lines up to 1 MiB.\n\n"
    "With FILE, ingest that one file as a source of --symbol (a catalogued file's symbol is "
    "found from its name). --adapter auto detects the format from the header and says which "
    "it chose. Bad input is refused with the file, line and column, and nothing is written.\n\n"
    "Adapters (--adapter), by the header each expects:\n\n"
    + "\n\n".join(f"- {line}" for line in adapter_help().splitlines())
)


def _progress() -> Progress:
    # By bytes read: a check pass, then a write pass. rich drops live redraws when stderr is
    # not a terminal, so this is safe in pipes and CI.
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def ingest_command(
    file: Annotated[
        Path | None, typer.Argument(help="A single file to ingest (default: the whole catalog).")
    ] = None,
    symbol: Annotated[
        str | None,
        typer.Option(help="Ticker, FRED series (DFF) or French family (FF3, FFME) of FILE."),
    ] = None,
    adapter: Annotated[
        AdapterChoice, typer.Option(help="Source format of FILE (see above).")
    ] = AUTO,
    feed: Annotated[
        str | None,
        typer.Option(help="Name of FILE's source (default: from the catalog or the file name)."),
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Data folder (default: $TAPECHECK_DATA).")
    ] = None,
    download: Annotated[
        str | None,
        typer.Option(help="Download this symbol with yfinance (needs yfinance and internet)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First date of a --download (YYYY-MM-DD).")
    ] = None,
    store: StoreOption = None,
) -> None:
    # A wrong store path is refused before the input is read; the store itself is created
    # only once every input passed its checks, so a bad file never leaves an empty store.
    root = EventLog.check_path(store)

    def open_store() -> EventLog:
        return EventLog.open(root, create=True)

    if download is not None:
        from store.ingest.yf_download import ingest_download

        first = dt.date.fromisoformat(start) if start else None
        result = ingest_download(open_store(), download, start=first)
    elif file is not None:
        with _progress() as progress:
            result = ingest_file(open_store, file, symbol, adapter.value, feed, progress=progress)
        chosen = result.files[0]
        if chosen.detected:
            console.print(
                Text.assemble("auto: detected format ", (chosen.adapter, "bold"), f" for {file}")
            )
    else:
        with _progress() as progress:
            result = ingest_catalog(open_store, data, progress=progress)
    print_summary(result)


ingest_command.__doc__ = INGEST_HELP


def print_summary(result: IngestResult, out: Console | None = None) -> None:
    """The per-file table, the warnings, and the one-line total."""
    out = out or console
    table = Table(title="tapecheck ingest")
    for name in ("file", "series@feed", "adapter", "rows", "added", "skipped", "warnings"):
        table.add_column(name, justify="right" if name in ("rows", "added", "skipped") else "left")
    for f in result.files:
        table.add_row(
            Text(f.file),
            Text(f"{f.series}@{f.feed}"),
            Text(f.adapter + (" (auto)" if f.detected else "")),
            f"{f.rows:,}",
            f"{f.added:,}",
            f"{f.skipped:,}",
            f"{f.warning_count:,}" if f.warnings else "",
        )
    out.print(table)
    for f in result.files:
        for w in f.warnings:
            out.print(Text.assemble(("warning", "yellow"), f" {f.file}: {w}"), highlight=False)
    for name in result.unlisted:
        out.print(
            Text.assemble(
                ("warning", "yellow"), f" {name}: in the data folder but not in the catalog"
            )
        )
    if result.added == 0:
        what = f"nothing added: all {result.skipped:,} events were already in the store"
    else:
        what = f"{result.added:,} events added, {result.skipped:,} skipped as duplicates"
    out.print(
        f"{what}; {len(result.files)} file(s), "
        f"{sum(f.warning_count for f in result.files):,} warnings, "
        f"{result.seconds:.1f} s ({result.events_per_second:,.0f} events/s), "
        f"store version {result.version}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Attach the ingest commands to the ``tapecheck`` app."""
    app.command("ingest", help=INGEST_HELP)(ingest_command)
