"""Time references as articles write them, resolved against the publication cut and the XNYS
calendar: "on Friday", "Thursday's drop", "on Monday" (the session before a Tuesday article),
"last week", "last month", "in July", "in 2024", "this year", "since its November peak".

A spec names the session or period a claim speaks of in those words; nothing is ever looked up in
the data by hand. Two kinds of reference:

:class:`SessionRef` names one session:

==================  ===============================================================================
``today``           the publication day's session (in progress when the article came out during it)
``previous``        the last session that had closed at the cut ("yesterday's close")
``Monday``..        the most recent session on that weekday that had opened by the cut: in a
``Friday``          Tuesday article, "Monday" is the day before; in a Monday article written
                    during the session, the session in progress
``last Friday``     that weekday in the week before the publication's week
``2025-10-14``      a date (an article that prints one)
==================  ===============================================================================

:class:`~analysis.claims.model.Window` names a period (see its table); :func:`period_bounds`
resolves one to the days a return or a count runs over.

>>> import datetime as dt
>>> cut = dt.datetime(2025, 10, 15, 19, 30, tzinfo=dt.UTC)  # Wednesday 15:30 New York
>>> [SessionRef.parse(t).resolve(cut).isoformat() for t in ("today", "previous", "Tuesday")]
['2025-10-15', '2025-10-14', '2025-10-14']
>>> SessionRef.parse("Monday").resolve(dt.datetime(2025, 10, 6, 18, tzinfo=dt.UTC)).isoformat()
'2025-10-06'
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from store.reference.calendar import sessions
from store.reference.clock import NEW_YORK, utc

__all__ = ["MONTHS", "WEEKDAYS", "SessionRef", "last_full_week", "session_at_or_before"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
MONTHS = tuple(m.lower() for m in calendar.month_name[1:])
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NoSession(ValueError):
    """A reference that names no session at the cut (before the first one, a holiday)."""


def _calendar() -> pl.DataFrame:
    return sessions()


# The calendar's columns as Python lists, for bisection: a reference is resolved once per view
# and claim (88 candidate sessions for each anchor of an ``infer-date``), and filtering the
# 35,000-session table twice per resolution cost 0.2-0.4 s of a run.
_LISTS: dict[int, tuple[pl.DataFrame, list[dt.date], list[dt.datetime], list[dt.datetime]]] = {}


def _lists() -> tuple[list[dt.date], list[dt.datetime], list[dt.datetime]]:
    cal = _calendar()
    kept = _LISTS.get(id(cal))
    if kept is None or kept[0] is not cal:
        kept = (
            cal,
            cal["session"].to_list(),
            cal["open"].to_list(),
            cal["close"].to_list(),
        )
        _LISTS.clear()
        _LISTS[id(cal)] = kept
    return kept[1], kept[2], kept[3]


def _opened(cut: dt.datetime) -> int:
    """How many sessions had opened by ``cut`` (the table is in session order, and opens and
    closes rise with it)."""
    return bisect.bisect_right(_lists()[1], utc(cut))


def _closed(cut: dt.datetime) -> int:
    return bisect.bisect_right(_lists()[2], utc(cut))


def session_at_or_before(day: dt.date) -> dt.date:
    """The last XNYS session on or before ``day``."""
    days = _lists()[0]
    n = bisect.bisect_right(days, day)
    if n == 0:
        raise NoSession(f"no XNYS session on or before {day}")
    return days[n - 1]


def last_full_week(cut: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last sessions of the last full week (Monday to Friday) before the
    publication's week.

    >>> cut = dt.datetime(2025, 12, 1, 15, tzinfo=dt.UTC)  # the Monday after Thanksgiving
    >>> [d.isoformat() for d in last_full_week(cut)]
    ['2025-11-24', '2025-11-28']
    """
    day = utc(cut).astimezone(NEW_YORK).date()
    this_monday = day - dt.timedelta(days=day.weekday())
    monday = this_monday - dt.timedelta(days=7)
    week = _calendar().filter(pl.col("session").is_between(monday, this_monday - dt.timedelta(1)))
    if week.height == 0:
        raise NoSession(f"no XNYS session in the week of {monday}")
    return week["session"][0], week["session"][-1]


