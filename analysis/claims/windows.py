"""Windows: the period a claim measures, written as articles write it, and resolved to dates.

A window is one of:

========================================  ========================================================
written as                                 means, for an article published on day D
========================================  ========================================================
``ytd``, ``this year``                     from the last close of the previous year to D
``mtd``, ``this month``                    from the last close of the previous month to D
``session``, ``today``                     the publication session's own move
``last month``                             the previous calendar month
``last week``                              the last full week (Monday to Friday) before D's week
``in 2024``, ``year:2024``                 calendar year 2024 (to D if it is still running)
``July``, ``in July``                      the most recent July that has begun by D
``July 2024``, ``month:2024-07``           that calendar month (to D if it is still running)
``first half``, ``first half of 2024``,    January to June (or July to December) of D's year, or
``half:2024-1``                            of the year named
``between:2025-01-01..2025-03-31``         from the last close on or before A to that on or before B
``last 5 sessions``, ``sessions:5``        the last 5 sessions (a session in progress is one)
``past 6 months``, ``months:6``            a calendar window of 6 months ending at D
``past decade``, ``past 10 years``,        a calendar window of 10 years ending at D
``years:10``
``since its November peak``,               from the highest close of the most recent November
``since:November peak``
``since:2025-03-31``                       from the last close on or before that date
========================================  ========================================================

A return over a window runs from the last close on or before its start (``after``) to the last
close on or before its end (``through``); a window ends at the publication cut unless a claim's
``ending`` says otherwise. A window that holds no session at the cut (``today`` before the open,
``this year`` before the year's first close) has no return: the claim is ``not_enough_data``.

>>> Window.parse("in July").kind, Window.parse("July 2024").month
('month', '2024-07')
>>> resolve_window(Window.parse("July"), dt.date(2024, 7, 26))
(datetime.date(2024, 6, 30), datetime.date(2024, 7, 26))
>>> resolve_window(Window.parse("last month"), dt.date(2025, 10, 6))
(datetime.date(2025, 8, 31), datetime.date(2025, 9, 30))
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict

from analysis.claims.timeref import MONTHS, last_full_week, session_at_or_before
from store.reference.clock import new_york

__all__ = ["Window", "resolve_window"]

# a calendar window longer than this is a typing error (the data start in 1926)
MAX_YEARS = 150
MAX_SESSIONS = 20_000

_FORMS = (
    "ytd, this year, mtd, this month, session, today, last month, last week, in 2024, July, "
    "July 2024, month:2024-07, first half (of 2024), half:2024-1, between:A..B, "
    "last 5 sessions, sessions:5, past 6 months, months:6, past decade, years:10, "
    "since its November peak, since:2025-03-31"
)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "five": 5, "six": 6, "ten": 10, "twelve": 12}


class Window(BaseModel):
    """A period of time a return, a count or a comparison is measured over."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal[
        "ytd",
        "mtd",
        "session",
        "last_month",
        "last_week",
        "year",
        "month",
        "half",
        "between",
        "sessions",
        "months",
        "years",
        "since_peak",
        "since",
    ]
    # YYYY-MM, or a month's name (the most recent one)
    month: str | None = None
    year: int | None = None
    half: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    count: int | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: object) -> Window:
        """Read a window as a spec writes it (see the module table); anything else is refused
        with the forms that are understood."""
        if isinstance(text, Window):
            return text
        if not isinstance(text, str):
            raise ValueError(f"window {text!r} is not text; write one of: {_FORMS}")
        w = re.sub(r"\s+", " ", text.strip().lower())
        w = w.removeprefix("the ").removeprefix("over the ").removeprefix("over ")
        made = _parse(w, text)
        if made is None:
            raise ValueError(f"window {text!r} is not understood; write one of: {_FORMS}")
        return made

    def describe(self) -> str:
        """The window in words.

        >>> Window.parse("month:2024-07").describe(), Window.parse("sessions:63").describe()
        ('July 2024', 'the last 63 sessions')
        """
        if self.kind == "month" and self.month:
            if self.month.isalpha():
                return self.month.title()
            return dt.date.fromisoformat(self.month + "-01").strftime("%B %Y")
        if self.kind == "half":
            which = "first" if self.half == 1 else "second"
            return f"the {which} half" + (f" of {self.year}" if self.year else " of the year")
        if self.kind == "between":
            return f"{self.start} to {self.end}"
        if self.kind == "since":
            return f"since {self.start}"
        if self.kind == "since_peak":
            return f"since the {(self.month or '').title()} peak"
        if self.kind == "year":
            return str(self.year)
        plural = "" if self.count == 1 else "s"
        return {
            "ytd": "the year to date",
            "mtd": "the month to date",
            "session": "the session",
            "last_month": "last month",
            "last_week": "last week",
            "sessions": f"the last {self.count} session{plural}",
            "months": f"the past {self.count} month{plural}",
            "years": f"the past {self.count} year{plural}",
        }[self.kind]


def _count(word: str) -> int:
    n = _NUMBERS.get(word)
    if n is None:
        n = int(word)
    return n


def _checked(kind: str, count: int, text: str) -> int:
    if count < 1:
        raise ValueError(f"window {text!r}: a window of {count} {kind} holds no session")
    if kind == "years" and count > MAX_YEARS:
        raise ValueError(f"window {text!r}: {count} years reaches before any market data")
    if kind == "sessions" and count > MAX_SESSIONS:
        raise ValueError(f"window {text!r}: {count} sessions is more than any history holds")
    if kind == "months" and count > MAX_YEARS * 12:
        raise ValueError(f"window {text!r}: {count} months reaches before any market data")
    return count


