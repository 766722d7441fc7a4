"""Choosing data files from the Delta log's statistics, before any data file is opened.

Every add action in a Delta log records, per file, the minimum and maximum of its first columns.
The log and the projection are both written sorted by ``(stream, valid_at, key)``, so a file's
``stream`` range is narrow and its ``key`` range follows time for bars and observations. A read
of a few streams, or a lookup of a few natural keys, then opens only the files whose ranges can
hold them.

>>> stats = pl.DataFrame({
...     "path": ["a.parquet", "b.parquet", "c.parquet"],
...     "size_bytes": [10, 20, 30],
...     "min.stream": ["A@x", "M@x", None],
...     "max.stream": ["L@x", "Z@x", None],
... })
>>> may_hold(stats, "stream", ["N@x"]).to_list()
[False, True, True]
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from deltalake import DeltaTable

# Parquet writers may truncate long string statistics; a maximum this long or longer is no
# longer trusted as an upper bound (a truncated minimum is still a valid lower bound).
TRUNCATION_GUARD = 64


def add_actions(table: DeltaTable) -> pl.DataFrame:
    """The add actions of a Delta snapshot, flattened: path, size_bytes, num_records,
    ``min.<column>`` and ``max.<column>``."""
    # through the Arrow C interface: pyarrow's table() would import pandas, a second on a cold
    # process
    return pl.DataFrame(table.get_add_actions(flatten=True))


def may_hold(actions: pl.DataFrame, column: str, values: Iterable[str] | pl.Series) -> pl.Series:
    """For each file, whether its ``[min, max]`` statistics of ``column`` can hold one of
    ``values`` (files without statistics always can)."""
    if not isinstance(values, pl.Series):
        values = pl.Series(column, list(values), dtype=pl.String)
    wanted = values.cast(pl.String).drop_nulls().unique().sort()
    n = actions.height
    lo_name, hi_name = f"min.{column}", f"max.{column}"
    if wanted.len() == 0:
        return pl.repeat(False, n, eager=True)
    if lo_name not in actions.columns or hi_name not in actions.columns:
        return pl.repeat(True, n, eager=True)
    lo = actions.get_column(lo_name).cast(pl.String)
    hi = actions.get_column(hi_name).cast(pl.String)
    # the first wanted value at or above each file's minimum; the file can hold a wanted value
    # exactly when that value is not above the file's maximum
    first = wanted.search_sorted(lo.fill_null(""), side="left")
    inside = first < wanted.len()
    candidate = wanted.gather(first.clip(0, wanted.len() - 1))
    unbounded = hi.is_null() | (hi.str.len_chars() >= TRUNCATION_GUARD)
    return (lo.is_null() | unbounded | (inside & (candidate <= hi))).fill_null(True)


def select_files(
    actions: pl.DataFrame,
    *,
    streams: Iterable[str] | pl.Series | None = None,
    keys: Iterable[str] | pl.Series | None = None,
) -> pl.DataFrame:
    """The add actions whose statistics can hold the given streams (and keys)."""
    keep = pl.repeat(True, actions.height, eager=True)
    if streams is not None:
        keep = keep & may_hold(actions, "stream", streams)
    if keys is not None:
        keep = keep & may_hold(actions, "key", keys)
    return actions.filter(keep)
