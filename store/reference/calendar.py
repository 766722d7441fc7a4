"""The XNYS exchange calendar: when each session opened and closed, and how weeks end.

The calendar is built once per process from 1885, the first year ``exchange_calendars`` knows;
its default start would only reach 20 years back. Early closes are the calendar's own (the day
after Thanksgiving closes at 13:00 New York time, 18:00 UTC).
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache

import polars as pl

__all__ = ["CALENDAR", "session_bounds", "sessions", "weekly_calendar"]

CALENDAR = "XNYS"
CALENDAR_START = "1885-01-01"
_UTC = pl.Datetime("us", "UTC")


@lru_cache(maxsize=1)
def sessions() -> pl.DataFrame:
    """Every XNYS session the calendar knows: ``session`` (Date), ``open``, ``close`` (UTC)."""
    import exchange_calendars as xcals  # heavy import, only when a calendar is needed

    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips a pandas 3.1 deprecation (Series.values on tz-aware
        # data) inside its own code; the schedule it returns is correct.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        schedule = xcals.get_calendar(CALENDAR, start=CALENDAR_START).schedule
    # one columnar conversion (a Python object per timestamp costs 0.4 s for 36,000 sessions)
    frame = pl.from_pandas(schedule[["open", "close"]].reset_index(names="session"))
    return frame.select(
        pl.col("session").dt.date(),
        pl.col("open").dt.convert_time_zone("UTC").cast(_UTC),
        pl.col("close").dt.convert_time_zone("UTC").cast(_UTC),
    )


def session_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The (open, close) of one session in UTC, or None when ``day`` is not a session.

    >>> [t.isoformat() for t in session_bounds(dt.date(2025, 11, 28))]
    ['2025-11-28T14:30:00+00:00', '2025-11-28T18:00:00+00:00']
    """
    row = sessions().filter(pl.col("session") == day)
    if row.height == 0:
        return None
    return row.get_column("open")[0], row.get_column("close")[0]


@lru_cache(maxsize=1)
def weekly_calendar() -> pl.DataFrame:
    """XNYS sessions with the last session of each ISO week flagged (for weekly closes)."""
    cal = sessions().select("session")
    week = pl.col("session").dt.truncate("1w")
    return cal.with_columns(
        week.alias("week"),
        (pl.col("session") == pl.col("session").max().over(week)).alias("week_last"),
    )
