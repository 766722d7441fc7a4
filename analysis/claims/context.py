"""What a check sees: the tape at the article's cut, the session in progress, and the tape now.

An as-published check reads only :meth:`Context.closed` (the tape as known at publication) and,
when the article came out during a session, :meth:`Context.live` (that session's final bar,
used only to say whether a statement about the session held at its close or somewhere in its
range). Forecasts and calls are scored on :meth:`Context.after`, the tape as known now, from the
publication onward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property

import ibis
import ibis.expr.types as ir
import polars as pl

from analysis.tape import Tape
from store.reference.calendar import session_bounds
from store.reference.clock import FAR_FUTURE, NEW_YORK, new_york


def publication_cut(day: dt.date, at: dt.time) -> dt.datetime:
    """The publication instant in UTC: ``day`` at New York time ``at``."""
    return new_york(day, at)


@dataclass
class Context:
    """One article's view of the tape (and, optionally, one feed instead of the preferred)."""

    tape: Tape
    known_at: dt.datetime
    recorded_by: dt.datetime | None = None
    # one feed for one symbol instead of the preferred ones (cross-source agreement)
    override: tuple[str, str] | None = None
    _cache: dict[tuple[object, ...], pl.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def day(self) -> dt.date:
        """The publication date in New York."""
        return self.known_at.astimezone(NEW_YORK).date()

    @cached_property
    def in_progress(self) -> bool:
        """Whether the cut falls inside a trading session."""
        bounds = session_bounds(self.day)
        return bounds is not None and bounds[0] <= self.known_at < bounds[1]

    @property
    def source(self) -> str | None:
        """The overriding feed, for messages."""
        return self.override[1] if self.override else None

    def with_source(self, symbol: str, source: str) -> Context:
        """The same cut with ``symbol`` read from one feed (for cross-source agreement)."""
        # every other series reads as before: keep what was already folded for them
        kept = {k: v for k, v in self._cache.items() if symbol not in k}
        return replace(self, override=(symbol, source), _cache=kept)

    def source_of(self, symbol: str) -> str | None:
        return self.override[1] if self.override and self.override[0] == symbol else None

    # -- bars ----------------------------------------------------------------------------------

    def closed(self, symbol: str, *, adjusted: bool = False) -> ir.Table:
        """The closed tape of ``symbol`` at the cut, for the signals to run on.

        The tape is folded once per series and context (:meth:`closed_frame`); signals then
        run on that one series' bars, so each check compiles a small query instead of
        re-folding the log.
        """
        return ibis.memtable(self.closed_frame(symbol, adjusted=adjusted))

    def _closed_expr(self, symbol: str, *, adjusted: bool = False) -> ir.Table:
        return self.tape.bars(
            self.known_at,
            self.recorded_by,
            symbols=[symbol],
            source=self.source_of(symbol),
            adjusted=adjusted,
        )

    def closed_frame(self, symbol: str, *, adjusted: bool = False) -> pl.DataFrame:
        """The closed tape of ``symbol``, materialised once per context (small: one series)."""
        key = ("closed", symbol, adjusted)
        if key not in self._cache:
            self._cache[key] = (
                self._closed_expr(symbol, adjusted=adjusted).order_by("session").to_polars()
            )
        return self._cache[key]

    def live(self, symbol: str) -> dict[str, object] | None:
        """The final bar of the session in progress at the cut, or None."""
        if not self.in_progress:
            return None
        key = ("live", symbol)
        if key not in self._cache:
            table = self.tape.session_in_progress(
                self.known_at, self.recorded_by, symbols=[symbol], source=self.source_of(symbol)
            )
            self._cache[key] = table.to_polars() if table is not None else pl.DataFrame()
        frame = self._cache[key]
        return frame.row(0, named=True) if frame.height else None

    def after(self, symbol: str, *, adjusted: bool = False) -> ir.Table:
        """The tape of ``symbol`` as known now (every recorded fact), for scoring forecasts."""
        return ibis.memtable(self.after_frame(symbol, adjusted=adjusted))

    def _after_expr(self, symbol: str, *, adjusted: bool = False) -> ir.Table:
        return self.tape.bars(
            FAR_FUTURE, symbols=[symbol], source=self.source_of(symbol), adjusted=adjusted
        )

    def after_frame(self, symbol: str, *, adjusted: bool = False) -> pl.DataFrame:
        key = ("after", symbol, adjusted)
        if key not in self._cache:
            self._cache[key] = (
                self._after_expr(symbol, adjusted=adjusted).order_by("session").to_polars()
            )
        return self._cache[key]

    # -- observations --------------------------------------------------------------------------

    def observations(self, series: str, *, now: bool = False) -> ir.Table:
        """Observations of ``series`` at the cut (or now), for the signals to run on."""
        return ibis.memtable(self.observations_frame(series, now=now))

    def _observations_expr(self, series: str, *, now: bool = False) -> ir.Table:
        cut = FAR_FUTURE if now else self.known_at
        return self.tape.observations(cut, None if now else self.recorded_by, series=[series])

    def observations_frame(self, series: str, *, now: bool = False) -> pl.DataFrame:
        key = ("obs", series, now)
        if key not in self._cache:
            self._cache[key] = (
                self._observations_expr(series, now=now).order_by("period").to_polars()
            )
        return self._cache[key]
