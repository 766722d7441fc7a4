"""What one check sees: its article's panel, the views it is judged on, and whether it speaks of
the session in progress.

An as-published check reads :meth:`Reading.closed` (each view's tape as known at its cut) and,
when the claim speaks of the session under way at publication, :meth:`Reading.live` (that
session's final bar, used only to say whether the statement held at its close or somewhere in
its range). Forecasts and calls are scored on :meth:`Reading.now`, the tape as known now, from
:meth:`Reading.reference` (the level at publication) onward.

Every query runs once for all views, on the tape's engine; the evaluator then judges each view
(:meth:`Reading.each`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl

from analysis.claims.timeref import NoSession, SessionRef
from analysis.claims.verdict import NotEnoughData, Outcome, Verdict
from analysis.panel import Panel, View

__all__ = ["Reading", "session_dates"]

SIGNAL_BAR_COLUMNS = ("view", "symbol", "session", "open", "high", "low", "close", "day")
# A close more than this many days before the day it stands for means the series had stopped
# (or not started): the check reports missing data instead of using a stale price.
SLACK_DAYS = 7


@dataclass(frozen=True)
class Reading:
    """One check's view of its article's panel.

    Parameters
    ----------
    panel
        The article's panel (all symbols and series of its claims, all views).
    views
        The views this check is judged on (indexes into ``panel.views``).
    speaks_live
        The claim speaks of the session in progress at publication.
    subjects
        The series the check reads (named when its data are missing).
    """

    panel: Panel
    views: tuple[int, ...]
    speaks_live: bool
    subjects: tuple[str, ...]

    # -- the views ------------------------------------------------------------------------------

    def view(self, i: int) -> View:
        return self.panel.views[i]

    def day(self, i: int) -> dt.date:
        """The publication date of view ``i`` (New York)."""
        return self.view(i).day

    def preferred_view(self, i: int) -> int:
        """The view reading the preferred feeds at the same cut as view ``i``."""
        cut = self.view(i).cut
        for j in self.views:
            if self.view(j).feed is None and self.view(j).cut == cut:
                return j
        return i

    def is_live(self, i: int) -> bool:
        """Whether view ``i`` is judged on the session in progress."""
        return self.speaks_live and self.view(i).in_progress

    def sessions_named(self, ref: SessionRef) -> dict[int, dt.date | NoSession]:
        """The session ``ref`` names in each view (or why it names none)."""
        out: dict[int, dt.date | NoSession] = {}
        for i in self.views:
            try:
                out[i] = ref.resolve(self.view(i).cut)
            except NoSession as exc:
                out[i] = exc
        return out

    def each(self, judge: Callable[[int], Outcome]) -> dict[int, Outcome]:
        """``judge`` applied to every view; missing data in one view is that view's verdict."""
        out: dict[int, Outcome] = {}
        for i in self.views:
            try:
                out[i] = judge(i)
            except NotEnoughData as exc:
                out[i] = Outcome(
                    Verdict.NOT_ENOUGH_DATA,
                    {},
                    "",
                    str(exc),
                    list(self.subjects),
                    missing=exc.missing,
                )
        return out

    # -- tables ---------------------------------------------------------------------------------

    def _mine(self, table: ir.Table, key: str, names: Iterable[str]) -> ir.Table:
        return table.filter(table["view"].isin(list(self.views)), table[key].isin(list(names)))

    def closed(self, symbols: Sequence[str], *, adjusted: bool = False) -> ir.Table:
        """Bars of ``symbols`` known at each view's cut."""

        def build() -> ir.Table:
            bars = self._mine(self.panel.closed(adjusted=adjusted), "symbol", symbols)
            # only what signals read: narrow tables compile to SQL markedly faster
            return bars.select(*SIGNAL_BAR_COLUMNS)

        return self.panel.table(("closed", adjusted, self.views, tuple(symbols)), build)

    def now(self, symbols: Sequence[str], *, adjusted: bool = False) -> ir.Table:
        """Bars of ``symbols`` as known now, from each view's feeds."""

        def build() -> ir.Table:
            bars = self._mine(self.panel.now(adjusted=adjusted), "symbol", symbols)
            return bars.select(*SIGNAL_BAR_COLUMNS)

        return self.panel.table(("now", adjusted, self.views, tuple(symbols)), build)

    def observations(self, series: Sequence[str], *, now: bool = False) -> ir.Table:
        """Observations of ``series`` at each view's cut (or as known now)."""

        def build() -> ir.Table:
            obs = self._mine(self.panel.observations(now=now), "series", series)
            return obs.select("view", "series", "period", "value", "day")

        return self.panel.table(("observations", now, self.views, tuple(series)), build)

    def with_params(self, table: ir.Table, **params: Callable[[int], object]) -> ir.Table:
        """``table`` with one column per keyword: its value for each view, so that a signal
        takes a per-view date or level as ``ibis._.<name>``."""
        if not params:
            return table
        values = {name: {i: fn(i) for i in self.views} for name, fn in params.items()}
        if all(len(set(by_view.values())) == 1 for by_view in values.values()):
            return table.mutate(
                **{name: _literal(next(iter(v.values()))) for name, v in values.items()}
            )
        frame = pl.DataFrame(
            {
                "view": list(self.views),
                **{n: [v[i] for i in self.views] for n, v in values.items()},
            },
            schema={
                "view": pl.Int64,
                **{n: _dtype(next(iter(v.values()))) for n, v in values.items()},
            },
        )
        return table.join(ibis.memtable(frame), "view")

    def with_symbol_params(
        self, table: ir.Table, name: str, values: Mapping[tuple[int, str], dt.date]
    ) -> ir.Table:
        """``table`` with a date column ``name`` that differs per view and symbol (rows whose
        ``(view, symbol)`` has no value are dropped)."""
        frame = pl.DataFrame(
            {
                "view": [k[0] for k in values],
                "symbol": [k[1] for k in values],
                name: list(values.values()),
            },
            schema={"view": pl.Int64, "symbol": pl.String, name: pl.Date},
        )
        return table.join(ibis.memtable(frame), ["view", "symbol"])

    # -- running --------------------------------------------------------------------------------

    def run(self, expr: ir.Expr) -> pl.DataFrame:
        """Execute on the tape's engine."""
        return self.panel.run(expr)

    def rows(self, expr: ir.Table, by: str | None = None) -> dict[Any, dict[str, Any]]:
        """The result's rows keyed by view (or by ``(view, <by>)``); one row per key."""
        frame = self.run(expr)
        if by is None:
            return {r["view"]: r for r in frame.iter_rows(named=True)}
        return {(r["view"], r[by]): r for r in frame.iter_rows(named=True)}

    def grouped(self, expr: ir.Table) -> dict[int, pl.DataFrame]:
        """The result's rows per view (views without rows get an empty frame)."""
        frame = self.run(expr)
        parts = {int(k[0]): g for k, g in frame.group_by("view")} if frame.height else {}
        empty = frame.clear()
        return {i: parts.get(i, empty).sort(_order(frame)) for i in self.views}

    # -- common measurements --------------------------------------------------------------------

    def _own(
        self, found: Mapping[tuple[int, str], Any], symbols: Sequence[str]
    ) -> dict[tuple[int, str], Any]:
        views, names = set(self.views), set(symbols)
        return {k: v for k, v in found.items() if k[0] in views and k[1] in names}

    def coverage(
        self, symbols: Sequence[str], *, now: bool = False, adjusted: bool = False
    ) -> dict[tuple[int, str], tuple[dt.date, dt.date]]:
        """The first and last session of each symbol in each view (closed at the cut, or now)."""
        return self._own(self.panel.coverage(now=now, adjusted=adjusted), symbols)

    def live(self, symbols: Sequence[str]) -> dict[tuple[int, str], tuple[float, float, float]]:
        """Each symbol's ``(low, high, close)`` in the session in progress at each view's cut
        (a close-only feed's range is its close)."""
        return self._own(self.panel.live_ranges(), symbols)

    def live_bar(self, i: int, symbol: str) -> tuple[float, float, float]:
        """``symbol``'s ``(low, high, close)`` in the session in progress at view ``i``'s cut;
        without one, the check has not enough data."""
        got = self.panel.live_ranges().get((i, symbol))
        if got is None:
            raise NotEnoughData(f"no bar of {symbol} for the session in progress", [symbol])
        return got

    def last_closes(
        self, symbols: Sequence[str], *, adjusted: bool = False
    ) -> dict[tuple[int, str], tuple[dt.date, float]]:
        """Each symbol's last close as known now, in each view."""
        return self._own(self.panel.last_closes(adjusted=adjusted), symbols)

    def reference(
        self, symbols: Sequence[str], *, adjusted: bool = False
    ) -> dict[tuple[int, str], tuple[dt.date, float]]:
        """The publication level of each symbol in each view: the close of the session in
        progress when the article came out during one (scored from its close), else the last
        close before publication; a series that had stopped more than a week before has none."""
        return {
            key: (session, close)
            for key, (session, close) in self._own(
                self.panel.levels(adjusted=adjusted), symbols
            ).items()
            if (self.day(key[0]) - session).days <= SLACK_DAYS
        }


