"""The XNYS exchange calendar: when each session opened and closed, and how weeks end.

The calendar is built from 1885, the first year ``exchange_calendars`` knows; its default
start would only reach 20 years back. Early closes are the calendar's own (the day
after Thanksgiving closes at 13:00 New York time, 18:00 UTC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import io
import warnings
from functools import lru_cache
from pathlib import Path

import polars as pl

from store.config import cache_path
from store.files import write_atomically

__all__ = ["CALENDAR", "session_bounds", "sessions", "weekly_calendar"]

CALENDAR = "XNYS"
CALENDAR_START = "1885-01-01"
_UTC = pl.Datetime("us", "UTC")
# Bumped whenever what the kept table holds changes (its columns, or how it is built).
FORMAT = 1
_SCHEMA = pl.Schema({"session": pl.Date(), "open": _UTC, "close": _UTC})


@lru_cache(maxsize=1)
def sessions() -> pl.DataFrame:
    """Every XNYS session the calendar knows: ``session`` (Date), ``open``, ``close`` (UTC).

    The table is kept in the cache directory (``$TAPECHECK_CACHE/calendar``) per
    exchange_calendars version and day, since building it (importing exchange_calendars and
    pandas, then computing 140 years of holidays) costs a new process over a second; the
    calendar's default end is a year from today, so a new day builds it again."""
    kept = _kept_path()
    if kept is not None:
        try:
            frame = pl.read_parquet(kept)
            if _whole(frame):
                return frame
        except (OSError, pl.exceptions.PolarsError):
            pass  # missing or damaged: built again below
    frame = _build()
    if kept is not None:
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        # a read-only or full cache directory costs time, never a result
        with contextlib.suppress(OSError):
            write_atomically(buffer.getvalue(), kept)
            # one table per version is kept: those of earlier days are not read again (another
            # environment sharing the directory keeps its own version's)
            for old in kept.parent.glob(f"{_stem()}*.parquet"):
                if old != kept:
                    old.unlink(missing_ok=True)
    return frame


def _kept_path() -> Path | None:
    root = cache_path()
    if root is None:
        return None
    today = dt.date.today().isoformat()  # the calendar's default end is local today + 1 year
    return root / "calendar" / f"{_stem()}{today}.parquet"


def _stem() -> str:
    """The kept table's name up to its day: what one version and format share."""
    version = importlib.metadata.version("exchange_calendars")
    return f"{CALENDAR}-from-{CALENDAR_START}-xcals-{version}-format-{FORMAT}-"


def _whole(frame: pl.DataFrame) -> bool:
    """Whether a table read back is a session table at all (damage Parquet's checks miss
    would leave sessions out of order, repeated, or closing before they open)."""
    if frame.schema != _SCHEMA or frame.height == 0 or frame.null_count().sum_horizontal()[0]:
        return False
    session = frame.get_column("session")
    return bool(
        session.is_sorted()
        and session.n_unique() == frame.height
        and (frame.get_column("open") < frame.get_column("close")).all()
        and (frame.get_column("open").dt.date() == session).all()
    )


def _build() -> pl.DataFrame:
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
