"""Vintages: a source that is one release of a feed, recorded at that release.

The catalog marks a source as a vintage with ``vintage`` and ``released`` (see
``store/reference/catalog.toml``). Ingest appends its events with ``recorded_at`` set to the
release instead of the wall clock, oldest vintage first. Event ids hash content without
``recorded_at``, so a value a later vintage repeats is the same fact and is skipped, and a
revised value is a new version of the fact, recorded at the later release.

A vintage cannot hold a value that became public only after it was released: that would
mean the catalog's release instant (or a publication rule) is wrong, and the log would
record a fact before it was valid. Ingest refuses such a file and names the row.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from store.errors import BadInput
from store.reference.catalog import SourceSpec


def release_stamp(
    source: SourceSpec | None, events: pl.DataFrame, lines: list[int], file: str
) -> dt.datetime | None:
    """The ``recorded_at`` of a catalogued vintage's events, or None (record them now).

    Raises
    ------
    BadInput
        When a value of the vintage is public (``valid_at``) after the vintage's release.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> from store.reference.catalog import SourceSpec
    >>> jan = dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)
    >>> spec = SourceSpec("FF3", "french", "f.csv", "french-factors", False, False, "",
    ...                   vintage="202511", released=jan)
    >>> events = pl.DataFrame({"valid_at": [jan - dt.timedelta(days=31), jan]})
    >>> release_stamp(spec, events, [2, 3], "f.csv") == jan
    True
    >>> release_stamp(spec, events.with_columns(pl.col("valid_at") + dt.timedelta(days=1)),
    ...               [2, 3], "f.csv")
    Traceback (most recent call last):
    store.errors.BadInput: f.csv, line 3, field 'released': a value public at 2026-01-02 \
05:00 UTC is in vintage 202511, released 2026-01-01 05:00 UTC: fix the catalog's release
    """
    if source is None or source.released is None or events.height == 0:
        return None
    late = events.get_column("valid_at") > source.released
    if late.any():
        i = int(late.arg_true()[0])
        valid = events.get_column("valid_at")[i]
        raise BadInput(
            f"a value public at {valid:%Y-%m-%d %H:%M} UTC is in vintage {source.vintage}, "
            f"released {source.released:%Y-%m-%d %H:%M} UTC: fix the catalog's release",
            file=file,
            row=lines[i] if i < len(lines) else None,
            field="released",
        )
    return source.released
