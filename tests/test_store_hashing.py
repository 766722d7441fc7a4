"""The vectorised hashes give the very digests of the original per-row hashlib path.

The oracle below is the previous implementation, kept verbatim in spirit: every field rendered
row by row with Polars' ``to_string``, one ``when`` branch per event type over all rows, and
Python's ``hashlib`` for SHA-256. Any stored ``event_id`` or ``record_hash`` must still verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from store import AnalystCall, Observation, PriceBar, Retraction, batch
from store.events import (
    EVENT_SCHEMA,
    PAYLOAD_FIELDS,
    UTC_US,
    EventType,
    event_ids,
    record_hashes,
)
from store.log import batch_digest

NULL, SEP = "\x00", "\x1f"


def old_text(name: str) -> pl.Expr:
    dtype, col = EVENT_SCHEMA[name], pl.col(name)
    if dtype == UTC_US:
        text = col.dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ")
    elif dtype == pl.Date():
        text = col.dt.to_string("%Y-%m-%d")
    elif isinstance(dtype, pl.List):
        text = col.list.join(",")
    else:
        text = col.cast(pl.String)
    return text.fill_null(NULL)


def old_content_text() -> pl.Expr:
    head = [
        pl.col("event_type"),
        pl.col("stream"),
        pl.col("key"),
        old_text("valid_at"),
        pl.col("schema_version").cast(pl.String),
    ]
    expr = None
    for etype, fields in PAYLOAD_FIELDS.items():
        text = pl.concat_str([*head, *(old_text(f) for f in fields)], separator=SEP)
        cond = pl.col("event_type") == etype.value
        expr = pl.when(cond).then(text) if expr is None else expr.when(cond).then(text)
    return expr.otherwise(pl.concat_str(head, separator=SEP))


def old_sha(texts: pl.Series) -> list[str]:
    return [hashlib.sha256(t.encode("utf-8")).hexdigest()[:32] for t in texts.to_list()]


def old_record_hashes(frame: pl.DataFrame) -> list[str]:
    text = pl.concat_str(
        [pl.col("event_id"), old_text("recorded_at"), pl.col("source").fill_null(NULL)],
        separator=SEP,
    )
    return old_sha(frame.select(text).to_series())


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
price = st.floats(1e-6, 1e12, allow_nan=False, allow_infinity=False)
maybe_price = st.none() | price
moment = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)
day = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))


@st.composite
def bars(draw: st.DrawFn) -> PriceBar:
    start = draw(moment)
    return PriceBar(
        symbol=draw(st.sampled_from(["^RUT", "IWM", "SYN0001"])),
        feed=draw(st.sampled_from(["yahoo", "stooq"])),
        session=draw(day),
        bar_start=start,
        bar_end=start + dt.timedelta(microseconds=draw(st.integers(1, 10**11))),
        open=draw(maybe_price),
        high=draw(maybe_price),
        low=draw(maybe_price),
        close=draw(maybe_price),
        source=draw(text),
        adj_close=draw(maybe_price),
        volume=draw(st.none() | st.floats(0, 1e15)),
    )


@st.composite
def observations(draw: st.DrawFn) -> Observation:
    return Observation(
        draw(st.sampled_from(["FRED:DFF", "FF3:SMB"])),
        draw(text),
        draw(text),
        draw(st.floats(-1e9, 1e9, allow_nan=False)),
        draw(text),
        draw(moment),
        draw(text),
    )


@st.composite
def calls(draw: st.DrawFn) -> AnalystCall:
    return AnalystCall(
        draw(text),
        draw(text),
        draw(text),
        "price_target",
        tuple(draw(st.lists(text, min_size=1, max_size=3))),
        draw(text),
        draw(text),
        draw(moment),
        draw(text),
        value=draw(st.none() | price),
        comparator=draw(st.none() | st.just(">=")),
        horizon_end=draw(st.none() | day),
    )


@st.composite
def retractions(draw: st.DrawFn) -> Retraction:
    eid = draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    return Retraction(eid, "^RUT@yahoo", draw(text), draw(moment), draw(text), draw(text))


events = st.lists(st.one_of(bars(), observations(), calls(), retractions()), min_size=1)


def stamped(frame: pl.DataFrame, recorded: dt.datetime) -> pl.DataFrame:
    return frame.with_columns(
        event_ids(frame).alias("event_id"), pl.lit(recorded).cast(UTC_US).alias("recorded_at")
    )


@settings(max_examples=200, deadline=None)
@given(events, moment)
def test_vectorised_hashes_equal_the_hashlib_path(evs, recorded):
    frame = batch(evs)
    expected = old_sha(frame.select(old_content_text()).to_series())
    assert event_ids(frame).to_list() == expected
    sealed = stamped(frame, recorded)
    assert record_hashes(sealed).to_list() == old_record_hashes(sealed)


@settings(max_examples=100, deadline=None)
@given(st.lists(bars(), min_size=1, max_size=30))
def test_one_type_batches_take_the_unbranched_path_with_the_same_digests(evs):
    frame = batch(evs)
    assert frame.get_column("event_type").unique().to_list() == [EventType.PRICE_BAR.value]
    expected = old_sha(frame.select(old_content_text()).to_series())
    assert event_ids(frame).to_list() == expected


# A value of each column type of the event schema, to write into a cell that holds another.
SAMPLE = {
    pl.String(): "x",
    pl.Float64(): 1.0,
    pl.Int16(): 7,
    pl.Date(): dt.date(2020, 1, 2),
    UTC_US: dt.datetime(2020, 1, 2, 21, tzinfo=dt.UTC),
    pl.List(pl.String()): ["x"],
}


@settings(max_examples=200, deadline=None)
@given(events, st.data())
def test_the_batch_digest_tells_apart_batches_that_differ_in_one_cell(evs, data):
    """An identical batch is skipped by its digest, so two batches that differ anywhere must
    not share one: a cell changed, set to null, or set in a column that was all null (the
    digest leaves such columns' buffers out and names them in its header)."""
    frame = batch(evs)
    assert batch_digest(frame) == batch_digest(frame.clone()) == batch_digest(frame.rechunk())
    column = data.draw(st.sampled_from(frame.columns))
    row = data.draw(st.integers(0, frame.height - 1))
    dtype = frame.schema[column]
    new = data.draw(st.sampled_from([None, SAMPLE[dtype]]))
    at_row = pl.int_range(pl.len()) == row
    changed = frame.with_columns(
        pl.when(at_row).then(pl.lit(new, dtype=dtype)).otherwise(pl.col(column)).alias(column)
    )
    if changed.equals(frame, null_equal=True):
        return  # the cell already held that value
    assert batch_digest(changed) != batch_digest(frame)
    # the same values under another name, or in another type, are another batch too
    renamed = frame.rename({column: f"{column}_"})
    assert batch_digest(renamed) != batch_digest(frame)
