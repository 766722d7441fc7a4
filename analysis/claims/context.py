"""One article's reading of the tape: its publication cut, and a panel of every view its claims
are judged on (the preferred feeds, and each other feed of a claim's first series).

The :class:`Context` builds the panel once per article, so that every claim's signals read one
fold and evaluate all of their views in one query. Charts and notebooks read its frames (the
tape at the cut, now, and the session in progress) through the same panel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import ibis.expr.types as ir
import polars as pl

from analysis import signals as sg
from analysis.claims.model import ArticleSpec, ClaimSpec
from analysis.claims.reading import Reading
from analysis.panel import PREFERRED, Panel, View
from analysis.tape import Tape
from store.reference.catalog import load_catalog
from store.reference.clock import new_york

__all__ = ["Context", "is_series", "other_feeds", "publication_cut"]


def publication_cut(day: dt.date, at: dt.time) -> dt.datetime:
    """The publication instant in UTC: ``day`` at New York time ``at``."""
    return new_york(day, at)


def is_series(name: str) -> bool:
    """Whether ``name`` is an observation series (FRED, French factors) rather than prices."""
    spec = load_catalog().entry(name)
    if spec is not None:
        return spec.kind in ("macro", "factor")
    return name.startswith(("FRED:", "FF3", "FFME"))


def other_feeds(symbol: str) -> list[str]:
    """The feeds of a price series other than its first preference (unadjusted only): the
    sources a verdict is recomputed on to see whether they agree."""
    spec = load_catalog().entry(symbol)
    if spec is None or spec.kind in ("macro", "factor"):
        return []
    first = spec.preferred[:1]
    return [s.feed for s in spec.sources if s.feed not in first and not s.adjusted]


def _subjects(claims: Iterable[ClaimSpec]) -> list[str]:
    return [s for c in claims if c.check is not None for s in c.check.subjects()]


class Context:
    """An article at its publication cut, or at several candidate cuts.

    Parameters
    ----------
    spec
        The article.
    tape
        The tape (one log version, one engine).
    recorded_by
        What the reader had seen recorded (default: everything in the tape's version).
    days
        Publication dates to read the article at (default: the spec's date); view 0 is the
        first of them.
    claims
        The claims the panel is built for (default: all of the article's).
    cross_source
        Also read each claim's first series from each of its other feeds.
    """

    def __init__(
        self,
        spec: ArticleSpec,
        tape: Tape,
        recorded_by: dt.datetime | None = None,
        *,
        days: Sequence[dt.date] | None = None,
        claims: Sequence[ClaimSpec] | None = None,
        cross_source: bool = True,
    ) -> None:
        self.spec = spec
        self.tape = tape
        self.recorded_by = recorded_by
        self.claims = list(claims if claims is not None else spec.claims)
        published = spec.published.date
        if days:
            self.days = list(days)
        elif published is not None:
            self.days = [published]
        else:
            raise ValueError(f"article {spec.id} has no publication date (same_as unresolved)")
        self.cuts = [publication_cut(d, spec.published.time) for d in self.days]
        views = [View(cut) for cut in self.cuts]
        # per first series: (cut index, view index) of each other feed's view
        self._feed_views: dict[str, list[tuple[int, int]]] = {}
        if cross_source:
            # per first series, what the claims judged across its feeds read
            reads: dict[str, set[str]] = {}
            for c in self.claims:
                if c.check is not None:
                    subjects = c.check.subjects()
                    reads.setdefault(subjects[0], set()).update(subjects)
            for symbol in sorted(reads):
                for feed in other_feeds(symbol):
                    for k, cut in enumerate(self.cuts):
                        self._feed_views.setdefault(symbol, []).append((k, len(views)))
                        views.append(View(cut, (symbol, feed), frozenset(reads[symbol])))
        names = _subjects(self.claims)
        self.panel = Panel.on(
            tape,
            views,
            symbols=[n for n in names if not is_series(n)],
            series=[n for n in names if is_series(n)],
            recorded_by=recorded_by,
        )

    # -- the publication cut ----------------------------------------------------------------------

    @property
    def known_at(self) -> dt.datetime:
        """The (first) publication cut."""
        return self.cuts[0]

    @property
    def day(self) -> dt.date:
        """The (first) publication date in New York."""
        return self.panel.views[0].day

    @property
    def in_progress(self) -> bool:
        """Whether the (first) cut falls inside a trading session."""
        return self.panel.views[0].in_progress

    # -- what each claim reads -------------------------------------------------------------------

    def reading(self, claim: ClaimSpec, *, cross_source: bool = True) -> Reading:
        """The views ``claim`` is judged on: each publication date, and (with ``cross_source``)
        each other feed of its first series at each date."""
        assert claim.check is not None
        subjects = tuple(claim.check.subjects())
        views = list(range(len(self.cuts)))
        if cross_source:
            views += [v for _, v in self._feed_views.get(subjects[0], [])]
        return Reading(self.panel, tuple(views), claim.session_in_progress, subjects)

    def feed_views(self, claim: ClaimSpec, cut: int = 0) -> list[int]:
        """The views reading ``claim``'s first series from each of its other feeds, at the
        ``cut``-th publication date."""
        assert claim.check is not None
        return [v for k, v in self._feed_views.get(claim.check.subjects()[0], []) if k == cut]

    def feed_of(self, view: int) -> str:
        """The feed a cross-source view reads (``PREFERRED`` for the catalog's choice)."""
        feed = self.panel.views[view].feed
        return feed[1] if feed is not None else PREFERRED

    def date_of(self, view: int) -> dt.date:
        return self.panel.views[view].day

    # -- tables and frames for charts and notebooks (view 0: the preferred feeds) ---------------

    def _first_view(self, table: ir.Table, key: str, name: str) -> ir.Table:
        return table.filter(table["view"] == 0, table[key] == name)

    def closed(self, symbol: str, *, adjusted: bool = False) -> ir.Table:
        """The closed tape of ``symbol`` at the publication cut (every bar column)."""
        return self._first_view(self.panel.closed(adjusted=adjusted), "symbol", symbol)

    def after(self, symbol: str, *, adjusted: bool = False) -> ir.Table:
        """The tape of ``symbol`` as known now (every bar column)."""
        return self._first_view(self.panel.now(adjusted=adjusted), "symbol", symbol)

    def closed_frame(self, symbol: str, *, adjusted: bool = False) -> pl.DataFrame:
        """The closed tape of ``symbol`` at the publication cut, by session."""
        return self.tape.run(self.closed(symbol, adjusted=adjusted)).sort("session")

    def after_frame(self, symbol: str, *, adjusted: bool = False) -> pl.DataFrame:
        """The tape of ``symbol`` as known now, by session."""
        return self.tape.run(self.after(symbol, adjusted=adjusted)).sort("session")

    def live(self, symbol: str) -> dict[str, object] | None:
        """The final bar of the session in progress at the cut, or None."""
        frame = self.tape.run(self._first_view(self.panel.live(), "symbol", symbol))
        return frame.row(0, named=True) if frame.height else None

    def observations(self, series: Sequence[str], *, now: bool = False) -> ir.Table:
        """Observations of ``series`` at the cut (or as known now)."""
        obs = self.panel.observations(now=now)
        return obs.filter(obs["view"] == 0, obs["series"].isin(list(series)))

    def observations_frame(self, series: str, *, now: bool = False) -> pl.DataFrame:
        """Observations of ``series`` at the cut (or as known now), by period."""
        obs = self._first_view(self.panel.observations(now=now), "series", series)
        return self.tape.run(obs).sort("period")

    def moving_average_frame(
        self, symbol: str, sessions: int, *, now: bool = False
    ) -> pl.DataFrame:
        """``symbol``'s close and its ``sessions``-session average (``sma``), by session."""
        bars = self.after(symbol) if now else self.closed(symbol)
        return self.tape.run(sg.moving_average(bars, sessions)).sort("session")
