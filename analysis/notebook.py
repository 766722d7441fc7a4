"""Jupyter helpers: short cells over the same public API the CLI uses.

In a notebook::

    from analysis.notebook import check
    check("A", "A02")           # the verdict card (rendered through _repr_html_)
    check("A", "A02").chart()   # the altair chart of the evidence

Every helper reads the event store at ``TAPECHECK_STORE`` (or the log it is given) through
:class:`analysis.tape.Tape`; nothing here holds logic a test cannot reach.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from dataclasses import dataclass
from functools import cached_property

import altair as alt
import polars as pl

from analysis.claims.charts import claim_chart
from analysis.claims.context import Context
from analysis.claims.engine import (
    ArticleResult,
    ClaimResult,
    context_for,
    evaluate_article,
    evaluate_claim,
)
from analysis.claims.loader import load_articles
from analysis.claims.model import ArticleSpec, ClaimSpec
from analysis.tape import Tape
from store import EventLog
from store.reference.clock import FAR_FUTURE

__all__ = [
    "ArticleView",
    "CheckView",
    "TimeMachine",
    "Workbench",
    "article",
    "check",
    "configure_altair",
    "thin",
]

MAX_ROWS = 4_000
COLORS = {
    "supported": "#1a7f37",
    "refuted": "#cf222e",
    "consistent_intraday": "#9a6700",
    "not_enough_data": "#8250df",
    "pending": "#0969da",
    "not_checkable": "#57606a",
}


def configure_altair() -> None:
    """Altair settings for notebooks.

    Inline data is allowed up to a row budget the helpers respect (``thin`` pre-aggregates
    longer series), so no chart hits a MaxRowsError. The renderer is altair's interactive
    default; headless runs set ``TAPECHECK_ALTAIR_RENDERER=spec`` so each chart's Vega-Lite
    spec is in the output, ready for PNG export.
    """
    alt.data_transformers.enable("default", max_rows=MAX_ROWS * 2)
    alt.renderers.register("spec", _spec_renderer)
    alt.renderers.enable(os.environ.get("TAPECHECK_ALTAIR_RENDERER", "default"))


SPEC_MIME = "application/vnd.vegalite.v6+json"


def _spec_renderer(spec: dict, **_: object) -> dict[str, object]:
    # altair's own "mimetype" renderer keys the spec as ".v6.json", which nbformat's schema
    # refuses; "+json" is the form notebooks validate
    return {SPEC_MIME: spec, "text/plain": "<altair chart>"}


def thin(frame: pl.DataFrame, max_rows: int = MAX_ROWS) -> pl.DataFrame:
    """Pre-aggregate a long daily series to weekly, then monthly, last values so a chart of
    decades stays under the row budget (the last bar of each period is kept as is)."""
    for every in ("1w", "1mo", "1q", "1y"):
        if frame.height <= max_rows:
            return frame
        frame = (
            frame.sort("session")
            .group_by(pl.col("session").dt.truncate(every).alias("_period"), maintain_order=True)
            .last()
            .drop("_period")
        )
    return frame


def _card(result: ClaimResult, title: str) -> str:
    color = COLORS.get(result.verdict, "#57606a")
    rows = [
        ("claim", result.says),
        ("kind", result.kind),
        ("rule", result.rule or "-"),
        ("measured", result.summary),
        (
            "series",
            ", ".join(f"{k} ({', '.join(v)})" for k, v in result.feeds.items())
            or ", ".join(result.series)
            or "-",
        ),
    ]
    if result.proxy:
        rows.append(("proxy", ", ".join(f"{k} for {v}" for k, v in result.proxy.items())))
    if result.missing:
        rows.append(("missing", ", ".join(result.missing)))
    if result.source_verdicts:
        rows.append(
            ("other sources", ", ".join(f"{k}: {v}" for k, v in result.source_verdicts.items()))
        )
    if result.session_in_progress:
        rows.append(("session", "checked against the final bar of the session in progress"))
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return (
        f"<div style='border-left:6px solid {color};padding:0.4em 0.8em;margin:0.4em 0'>"
        f"<div><b>{html.escape(title)}</b> "
        f"<span style='color:{color};font-weight:bold'>{result.verdict}</span></div>"
        f"<table>{body}</table></div>"
    )


@dataclass
class CheckView:
    """One claim's verdict card (``_repr_html_``) and its evidence chart (``chart()``)."""

    spec: ArticleSpec
    claim: ClaimSpec
    result: ClaimResult
    context: Context

    def _repr_html_(self) -> str:
        return _card(self.result, f"{self.spec.id}/{self.claim.id}")

    def chart(self) -> alt.Chart | None:
        """The altair chart behind the verdict (tooltips, zoomable time axis)."""
        return claim_chart(self.claim, self.result, self.context)


