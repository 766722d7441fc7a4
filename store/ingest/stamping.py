"""Stamping daily bars with the XNYS calendar: when each bar opened and closed.

A daily bar is valid at its session's close, taken from :mod:`store.reference.calendar` with its
early closes (the day after Thanksgiving closes at 13:00 New York time, 18:00 UTC).

Rows on dates that are not XNYS sessions are kept, never dropped: the pre-1952 ^GSPC history
has Saturday sessions the modern calendar does not model. They get a documented fallback bar of
09:30-16:00 America/New_York and are counted in a warning. Sessions of the calendar that a file
lacks between its first and last row are counted in a warning too; they are never filled.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from store.ingest.formats import IngestWarning
from store.reference.calendar import sessions
from store.reference.clock import NEW_YORK_TZ

FALLBACK_OPEN = dt.time(9, 30)
FALLBACK_CLOSE = dt.time(16, 0)
EXAMPLES = 5


def _local(day: pl.Expr, at: dt.time) -> pl.Expr:
    return (
        day.cast(pl.Datetime("us"))
        .dt.offset_by(f"{at.hour}h{at.minute}m")
        .dt.replace_time_zone(NEW_YORK_TZ)
        .dt.convert_time_zone("UTC")
    )


def stamp_sessions(rows: pl.DataFrame) -> tuple[pl.DataFrame, list[IngestWarning]]:
    """Add ``bar_start`` and ``bar_end`` to rows keyed by ``session``.

    Returns the rows and warnings: rows on non-sessions (kept with the fallback times) and
    calendar sessions missing between the first and last row (never filled).
    """
    cal = sessions()
    last_known = cal.get_column("session").max()
    renamed = cal.rename({"open": "_cal_open", "close": "_cal_close"})
    stamped = rows.join(renamed, on="session", how="left").with_columns(
        pl.coalesce("_cal_open", _local(pl.col("session"), FALLBACK_OPEN)).alias("bar_start"),
        pl.coalesce("_cal_close", _local(pl.col("session"), FALLBACK_CLOSE)).alias("bar_end"),
        pl.col("_cal_close").is_null().alias("_off"),
    )
    found: list[IngestWarning] = []
    off = stamped.get_column("_off")
    if off.any():
        days = stamped.filter(off).get_column("session")
        beyond = days.filter(days > last_known)  # type: ignore[operator]
        what = "rows on dates that are not XNYS sessions (kept; 09:30-16:00 New York assumed)"
        if beyond.len() == days.len():
            what = "rows after the end of the calendar (kept; 09:30-16:00 New York assumed)"
        found.append(
            IngestWarning(
                "non-session",
                what,
                days.len(),
                tuple(d.isoformat() for d in days.head(EXAMPLES).to_list()),
            )
        )
    first, last = rows.get_column("session").min(), rows.get_column("session").max()
    expected = cal.filter(pl.col("session").is_between(first, last)).get_column("session")
    missing = expected.filter(~expected.is_in(rows.get_column("session").implode()))
    if missing.len():
        found.append(
            IngestWarning(
                "missing-sessions",
                "XNYS sessions missing between the first and last row (not filled)",
                missing.len(),
                tuple(d.isoformat() for d in missing.head(EXAMPLES).to_list()),
            )
        )
    stamped = stamped.drop("_cal_open", "_cal_close", "_off")
    return stamped, found
