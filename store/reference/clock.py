"""The clock: the exchange's time zone and the instants every cut is built from.

Timestamps are stored and compared in UTC; people (and articles) speak New York time. This
module is the only place either is spelled out.

>>> new_york(dt.date(2025, 10, 6), dt.time(14)).isoformat()
'2025-10-06T18:00:00+00:00'
>>> end_of_day(dt.date(2025, 10, 6)).isoformat()
'2025-10-07T03:59:59.999999+00:00'
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["FAR_FUTURE", "NEW_YORK", "NEW_YORK_TZ", "end_of_day", "new_york", "utc"]

NEW_YORK_TZ = "America/New_York"
NEW_YORK = ZoneInfo(NEW_YORK_TZ)
# "As known now": a cut later than any valid time the log can hold.
FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def utc(ts: dt.datetime) -> dt.datetime:
    """A timezone-aware datetime in UTC; naive datetimes are refused, never guessed.

    >>> utc(dt.datetime(2025, 1, 2, 9, tzinfo=NEW_YORK)).isoformat()
    '2025-01-02T14:00:00+00:00'
    """
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        raise ValueError(f"naive timestamp {ts.isoformat()}: give a time zone")
    return ts.astimezone(dt.UTC)


def new_york(day: dt.date, at: dt.time) -> dt.datetime:
    """``day`` at New York wall-clock time ``at``, in UTC."""
    return dt.datetime.combine(day, at, NEW_YORK).astimezone(dt.UTC)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in New York, in UTC (what a bare date means as a cut)."""
    return new_york(day, dt.time(23, 59, 59, 999_999))
