"""Windows resolved to dates: what "this year", "in July" or "the past six months" mean for an
article published on a given day."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from analysis.claims.model import Window

__all__ = ["resolve_window"]


def resolve_window(
    window: Window, day: dt.date, ending: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """``(after, through)`` of a window measured up to ``day``: the return runs from the last
    close on or before ``after`` to the last close on or before ``through``.

    >>> resolve_window(Window.parse("ytd"), dt.date(2025, 10, 6))
    (datetime.date(2024, 12, 31), datetime.date(2025, 10, 6))
    >>> resolve_window(Window.parse("month:2024-07"), dt.date(2024, 7, 17))
    (datetime.date(2024, 6, 30), datetime.date(2024, 7, 17))
    >>> resolve_window(Window.parse("half:2024-1"), dt.date(2024, 7, 17))
    (datetime.date(2023, 12, 31), datetime.date(2024, 6, 30))
    """
    through = min(ending or day, day)
    kind = window.kind
    if kind == "ytd":
        return dt.date(through.year - 1, 12, 31), through
    if kind == "mtd":
        return through.replace(day=1) - dt.timedelta(days=1), through
    if kind == "month":
        assert window.month is not None
        first = dt.date.fromisoformat(window.month + "-01")
        last = first + relativedelta(months=1) - dt.timedelta(days=1)
        return first - dt.timedelta(days=1), min(last, through)
    if kind == "half":
        assert window.half is not None
        year, half = (int(x) for x in window.half.split("-"))
        start = dt.date(year - 1, 12, 31) if half == 1 else dt.date(year, 6, 30)
        end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
        return start, min(end, through)
    if kind == "between":
        assert window.start is not None and window.end is not None
        return window.start, min(window.end, through)
    if kind == "months":
        return through - relativedelta(months=window.count or 0), through
    if kind == "years":
        return through - relativedelta(years=window.count or 0), through
    if kind == "session":
        return through - dt.timedelta(days=1), through
    raise ValueError(f"window {kind!r} has no calendar bounds (sessions are counted)")