def session_dates(named: Mapping[int, dt.date | NoSession]) -> Callable[[int], dt.date]:
    """The named sessions as a per-view query parameter (:meth:`Reading.with_params`): a view
    whose reference names no session gets ``date.min``, which matches no bar."""

    def on(i: int) -> dt.date:
        day = named[i]
        return day if isinstance(day, dt.date) else dt.date.min

    return on


def _literal(value: object) -> ir.Value:
    if isinstance(value, dt.date):
        return ibis.literal(value, type="date")
    return ibis.literal(value)


def _dtype(value: object) -> pl.DataType:
    if isinstance(value, dt.date):
        return pl.Date()
    if isinstance(value, bool):
        return pl.Boolean()
    if isinstance(value, int):
        return pl.Int64()
    return pl.Float64()


def _order(frame: pl.DataFrame) -> list[str]:
    for column in ("session", "period"):
        if column in frame.columns:
            return [column]
    return [frame.columns[0]]


def missing_close(
    symbol: str,
    day: dt.date,
    coverage: Mapping[tuple[int, str], tuple[dt.date, dt.date]],
    view: int,
    published: dt.date | None = None,
) -> NotEnoughData:
    """Why ``symbol`` has no usable close on or before ``day`` in ``view`` (an article
    published on ``published``)."""
    span = coverage.get((view, symbol))
    if span is None:
        return NotEnoughData(f"no bars of {symbol} known at {published or day}", [symbol])
    first, last = span
    if day < first:
        return NotEnoughData(
            f"{symbol} has no close on or before {day} (it starts {first})",
            [f"{symbol} before {first}"],
        )
    return NotEnoughData(
        f"{symbol} data end {last}, needed up to {day}", [f"{symbol} after {last}"]
    )


def checked_close(
    symbol: str,
    day: dt.date,
    session: dt.date | None,
    coverage: Mapping[tuple[int, str], tuple[dt.date, dt.date]],
    view: int,
) -> None:
    """Refuse a close that stands for ``day`` but lies more than a week before it."""
    if session is None or (day - session).days > SLACK_DAYS:
        raise missing_close(symbol, day, coverage, view)
