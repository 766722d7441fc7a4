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


def stamp(rows: pl.DataFrame) -> pl.DataFrame:
    """Add ``bar_start`` and ``bar_end`` to rows keyed by ``session``, and ``_off``: the row's
    date is not a session of the calendar (it got the fallback bar)."""
    cal = sessions().rename({"open": "_cal_open", "close": "_cal_close"})
    stamped = rows.join(cal, on="session", how="left").with_columns(
        pl.coalesce("_cal_open", _local(pl.col("session"), FALLBACK_OPEN)).alias("bar_start"),
        pl.coalesce("_cal_close", _local(pl.col("session"), FALLBACK_CLOSE)).alias("bar_end"),
        pl.col("_cal_close").is_null().alias("_off"),
    )
    return stamped.drop("_cal_open", "_cal_close")


def calendar_warnings(
    off_days: pl.Series, off_count: int, off_beyond: int, days: pl.Series
) -> list[IngestWarning]:
    """The warnings about a file's dates against the calendar.

    Parameters
    ----------
    off_days
        The earliest rows' dates that are not sessions (the examples).
    off_count, off_beyond
        How many rows are on non-sessions, and how many of those after the calendar's end.
    days
        Every date of the file (for the sessions missing between its first and last).
    """
    found: list[IngestWarning] = []
    if off_count:
        what = "rows on dates that are not XNYS sessions (kept; 09:30-16:00 New York assumed)"
        if off_beyond == off_count:
            what = "rows after the end of the calendar (kept; 09:30-16:00 New York assumed)"
        examples = tuple(d.isoformat() for d in off_days.sort().head(EXAMPLES).to_list())
        found.append(IngestWarning("non-session", what, off_count, examples))
    if days.len() == 0:
        return found
    first, last = days.min(), days.max()
    expected = sessions().filter(pl.col("session").is_between(first, last)).get_column("session")
    # The calendar is the small side: scan the file's dates against it, never the reverse.
    present = days.filter(days.is_in(expected.implode()))
    missing = expected.filter(~expected.is_in(present.implode()))
    if missing.len():
        found.append(
            IngestWarning(
                "missing-sessions",
                "XNYS sessions missing between the first and last row (not filled)",
                missing.len(),
                tuple(d.isoformat() for d in missing.head(EXAMPLES).to_list()),
            )
        )
    return found


def beyond_calendar(days: pl.Series) -> int:
    """How many of ``days`` fall after the calendar's last session."""
    last_known = sessions().get_column("session").max()
    return int((days > last_known).sum())  # type: ignore[operator]


def stamp_sessions(rows: pl.DataFrame) -> tuple[pl.DataFrame, list[IngestWarning]]:
    """Add ``bar_start`` and ``bar_end`` to rows keyed by ``session``.

    Returns the rows and warnings: rows on non-sessions (kept with the fallback times) and
    calendar sessions missing between the first and last row (never filled).
    """
    stamped = stamp(rows)
    off = stamped.get_column("_off")
    days = stamped.filter(off).get_column("session")
    warnings = calendar_warnings(
        days.head(EXAMPLES), days.len(), beyond_calendar(days), rows.get_column("session")
    )
    return stamped.drop("_off"), warnings
