"""``tapecheck replay``: one series as it was known at a cut, for a terminal or a CSV file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from analysis.backends import BACKEND_HELP
from analysis.tape import Tape
from store import EventLog
from store.errors import BadInput, clip
from store.files import write_atomically
from store.reference.clock import end_of_day


def parse_cut(text: str, option: str) -> dt.datetime:
    """An ISO date or a datetime with an offset; a bare date is the end of that day in New York.

    >>> parse_cut("2025-10-06", "--known-at").isoformat()
    '2025-10-07T03:59:59.999999+00:00'
    >>> parse_cut("2025-10-06T14:00:00-04:00", "--known-at").isoformat()
    '2025-10-06T18:00:00+00:00'
    >>> parse_cut("9999-12-31", "--known-at")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    store.errors.BadInput: field '--known-at': '9999-12-31' is out of the range of dates ...
    """
    shown = clip(repr(text), 100)
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return end_of_day(day)
        ts = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except OverflowError:
        raise BadInput(
            f"{shown} is out of the range of dates (its end of day in New York is past "
            "9999-12-31 UTC)",
            field=option,
        ) from None
    except ValueError:
        raise BadInput(f"{shown} is not an ISO date or datetime", field=option) from None
    if ts.tzinfo is None:
        raise BadInput(
            f"{shown} has no UTC offset; write e.g. {clip(text, 40)}-04:00 or {clip(text, 40)}Z",
            field=option,
        )
    try:
        return ts.astimezone(dt.UTC)
    except OverflowError:
        raise BadInput(f"{shown} is out of the range of dates in UTC", field=option) from None


def replay_frames(
    tape: Tape,
    symbol: str,
    known_at: dt.datetime,
    recorded_by: dt.datetime | None,
    source: str | None,
) -> tuple[pl.DataFrame, pl.DataFrame | None, str]:
    """The closed tape of ``symbol`` (bars, or observations for a series), the session in
    progress (bars only), and which of the two kinds it is."""
    bars = tape.bars(known_at, recorded_by, symbols=[symbol], source=source)
    frame = tape.run(bars.order_by("session"))
    if frame.height:
        live = tape.session_in_progress(known_at, recorded_by, symbols=[symbol], source=source)
        return frame, (tape.run(live) if live is not None else None), "bars"
    obs = tape.observations(known_at, recorded_by, series=[symbol], source=source)
    frame = tape.run(obs.order_by("period"))
    if frame.height:
        return frame, None, "observations"
    known = tape.log.summary().get_column("stream").str.split("@").list.first().unique().sort()
    hint = ", ".join(known.head(12).to_list())
    raise BadInput(
        f"nothing known about {symbol!r} at {known_at.isoformat()}"
        + (f" from source {source!r}" if source else "")
        + f" (series in the store include: {hint})",
        field="SYMBOL",
    )


def replay_command(
    symbol: Annotated[str, typer.Argument(help="A symbol (^RUT) or a series (FRED:DFEDTARU).")],
    known_at: Annotated[
        str,
        typer.Option(
            "--known-at",
            help="Valid-time cut: ISO date (end of day, New York) or datetime with offset.",
        ),
    ],
    recorded_by: Annotated[
        str | None, typer.Option("--recorded-by", help="Recorded-time cut (default: all).")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Read one feed instead of the preferred ones.")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the whole tape to this CSV file.")
    ] = None,
    last: Annotated[int, typer.Option("--last", "-n", help="Rows to show.")] = 10,
    store: Annotated[Path | None, typer.Option("--store", help="Event store directory.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help=BACKEND_HELP)] = None,
) -> None:
    """Show one series as it was known at a cut (and the session in progress, if any)."""
    cut = parse_cut(known_at, "--known-at")
    rec = parse_cut(recorded_by, "--recorded-by") if recorded_by else None
    tape = Tape(EventLog.open(store), backend=backend)
    frame, live, kind = replay_frames(tape, symbol, cut, rec, source)
    console = Console()
    if csv is not None:
        write_atomically(frame.drop("event_id", strict=False).write_csv(), csv)
        console.print(f"wrote {frame.height:,} {kind} of {symbol} to {csv}")
        return
    title = (
        f"{symbol} known at {cut.isoformat()}"
        + (f", recorded by {rec.isoformat()}" if rec else "")
        + f" (store version {tape.version})"
    )
    columns = (
        ["session", "feed", "open", "high", "low", "close", "adj_close"]
        if kind == "bars"
        else ["period", "feed", "value", "unit", "valid_at"]
    )
    caption = f"{frame.height:,} {kind}; last {min(last, frame.height)}"
    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="left" if col in ("session", "feed", "period") else "right")
    for row in frame.tail(last).iter_rows(named=True):
        table.add_row(*(_fmt(row[c]) for c in columns))
    if live is not None and live.height:
        row = live.row(0, named=True)
        table.add_row(*(_fmt(row[c]) for c in columns), style="yellow")
        caption += (
            f"; yellow: session {row['session']} in progress at the cut (its final bar, "
            "not part of the closed tape)"
        )
    table.caption = caption
    console.print(table)


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def register(app: typer.Typer) -> None:
    """Attach ``tapecheck replay`` to the ``tapecheck`` app."""
    app.command("replay")(replay_command)
