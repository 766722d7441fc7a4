"""The event model: the envelope, the four payloads, and their explicit Polars schemas.

One Delta table holds every event type, so that one batch is one atomic commit whatever it
mixes. Payload columns that do not belong to an event's type are null; Parquet stores those
runs of nulls in a few bytes.

Natural key: ``(stream, key)``. A bar's key is ``"<interval>/<session>"``, an observation's is
its period, a call's is its call id. A retraction carries the stream and key of the event it
retracts, so ``history`` of a fact shows its retractions beside its versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum

import polars as pl
from polars_hash import CryptographicHashingNameSpace

from store.reference.clock import utc

SCHEMA_VERSION = 1
UTC_US = pl.Datetime("us", "UTC")


class EventType(StrEnum):
    PRICE_BAR = "PriceBar"
    OBSERVATION = "Observation"
    ANALYST_CALL = "AnalystCall"
    RETRACTION = "Retraction"


CALL_KINDS = ("price_target", "level", "direction", "relative", "rating", "list_change")

ENVELOPE_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "event_type": pl.String(),
    "stream": pl.String(),
    "key": pl.String(),
    "valid_at": UTC_US,
    "recorded_at": UTC_US,
    "source": pl.String(),
    "schema_version": pl.Int16(),
    # sha256 over event_id, recorded_at and source: with event_id it makes every stored column
    # checkable by fsck, not only the payload.
    "record_hash": pl.String(),
}

PRICE_BAR_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "feed": pl.String(),
    "interval": pl.String(),
    "session": pl.Date(),
    "bar_start": UTC_US,
    "bar_end": UTC_US,
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "adj_close": pl.Float64(),
    "volume": pl.Float64(),
    "currency": pl.String(),
}

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "series": pl.String(),
    "period": pl.String(),
    "value": pl.Float64(),
    "unit": pl.String(),
}

ANALYST_CALL_SCHEMA: dict[str, pl.DataType] = {
    "analyst": pl.String(),
    "firm": pl.String(),
    "call_kind": pl.String(),
    "subjects": pl.List(pl.String()),
    "comparator": pl.String(),
    "horizon_end": pl.Date(),
    "article": pl.String(),
    "paraphrase": pl.String(),
}

RETRACTION_SCHEMA: dict[str, pl.DataType] = {
    "retracts": pl.String(),
    "reason": pl.String(),
}

EVENT_SCHEMA: pl.Schema = pl.Schema(
    {
        **ENVELOPE_SCHEMA,
        **PRICE_BAR_SCHEMA,
        **OBSERVATION_SCHEMA,
        **ANALYST_CALL_SCHEMA,
        **RETRACTION_SCHEMA,
    }
)

# The payload fields of each type, in hashing order. ``feed`` and ``value`` are shared columns:
# observations use ``feed`` for their source and calls use ``value`` for their number.
PAYLOAD_FIELDS: dict[EventType, tuple[str, ...]] = {
    EventType.PRICE_BAR: tuple(PRICE_BAR_SCHEMA),
    EventType.OBSERVATION: ("series", "feed", "period", "value", "unit"),
    EventType.ANALYST_CALL: ("value", *ANALYST_CALL_SCHEMA),
    EventType.RETRACTION: tuple(RETRACTION_SCHEMA),
}

REQUIRED_FIELDS: dict[EventType, tuple[str, ...]] = {
    # open/high/low come all together or not at all (close-only files), and a bar needs a
    # close, an adjusted close, or both (adjusted-close-only downloads): see store.validate.
    EventType.PRICE_BAR: (
        "symbol",
        "feed",
        "interval",
        "session",
        "bar_start",
        "bar_end",
        "currency",
    ),
    EventType.OBSERVATION: ("series", "feed", "period", "value", "unit"),
    EventType.ANALYST_CALL: (
        "analyst",
        "firm",
        "call_kind",
        "subjects",
        "article",
        "paraphrase",
    ),
    EventType.RETRACTION: ("retracts", "reason"),
}

_NULL = "\x00"
_SEP = "\x1f"
_ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6fZ"


def _as_text(name: str) -> pl.Expr:
    dtype = EVENT_SCHEMA[name]
    col = pl.col(name)
    if dtype == UTC_US or dtype == pl.Date():
        # A batch holds few distinct instants (sessions, one recording stamp): render each once
        # and map, which is several times faster than formatting every row.
        distinct = col.unique()
        fmt = _ISO_UTC if dtype == UTC_US else "%Y-%m-%d"
        text = col.replace_strict(distinct, distinct.dt.to_string(fmt), return_dtype=pl.String)
    elif isinstance(dtype, pl.List):
        text = col.list.join(",")
    else:
        # Float64 -> String is the shortest round-trip form, so equal values give equal text.
        text = col.cast(pl.String)
    return text.fill_null(_NULL)


def content_text(types: Iterable[str] | None = None) -> pl.Expr:
    """The canonical text an ``event_id`` hashes: type, natural key, valid time and payload.

    ``recorded_at`` and ``source`` are left out on purpose: the same fact learned twice, or read
    from a re-downloaded file, must hash the same so that re-ingesting it is a no-op.
    ``types`` limits the expression to the event types a batch holds (default: all four).

    >>> when = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
    >>> frame = batch([Observation("S", "f", "2025-09", 1.5, "pct", when, "doc")])
    >>> frame.select(content_text()).item().split(_SEP)[:5]
    ['Observation', 'S@f', '2025-09', '2025-10-01T00:00:00.000000Z', '1']
    """
    wanted = set(types) if types is not None else {e.value for e in EventType}
    head = [
        pl.col("event_type"),
        pl.col("stream"),
        pl.col("key"),
        _as_text("valid_at"),
        pl.col("schema_version").cast(pl.String),
    ]
    branches = [
        (etype.value, pl.concat_str([*head, *(_as_text(f) for f in fields)], separator=_SEP))
        for etype, fields in PAYLOAD_FIELDS.items()
        if etype.value in wanted
    ]
    if not branches:
        return pl.concat_str(head, separator=_SEP)
    if len(branches) == len(wanted) == 1:
        return branches[0][1]  # a one-type batch (the bulk case) needs no per-row branching
    expr = pl.concat_str(head, separator=_SEP)
    for value, text in reversed(branches):
        expr = pl.when(pl.col("event_type") == value).then(text).otherwise(expr)
    return expr


def record_text() -> pl.Expr:
    """The canonical text of ``record_hash``: the id plus the two fields the id leaves out."""
    return pl.concat_str(
        [pl.col("event_id"), _as_text("recorded_at"), pl.col("source").fill_null(_NULL)],
        separator=_SEP,
    )


def sha(text: pl.Expr) -> pl.Expr:
    """128-bit hex sha256 prefixes of a text column (128 bits keeps collisions out of reach).

    The digest is SHA-256 of the UTF-8 text, computed in Rust by the ``polars-hash`` plugin:
    the same hex as ``hashlib.sha256(text.encode()).hexdigest()[:32]``.

    >>> pl.select(sha(pl.lit("abc"))).item()
    'ba7816bf8f01cfea414140de5dae2223'
    """
    return CryptographicHashingNameSpace(text).sha2_256().str.slice(0, 32)


def event_ids(frame: pl.DataFrame) -> pl.Series:
    """The deterministic content hash of each event in a validated frame."""
    types = frame.get_column("event_type").unique().to_list()
    return frame.select(sha(content_text(types)).alias("event_id")).to_series()


def record_hashes(frame: pl.DataFrame) -> pl.Series:
    """The hash that seals an event's recorded_at and source once it is in the log."""
    return frame.select(sha(record_text()).alias("record_hash")).to_series()


