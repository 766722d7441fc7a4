"""The universe screen: signals for every symbol at one cut, in one query.

Universe-wide questions ("which symbols close above their 200-session average?", "how many
record closes has each set this year?") are one query over the tape's bars at the cut,
partitioned by symbol on the tape's engine (DuckDB, or Spark when the universe outgrows one
machine). Nothing loops over symbols in Python, and one row per symbol comes back.

Per symbol with closes (quoted, or dividend-adjusted with ``adjusted=True``), as known at the
cut:

- ``session`` and ``close``: the last close at the cut;
- ``sma`` and ``above_sma``: the simple average of the last ``sessions`` closes at that
  session, and whether the close is above it (null with fewer closes than that);
- ``ytd_return``: from the last close of the previous year (null without one);
- ``records_ytd`` and ``last_record``: record closes (above every earlier close on the tape) set
  this year through the cut, and the session of the latest one.

A series that has no session yet this year (it stopped) has a null YTD return and record count:
its last session says how old its close and average are.

Examples
--------
>>> import datetime as dt
>>> from analysis.examples import example_log
>>> from analysis.tape import Tape
>>> tape = Tape(example_log())
>>> cut = dt.datetime(2025, 1, 8, 22, tzinfo=dt.UTC)
>>> row = tape.run(screen(tape, cut, sessions=3)).row(0, named=True)
>>> row["symbol"], row["close"], round(row["sma"], 2), row["above_sma"]
('^A', 108.0, 106.0, True)
>>> round(row["ytd_return"], 2), row["records_ytd"], row["last_record"]
(0.08, 4, datetime.date(2025, 1, 8))
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import ibis
import ibis.expr.types as ir
import typer
from rich.console import Console
from rich.table import Table

from analysis import signals as sg
from analysis.backends import BACKEND_HELP
from analysis.ordinal import first_rows
from analysis.replay import parse_cut
from analysis.tape import Tape
from store import EventLog
from store.errors import BadInput
from store.files import write_atomically
from store.reference.clock import NEW_YORK, utc

__all__ = ["SCREEN_COLUMNS", "screen"]

SCREEN_COLUMNS = (
    "symbol",
    "session",
    "close",
    "sma",
    "above_sma",
    "ytd_return",
    "records_ytd",
    "last_record",
)


def screen(
    tape: Tape,
    known_at: dt.datetime,
    recorded_by: dt.datetime | None = None,
    *,
    symbols: list[str] | None = None,
    sessions: int = 200,
    source: str | None = None,
    adjusted: bool = False,
) -> ir.Table:
    """Every symbol's trend and records at one cut, as one lazy query (see the module).

    Parameters
    ----------
    tape
        The tape; the query runs on its engine (``tape.run``).
    known_at, recorded_by
        The cut.
    symbols
        The universe (default: every symbol with price bars on the tape).
    sessions
        The length of the moving average.
    source
        Read one feed instead of the catalog's preferred ones.
    adjusted
        Screen dividend-adjusted closes (total return) instead of quoted ones; symbols whose
        feeds carry only adjusted closes appear only then.
    """
    day = utc(known_at).astimezone(NEW_YORK).date()
    bars = tape.bars(known_at, recorded_by, symbols=symbols, source=source, adjusted=adjusted)
    bars = bars.filter(bars.close.notnull()).select("symbol", "session", "close")
    averaged = sg.moving_average(bars, sessions)
    last = first_rows(averaged, [averaged.symbol], [ibis.desc(averaged.session)])
    ytd = sg.ytd_return(bars, day)
    ytd = ytd.select(ytd_symbol=ytd.symbol, ytd_return=ytd.period_return)
    records = sg.record_closes(bars, start=dt.date(day.year, 1, 1), end=day)
    records = records.group_by(records_symbol=records.symbol).agg(
        records_ytd=records.count(), last_record=records.session.max()
    )
    out = last.left_join(ytd, last.symbol == ytd.ytd_symbol)
    out = out.left_join(records, out.symbol == records.records_symbol)
    # a series with no session this year has no YTD return and no count, rather than 0
    this_year = out.session >= ibis.literal(dt.date(day.year, 1, 1), type="date")
    return out.select(
        "symbol",
        "session",
        "close",
        "sma",
        above_sma=out.close > out.sma,
        ytd_return=this_year.ifelse(out.ytd_return, ibis.null("float64")),
        records_ytd=this_year.ifelse(out.records_ytd.fill_null(0), ibis.null("int64")),
        last_record=out.last_record,
    )


def screen_command(
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
    sessions: Annotated[
        int, typer.Option("--sessions", min=1, help="Length of the moving average.")
    ] = 200,
    adjusted: Annotated[
        bool, typer.Option("--adjusted", help="Dividend-adjusted closes (total return).")
    ] = False,
    above: Annotated[
        bool, typer.Option("--above", help="Only the symbols closing above their average.")
    ] = False,
    symbols: Annotated[
        list[str] | None, typer.Option("--symbol", help="Screen these symbols (repeatable).")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the screen to this CSV.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Event store directory.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help=BACKEND_HELP)] = None,
) -> None:
    """Screen every symbol at one cut: above its moving average, YTD return, record closes."""
    cut = parse_cut(known_at, "--known-at")
    rec = parse_cut(recorded_by, "--recorded-by") if recorded_by else None
    tape = Tape(EventLog.open(store), backend=backend)
    frame = tape.run(
        screen(tape, cut, rec, symbols=symbols or None, sessions=sessions, adjusted=adjusted)
    ).sort("symbol")
    if frame.height == 0:
        raise BadInput(f"no price bars known at {cut.isoformat()}", field="--known-at")
    if above:
        frame = frame.filter(frame["above_sma"].fill_null(False))
    console = Console()
    if csv is not None:
        write_atomically(frame.write_csv(), csv)
        console.print(f"wrote {frame.height} symbols to {csv}")
        return
    table = Table(
        title=f"screen at {cut.isoformat()} (store version {tape.version}, {tape.backend.name})"
    )
    headers = {
        "symbol": "symbol",
        "session": "last session",
        "close": "close",
        "sma": f"{sessions}-session avg",
        "above_sma": "above",
        "ytd_return": "YTD",
        "records_ytd": f"records {cut.astimezone(NEW_YORK).year}",
        "last_record": "last record",
    }
    for col in SCREEN_COLUMNS:
        dates = col in ("session", "last_record")
        table.add_column(
            headers[col], justify="left" if col == "symbol" else "right", no_wrap=dates
        )
    for row in frame.iter_rows(named=True):
        table.add_row(*(_fmt(col, row[col]) for col in SCREEN_COLUMNS))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Attach ``tapecheck screen`` to the ``tapecheck`` app."""
    app.command("screen")(screen_command)


def _fmt(column: str, value: object) -> str:
    if value is None:
        return ""
    if column == "ytd_return" and isinstance(value, float):
        return f"{value:+.2%}"
    if column == "above_sma":
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