@dataclass
class ArticleView:
    """An article at its publication cut: its date and candidates, and every verdict."""

    result: ArticleResult
    context: Context

    @property
    def spec(self) -> ArticleSpec:
        return self.result.spec

    def verdicts(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "id": [c.id for c in self.result.claims],
                "kind": [c.kind for c in self.result.claims],
                "verdict": [c.verdict for c in self.result.claims],
                "measured": [c.summary for c in self.result.claims],
                "rule": [c.rule for c in self.result.claims],
            }
        )

    def claim(self, claim_id: str) -> CheckView:
        for claim, result in zip(self.spec.claims, self.result.claims, strict=True):
            if claim.id == claim_id:
                return CheckView(self.spec, claim, result, self.context)
        raise KeyError(f"{self.spec.id} has no claim {claim_id}")

    def publication(self) -> str:
        """When the article came out, how that was established, and what the cut is."""
        p = self.spec.published
        when = "during the session" if self.result.in_progress else "after the close"
        anchors = ", ".join(c.id for c in self.spec.claims if c.anchor)
        return (
            f"published {p.date} ({p.basis}), read at {self.result.known_at:%Y-%m-%d %H:%M} UTC, "
            f"{when}\ndate candidates: {', '.join(str(d) for d in p.candidates)}\n"
            f"anchors: {anchors}"
        )

    def tape_then(self, symbol: str, last: int = 8) -> pl.DataFrame:
        """The last closed sessions of ``symbol`` on the tape as known at publication."""
        frame = self.context.closed_frame(symbol)
        return frame.select("session", "feed", "open", "high", "low", "close").tail(last)

    def session_in_progress(self, symbol: str) -> pl.DataFrame | str:
        """The final bar of the session in progress at publication, or why there is none."""
        bar = self.context.live(symbol)
        if bar is None:
            return "no session in progress at the cut"
        cols = ("session", "high", "low", "close", "in_progress")
        return pl.DataFrame([{c: bar[c] for c in cols}])

    def walkthrough(self) -> None:
        """Each claim in turn: its verdict card, then the chart of its evidence."""
        from IPython.display import display

        for claim in self.spec.claims:
            view = self.claim(claim.id)
            display(view)
            chart = view.chart()
            if chart is not None:
                display(chart)

    def _repr_html_(self) -> str:
        p = self.spec.published
        head = (
            f"<h3>{html.escape(self.spec.id)}: {html.escape(self.spec.title)}</h3>"
            f"<p>Published {p.date} ({p.basis}; read at {self.result.known_at:%Y-%m-%d %H:%M} "
            f"UTC{', during the session' if self.result.in_progress else ''}). "
            f"Date candidates: {', '.join(str(d) for d in p.candidates) or 'n/a'}. "
            f"Store version {self.result.store_version}.</p>"
        )
        return head + "".join(_card(c, c.id) for c in self.result.claims)