def empty_events() -> pl.DataFrame:
    """A zero-row frame in the full event schema."""
    return pl.DataFrame(schema=EVENT_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Add every missing event column as nulls and order columns as the schema does."""
    missing = [pl.lit(None, dtype=t).alias(n) for n, t in EVENT_SCHEMA.items() if n not in frame]
    return frame.with_columns(missing).select(list(EVENT_SCHEMA))


# ---------------------------------------------------------------------------------------------
# Typed payloads for building small batches by hand (calls, corrections, tests). Bulk ingest
# builds frames directly with the *_frame helpers below.


@dataclass(frozen=True)
class PriceBar:
    """One daily bar of one feed of one symbol; valid at the session's close."""

    symbol: str
    feed: str
    session: dt.date
    bar_start: dt.datetime
    bar_end: dt.datetime
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    source: str
    adj_close: float | None = None
    volume: float | None = None
    currency: str = "USD"
    interval: str = "1d"

    def row(self) -> dict[str, object]:
        payload = asdict(self)
        source = payload.pop("source")
        return {
            "event_type": EventType.PRICE_BAR.value,
            "stream": f"{self.symbol}@{self.feed}",
            "key": f"{self.interval}/{self.session.isoformat()}",
            "valid_at": utc(self.bar_end),
            "source": source,
            **payload,
            "bar_start": utc(self.bar_start),
            "bar_end": utc(self.bar_end),
        }


@dataclass(frozen=True)
class Observation:
    """One value of a macro or factor series for one period, valid when it was published."""

    series: str
    feed: str
    period: str
    value: float
    unit: str
    valid_at: dt.datetime
    source: str

    def row(self) -> dict[str, object]:
        payload = asdict(self)
        source = payload.pop("source")
        return {
            "event_type": EventType.OBSERVATION.value,
            "stream": f"{self.series}@{self.feed}",
            "key": self.period,
            "source": source,
            **payload,
            "valid_at": utc(self.valid_at),
        }


@dataclass(frozen=True)
class AnalystCall:
    """A call made in print: who, what, by when; valid from the article's publication."""

    call_id: str
    analyst: str
    firm: str
    call_kind: str
    subjects: tuple[str, ...]
    article: str
    paraphrase: str
    valid_at: dt.datetime
    source: str
    value: float | None = None
    comparator: str | None = None
    horizon_end: dt.date | None = None

    def row(self) -> dict[str, object]:
        return {
            "event_type": EventType.ANALYST_CALL.value,
            "stream": call_stream(self.firm, self.analyst),
            "key": self.call_id,
            "valid_at": utc(self.valid_at),
            "source": self.source,
            "analyst": self.analyst,
            "firm": self.firm,
            "call_kind": self.call_kind,
            "subjects": list(self.subjects),
            "value": self.value,
            "comparator": self.comparator,
            "horizon_end": self.horizon_end,
            "article": self.article,
            "paraphrase": self.paraphrase,
        }


@dataclass(frozen=True)
class Retraction:
    """Withdraws one earlier event; readers recorded after it no longer see that event."""

    retracts: str
    stream: str
    key: str
    valid_at: dt.datetime
    reason: str
    source: str

    def row(self) -> dict[str, object]:
        return {
            "event_type": EventType.RETRACTION.value,
            "stream": self.stream,
            "key": self.key,
            "valid_at": utc(self.valid_at),
            "source": self.source,
            "retracts": self.retracts,
            "reason": self.reason,
        }


Event = PriceBar | Observation | AnalystCall | Retraction


def call_stream(firm: str, analyst: str) -> str:
    """The stream of an analyst's calls, e.g. ``call:jefferies/desanctis``."""
    return f"call:{_slug(firm)}/{_slug(analyst)}"


def _slug(text: str) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in text.strip())
    return "-".join(part for part in keep.split("-") if part)