def _parse(w: str, text: str) -> Window | None:
    simple = {
        "ytd": "ytd",
        "this year": "ytd",
        "year to date": "ytd",
        "mtd": "mtd",
        "this month": "mtd",
        "month to date": "mtd",
        "session": "session",
        "today": "session",
        "last month": "last_month",
        "last week": "last_week",
    }
    if w in simple:
        return Window(kind=simple[w], text=text)  # type: ignore[arg-type]
    if w in ("past decade", "last decade", "past year", "last year's"):
        return Window(kind="years", count=10 if "decade" in w else 1, text=text)
    m = re.fullmatch(r"(?:in |year:)?(\d{4})", w)
    if m:
        return Window(kind="year", year=int(m[1]), text=text)
    m = re.fullmatch(r"month:(\d{4})-(\d{2})", w)
    if m:
        return _month(int(m[1]), int(m[2]), text)
    m = re.fullmatch(r"(?:in |month:)?([a-z]+)(?: (\d{4}))?", w)
    if m and m[1] in MONTHS:
        if m[2]:
            return _month(int(m[2]), MONTHS.index(m[1]) + 1, text)
        return Window(kind="month", month=m[1], text=text)
    m = re.fullmatch(r"half:(\d{4})-([12])", w)
    if m:
        return Window(kind="half", year=int(m[1]), half=int(m[2]), text=text)
    m = re.fullmatch(r"(first|second) half(?: of (\d{4}))?", w)
    if m:
        year = int(m[2]) if m[2] else None
        return Window(kind="half", half=1 if m[1] == "first" else 2, year=year, text=text)
    m = re.fullmatch(r"between:(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", w)
    if m:
        start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        if end <= start:
            raise ValueError(f"window {text!r} ends on or before it starts")
        return Window(kind="between", start=start, end=end, text=text)
    m = re.fullmatch(r"(sessions|months|years):(-?\d+)", w)
    if m:
        return Window(kind=m[1], count=_checked(m[1], int(m[2]), text), text=text)  # type: ignore[arg-type]
    m = re.fullmatch(r"(?:last|past) (\w+) (sessions?|trading days?|months?|years?)", w)
    if m:
        unit = {"s": "sessions", "t": "sessions", "m": "months", "y": "years"}[m[2][0]]
        try:
            n = _count(m[1])
        except ValueError:
            return None
        return Window(kind=unit, count=_checked(unit, n, text), text=text)  # type: ignore[arg-type]
    m = re.fullmatch(r"since(?::| its| the)? ?([a-z]+) (?:peak|high)", w)
    if m and m[1] in MONTHS:
        return Window(kind="since_peak", month=m[1], text=text)
    m = re.fullmatch(r"since:(\d{4}-\d{2}-\d{2})", w)
    if m:
        return Window(kind="since", start=dt.date.fromisoformat(m[1]), text=text)
    return None


def _month(year: int, month: int, text: str) -> Window:
    if not 1 <= month <= 12:
        raise ValueError(f"window {text!r}: there is no month {month}")
    return Window(kind="month", month=f"{year:04d}-{month:02d}", text=text)


def month_named(name: str, day: dt.date) -> tuple[int, int]:
    """The most recent month called ``name`` that has begun by ``day``: ``(year, month)``.

    >>> day = dt.date(2025, 10, 15)
    >>> month_named("november", day), month_named("october", day)
    ((2024, 11), (2025, 10))
    """
    month = MONTHS.index(name.lower()) + 1
    year = day.year if month <= day.month else day.year - 1
    return year, month


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar month."""
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


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
    >>> resolve_window(Window.parse("last week"), dt.date(2025, 12, 1))
    (datetime.date(2025, 11, 21), datetime.date(2025, 11, 28))
    """
    through = min(ending or day, day)
    kind = window.kind
    if kind == "ytd":
        return dt.date(through.year - 1, 12, 31), through
    if kind == "mtd":
        return through.replace(day=1) - dt.timedelta(days=1), through
    if kind in ("month", "last_month"):
        if kind == "last_month":
            prior = day.replace(day=1) - dt.timedelta(days=1)
            year, month = prior.year, prior.month
        elif window.month and window.month.isalpha():
            year, month = month_named(window.month, day)
        else:
            assert window.month is not None
            year, month = (int(x) for x in window.month.split("-"))
        first, last = month_bounds(year, month)
        return first - dt.timedelta(days=1), min(last, through)
    if kind == "year":
        assert window.year is not None
        return dt.date(window.year - 1, 12, 31), min(dt.date(window.year, 12, 31), through)
    if kind == "half":
        year = window.year or day.year
        start = dt.date(year - 1, 12, 31) if window.half == 1 else dt.date(year, 6, 30)
        end = dt.date(year, 6, 30) if window.half == 1 else dt.date(year, 12, 31)
        return start, min(end, through)
    if kind == "last_week":
        cut = new_york(day, dt.time(23, 59))
        first, last = last_full_week(cut)
        return session_at_or_before(first - dt.timedelta(days=1)), min(last, through)
    if kind == "between":
        assert window.start is not None and window.end is not None
        return window.start, min(window.end, through)
    if kind == "since":
        assert window.start is not None
        return window.start, through
    if kind == "months":
        return through - relativedelta(months=window.count or 0), through
    if kind == "years":
        return through - relativedelta(years=window.count or 0), through
    if kind == "session":
        return through - dt.timedelta(days=1), through
    raise ValueError(f"window {window.describe()!r} has no calendar bounds without the data")