@dataclass(frozen=True)
class SessionRef:
    """One session named relative to publication (see the module table)."""

    kind: str  # today | previous | weekday | last_weekday | date
    weekday: int | None = None
    date: dt.date | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: object) -> SessionRef:
        """Read a reference (case-insensitive; ``on`` and a trailing ``'s`` are ignored).

        >>> SessionRef.parse("Thursday's").weekday, SessionRef.parse("last Friday").kind
        (3, 'last_weekday')
        """
        if isinstance(text, dt.date):
            return cls("date", date=text, text=text.isoformat())
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a session reference")
        raw = text
        words = text.strip().lower().removeprefix("on ").removesuffix("'s").strip()
        if words in ("today", "the session", "session"):
            return cls("today", text=raw)
        if words in ("previous", "yesterday", "the previous session", "the last close"):
            return cls("previous", text=raw)
        if words in WEEKDAYS:
            return cls("weekday", weekday=WEEKDAYS.index(words), text=raw)
        if words.startswith("last ") and words[5:] in WEEKDAYS:
            return cls("last_weekday", weekday=WEEKDAYS.index(words[5:]), text=raw)
        if _DATE.match(words):
            return cls("date", date=dt.date.fromisoformat(words), text=raw)
        raise ValueError(
            f"{raw!r} is not a session: use today, previous, a weekday (Monday .. Friday), "
            "'last Friday', or a date YYYY-MM-DD"
        )

    def resolve(self, cut: dt.datetime) -> dt.date:
        """The session this reference names for an article published at ``cut``; never a
        session that opens at or after the cut."""
        day = utc(cut).astimezone(NEW_YORK).date()
        days = _lists()[0]
        opened = _opened(cut)  # days[:opened] had opened by the cut
        if opened == 0:
            raise NoSession(f"no XNYS session had opened by {cut.isoformat()}")
        if self.kind == "today":
            if days[opened - 1] != day:
                raise NoSession(f"no session had opened on {day} by the cut")
            return day
        if self.kind == "previous":
            closed = _closed(cut)
            if closed == 0:
                raise NoSession(f"no XNYS session had closed by {cut.isoformat()}")
            return days[closed - 1]
        if self.kind == "date":
            assert self.date is not None
            at = bisect.bisect_left(days, self.date, hi=opened)
            if at == opened or days[at] != self.date:
                raise NoSession(f"{self.date} is not an XNYS session before the cut")
            return self.date
        assert self.weekday is not None
        before = opened
        if self.kind == "last_weekday":
            monday = day - dt.timedelta(days=day.weekday())
            before = bisect.bisect_left(days, monday, hi=opened)
        # the latest session on that weekday, walking back (a week holds one unless a holiday
        # took it)
        for at in range(before - 1, -1, -1):
            if days[at].weekday() == self.weekday:
                return days[at]
        raise NoSession(f"no {WEEKDAYS[self.weekday].title()} session before the cut")

    def in_publication_week(self, cut: dt.datetime) -> bool:
        """Whether the named weekday lies in the publication's own week (an article that says
        "on Wednesday" without "last" speaks of this week's Wednesday)."""
        if self.kind != "weekday":
            return True
        day = utc(cut).astimezone(NEW_YORK).date()
        try:
            named = self.resolve(cut)
        except NoSession:
            return False
        return named >= day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class MonthRef:
    """A calendar month as an article names it: ``2025-09``, ``September`` (the most recent
    September that has begun by publication), ``November 2021``, ``last month``.

    >>> day = dt.date(2025, 10, 15)
    >>> [MonthRef.parse(t).resolve(day) for t in ("September", "November 2021", "last month")]
    ['2025-09', '2021-11', '2025-09']
    """

    year: int | None
    month: int | None  # None: the month before publication
    text: str = ""

    @classmethod
    def parse(cls, text: object) -> MonthRef:
        if isinstance(text, MonthRef):
            return text
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a month: write 2025-09, September, November 2021")
        words = text.strip().lower()
        if words in ("last month", "previous", "the previous month"):
            return cls(None, None, text)
        m = re.fullmatch(r"(\d{4})-(\d{2})", words)
        if m and 1 <= int(m[2]) <= 12:
            return cls(int(m[1]), int(m[2]), text)
        m = re.fullmatch(r"([a-z]+)(?: (\d{4}))?", words)
        if m and m[1] in MONTHS:
            return cls(int(m[2]) if m[2] else None, MONTHS.index(m[1]) + 1, text)
        raise ValueError(
            f"{text!r} is not a month: write 2025-09, September, November 2021 or last month"
        )

    def resolve(self, day: dt.date) -> str:
        """``YYYY-MM`` for an article published on ``day``."""
        if self.month is None:
            prior = day.replace(day=1) - dt.timedelta(days=1)
            return f"{prior.year:04d}-{prior.month:02d}"
        year = self.year
        if year is None:
            year = day.year if self.month <= day.month else day.year - 1
        return f"{year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class HorizonRef:
    """When a forecast is scored: a date, or ``year end`` (the end of the publication's year).

    >>> HorizonRef.parse("year end").resolve(dt.date(2025, 10, 15)).isoformat()
    '2025-12-31'
    """

    date: dt.date | None
    text: str = ""

    @classmethod
    def parse(cls, text: object) -> HorizonRef:
        if isinstance(text, HorizonRef):
            return text
        if isinstance(text, dt.date):
            return cls(text, text.isoformat())
        if isinstance(text, str):
            words = text.strip().lower()
            if words in ("year end", "end of the year", "the end of the year", "year-end"):
                return cls(None, text)
            if _DATE.match(words):
                return cls(dt.date.fromisoformat(words), text)
        raise ValueError(f"{text!r} is not a horizon: write a date (2025-12-31) or 'year end'")

    def resolve(self, published: dt.date) -> dt.date:
        return self.date if self.date is not None else dt.date(published.year, 12, 31)
