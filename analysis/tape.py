"""The tape: the facts known at a cut, as lazy ibis tables over the log's Parquet files.

This is the only way analysis reads prices and observations. A :class:`Tape` pins one version
of the event log (the Delta snapshot's data files, read by DuckDB through ibis with filter
pushdown; nothing is materialised in Python) and answers, for a cut ``(known_at, recorded_by)``:

- :meth:`Tape.facts`: per natural key the latest event with ``valid_at <= known_at`` and
  ``recorded_at <= recorded_by``, retractions applied (the same fold as ``store.log.as_of``);
- :meth:`Tape.bars` / :meth:`Tape.observations`: those facts as price bars or observations,
  one row per symbol and session (period), taken from the catalog's preferred feed, or from one
  feed on request;
- :meth:`Tape.session_in_progress`: when ``known_at`` falls inside a trading session, that
  session's *final* bar, marked ``in_progress``. It is never part of the closed tape; claims
  about a session as it unfolds are checked against it and say so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl

from store import EVENT_SCHEMA, EventLog
from store.reference.calendar import session_bounds
from store.reference.catalog import load_catalog
from store.reference.clock import NEW_YORK, utc

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
)
OBSERVATION_COLUMNS = ("series", "feed", "period", "value", "unit", "valid_at", "recorded_at")
# Feeds a catalog does not rank still fill gaps, after every ranked feed, in name order.
UNRANKED = 1_000


class Tape:
    """One version of the event log, readable as of any cut.

    Parameters
    ----------
    log
        The event log (default: the store at ``TAPECHECK_STORE``).
    version
        The Delta version to read (default: the latest). Reports cite it.
    con
        An ibis backend connection (default: a fresh in-process DuckDB).
    cache
        Load the snapshot into the backend once (in DuckDB's memory, never Python's) instead
        of scanning its Parquet files on every query. For many small queries over one
        version (the claims engine, notebooks); results are identical.
    """

    def __init__(
        self,
        log: EventLog | None = None,
        *,
        version: int | None = None,
        con: ibis.BaseBackend | None = None,
        cache: bool = False,
    ) -> None:
        self.log = log if log is not None else EventLog.open()
        self.snapshot = self.log.snapshot(version)
        self.version = self.snapshot.version
        self.con = con if con is not None else ibis.duckdb.connect()
        if self.con.name == "duckdb":
            # timestamps are compared in UTC whatever the user's machine is set to
            self.con.raw_sql("SET TimeZone = 'UTC'")
        self._events = self._scan()
        if cache and self.snapshot.files:
            self._events = self.con.create_table(
                f"tapecheck_events_v{self.version}_cached", self._events, temp=True
            )

    def _scan(self) -> ir.Table:
        if not self.snapshot.files:
            empty = pl.DataFrame(schema=EVENT_SCHEMA)
            return self.con.create_table(f"tapecheck_events_v{self.version}", empty, temp=True)
        return self.con.read_parquet(
            list(self.snapshot.files), table_name=f"tapecheck_events_v{self.version}"
        )

    # -- the fold ------------------------------------------------------------------------------

    def facts(
        self,
        known_at: dt.datetime,
        recorded_by: dt.datetime | None = None,
        *,
        event_type: str | None = None,
        entities: list[str] | None = None,
    ) -> ir.Table:
        """The facts known at ``known_at`` by a reader who saw what was recorded by
        ``recorded_by`` (default: everything in the pinned version).

        ``entities`` (symbols or series) narrows the scan before the fold; every version of a
        fact shares its entity, so this never changes which version wins.
        """
        e = self._events
        if recorded_by is not None:
            e = e.filter(e.recorded_at <= utc(recorded_by))
        if entities is not None:
            entity = e.symbol.fill_null(e.series)
            e = e.filter((e.event_type == "Retraction") | entity.isin(entities))
        retracted = e.filter(e.event_type == "Retraction").select(retracted_id=e.retracts)
        facts = e.filter(e.event_type != "Retraction", e.valid_at <= utc(known_at))
        if event_type is not None:
            facts = facts.filter(facts.event_type == event_type)
        facts = facts.anti_join(retracted, facts.event_id == retracted.retracted_id)
        latest = ibis.row_number().over(
            group_by=[facts.stream, facts.key],
            order_by=[ibis.desc(facts.recorded_at), ibis.desc(facts.event_id)],
        )
        return facts.mutate(_rank=latest).filter(ibis._._rank == 0).drop("_rank")

    # -- bars and observations -----------------------------------------------------------------

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
            Restrict to these symbols (pushed down to the Parquet scan).
        source
            Read only this feed; default: the catalog's preferred feeds, the first having
            priority and later ones filling sessions it lacks.
        adjusted
            Dividend-adjusted prices (for total returns) instead of quoted prices: ``close``
            becomes the adjusted close and ``open/high/low`` are null where they are unadjusted.
        """
        facts = self.facts(known_at, recorded_by, event_type="PriceBar", entities=symbols)
        bars = facts.select(*BAR_COLUMNS)
        if adjusted:
            adj = bars.adj_close.notnull()
            bars = bars.mutate(
                close=adj.ifelse(bars.adj_close, bars.close),
                open=adj.ifelse(ibis.null(), bars.open),
                high=adj.ifelse(ibis.null(), bars.high),
                low=adj.ifelse(ibis.null(), bars.low),
            )
        if source is not None:
            return bars.filter(bars.feed == source)
        return self._preferred(bars, "symbol", "session", adjusted=adjusted)

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
        obs = facts.select(*OBSERVATION_COLUMNS)
        if source is not None:
            return obs.filter(obs.feed == source)
        return self._preferred(obs, "series", "period", adjusted=False)

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
        return self._preferred(facts, "_entity", "key", adjusted=False).drop("_entity")

    def _preferred(self, table: ir.Table, entity: str, key: str, *, adjusted: bool) -> ir.Table:
        ranks = preference_ranks(adjusted=adjusted)
        if adjusted:
            # with adjusted prices asked for, only feeds that carry them qualify
            table = table.filter(table.close.notnull())
        ranks_t = ibis.memtable(ranks)
        # a catalog id names a series (FRED:DFF) or a family of them (FF3 covers FF3:SMB:A)
        same = (table[entity] == ranks_t.entity) | table[entity].startswith(ranks_t.entity + ":")
        ranked = table.left_join(ranks_t, [same, table.feed == ranks_t.rank_feed])
        ranked = ranked.mutate(_rank=ranked.feed_rank.fill_null(UNRANKED))
        if adjusted:
            ranked = ranked.filter(ranked._rank < UNRANKED)
        best = ibis.row_number().over(
            group_by=[ranked[entity], ranked[key]], order_by=[ranked._rank, ranked.feed]
        )
        picked = ranked.mutate(_pick=best).filter(ibis._._pick == 0)
        return picked.drop("_pick", "_rank", "feed_rank", "entity", "rank_feed")

    # -- the session in progress ---------------------------------------------------------------

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
        bounds = session_bounds(known_at.astimezone(NEW_YORK).date())
        if bounds is None or not (bounds[0] <= known_at < bounds[1]):
            return None
        session = known_at.astimezone(NEW_YORK).date()
        final = self.bars(bounds[1], recorded_by, symbols=symbols, source=source)
        return final.filter(final.session == session).mutate(in_progress=ibis.literal(True))


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
