"""Cross-source comparison: where the downloads of one series disagree.

Every download of a series is its own feed (stream ``<symbol>@<feed>``). This module reads them
back through :meth:`EventLog.read` and lists each session (or period) where two feeds differ.

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

import polars as pl

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
        view = log.read(streams=streams)
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
    view = log.read(streams=streams)
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