def batch(events: Iterable[Event]) -> pl.DataFrame:
    """A batch frame (full schema, ``schema_version`` set) from typed events."""
    rows = [e.row() for e in events]
    if not rows:
        return empty_events()
    frame = pl.DataFrame(rows, schema_overrides={k: v for k, v in EVENT_SCHEMA.items()})
    frame = frame.with_columns(pl.lit(SCHEMA_VERSION, dtype=pl.Int16).alias("schema_version"))
    return conform(frame)


# The natural key of a bar and of an observation, from their fields: built here for bulk
# frames, and checked against what a batch carries at append (store.validate).
BAR_STREAM = pl.concat_str([pl.col("symbol"), pl.lit("@"), pl.col("feed")])
BAR_KEY = pl.concat_str([pl.col("interval"), pl.lit("/"), pl.col("session").cast(pl.String)])
OBSERVATION_STREAM = pl.concat_str([pl.col("series"), pl.lit("@"), pl.col("feed")])
OBSERVATION_KEY = pl.col("period")


def price_bars_frame(
    bars: pl.DataFrame, *, feed: str, source: str, currency: str = "USD", interval: str = "1d"
) -> pl.DataFrame:
    """Turn a bars frame (symbol, session, bar_start, bar_end, open..close[, adj_close, volume])
    into PriceBar events of one feed."""
    frame = bars.with_columns(
        pl.lit(feed).alias("feed"),
        pl.lit(interval).alias("interval"),
        pl.lit(currency).alias("currency"),
        pl.lit(EventType.PRICE_BAR.value).alias("event_type"),
        pl.lit(source).alias("source"),
        pl.lit(SCHEMA_VERSION, dtype=pl.Int16).alias("schema_version"),
    ).with_columns(
        BAR_STREAM.alias("stream"),
        BAR_KEY.alias("key"),
        pl.col("bar_end").alias("valid_at"),
    )
    return conform(frame)


def observations_frame(obs: pl.DataFrame, *, feed: str, source: str) -> pl.DataFrame:
    """Turn an observations frame (series, period, value, unit, valid_at) into events."""
    frame = obs.with_columns(
        pl.lit(feed).alias("feed"),
        pl.lit(EventType.OBSERVATION.value).alias("event_type"),
        pl.lit(source).alias("source"),
        pl.lit(SCHEMA_VERSION, dtype=pl.Int16).alias("schema_version"),
    ).with_columns(
        OBSERVATION_STREAM.alias("stream"),
        OBSERVATION_KEY.alias("key"),
    )
    return conform(frame)