@dataclass
class TimeMachine:
    """A series as known at a cut, next to the same series as known now."""

    symbol: str
    known_at: dt.datetime
    recorded_by: dt.datetime | None
    then: pl.DataFrame
    now: pl.DataFrame

    @cached_property
    def changes(self) -> pl.DataFrame:
        """Sessions of the cut's tape whose bar differs now (a correction, or another feed
        preferred since), and sessions valid after the cut that are on the tape now."""
        joined = self.now.join(self.then, on="session", how="left", suffix="_then")
        return joined.with_columns(
            pl.when(pl.col("close_then").is_null() & (pl.col("valid_at") <= self.known_at))
            .then(pl.lit("recorded later"))
            .when(pl.col("close_then").is_null())
            .then(pl.lit("after the cut"))
            .when(
                (pl.col("close") != pl.col("close_then")) | (pl.col("feed") != pl.col("feed_then"))
            )
            .then(pl.lit("changed since"))
            .otherwise(pl.lit("same"))
            .alias("status")
        ).select("session", "feed", "close", "feed_then", "close_then", "status")

    def _repr_html_(self) -> str:
        counts = self.changes.group_by("status").len().sort("status")
        text = ", ".join(f"{r['status']}: {r['len']:,}" for r in counts.iter_rows(named=True))
        return (
            f"<p><b>{html.escape(self.symbol)}</b> known at {self.known_at:%Y-%m-%d %H:%M} UTC"
            + (f", recorded by {self.recorded_by:%Y-%m-%d %H:%M} UTC" if self.recorded_by else "")
            + f": {self.then.height:,} bars then, {self.now.height:,} now ({text}).</p>"
        )

    def chart(self, start: dt.date | None = None) -> alt.Chart:
        """Then against now, with changed sessions highlighted (weekly past the row budget)."""
        frame = self.changes
        if start is not None:
            frame = frame.filter(pl.col("session") >= start)
        frame = thin(frame)
        base = alt.Chart(frame).encode(x=alt.X("session:T", title=None))
        now = base.mark_line(color="#0969da").encode(
            y=alt.Y("close:Q", title=self.symbol, scale=alt.Scale(zero=False)),
            tooltip=["session:T", "feed:N", alt.Tooltip("close:Q", format=",.2f"), "status:N"],
        )
        then = base.mark_line(color="#57606a", strokeDash=[4, 2]).encode(y="close_then:Q")
        # sessions valid after the cut are simply the line past the rule; only what changed
        # about the past is marked
        changed = alt.FieldOneOfPredicate(field="status", oneOf=["changed since", "recorded later"])
        cut = (
            alt.Chart(pl.DataFrame({"cut": [self.known_at.date()]}))
            .mark_rule(color="gray")
            .encode(x="cut:T", tooltip=[alt.Tooltip("cut:T", title="known_at")])
        )
        marks = (
            base.transform_filter(changed)
            .mark_point(filled=True, size=50)
            .encode(
                y="close:Q",
                color=alt.Color("status:N", legend=alt.Legend(orient="top")),
                tooltip=[
                    "session:T",
                    "status:N",
                    "feed:N",
                    "feed_then:N",
                    "close:Q",
                    "close_then:Q",
                ],
            )
        )
        return (
            (then + now + marks + cut)
            .properties(
                width=680, height=260, title=f"{self.symbol}: as known then (dashed) and now"
            )
            .interactive(bind_y=False)
        )


class Workbench:
    """One store version, shared by every helper a notebook calls."""

    def __init__(self, log: EventLog | None = None, *, version: int | None = None) -> None:
        self.log = log if log is not None else EventLog.open()
        self.tape = Tape(self.log, version=version, cache=True)
        self._articles: dict[str, ArticleView] = {}
        self._calls: list[CheckView] | None = None

    def article(self, article_id: str) -> ArticleView:
        """An article evaluated at its publication cut (once per workbench)."""
        if article_id not in self._articles:
            (spec,) = load_articles([article_id])
            result = evaluate_article(spec, self.tape)
            self._articles[article_id] = ArticleView(result, context_for(spec, self.tape))
        return self._articles[article_id]

    def check(self, article_id: str, claim_id: str) -> CheckView:
        return self.article(article_id).claim(claim_id)

    def calls(self) -> list[CheckView]:
        """Every forecast and analyst call across the articles, scored from publication on
        (each on its preferred sources; the article views add cross-source agreement)."""
        if self._calls is None:
            views = []
            for spec in load_articles(None):
                ctx = context_for(spec, self.tape)
                for claim in spec.claims:
                    if claim.kind in ("call", "forecast"):
                        result = evaluate_claim(claim, ctx, cross_source=False)
                        views.append(CheckView(spec, claim, result, ctx))
            self._calls = views
        return self._calls

    def scorecard(self) -> pl.DataFrame:
        """The calls and forecasts as a table: who, what, and how it played out."""
        rows = [
            {
                "article": v.spec.id,
                "claim": v.claim.id,
                "firm": v.claim.call.firm if v.claim.call else "(article)",
                "analyst": v.claim.call.analyst if v.claim.call else "(forecast)",
                "says": v.claim.says,
                "verdict": v.result.verdict,
                "outcome": v.result.summary,
            }
            for v in self.calls()
        ]
        return pl.DataFrame(rows).sort("firm", "analyst", "article", "claim")

    def time_machine(
        self, symbol: str, known_at: dt.datetime, recorded_by: dt.datetime | None = None
    ) -> TimeMachine:
        cols = ["session", "feed", "close", "valid_at"]
        then = self.tape.bars(known_at, recorded_by, symbols=[symbol]).order_by("session")
        now = self.tape.bars(FAR_FUTURE, symbols=[symbol]).order_by("session")
        return TimeMachine(
            symbol,
            known_at,
            recorded_by,
            self.tape.run(then).select(cols),
            self.tape.run(now).select(cols),
        )


_default: list[Workbench] = []


def _bench() -> Workbench:
    if not _default:
        _default.append(Workbench())
    return _default[0]


def article(article_id: str) -> ArticleView:
    """The article at its publication cut, from the default store."""
    return _bench().article(article_id)


def check(article_id: str, claim_id: str) -> CheckView:
    """One claim's verdict card and chart, from the default store."""
    return _bench().check(article_id, claim_id)
