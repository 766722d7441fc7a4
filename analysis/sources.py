"""Cross-source comparison: where the downloads of one series disagree.

Every download of a series is its own feed (stream ``<symbol>@<feed>``). This module reads them
back through the tape's fold (:meth:`analysis.tape.Tape.fold`, every feed, as known now)
and lists each session (or period) where two feeds differ.

Rules:

- Unadjusted prices are compared with unadjusted prices, field by field (open, high, low,
  close) where both feeds have the field, as relative differences of levels.
- Dividend-adjusted closes (``adj_close`` of any feed, and ``close`` of a feed the catalog
  marks adjusted) are compared with each other as day-over-day **returns** over the same
  pair of sessions: adjusted levels of different download dates differ by every dividend in
  between, so comparing levels would flag every day. The tolerance is then an absolute
  difference of returns (0.0001 = 1 basis point).
- Observations are compared as absolute differences of values (``abs_tolerance``, in the
  series' unit); their ``field`` is the series id, so a French family (``FF3``) can be
  compared at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from analysis.tape import Tape
from store.events import EventType
from store.log import EventLog
from store.reference.catalog import Catalog, load_catalog

PRICE_FIELDS = ("open", "high", "low", "close")
DISAGREEMENT_SCHEMA = {
    "series": pl.String(),
    "session": pl.String(),
    "field": pl.String(),
    "measure": pl.String(),
    "feed_a": pl.String(),
    "value_a": pl.Float64(),
    "feed_b": pl.String(),
    "value_b": pl.Float64(),
    "difference": pl.Float64(),
}


def _streams(log: EventLog, symbol: str) -> list[str]:
    summary = log.summary()
    streams = summary.get_column("stream").unique().sort().to_list()
    # A French family id (``FF3``) covers every series below it (``FF3:SMB:M``).
    return [
        s
        for s in streams
        if s.rsplit("@", 1)[0] == symbol or s.rsplit("@", 1)[0].startswith(f"{symbol}:")
    ]


def _facts(log: EventLog, streams: list[str]) -> pl.DataFrame:
    """The latest version of every fact of ``streams`` (each feed apart), as known now."""
    tape = Tape(log)
    fold = tape.fold()
    return tape.run(fold.filter(fold.stream.isin(streams))).sort("stream", "valid_at", "key")


def _adjusted(cat: Catalog, symbol: str, feed: str) -> bool:
    spec = cat.entry(symbol)
    source = spec.source(feed) if spec is not None else None
    return bool(source and source.adjusted)


def feeds_overview(log: EventLog, symbol: str, *, catalog: Catalog | None = None) -> pl.DataFrame:
    """One row per feed of ``symbol``: first/last session or period, rows, adjusted,
    preferred rank (1 = first choice) for unadjusted and adjusted reads, and catalog notes."""
    cat = catalog or load_catalog()
    spec = cat.entry(symbol)
    streams = _streams(log, symbol)
    rows = []
    if streams:
        view = _facts(log, streams)
        for stream, part in view.group_by("stream", maintain_order=True):
            feed = str(stream[0]).rsplit("@", 1)[1]
            key = "session" if part.get_column("event_type")[0] == "PriceBar" else "period"
            keys = part.get_column(key).cast(pl.String)
            source = spec.source(feed) if spec is not None else None
            rows.append(
                {
                    "feed": feed,
                    "first": keys.min(),
                    "last": keys.max(),
                    "rows": part.height,
                    "adjusted": _adjusted(cat, symbol, feed),
                    "rank": _rank(spec.preferred if spec else (), feed),
                    "rank_adjusted": _rank(spec.preferred_adjusted if spec else (), feed),
                    "notes": source.notes if source else "",
                }
            )
    schema = {
        "feed": pl.String(),
        "first": pl.String(),
        "last": pl.String(),
        "rows": pl.Int64(),
        "adjusted": pl.Boolean(),
        "rank": pl.Int64(),
        "rank_adjusted": pl.Int64(),
        "notes": pl.String(),
    }
    return pl.DataFrame(rows, schema=schema).sort("feed")


def _rank(order: tuple[str, ...], feed: str) -> int | None:
    return order.index(feed) + 1 if feed in order else None


def compare_sources(
    log: EventLog,
    symbol: str,
    *,
    tolerance: float = 0.0001,
    abs_tolerance: float = 0.005,
    fields: list[str] | None = None,
    catalog: Catalog | None = None,
) -> pl.DataFrame:
    """Every session where two feeds of ``symbol`` disagree beyond the tolerance.

    Parameters
    ----------
    log
        The store, read as of now (latest recorded version of every fact).
    symbol
        A ticker, or an observation series id (``FRED:DFEDTARU``, ``FF3:SMB:M``).
    tolerance
        Prices: relative difference of levels (unadjusted) or absolute difference of daily
        returns (adjusted closes).
    abs_tolerance
        Observations: absolute difference of values.
    fields
        Only these fields (``open``, ``high``, ``low``, ``close``, ``adj_close``, or series ids
        of observations).

    Returns
    -------
    A frame with :data:`DISAGREEMENT_SCHEMA`, sorted by session, field and feeds.
    """
    cat = catalog or load_catalog()
    streams = _streams(log, symbol)
    if len(streams) < 2:
        return pl.DataFrame(schema=DISAGREEMENT_SCHEMA)
    view = _facts(log, streams)
    view = view.with_columns(pl.col("stream").str.split("@").list.last().alias("feed_name"))
    bars = view.filter(pl.col("event_type") == EventType.PRICE_BAR.value)
    obs = view.filter(pl.col("event_type") == EventType.OBSERVATION.value)
    parts = []
    if bars.height:
        long = _long_bars(bars, cat, symbol)
        parts.append(_pairs(long.filter(pl.col("measure") == "level"), tolerance, relative=True))
        parts.append(_pairs(_returns(long.filter(pl.col("measure") == "return")), tolerance))
    if obs.height:
        long = obs.select(
            pl.col("feed_name").alias("feed"),
            pl.col("period").alias("session"),
            pl.col("series").alias("field"),
            pl.lit("level").alias("measure"),
            pl.col("value"),
        )
        parts.append(_pairs(long, abs_tolerance, relative=False))
    out = pl.concat(parts) if parts else pl.DataFrame(schema=DISAGREEMENT_SCHEMA)
    if fields:
        out = out.filter(pl.col("field").is_in(fields))
    return (
        out.with_columns(pl.lit(symbol).alias("series"))
        .select(list(DISAGREEMENT_SCHEMA))
        .sort("session", "field", "feed_a", "feed_b")
    )


def _long_bars(bars: pl.DataFrame, cat: Catalog, symbol: str) -> pl.DataFrame:
    feeds = bars.get_column("feed_name").unique().to_list()
    adjusted = [f for f in feeds if _adjusted(cat, symbol, f)]
    is_adj = pl.col("feed_name").is_in(adjusted)
    base = bars.select(
        pl.col("feed_name").alias("feed"),
        pl.col("session").cast(pl.String).alias("session"),
        is_adj.alias("_adj"),
        *PRICE_FIELDS,
        "adj_close",
    )
    raw = base.filter(~pl.col("_adj")).unpivot(
        index=["feed", "session"], on=list(PRICE_FIELDS), variable_name="field"
    )
    adj_close = pl.concat(
        [
            base.filter(pl.col("_adj")).select("feed", "session", pl.col("close").alias("value")),
            base.select("feed", "session", pl.col("adj_close").alias("value")),
        ]
    )
    return pl.concat(
        [
            raw.with_columns(pl.lit("level").alias("measure")),
            adj_close.with_columns(
                pl.lit("adj_close").alias("field"), pl.lit("return").alias("measure")
            ).select("feed", "session", "field", "value", "measure"),
        ]
    ).filter(pl.col("value").is_not_null())


def _returns(long: pl.DataFrame) -> pl.DataFrame:
    # The return of a session is taken over the feed's own previous row; two feeds' returns are
    # compared only when that previous session is the same in both.
    return (
        long.sort("feed", "session")
        .with_columns(
            (pl.col("value") / pl.col("value").shift(1).over("feed") - 1).alias("ret"),
            pl.col("session").shift(1).over("feed").alias("prev"),
        )
        .filter(pl.col("ret").is_not_null())
    )


def _pairs(long: pl.DataFrame, tolerance: float, *, relative: bool = False) -> pl.DataFrame:
    is_return = "ret" in long.columns
    keys = ["session", "field", "measure", *(["prev"] if is_return else [])]
    value = "ret" if is_return else "value"
    left = long.select(*keys, pl.col("feed").alias("feed_a"), pl.col(value).alias("value_a"))
    right = long.select(*keys, pl.col("feed").alias("feed_b"), pl.col(value).alias("value_b"))
    pairs = left.join(right, on=keys).filter(pl.col("feed_a") < pl.col("feed_b"))
    diff = (pl.col("value_a") - pl.col("value_b")).abs()
    if relative:
        diff = diff / ((pl.col("value_a").abs() + pl.col("value_b").abs()) / 2)
    return (
        pairs.with_columns(diff.alias("difference"))
        .filter(pl.col("difference") > tolerance)
        .select(
            pl.lit("").alias("series"),
            "session",
            "field",
            "measure",
            "feed_a",
            "value_a",
            "feed_b",
            "value_b",
            "difference",
        )
    )


StoreOption = Annotated[Path | None, typer.Option("--store", help="Event store directory.")]
# piped output (files, CI logs) gets 160 columns, so dates and feed names are not cut
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)


def sources_command(
    symbol: Annotated[str, typer.Argument(help="A ticker (^RUT) or series (FRED:DFF, FF3).")],
    tolerance: Annotated[
        float,
        typer.Option(
            help="Prices: relative difference of levels, or absolute difference of daily "
            "returns for adjusted closes."
        ),
    ] = 0.0001,
    abs_tolerance: Annotated[
        float, typer.Option(help="Observations: absolute difference of values.")
    ] = 0.005,
    field: Annotated[
        list[str] | None,
        typer.Option(help="Only this field (open, high, low, close, adj_close); repeatable."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many disagreements.")] = 200,
    store: StoreOption = None,
) -> None:
    """List the sources (feeds) of a series and every session where they disagree.

    Unadjusted prices are compared with unadjusted ones, adjusted closes with adjusted ones
    (as daily returns, since adjustment vintages differ in level).
    """
    log = EventLog.open(store)
    overview = feeds_overview(log, symbol)
    if overview.height == 0:
        spec = load_catalog().entry(symbol)
        hint = " (in the catalog: run `tapecheck ingest`)" if spec else ""
        console.print(Text(f"no sources of {symbol} in the store{hint}"))
        return
    feeds = Table(title=Text(f"sources of {symbol}"))
    for name in ("feed", "first", "last", "rows", "adjusted", "rank", "rank adj."):
        # Names, dates and numbers never wrap; the notes column takes what width is left.
        feeds.add_column(name, justify="right" if name == "rows" else "left", no_wrap=True)
    feeds.add_column("notes", overflow="fold", ratio=1)
    for row in overview.iter_rows(named=True):
        feeds.add_row(
            Text(row["feed"]),
            row["first"],
            row["last"],
            f"{row['rows']:,}",
            "yes" if row["adjusted"] else "no",
            str(row["rank"] or ""),
            str(row["rank_adjusted"] or ""),
            Text(row["notes"] or ""),
        )
    console.print(feeds)
    diffs = compare_sources(
        log, symbol, tolerance=tolerance, abs_tolerance=abs_tolerance, fields=field
    )
    table = Table(title=f"disagreements beyond tolerance ({diffs.height:,})")
    for name in ("session", "field", "feed a", "value a", "feed b", "value b", "diff"):
        table.add_column(
            name, justify="right" if name.startswith(("value", "diff")) else "left", no_wrap=True
        )
    for row in diffs.head(limit).iter_rows(named=True):
        returns = row["measure"] == "return"
        table.add_row(
            row["session"],
            row["field"] + (" (daily return)" if returns else ""),
            Text(row["feed_a"]),
            f"{row['value_a']:.6g}",
            Text(row["feed_b"]),
            f"{row['value_b']:.6g}",
            f"{row['difference']:.3g}",
        )
    console.print(table)
    if diffs.height > limit:
        console.print(f"... {diffs.height - limit:,} more (use --limit)")
    console.print(
        Text(f"{diffs.height:,} disagreement(s) across {overview.height} source(s) of {symbol}")
    )


def register(app: typer.Typer) -> None:
    """Attach ``tapecheck sources`` to the ``tapecheck`` app."""
    app.command("sources")(sources_command)
