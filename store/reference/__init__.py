"""Reference data every layer shares: the clock, the XNYS calendar and the data catalog.

``store`` stamps bars with the calendar and ingests what the catalog lists; ``analysis`` cuts the
tape at New York times, counts sessions and picks preferred feeds from the same modules, so a
time zone, a calendar or a feed preference is defined exactly once.
"""

from store.reference.calendar import session_bounds, sessions, weekly_calendar
from store.reference.catalog import Catalog, SeriesSpec, SourceSpec, entry, load_catalog
from store.reference.clock import FAR_FUTURE, NEW_YORK, NEW_YORK_TZ, end_of_day, new_york, utc

__all__ = [
    "FAR_FUTURE",
    "NEW_YORK",
    "NEW_YORK_TZ",
    "Catalog",
    "SeriesSpec",
    "SourceSpec",
    "end_of_day",
    "entry",
    "load_catalog",
    "new_york",
    "session_bounds",
    "sessions",
    "utc",
    "weekly_calendar",
]
