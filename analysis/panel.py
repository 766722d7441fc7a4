"""Several readings of the tape stacked in one table, so that one query answers them all.

A claim is judged on the tape as known at its article's publication, and then again on every
other feed of its series (do the sources agree?), and, while a publication date is uncertain,
on every candidate date. Each such reading is a :class:`View`: a cut, and optionally one feed
read in place of the preferred ones for one symbol. A :class:`Panel` stacks the views of a set
of symbols in one table with a ``view`` column; every signal partitions its windows by symbol
and view, so a signal run on the panel evaluates every view in one query, on the tape's own
engine, from one fold.

Per view, the panel's bars are:

- *closed*: the bars known at the view's cut (``valid_at <= cut``);
- *live*: when the cut falls inside a session, that session's final bar (``live`` is true), which
  a statement about the session in progress is judged against;
- *now*: every bar as known now (for scoring forecasts after publication), still read from the
  view's feeds.

Each row also carries the view's ``cut`` (UTC) and publication ``day`` (New York), so that
signals can take per-view dates as columns (``ibis._.day``).

Examples
--------
>>> import datetime as dt
>>> from analysis.examples import example_log
>>> from analysis.tape import Tape
>>> tape = Tape(example_log())
>>> cuts = [dt.datetime(2025, 1, d, 22, tzinfo=dt.UTC) for d in (3, 6)]
>>> panel = Panel(tape, [View(c) for c in cuts], symbols=["^A"])
>>> closed = panel.run(panel.closed().group_by("view").agg(n=ibis._.count()).order_by("view"))
>>> closed["n"].to_list()
[3, 4]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import ibis
import ibis.expr.types as ir
import polars as pl

from analysis.ordinal import first_rows
from analysis.tape import BAR_COLUMNS, OBSERVATION_COLUMNS, Tape, adjust
from store.reference.calendar import session_bounds
from store.reference.clock import NEW_YORK, utc

__all__ = ["PREFERRED", "Panel", "View"]

# The choice of feeds of a symbol that is not overridden: the catalog's preference.
PREFERRED = "*"
# Panels kept with a tape by `Panel.on`, newest last: a verify of the four articles builds 4.
PANELS_PER_TAPE = 16


@dataclass(frozen=True)
class View:
    """One reading of the tape: as known at ``cut``, with ``feed = (symbol, feed)`` read in
    place of the preferred feeds of that symbol (``None``: the preferred feeds everywhere),
    holding the symbols and series in ``reads`` (``None``: all of the panel's)."""

    cut: dt.datetime
    feed: tuple[str, str] | None = None
    # the symbols and series this view holds (None: every one of the panel's); a view that
    # reads one symbol from another feed needs only what the claims on that symbol read, and
    # holding every other symbol's history in it made panels 4-9 times larger than their data
    reads: frozenset[str] | None = None

    @property
    def day(self) -> dt.date:
        """The date of the cut in New York (the publication date)."""
        return utc(self.cut).astimezone(NEW_YORK).date()

    @cached_property
    def in_progress(self) -> bool:
        """Whether the cut falls inside a trading session."""
        bounds = session_bounds(self.day)
        return bounds is not None and bounds[0] <= utc(self.cut) < bounds[1]

    def choice(self, symbol: str) -> str:
        """The feed this view reads for ``symbol`` (``PREFERRED`` for the catalog's choice)."""
        return self.feed[1] if self.feed is not None and self.feed[0] == symbol else PREFERRED


class Panel:
    """The views of a set of symbols (and observation series) on one tape, stacked.

    Parameters
    ----------
    tape
        The tape (one log version, one engine).
    views
        The readings; the panel numbers them ``0 .. len(views) - 1`` in the ``view`` column.
    symbols, series
        The price series and observation series the panel holds.
    recorded_by
        What the reader had seen recorded (default: everything in the tape's version).
    """

    def __init__(
        self,
        tape: Tape,
        views: Sequence[View],
        *,
        symbols: Sequence[str] = (),
        series: Sequence[str] = (),
        recorded_by: dt.datetime | None = None,
    ) -> None:
        if not views:
            raise ValueError("a panel needs at least one view")
        self.tape = tape
        self.views = tuple(views)
        self.symbols = tuple(sorted(set(symbols)))
        self.series = tuple(sorted(set(series)))
        self.recorded_by = recorded_by
        self._kept: dict[tuple[object, ...], ir.Table] = {}
        self._results: dict[tuple[object, ...], object] = {}
        self._tables: dict[tuple[object, ...], ir.Table] = {}

    @classmethod
    def on(
        cls,
        tape: Tape,
        views: Sequence[View],
        *,
        symbols: Sequence[str] = (),
        series: Sequence[str] = (),
        recorded_by: dt.datetime | None = None,
    ) -> Panel:
        """The panel of these views and series on ``tape``, built once per tape: a later
        reader of the same views (a second ``verify`` at the same store version) gets the
        panel, its kept tables and its measurements as the first one left them. The
        :data:`PANELS_PER_TAPE` most recently used are kept with the tape.

        A panel pushed out is not freed on the engine: expressions built on its kept tables
        may outlive it (``Panel(...).closed()`` does), so its tables go with the tape's
        connection, as every kept table does."""
        key = (
            "panel",
            tuple(views),
            tuple(sorted(set(symbols))),
            tuple(sorted(set(series))),
            recorded_by,
        )
        panel = tape.derived.get(key)
        if panel is None:
            panel = cls(tape, views, symbols=symbols, series=series, recorded_by=recorded_by)
            tape.derived[key] = panel
            kept = [k for k in tape.derived if k[0] == "panel"]
            for old in kept[: max(0, len(kept) - PANELS_PER_TAPE)]:
                del tape.derived[old]
        tape.derived.move_to_end(key)
        return panel

    def table(self, key: tuple[object, ...], build: Callable[[], ir.Table]) -> ir.Table:
        """The expression ``build`` makes, built once per ``key``: many claims read the same
        symbols in the same views, and building an ibis expression costs milliseconds of
        Python per operation (expressions are immutable, so one can serve every reader)."""
        if key not in self._tables:
            self._tables[key] = build()
        return self._tables[key]

    def run(self, expr: ir.Expr) -> pl.DataFrame:
        """Execute on the tape's engine."""
        return self.tape.run(expr)

    # -- what each view reads -------------------------------------------------------------------

    def _choices(self, symbols: Sequence[str]) -> ir.Table:
        rows = [
            {
                "view": i,
                "symbol": s,
                "choice": v.choice(s),
                "cut": utc(v.cut),
                "day": v.day,
                "in_progress": v.in_progress,
            }
            for i, v in enumerate(self.views)
            for s in symbols
            if v.reads is None or s in v.reads
        ]
        schema: dict[str, pl.DataType] = {
            "view": pl.Int64(),
            "symbol": pl.String(),
            "choice": pl.String(),
            "cut": pl.Datetime("us", "UTC"),
            "day": pl.Date(),
            "in_progress": pl.Boolean(),
        }
        return self.tape.upload(pl.DataFrame(rows, schema=schema))

    def _stacked(
        self, facts: ir.Table, entities: Sequence[str], entity: str, key: str, adjusted: bool
    ) -> ir.Table:
        """``facts`` of every feed, as each view reads them (one feed, or the preferred ones)."""
        choices = self._choices(entities)
        if entity != "symbol":
            choices = choices.rename({entity: "symbol"})
        if adjusted:
            facts = adjust(facts)
        parts = [
            self.tape.prefer(facts, entity, key, adjusted=adjusted, one_per_feed=True).mutate(
                choice=ibis.literal(PREFERRED)
            )
        ]
        wanted = sorted({v.choice(s) for v in self.views for s in entities} - {PREFERRED})
        if wanted:
            single = facts.filter(facts.feed.isin(wanted))
            parts.append(single.mutate(choice=single.feed))
        stacked = ibis.union(*parts) if len(parts) > 1 else parts[0]
        joined = stacked.join(choices, [entity, "choice"])
        return joined.drop("choice")

    def bars(self, *, adjusted: bool = False) -> ir.Table:
        """Every view's bars as known now, flagged ``known`` (at the view's cut) and ``live``
        (the final bar of the session in progress at the cut). Kept on the engine, so later
        queries on it are cheap."""
        key = ("bars", adjusted)
        if key not in self._kept:
            facts = self.tape.fold(self.recorded_by, entities=list(self.symbols))
            facts = facts.filter(facts.event_type == "PriceBar").select(*BAR_COLUMNS)
            t = self._stacked(facts, self.symbols, "symbol", "session", adjusted)
            known = t.valid_at <= t.cut
            live = ~known & t.in_progress & (t.session == t.day)
            self._kept[key] = self.tape.keep(t.mutate(known=known, live=live))
        return self._kept[key]

    def closed(self, *, adjusted: bool = False) -> ir.Table:
        """The closed tape of each view: bars with ``valid_at <= cut``."""

        def build() -> ir.Table:
            bars = self.bars(adjusted=adjusted)
            return bars.filter(bars.known)

        return self.table(("closed", adjusted), build)

    def live(self) -> ir.Table:
        """The final bar of the session in progress at each view's cut (no row when the cut is
        outside a session)."""

        def build() -> ir.Table:
            bars = self.bars()
            return bars.filter(bars.live)

        return self.table(("live",), build)

    def now(self, *, adjusted: bool = False) -> ir.Table:
        """Every bar known now, read from each view's feeds (for scoring forecasts)."""
        return self.bars(adjusted=adjusted)

    def observations(self, *, now: bool = False) -> ir.Table:
        """Every view's observations at its cut (or known now)."""
        key = ("obs",)
        if key not in self._kept:
            facts = self.tape.fold(self.recorded_by, entities=list(self.series))
            facts = facts.filter(facts.event_type == "Observation").select(*OBSERVATION_COLUMNS)
            t = self._stacked(facts, self.series, "series", "period", False)
            self._kept[key] = self.tape.keep(t.mutate(known=t.valid_at <= t.cut))
        obs = self._kept[key]
        return obs if now else obs.filter(obs.known)

    # -- what every check asks first: coverage, the session in progress, the level at the cut ---

    def coverage(
        self, *, now: bool = False, adjusted: bool = False
    ) -> dict[tuple[int, str], tuple[dt.date, dt.date]]:
        """The first and last session of each symbol in each view (closed at the cut, or
        now)."""
        key = ("coverage", now, adjusted)
        if key not in self._results:
            bars = self.now(adjusted=adjusted) if now else self.closed(adjusted=adjusted)
            agg = bars.group_by("view", "symbol").agg(
                first=bars.session.min(), last=bars.session.max()
            )
            self._results[key] = {
                (r["view"], r["symbol"]): (r["first"], r["last"])
                for r in self.run(agg).iter_rows(named=True)
            }
        return self._results[key]  # type: ignore[return-value]

    def live_ranges(self) -> dict[tuple[int, str], tuple[float, float, float]]:
        """Each symbol's ``(low, high, close)`` in the session in progress at each view's cut
        (a close-only feed's range is its close)."""
        key = ("live",)
        if key not in self._results:
            out = {}
            live = self.live()
            for r in self.run(live.filter(live.close.notnull())).iter_rows(named=True):
                close = float(r["close"])
                low = float(r["low"]) if r["low"] is not None else close
                high = float(r["high"]) if r["high"] is not None else close
                out[(r["view"], r["symbol"])] = (low, high, close)
            self._results[key] = out
        return self._results[key]  # type: ignore[return-value]

    def levels(self, *, adjusted: bool = False) -> dict[tuple[int, str], tuple[dt.date, float]]:
        """Each symbol's level at each view's publication: the close of the session in
        progress when the cut falls inside one, else the last close before the cut (with its
        session, which may lie long before when the series had stopped)."""
        key = ("levels", adjusted)
        if key not in self._results:
            bars = self.bars(adjusted=adjusted)
            bars = bars.filter(bars.known | bars.live, bars.close.notnull())
            last = _latest(bars)
            self._results[key] = {
                (r["view"], r["symbol"]): (r["session"], float(r["close"]))
                for r in self.run(last).iter_rows(named=True)
            }
        return self._results[key]  # type: ignore[return-value]

    def last_closes(
        self, *, adjusted: bool = False
    ) -> dict[tuple[int, str], tuple[dt.date, float]]:
        """Each symbol's last close as known now, in each view."""
        key = ("last", adjusted)
        if key not in self._results:
            bars = self.bars(adjusted=adjusted)
            last = _latest(bars.filter(bars.close.notnull()))
            self._results[key] = {
                (r["view"], r["symbol"]): (r["session"], float(r["close"]))
                for r in self.run(last).iter_rows(named=True)
            }
        return self._results[key]  # type: ignore[return-value]


def _latest(bars: ir.Table) -> ir.Table:
    t = first_rows(bars, [bars["view"], bars.symbol], [ibis.desc(bars.session)])
    return t.select("view", "symbol", "session", "close")
