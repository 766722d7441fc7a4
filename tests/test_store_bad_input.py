"""Bad input is refused with a message naming row and field, and the table stays byte-identical."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import UTC, bars_batch, tree_fingerprint

from store import BadInput


def mutate(frame: pl.DataFrame, row: int, **values) -> pl.DataFrame:
    exprs = []
    for name, value in values.items():
        col = frame.get_column(name)
        new = col.to_list()
        new[row] = value
        exprs.append(pl.Series(name, new, dtype=col.dtype))
    return frame.with_columns(exprs)


CASES = {
    "nan close": (lambda f: mutate(f, 2, close=float("nan")), "close", "not a number"),
    "infinite high": (lambda f: mutate(f, 1, high=float("inf")), "high", "not a number"),
    "negative low": (lambda f: mutate(f, 3, low=-1.0, open=1.0, close=1.0), "low", "not positive"),
    "zero close": (lambda f: mutate(f, 0, close=0.0), "close", "not positive"),
    "high below low": (lambda f: mutate(f, 2, high=90.0), "high", "below low"),
    "close above high": (lambda f: mutate(f, 2, close=150.0), "close", "outside the bar"),
    "negative volume": (lambda f: mutate(f, 1, volume=-5.0), "volume", "negative"),
    "missing column": (lambda f: f.drop("stream"), None, "missing required column"),
    "unknown column": (
        lambda f: f.with_columns(pl.lit(1).alias("closee")),
        None,
        "unknown event column",
    ),
    "text in a price": (
        lambda f: f.with_columns(pl.col("close").cast(pl.String)),
        "close",
        "wrong type",
    ),
    "integer timestamps": (
        lambda f: f.with_columns(pl.lit(5).alias("valid_at")),
        "valid_at",
        "wrong type",
    ),
    "naive timestamps": (
        lambda f: f.with_columns(pl.col("valid_at").dt.replace_time_zone(None)),
        "valid_at",
        "naive timestamp",
    ),
    "duplicate key": (
        lambda f: pl.concat([f, mutate(f.slice(1, 1), 0, close=101.5)]),
        "key",
        "duplicate key",
    ),
    "path-like stream": (
        lambda f: mutate(f, 0, stream="../../etc/passwd"),
        "stream",
        "looks like a path",
    ),
    "absolute path stream": (lambda f: mutate(f, 0, stream="/tmp/x"), "stream", "path"),
    "empty stream": (lambda f: mutate(f, 0, stream=""), "stream", "empty"),
    "missing stream": (lambda f: mutate(f, 4, stream=None), "stream", "missing"),
    "path-like symbol": (lambda f: mutate(f, 0, symbol="../RUT"), "symbol", "path"),
    "unknown event type": (
        lambda f: mutate(f, 0, event_type="Trade"),
        "event_type",
        "unknown event type",
    ),
    "partial ohlc": (lambda f: mutate(f, 0, open=None), "open", "other OHLC values"),
    "no close at all": (lambda f: mutate(f, 0, close=None), "close", "close"),
    # the engine reads one daily bar per symbol, feed and session (found in review)
    "a weekly bar": (
        lambda f: mutate(f, 1, interval="1wk", key=f["key"][1].replace("1d/", "1wk/")),
        "interval",
        "tapecheck reads daily bars",
    ),
    "a stream that is not symbol@feed": (
        lambda f: mutate(f, 2, stream="^OTHER@unit"),
        "stream",
        "its fields name '^TST@unit'",
    ),
    "a key that is not the session": (
        lambda f: mutate(f, 2, key="1d/1999-01-01"),
        "key",
        "but its fields name '1d/",
    ),
    "valid_at is not the bar close": (
        lambda f: mutate(f, 0, valid_at=dt.datetime(2025, 1, 1, 12, tzinfo=UTC)),
        "valid_at",
        "valid_at must equal bar_end",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_batch_is_refused_and_the_table_is_untouched(delta_log, case):
    delta_log.append(bars_batch(3, symbol="^OLD"))
    version, fingerprint = delta_log.version(), tree_fingerprint(delta_log.root)
    breaker, field, message = CASES[case]
    with pytest.raises(BadInput) as info:
        delta_log.append(breaker(bars_batch(5)))
    err = info.value
    assert message in str(err)
    if field is not None:
        assert err.field == field
    assert delta_log.version() == version
    assert tree_fingerprint(delta_log.root) == fingerprint


def test_the_error_names_the_row(delta_log):
    with pytest.raises(BadInput) as info:
        delta_log.append(mutate(bars_batch(5), 3, high=1.0))
    assert info.value.row == 3
    assert str(info.value) == "row 3, field 'high': high 1.0 is below low 102.0"


def test_file_lines_are_named_when_given(delta_log):
    with pytest.raises(BadInput) as info:
        delta_log.append(
            mutate(bars_batch(5), 3, close=float("nan")), file="prices.csv", lines=[2, 3, 4, 5, 6]
        )
    assert str(info.value).startswith("prices.csv, line 5, field 'close'")


def test_not_a_dataframe(delta_log):
    with pytest.raises(BadInput, match="polars DataFrame"):
        delta_log.append([{"close": 1.0}])


def test_an_observation_stream_must_be_series_at_feed(delta_log):
    from store import Observation, batch

    when = dt.datetime(2025, 10, 1, tzinfo=UTC)
    frame = batch([Observation("DFF", "fred", "2025-09", 4.2, "pct", when, "doc")])
    with pytest.raises(BadInput) as info:
        delta_log.append(mutate(frame, 0, stream="DFF@other"))
    assert info.value.field == "stream" and "'DFF@fred'" in str(info.value)
    with pytest.raises(BadInput) as info:
        delta_log.append(mutate(frame, 0, key="2025-08"))
    assert info.value.field == "key"
    assert delta_log.append(frame).added == 1
