"""Time references against the XNYS calendar: named weekdays, the previous session, last week,
named months, around holidays and early closes; and two properties over random cuts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.claims.timeref import MonthRef, NoSession, SessionRef, last_full_week
from analysis.claims.windows import Window, resolve_window
from store.reference.clock import new_york

# an independent calendar: exchange_calendars directly, not tapecheck's table
XNYS = xcals.get_calendar("XNYS", start="1995-01-01")
SCHEDULE = XNYS.schedule


def ny(day: str, hh: int, mm: int = 0) -> dt.datetime:
    return new_york(dt.date.fromisoformat(day), dt.time(hh, mm))


@pytest.mark.parametrize(
    ("ref", "cut", "want"),
    [
        # a Tuesday article after Labor Day: "Monday" is the Monday before the holiday
        ("Monday", ny("2025-09-02", 16, 30), "2025-08-25"),
        ("previous", ny("2025-09-02", 10), "2025-08-29"),
        ("today", ny("2025-09-02", 10), "2025-09-02"),
        # a Monday article after Independence Day (a Friday): "Friday" is June 27
        ("Friday", ny("2025-07-07", 10), "2025-06-27"),
        ("Thursday", ny("2025-07-07", 10), "2025-07-03"),  # the early close before it
        # in a Monday article written during the session, "Monday" is the session in progress
        ("Monday", ny("2025-10-06", 14), "2025-10-06"),
        # before the open, "Monday" is the previous week's
        ("Monday", ny("2025-10-06", 8), "2025-09-29"),
        ("last Friday", ny("2025-10-08", 12), "2025-10-03"),
        # the day after Thanksgiving closes at 13:00: after that, it is the previous session
        ("previous", ny("2025-11-28", 12, 30), "2025-11-26"),
        ("previous", ny("2025-11-28", 13, 30), "2025-11-28"),
        ("2025-10-14", ny("2025-10-15", 15, 30), "2025-10-14"),
    ],
)
def test_sessions_named_relative_to_the_cut(ref, cut, want):
    assert SessionRef.parse(ref).resolve(cut) == dt.date.fromisoformat(want)


def test_today_before_the_open_and_a_holiday_name_no_session():
    with pytest.raises(NoSession):
        SessionRef.parse("today").resolve(ny("2025-09-02", 8))
    with pytest.raises(NoSession):
        SessionRef.parse("today").resolve(ny("2025-07-04", 12))


def test_last_week_after_a_short_week():
    # the Monday after Thanksgiving: last week is Nov 24-28 (four sessions, one early close)
    first, last = last_full_week(ny("2025-12-01", 10))
    assert (first, last) == (dt.date(2025, 11, 24), dt.date(2025, 11, 28))
    after, through = resolve_window(Window.parse("last week"), dt.date(2025, 12, 1))
    assert (after, through) == (dt.date(2025, 11, 21), dt.date(2025, 11, 28))


def test_named_months_are_the_most_recent():
    day = dt.date(2025, 10, 15)
    assert MonthRef.parse("September").resolve(day) == "2025-09"
    assert MonthRef.parse("November").resolve(day) == "2024-11"
    assert MonthRef.parse("October").resolve(day) == "2025-10"
    assert resolve_window(Window.parse("in July"), dt.date(2024, 7, 26))[0] == dt.date(2024, 6, 30)


def test_months_12_starts_where_a_reader_starts():
    # the past 12 months, read on the first session of a year, start a year back to the day
    after, through = resolve_window(Window.parse("past 12 months"), dt.date(2025, 1, 2))
    assert (after, through) == (dt.date(2024, 1, 2), dt.date(2025, 1, 2))
    # and when that day was a holiday, from the close before it (Jan 1 2025 -> Dec 31 2024)
    after, _ = resolve_window(Window.parse("months:12"), dt.date(2026, 1, 1))
    assert after == dt.date(2025, 1, 1)


cuts = st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2026, 6, 30)).map(
    lambda d: d.replace(tzinfo=dt.UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    cuts,
    st.sampled_from(
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "last Monday",
            "last Friday",
            "previous",
            "today",
        ]
    ),
)
def test_a_named_session_never_opens_at_or_after_the_cut(cut, text):
    ref = SessionRef.parse(text)
    try:
        day = ref.resolve(cut)
    except NoSession:
        return
    opens = SCHEDULE.loc[pd.Timestamp(day)]["open"].to_pydatetime()
    assert opens < cut
    if ref.kind == "weekday":
        # the most recent such weekday: no later session on that weekday opened before the cut
        later = SCHEDULE[(SCHEDULE.index > pd.Timestamp(day)) & (SCHEDULE.open < cut)]
        assert not any(d.weekday() == ref.weekday for d in later.index)
    if ref.kind == "previous":
        assert SCHEDULE.loc[pd.Timestamp(day)]["close"].to_pydatetime() <= cut


WINDOWS = [
    "this year",
    "this month",
    "last month",
    "last week",
    "in 2019",
    "July",
    "first half",
    "second half of 2020",
    "past 6 months",
    "past decade",
    "today",
    "month:2021-11",
]


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(2002, 1, 1), dt.date(2026, 6, 30)), st.sampled_from(WINDOWS))
def test_every_window_holds_its_first_and_last_sessions(day, text):
    window = Window.parse(text)
    after, through = resolve_window(window, day)
    assert through <= day
    if window.kind == "year" and after >= through:
        return  # a year that had not begun by the day: no session, judged not_enough_data
    sessions = [d.date() for d in SCHEDULE.index if after < d.date() <= through]
    year = window.year or day.year
    bounds = {
        "ytd": (dt.date(day.year, 1, 1), day),
        "mtd": (day.replace(day=1), day),
        "year": (dt.date(year, 1, 1), dt.date(year, 12, 31)),
    }
    if window.kind in bounds:
        lo, hi = bounds[window.kind]
        assert all(lo <= s <= hi for s in sessions)
    if window.kind in ("month", "last_month"):
        assert len({(s.year, s.month) for s in sessions}) <= 1
    if window.kind == "last_week" and sessions:
        assert len({s.isocalendar()[:2] for s in sessions}) == 1
        assert sessions[-1] < day - dt.timedelta(days=day.weekday())


OPENS = [t.to_pydatetime() for t in SCHEDULE["open"]]
CLOSES = [t.to_pydatetime() for t in SCHEDULE["close"]]
DAYS = [d.date() for d in SCHEDULE.index]


def named_by_the_schedule(ref: SessionRef, cut: dt.datetime) -> dt.date | None:
    """The session ``ref`` names at ``cut``, read off exchange_calendars' schedule row by row
    (None: no session)."""
    day = cut.astimezone(ZoneInfo("America/New_York")).date()
    opened = [d for d, o in zip(DAYS, OPENS, strict=True) if o <= cut]
    if not opened:
        return None
    if ref.kind == "today":
        return day if opened[-1] == day else None
    if ref.kind == "previous":
        closed = [d for d, c in zip(DAYS, CLOSES, strict=True) if c <= cut]
        return closed[-1] if closed else None
    if ref.kind == "date":
        return ref.date if ref.date in opened else None
    monday = day - dt.timedelta(days=day.weekday())
    fits = [
        d for d in opened if d.weekday() == ref.weekday and (ref.kind == "weekday" or d < monday)
    ]
    return fits[-1] if fits else None


@settings(max_examples=150, deadline=None)
@given(
    cuts,
    st.one_of(
        st.sampled_from(["Monday", "Wednesday", "Friday", "last Tuesday", "previous", "today"]),
        st.dates(dt.date(2000, 12, 1), dt.date(2026, 7, 31)).map(dt.date.isoformat),
    ),
)
def test_a_named_session_is_the_one_the_schedule_names(cut, text):
    """Resolution bisects the calendar table; the oracle scans exchange_calendars' schedule
    (cuts from 2001 on, so the schedule's 1995 start holds every session they can name)."""
    ref = SessionRef.parse(text)
    try:
        got: dt.date | None = ref.resolve(cut)
    except NoSession:
        got = None
    assert got == named_by_the_schedule(ref, cut)
