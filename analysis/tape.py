"""The tape: the facts known at a cut, as lazy ibis tables over one version of the event log.

This is the only way analysis reads prices and observations, and :meth:`Tape.fold` is the only
place the bitemporal fold is written. A :class:`Tape` pins one version of the log (the Delta
snapshot's data files, scanned by the backend's engine; nothing is materialised in Python) and
answers, for a cut ``(known_at, recorded_by)``:

- :meth:`Tape.fold`: per natural key ``(stream, key)`` the latest event recorded by
  ``recorded_by``, retracted events removed (if the latest version is retracted, the one before
  it is the fact again);
- :meth:`Tape.facts`: the fold as known at ``known_at``: its facts with ``valid_at <= known_at``;
- :meth:`Tape.bars` / :meth:`Tape.observations`: those facts as price bars or observations, one
  row per symbol and session (period), from the catalog's preferred feeds or from one feed;
- :meth:`Tape.session_in_progress`: when ``known_at`` falls inside a trading session, that
  session's *final* bar, marked ``in_progress``. It is never part of the closed tape.

Filtering the fold by valid time equals folding the valid-time cut because every version of a
fact shares its ``valid_at`` (a bar is valid at its session's close, an observation at its
publication rule): the versions of a fact are either all known at a cut or none is. So the fold
is computed once per ``recorded_by`` and every cut is a filter.

The fold of everything recorded (``recorded_by=None``, what every as-published check reads) is
kept by the store itself, as its projection (:mod:`store.projection`, one version per log
version): on a Delta log the tape scans the projection's files instead of re-folding the log.
Only a reader who asks what was *recorded* by an earlier time (or a store whose projection
cannot be read) pays for the fold on the engine. Both give the same rows, in
:data:`store.projection.COLUMNS`.

Examples
--------
>>> import datetime as dt
>>> from store import MemoryEventLog, PriceBar, batch
>>> log = MemoryEventLog()
>>> close = dt.datetime(2025, 1, 2, 21, tzinfo=dt.UTC)
>>> bar = PriceBar("^A", "demo", dt.date(2025, 1, 2), close - dt.timedelta(hours=6.5), close,
...                100.0, 102.0, 99.0, 101.0, "doc")
>>> _ = log.append(batch([bar]))
>>> tape = Tape(log)
>>> tape.run(tape.bars(close, symbols=["^A"]))["close"].to_list()
[101.0]
>>> tape.run(tape.bars(close - dt.timedelta(seconds=1), symbols=["^A"])).height
0
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl
from deltalake.exceptions import DeltaError

from analysis.backends import Backend, backend_for, backend_named
from analysis.ordinal import first_rows
from store import EVENT_SCHEMA
from store.errors import TapecheckError
from store.log import EventLog
from store.memory import MemoryEventLog
from store.projection import COLUMNS as FOLD_COLUMNS
from store.projection import SCHEMA as FOLD_SCHEMA
from store.reference.calendar import session_bounds
from store.reference.catalog import load_catalog
from store.reference.clock import NEW_YORK, utc
from store.seal import digest, entry_path

__all__ = [
    "BAR_COLUMNS",
    "OBSERVATION_COLUMNS",
    "UNRANKED",
    "Tape",
    "adjust",
    "preference_ranks",
    "tape",
]

BAR_COLUMNS = (
    "symbol",
    "feed",
    "session",
    "bar_start",
    "valid_at",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "recorded_at",
    "event_id",
    "source",
)
OBSERVATION_COLUMNS = (
    "series",
    "feed",
    "period",
    "value",
    "unit",
    "valid_at",
    "recorded_at",
    "event_id",
    "source",
)
# Feeds a catalog does not rank still fill gaps, after every ranked feed, in name order.
UNRANKED = 1_000
# Tapes kept for the process by `Tape.shared`, newest last (a store's latest version and the
# one before it: a notebook that appends and verifies again still has the older one at hand).
SHARED_TAPES = 2
_shared: OrderedDict[tuple[object, ...], Tape] = OrderedDict()
_shared_lock = threading.Lock()


class Tape:
    """One version of the event log, readable as of any cut.

    Parameters
    ----------
    log
        The event log (default: the store at ``TAPECHECK_STORE``); a Delta ``EventLog`` or an
        in-memory ``MemoryEventLog``.
    version
        The log version to read (default: the latest). Reports cite it.
    backend
        ``duckdb`` (default, or ``$TAPECHECK_BACKEND``) or ``pyspark``.
    con
        An existing ibis connection to run on (its backend is used).
    cache
        Keep each fold on the engine (a temporary table on DuckDB, a cached view on Spark) so
        that many queries over one version (the claims engine, notebooks) fold once.
    projection
        Read the fold of everything recorded from the store's projection (default). ``False``
        folds the log on the engine every time: what the projection is checked against.
    """

    def __init__(
        self,
        log: EventLog | MemoryEventLog | None = None,
        *,
        version: int | None = None,
        backend: str | None = None,
        con: ibis.BaseBackend | None = None,
        cache: bool = False,
        projection: bool = True,
    ) -> None:
        self.log = log if log is not None else EventLog.open()
        self.backend: Backend = backend_for(con) if con is not None else backend_named(backend)
        self.con = con if con is not None else self.backend.connect()
        self.cache = cache
        if isinstance(self.log, MemoryEventLog):
            self.version = self.log.version() if version is None else version
            frame = self.log.scan(self.version).collect()
            self._events = self.backend.upload(self.con, frame)
        else:
            snapshot = self.log.snapshot(version)
            self.snapshot = snapshot
            self.version = snapshot.version
            self._events = self.backend.read_snapshot(self.con, snapshot, EVENT_SCHEMA)
        self._folds: dict[dt.datetime | None, ir.Table] = {}
        self._ranks: dict[bool, ir.Table] = {}
        # what readers derive from this tape and keep with it, newest last (analysis.panel
        # keeps its panels here, so that a panel lives as long as its tape)
        self.derived: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._projected: ir.Table | None = None
        self._projection_tried = not projection

    @classmethod
    def shared(
        cls,
        log: EventLog | MemoryEventLog,
        *,
        version: int | None = None,
        backend: str | None = None,
    ) -> Tape:
        """A caching tape of ``log`` at ``version`` (default: the latest), kept for the process.

        A Delta version never changes, so what one run folded and kept on the engine (each
        article's panel) serves every later run at that version: a notebook re-running
        ``verify`` reads the panels the last run built. A new version (an append) gets a new
        tape; the :data:`SHARED_TAPES` newest are kept. An in-memory log can change under a
        version number, so it always gets a new tape.
        """
        if not isinstance(log, EventLog):
            return cls(log, version=version, backend=backend, cache=True)
        # the snapshot checks the store (an interrupted append, missing files) on every call
        pinned = log.snapshot(version).version
        # A store deleted and made again at the same path reuses version numbers: the digest
        # of the version's own log entry (its commit time, the unique names of the files it
        # added) tells the two apart. Without the entry, nothing is shared.
        try:
            entry = digest(entry_path(log.table_path, pinned).read_bytes())
        except OSError:
            return cls(log, version=pinned, backend=backend, cache=True)
        key = (str(log.root.resolve()), pinned, entry, backend_named(backend).name)
        with _shared_lock:
            tape = _shared.get(key)
            if tape is None:
                tape = cls(log, version=pinned, backend=backend, cache=True)
                _shared[key] = tape
                while len(_shared) > SHARED_TAPES:
                    _shared.popitem(last=False)
            _shared.move_to_end(key)
        return tape

    @staticmethod
    def forget_shared() -> None:
        """Drop the tapes :meth:`shared` keeps (each closes with its connection once no
        reader holds it): to free the engine's memory, or to time a run that folds again."""
        with _shared_lock:
            _shared.clear()

    # -- running ---------------------------------------------------------------------------------

    def run(self, expr: ir.Expr) -> pl.DataFrame:
        """Execute an expression over this tape on the tape's own connection."""
        return self.backend.to_polars(self.con, expr)

    def upload(self, frame: pl.DataFrame) -> ir.Table:
        """A small frame as a table on the tape's engine (to join with the tape)."""
        return self.backend.upload(self.con, frame)

    def keep(self, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once on the engine and keep it for later queries."""
        return self.backend.keep(self.con, expr)

    # -- the fold --------------------------------------------------------------------------------

    def fold(
        self, recorded_by: dt.datetime | None = None, *, entities: list[str] | None = None
    ) -> ir.Table:
        """Per natural key, the latest event recorded by ``recorded_by`` (default: everything
        in the pinned version), retracted events removed; facts of every valid time.

        ``entities`` (symbols or series) narrows the scan before the fold; every version of a
        fact shares its entity, so this never changes which version wins.
        """
        cut = utc(recorded_by) if recorded_by is not None else None
        projected = self._projection() if cut is None else None
        if projected is not None:
            # already folded and kept by the store: a scan, filtered, is all a query needs
            return projected if entities is None else _of_entities(projected, entities)
        if self.cache:
            if cut not in self._folds:
                self._folds[cut] = self.keep(self._fold(cut, None))
            kept = self._folds[cut]
            return kept if entities is None else _of_entities(kept, entities)
        return self._fold(cut, entities)

    def _fold(self, recorded_by: dt.datetime | None, entities: list[str] | None) -> ir.Table:
        e = self._events
        if recorded_by is not None:
            e = e.filter(e.recorded_at <= recorded_by)
        if entities is not None:
            e = e.filter((e.event_type == "Retraction") | _entity(e).isin(entities))
        retracted = e.filter(e.event_type == "Retraction").select(retracted_id=e.retracts)
        facts = e.filter(e.event_type != "Retraction")
        facts = facts.anti_join(retracted, facts.event_id == retracted.retracted_id)
        latest_facts = first_rows(
            facts,
            [facts.stream, facts.key],
            [ibis.desc(facts.recorded_at), ibis.desc(facts.event_id)],
        )
        return latest_facts.select(*FOLD_COLUMNS)

    def _projection(self) -> ir.Table | None:
        """The store's projection at this tape's version, scanned (``None``: an in-memory log,
        or a projection that cannot be read or brought up to date, e.g. a read-only copy)."""
        if not self._projection_tried:
            self._projection_tried = True
            if isinstance(self.log, EventLog):
                try:
                    snapshot = self.log.projection(self.version)
                except (OSError, DeltaError, TapecheckError):
                    return None
                self._projected = self.backend.scan(self.con, snapshot.files, FOLD_SCHEMA)
        return self._projected

    def facts(
        self,
        known_at: dt.datetime,
        recorded_by: dt.datetime | None = None,
        *,
        event_type: str | None = None,
        entities: list[str] | None = None,
    ) -> ir.Table:
        """The facts known at ``known_at`` by a reader who saw what was recorded by
        ``recorded_by``: the fold, cut at ``valid_at <= known_at``."""
        facts = self.fold(recorded_by, entities=entities)
        facts = facts.filter(facts.valid_at <= utc(known_at))
        if event_type is not None:
            facts = facts.filter(facts.event_type == event_type)
        return facts

    # -- bars and observations -------------------------------------------------------------------

    def bars(
        self,
        known_at: dt.datetime,
        recorded_by: dt.datetime | None = None,
        *,
        symbols: list[str] | None = None,
        source: str | None = None,
        adjusted: bool = False,
    ) -> ir.Table:
        """Daily bars known at the cut: one row per symbol and session.

        Parameters
        ----------
        symbols
            Restrict to these symbols (pushed down to the scan).
        source
            Read only this feed; default: the catalog's preferred feeds, the first having
            priority and later ones filling sessions it lacks.
        adjusted
            Dividend-adjusted prices (for total returns) instead of quoted prices: ``close``
            becomes the adjusted close and ``open/high/low`` are null where they are unadjusted.
        """
        facts = self.facts(known_at, recorded_by, event_type="PriceBar", entities=symbols)
        return self.choose_bars(facts.select(*BAR_COLUMNS), source=source, adjusted=adjusted)

    def choose_bars(
        self, bars: ir.Table, *, source: str | None = None, adjusted: bool = False
    ) -> ir.Table:
        """One row per symbol and session out of bars of every feed: the preferred feeds
        (adjusted prices when asked), or one feed."""
        if adjusted:
            bars = adjust(bars)
        if source is not None:
            return bars.filter(bars.feed == source)
        return self.prefer(bars, "symbol", "session", adjusted=adjusted, one_per_feed=True)

    def observations(
        self,
        known_at: dt.datetime,
        recorded_by: dt.datetime | None = None,
        *,
        series: list[str] | None = None,
        source: str | None = None,
    ) -> ir.Table:
        """Observations (FRED series, French factors) known at the cut, one row per period."""
        facts = self.facts(known_at, recorded_by, event_type="Observation", entities=series)
        return self.choose_observations(facts.select(*OBSERVATION_COLUMNS), source=source)

    def choose_observations(self, obs: ir.Table, *, source: str | None = None) -> ir.Table:
        """One row per series and period: the preferred feeds, or one feed."""
        if source is not None:
            return obs.filter(obs.feed == source)
        return self.prefer(obs, "series", "period", adjusted=False, one_per_feed=True)

    def view(
        self,
        known_at: dt.datetime,
        recorded_by: dt.datetime | None = None,
        *,
        source: str | None = None,
    ) -> ir.Table:
        """Every kind of fact known at the cut, one row per fact, from the preferred feeds."""
        facts = self.facts(known_at, recorded_by)
        if source is not None:
            return facts.filter((facts.feed == source) | facts.feed.isnull())
        facts = facts.mutate(_entity=facts.symbol.fill_null(facts.series).fill_null(facts.stream))
        return self.prefer(facts, "_entity", "key", adjusted=False).drop("_entity")

    def ranks(self, *, adjusted: bool) -> ir.Table:
        """The catalog's feed priorities on this tape's engine: ``entity, rank_feed, feed_rank``."""
        if adjusted not in self._ranks:
            self._ranks[adjusted] = self.upload(preference_ranks(adjusted=adjusted))
        return self._ranks[adjusted]

    def prefer(
        self, table: ir.Table, entity: str, key: str, *, adjusted: bool, one_per_feed: bool = False
    ) -> ir.Table:
        """One row per ``(entity, key)`` from facts of several feeds: the catalog's first
        feed where it has the fact, later feeds filling what it lacks, unranked feeds last.

        ``one_per_feed`` says that ``table`` holds at most one row per ``(entity, key, feed)``,
        as the fold does for bars and observations (a stream is one entity's feed, and a fact
        is one key of a stream). The best row is then found by its rank alone."""
        if adjusted:
            # with adjusted prices asked for, only feeds that carry them qualify
            table = table.filter(table.close.notnull())
        ranks_t = self.ranks(adjusted=adjusted)
        # a catalog id names a series (FRED:DFF) or a family of them (FF3 covers FF3:SMB:A)
        same = (table[entity] == ranks_t.entity) | table[entity].startswith(ranks_t.entity + ":")
        ranked = table.left_join(ranks_t, [same, table.feed == ranks_t.rank_feed])
        ranked = ranked.mutate(_rank=ranked.feed_rank.fill_null(UNRANKED))
        if adjusted:
            ranked = ranked.filter(ranked._rank < UNRANKED)
        # one sort key: (rank, feed), a null feed last
        ranked = ranked.mutate(
            _order=ibis.struct(
                {
                    "rank": ranked._rank,
                    "unfed": ranked.feed.isnull(),
                    "feed": ranked.feed.fill_null(""),
                }
            )
        )
        if one_per_feed:
            # the order key is unique within (entity, key): the best row is the one holding
            # its minimum, a narrow aggregate and a semi-join (about half the time of numbering
            # every row, which carries every column through the engine's aggregate)
            best = ranked.group_by([entity, key]).agg(_best=ranked._order.min())
            picked = ranked.semi_join(
                best,
                [
                    ranked[entity] == best[entity],
                    ranked[key] == best[key],
                    ranked._order == best._best,
                ],
            )
        else:
            picked = first_rows(ranked, [ranked[entity], ranked[key]], [ranked._order])
        return picked.drop("_order", "_rank", "feed_rank", "entity", "rank_feed")

    # -- the session in progress -----------------------------------------------------------------

    def session_in_progress(
        self,
        known_at: dt.datetime,
        recorded_by: dt.datetime | None = None,
        *,
        symbols: list[str] | None = None,
        source: str | None = None,
    ) -> ir.Table | None:
        """The final bar of the session open at ``known_at``, marked ``in_progress``; None when
        ``known_at`` is outside trading hours.

        Statements published during a session speak of it as it unfolds; they are checked
        against this bar, never against the closed tape (which cannot contain it yet).
        """
        known_at = utc(known_at)
        session = known_at.astimezone(NEW_YORK).date()
        bounds = session_bounds(session)
        if bounds is None or not (bounds[0] <= known_at < bounds[1]):
            return None
        final = self.bars(bounds[1], recorded_by, symbols=symbols, source=source)
        return final.filter(final.session == session).mutate(in_progress=ibis.literal(True))


def adjust(bars: ir.Table) -> ir.Table:
    """Dividend-adjusted prices: ``close`` is the adjusted close where a feed has one, and
    ``open/high/low`` are null there (they are quoted, not adjusted)."""
    adj = bars.adj_close.notnull()
    return bars.mutate(
        close=adj.ifelse(bars.adj_close, bars.close),
        open=adj.ifelse(ibis.null(), bars.open),
        high=adj.ifelse(ibis.null(), bars.high),
        low=adj.ifelse(ibis.null(), bars.low),
    )


def _entity(events: ir.Table) -> ir.StringColumn:
    return events.symbol.fill_null(events.series)


def _of_entities(facts: ir.Table, entities: list[str]) -> ir.Table:
    return facts.filter(_entity(facts).isin(entities))


def preference_ranks(*, adjusted: bool) -> pl.DataFrame:
    """The catalog's feed priorities as rows ``(entity, rank_feed, feed_rank)``."""
    rows: list[dict[str, Any]] = []
    for spec in load_catalog().series.values():
        feeds = spec.preferred_adjusted if adjusted else spec.preferred
        rows += [{"entity": spec.id, "rank_feed": f, "feed_rank": i} for i, f in enumerate(feeds)]
    schema = {"entity": pl.String, "rank_feed": pl.String, "feed_rank": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def tape(
    known_at: dt.datetime,
    recorded_by: dt.datetime | None = None,
    source: str | None = None,
    *,
    log: EventLog | None = None,
    version: int | None = None,
) -> ir.Table:
    """The facts known at a cut: bars and observations through one view.

    Bars and observations come from their preferred feeds (or from ``source``), so the table
    has one row per natural fact. Columns are the event schema's; select ``event_type`` to
    split them, or use :meth:`Tape.bars` and :meth:`Tape.observations`.
    """
    return Tape(log, version=version).view(known_at, recorded_by, source=source)
