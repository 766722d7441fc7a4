"""Comparing one result computed on two engines (DuckDB and Spark): equal rows, floats within a
relative tolerance, whatever order or integer width each engine returns them in."""

from __future__ import annotations

import math

import polars as pl

REL = 1e-9
# below this, a difference is rounding in a sum that should be zero (a return of exactly 0)
ABS = 1e-12


def normalised(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps in microseconds UTC, integers as Int64, rows in a canonical order."""
    cols = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            cols.append(pl.col(name).dt.cast_time_unit("us").dt.convert_time_zone("UTC"))
        elif dtype.is_integer():
            cols.append(pl.col(name).cast(pl.Int64))
        else:
            cols.append(pl.col(name))
    frame = frame.select(cols)
    exact = [n for n, t in frame.schema.items() if not t.is_float() and t != pl.List]
    floats = [n for n, t in frame.schema.items() if t.is_float()]
    return frame.sort([*exact, *floats], nulls_last=True)


def assert_same(duck: pl.DataFrame, spark: pl.DataFrame, what: str = "") -> None:
    """The two engines' results are the same table (see the module)."""
    assert duck.columns == spark.columns, (what, duck.columns, spark.columns)
    assert duck.height == spark.height, (what, duck.height, spark.height)
    a, b = normalised(duck), normalised(spark)
    for name, dtype in a.schema.items():
        left, right = a[name].to_list(), b[name].to_list()
        if dtype.is_float():
            for i, (x, y) in enumerate(zip(left, right, strict=True)):
                assert close(x, y), (what, name, i, x, y)
        else:
            assert left == right, (what, name, _first_difference(left, right))


def close(x: float | None, y: float | None) -> bool:
    """Equal within ``REL`` (nulls and NaNs equal each other only)."""
    if x is None or y is None:
        return x is y
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or abs(x - y) <= max(REL * max(abs(x), abs(y)), ABS)


def _first_difference(left: list[object], right: list[object]) -> tuple[int, object, object]:
    for i, (x, y) in enumerate(zip(left, right, strict=True)):
        if x != y:
            return i, x, y
    return -1, None, None
