"""Jupyter helpers: short cells over the same public API the CLI uses.

In a notebook::

    from analysis.notebook import Workbench, configure_altair
    configure_altair()               # offline, interactive charts (see below)
    bench = Workbench()
    article = bench.article("A")
    article.verdict_table()          # every claim, its verdict in colour, full text
    article.claim("A02")             # one verdict card
    article.claim("A02").explore()   # its chart; click a session to list the events behind it

Every helper reads the event store at ``TAPECHECK_STORE`` (or the log it is given) through
:class:`analysis.tape.Tape`; nothing here holds logic a test cannot reach.

Charts in JupyterLab. altair 6 writes Vega-Lite 6, which JupyterLab's own Vega renderer (v5)
cannot draw, and altair's default HTML renderer loads Vega from a CDN, which fails offline.
:func:`configure_altair` therefore renders charts with altair's ``JupyterChart`` widget in
offline mode: the Vega, Vega-Lite and vega-embed JavaScript comes from vl-convert's bundle,
anywidget carries it to the page, and nothing is fetched from the network. The widget was
chosen over inlining the bundle into HTML outputs because it is altair's supported path, it
keeps the bundle out of the saved notebook, and its selections reach Python: a click on a
chart (:class:`Explorer`) lists the events behind the picked point (event ids, feed, recorded
time, source) under the chart. Tooltips and zoom are the charts' own. Headless runs
(``TAPECHECK_ALTAIR_RENDERER=spec``) emit each chart's Vega-Lite spec instead, for PNG export.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import altair as alt
import polars as pl
from great_tables import GT

from analysis.claims.charts import claim_chart
from analysis.claims.context import Context, is_series
from analysis.claims.engine import (
    ArticleResult,
    ClaimResult,
    context_for,
    evaluate_article,
    evaluate_claim,
)
from analysis.claims.loader import load_articles
from analysis.claims.model import ArticleSpec, ClaimSpec
from analysis.tables import card, styled
from analysis.tape import Tape
from analysis.vintages import revisions, vintage_labels
from store import EventLog
from store.reference.calendar import session_bounds
from store.reference.catalog import load_catalog
from store.reference.clock import FAR_FUTURE

__all__ = [
    "ArticleView",
    "CheckView",
    "Explorer",
    "Revisions",
    "TimeMachine",
    "Workbench",
    "article",
    "check",
    "configure_altair",
    "interactive",
    "thin",
]

MAX_ROWS = 4_000
RENDERER_ENV = "TAPECHECK_ALTAIR_RENDERER"
# the name of the point selection an explorable chart carries
PICK = "pick"


def configure_altair() -> None:
    """Altair settings for notebooks.

    Inline data is allowed up to a row budget the helpers respect (``thin`` pre-aggregates
    longer series), so no chart hits a MaxRowsError. Charts render as altair's
    ``JupyterChart`` widget with its JavaScript bundled by vl-convert (offline); headless runs
    set ``TAPECHECK_ALTAIR_RENDERER=spec`` so each chart's Vega-Lite spec is in the output,
    ready for PNG export.
    """
    alt.data_transformers.enable("default", max_rows=MAX_ROWS * 2)
    alt.renderers.register("spec", _spec_renderer)
    name = os.environ.get(RENDERER_ENV, "jupyter")
    if name == "jupyter":
        # the class-level switch serves the JupyterCharts the explorers build, the renderer
        # option the charts displayed as they are
        alt.JupyterChart.enable_offline()
        alt.renderers.enable("jupyter", offline=True)
    else:
        alt.renderers.enable(name)


def interactive() -> bool:
    """Whether charts render as live widgets (JupyterLab), not as specs for export."""
    return alt.renderers.active == "jupyter"


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


def _utc_text(ts: dt.datetime | None) -> str:
    return "" if ts is None else f"{ts.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _period_day(period: pl.Expr) -> pl.Expr:
    """The first day of a period: ``2025-10-06``, ``2025-10`` or ``2025``."""
    text = period.str.slice(0, 10)
    return (
        pl.when(text.str.len_chars() == 4)
        .then(text + "-01-01")
        .when(text.str.len_chars() == 7)
        .then(text + "-01")
        .otherwise(text)
        .str.to_date("%Y-%m-%d", strict=False)
    )


def _change_unit(series: str) -> str:
    """The unit of a change in ``series``: percentage points for a series kept in percent."""
    spec = load_catalog().entry(series)
    return "pp" if spec is not None and spec.unit == "percent" else ""


# -- picking a point on a chart, and the events behind it -------------------------------------

HINT = "<p style='color:#57606a'>Click a point of the chart to list the events behind it.</p>"


class Explorer:
    """A chart carrying a point selection named ``pick``, and what lies behind a picked point.

    In JupyterLab the chart is a ``JupyterChart`` widget: a click picks the nearest point, the
    selection reaches Python, and the table under the chart lists the events behind it
    (``lookup`` turns the picked datum into rows). Headless, it is the chart alone.

    Parameters
    ----------
    chart
        An altair chart with a top-level point selection named ``pick``.
    lookup
        From the picked datum (the selection's fields) to a frame of events, or to a sentence
        saying why there are none.
    title
        The heading of the events table.
    """

    def __init__(
        self,
        chart: Any,
        lookup: Callable[[dict[str, Any]], pl.DataFrame | str],
        title: str = "Events behind the picked point",
    ) -> None:
        self.chart = chart
        self.lookup = lookup
        self.title = title
        self.view: Any = None
        self.details: Any = None

    def details_html(self, datum: dict[str, Any]) -> str:
        """The table of events behind one picked datum, as HTML."""
        found = self.lookup(datum)
        if isinstance(found, str):
            return f"<p>{html.escape(found)}</p>"
        picked = ", ".join(f"{k} {v}" for k, v in datum.items())
        return styled(found, title=self.title, subtitle=picked).as_raw_html()

    def widget(self) -> Any:
        """The chart widget and, under it, the events of the point picked on it."""
        import ipywidgets

        view = alt.JupyterChart(self.chart)
        details = ipywidgets.HTML(HINT)

        def show(change: dict[str, Any]) -> None:
            # a widget callback's exception would only reach the kernel's log: show it here
            try:
                picked = change["new"].value
                details.value = self.details_html(picked[0]) if picked else HINT
            except Exception as exc:
                details.value = (
                    f"<pre style='color:#cf222e'>{html.escape(type(exc).__name__)}: "
                    f"{html.escape(str(exc))}</pre>"
                )

        view.selections.observe(show, [PICK])
        self.view, self.details = view, details
        box = ipywidgets.VBox([view, details])
        box.add_class("tapecheck-explorer")
        return box

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        if interactive():
            return self.widget()._repr_mimebundle_(include=include, exclude=exclude)
        return self.chart._repr_mimebundle_(include=include, exclude=exclude)


def _dated_rows(chart: alt.TopLevelMixin) -> list[dict[str, Any]]:
    """The rows of a chart's inline datasets that carry a ``session`` (one ``to_dict``: it
    validates and serialises the whole chart)."""
    return [
        row
        for data in chart.to_dict().get("datasets", {}).values()
        for row in data
        if isinstance(row, dict) and isinstance(row.get("session"), str)
    ]


def _day_values(rows: list[dict[str, Any]]) -> pl.DataFrame | None:
    """Each legend role's value on each day a chart draws (``day`` and one column per role),
    for the tooltip of the pick layer, which lies over the chart's own marks."""
    values = [
        {"day": row["session"][:10], "what": str(row["what"]), "value": float(row["value"])}
        for row in rows
        if isinstance(row.get("value"), int | float) and row.get("what") is not None
    ]
    if not values:
        return None
    return pl.DataFrame(values).pivot(
        "what", index="day", values="value", aggregate_function="last"
    )


def pick_sessions(
    chart: alt.TopLevelMixin,
    points: pl.DataFrame,
    *,
    rows: list[dict[str, Any]] | None = None,
) -> alt.LayerChart | None:
    """``chart`` with a layer that picks the session under a click (a band marks it).

    ``points`` has one row per session (``session`` as a date). Each session gets a
    transparent band from the midpoint with the session before to the midpoint with the one
    after, the full height of the plot, on top of the chart's own marks: a click anywhere in
    the plot, on the line or beside it, picks one session. (A nearest-point layer under the
    chart's marks misses clicks that land on a line or a range band; over them, its tooltip
    fields come out undefined.) The band's tooltip gives the session and each line's value on
    it, so tooltips keep working. The selection's field is ``day``, the session as
    ``YYYY-MM-DD`` text, so what Python receives does not depend on the browser's time zone.
    Charts that are not layers (or have no sessions) cannot carry it: None. ``rows`` are the
    chart's dated rows when the caller has them already.
    """
    if not isinstance(chart, alt.LayerChart) or points.height == 0:
        return None
    half = pl.duration(hours=12)
    points = (
        thin(points)
        .select(pl.col("session").cast(pl.Datetime("ms")))
        .sort("session")
        .with_columns(
            pl.col("session").dt.to_string("%Y-%m-%d").alias("day"),
            (pl.col("session") - (pl.col("session") - pl.col("session").shift(1)) / 2)
            .fill_null(pl.col("session") - half)
            .alias("band_from"),
            (pl.col("session") + (pl.col("session").shift(-1) - pl.col("session")) / 2)
            .fill_null(pl.col("session") + half)
            .alias("band_to"),
        )
    )
    values = _day_values(_dated_rows(chart) if rows is None else rows)
    tooltip: list[Any] = [alt.Tooltip("day:N", title="session")]
    if values is not None:
        # the lines (a value on most days), not the few marked points
        roles = [
            c for c in values.columns if c != "day" and values[c].null_count() * 2 < values.height
        ]
        names = {role: f"v{i}" for i, role in enumerate(roles)}  # safe Vega field names
        points = points.join(values.rename(names), on="day", how="left")
        tooltip += [alt.Tooltip(f"{names[r]}:Q", title=r, format=",.2f") for r in roles]
    pick = alt.selection_point(name=PICK, on="click", fields=["day"], empty=False)
    overlay = (
        alt.Chart(points)
        .mark_rect()
        .encode(
            x=alt.X("band_from:T", title=None),
            x2="band_to:T",
            color=alt.value("#57606a"),  # not in the legend: it marks the picked session
            # fillOpacity, not opacity: an opacity condition would fade the legend's symbols
            fillOpacity=alt.when(pick).then(alt.value(0.25)).otherwise(alt.value(0)),
            tooltip=tooltip,
        )
        .properties(name="pick_layer")
    )
    layered = chart.copy(deep=True)
    layered.layer = [*layered.layer, overlay]  # last, so every click in the plot reaches it
    # JupyterChart syncs only top-level selections: lift the pick there, bound to its layer
    selection: Any = pick.param
    param = alt.TopLevelSelectionParameter(**selection.to_dict(), views=["pick_layer"])
    existing: Any = layered.params
    params = [] if existing is alt.Undefined else list(existing)
    layered.params = [*params, param]
    return layered


def _chart_days(rows: list[dict[str, Any]]) -> tuple[dt.date, dt.date] | None:
    """The first and last session of a chart's dated rows."""
    days = [row["session"][:10] for row in rows]
    if not days:
        return None
    return dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))


EVENT_COLUMNS = {
    "series": pl.String,
    "at": pl.String,
    "feed": pl.String,
    "value": pl.Float64,
    "read": pl.String,
    "event_id": pl.String,
    "recorded_at": pl.String,
    "vintage": pl.String,
    "source": pl.String,
}


def _events(frame: pl.DataFrame) -> pl.DataFrame:
    """Events as the explorers list them (one schema for bars and observations)."""
    vintages = vintage_labels(frame["source"], frame["series"]).fill_null("")
    return (
        frame.with_columns(
            pl.col("recorded_at").map_elements(_utc_text, return_dtype=pl.String),
            vintages.alias("vintage"),
            pl.when(pl.col("read")).then(pl.lit("yes")).otherwise(pl.lit("")).alias("read"),
        )
        .select(list(EVENT_COLUMNS))
        .cast(EVENT_COLUMNS)  # type: ignore[arg-type]
        .sort("series", "read", "feed", "recorded_at", descending=[False, True, False, False])
    )


def events_behind(
    tape: Tape, series: list[str], day: dt.date, cut: dt.datetime
) -> pl.DataFrame | str:
    """Every feed's event for ``day`` of each of ``series``, as known at ``cut``, and whether
    the tape read it (``read``: the preferred feed's event).

    Price series match the session ``day``; observation series the period holding it (the
    day, its month or its year).
    """
    frames = []
    bars = [s for s in series if not is_series(s)]
    obs = [s for s in series if is_series(s)]
    if bars:
        facts = tape.facts(cut, event_type="PriceBar", entities=bars)
        facts = facts.filter(facts.session == day)
        found = tape.run(
            facts.select(
                series=facts.symbol,
                at=facts.session.cast("string"),
                feed=facts.feed,
                value=facts.close.fill_null(facts.adj_close),
                event_id=facts.event_id,
                recorded_at=facts.recorded_at,
                source=facts.source,
            )
        )
        read = tape.bars(cut, symbols=bars)
        ids = tape.run(read.filter(read.session == day).select("event_id"))["event_id"]
        frames.append(found.with_columns(pl.col("event_id").is_in(ids.implode()).alias("read")))
    if obs:
        periods = [day.isoformat(), day.isoformat()[:7], str(day.year)]
        facts = tape.facts(cut, event_type="Observation", entities=obs)
        facts = facts.filter(facts.period.isin(periods))
        found = tape.run(
            facts.select(
                series=facts.series,
                at=facts.period,
                feed=facts.feed,
                value=facts.value,
                event_id=facts.event_id,
                recorded_at=facts.recorded_at,
                source=facts.source,
            )
        )
        read = tape.observations(cut, series=obs)
        picked = read.filter(read.period.isin(periods)).select(
            "series", "feed", "period", "recorded_at"
        )
        used = tape.run(picked).rename({"period": "at"}).with_columns(pl.lit(True).alias("read"))
        frames.append(
            found.join(used, on=["series", "feed", "at", "recorded_at"], how="left").with_columns(
                pl.col("read").fill_null(False)
            )
        )
    found = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
    if found.height == 0:
        return f"no event of {', '.join(series)} for {day} as known at {_utc_text(cut)}"
    return _events(found)


# -- one claim ---------------------------------------------------------------------------------


@dataclass
class CheckView:
    """One claim's verdict card (``_repr_html_``), its evidence chart (``chart()``) and the
    chart with the events behind each session (``explore()``)."""

    spec: ArticleSpec
    claim: ClaimSpec
    result: ClaimResult
    context: Context

    def card(self) -> GT:
        """The verdict card: the claim, its rule, what was measured, the series read."""
        r = self.result
        rows = [
            ("claim", r.says),
            ("kind", r.kind),
            ("rule", r.rule or "-"),
            ("measured", r.summary),
            (
                "series",
                ", ".join(f"{k} ({', '.join(v)})" for k, v in r.feeds.items())
                or ", ".join(r.series)
                or "-",
            ),
        ]
        if r.proxy:
            rows.append(("proxy", ", ".join(f"{k} for {v}" for k, v in r.proxy.items())))
        if r.missing:
            rows.append(("missing", ", ".join(r.missing)))
        if r.source_verdicts:
            rows.append(
                ("other sources", ", ".join(f"{k}: {v}" for k, v in r.source_verdicts.items()))
            )
        if r.session_in_progress:
            rows.append(("session", "checked against the final bar of the session in progress"))
        if r.vintages:
            rows.append(
                (
                    "vintages read",
                    "; ".join(
                        f"{v['series']} vintage {v['vintage'] or '(undated)'}, released "
                        f"{str(v['released'] or v['recorded_at'])[:10]}"
                        for v in r.vintages
                    ),
                )
            )
        if r.note:
            rows.append(("note", r.note))
        return card(f"{self.spec.id}/{self.claim.id}", r.verdict, rows)

    def _repr_html_(self) -> str:
        return self.card().as_raw_html()

    def chart(self) -> alt.TopLevelMixin | None:
        """The altair chart behind the verdict (tooltips, zoomable time axis)."""
        return claim_chart(self.claim, self.result, self.context)

    @property
    def reads_now(self) -> bool:
        """Forecasts and calls are scored, and charted, on the tape as known now."""
        return self.claim.kind != "as_published"

    def cut_for(self, day: dt.date) -> dt.datetime:
        """The cut a session of the chart is read at: publication for as-published claims
        (the session in progress: its close), now for forecasts and calls."""
        if self.reads_now:
            return FAR_FUTURE
        if day == self.context.day and self.context.in_progress:
            bounds = session_bounds(day)
            if bounds is not None:
                return bounds[1]
        return self.context.known_at

    def events_at(self, day: dt.date) -> pl.DataFrame | str:
        """The events behind the chart's session ``day``: every feed of the claim's series,
        which one the check read, event ids, recording times and sources."""
        return events_behind(self.context.tape, list(self.result.series), day, self.cut_for(day))

    def _sessions(self, rows: list[dict[str, Any]]) -> pl.DataFrame | None:
        """The sessions (observation periods) a chart with these dated rows shows, one row
        each."""
        days = _chart_days(rows)
        if days is None:
            return None
        main = next((s for s in self.result.series if not is_series(s)), None)
        if main is not None:
            ctx = self.context
            frame = ctx.after_frame(main) if self.reads_now else ctx.closed_frame(main)
            sessions = frame.select("session")
            live = None if self.reads_now else ctx.live(main)
            if live is not None:
                sessions = pl.concat([sessions, pl.DataFrame({"session": [live["session"]]})])
        else:
            obs = self.context.observations_frame(self.result.series[0], now=self.reads_now)
            sessions = obs.select(_period_day(pl.col("period")).alias("session")).drop_nulls()
        return sessions.filter(pl.col("session").is_between(*days)).unique().sort("session")

    def explore(self) -> Explorer | alt.TopLevelMixin | None:
        """The chart, with a click listing the events behind the picked session (JupyterLab);
        the chart as it is when it cannot carry a pick; None when there is nothing to plot."""
        chart = self.chart()
        if chart is None:
            return None
        rows = _dated_rows(chart)
        sessions = self._sessions(rows)
        picked = pick_sessions(chart, sessions, rows=rows) if sessions is not None else None
        if picked is None:
            return chart
        return Explorer(
            picked,
            lambda datum: self.events_at(dt.date.fromisoformat(str(datum["day"]))),
            title=f"{self.spec.id}/{self.claim.id}: events behind the picked session",
        )


# -- one article -------------------------------------------------------------------------------


@dataclass
class ArticleView:
    """An article at its publication cut: its date and candidates, and every verdict."""

    result: ArticleResult
    context: Context

    @property
    def spec(self) -> ArticleSpec:
        return self.result.spec

    def verdicts(self) -> pl.DataFrame:
        """One row per claim: id, kind, verdict, what was measured, the rule."""
        return pl.DataFrame(
            {
                "id": [c.id for c in self.result.claims],
                "kind": [c.kind for c in self.result.claims],
                "verdict": [c.verdict for c in self.result.claims],
                "says": [c.says for c in self.result.claims],
                "measured": [c.summary for c in self.result.claims],
                "rule": [c.rule for c in self.result.claims],
            }
        )

    def verdict_table(self) -> GT:
        """The verdicts as a display table: every claim, full text, verdicts in colour."""
        counts = self.verdicts().group_by("verdict").len().sort("verdict")
        tally = ", ".join(f"{r['verdict']} {r['len']}" for r in counts.iter_rows(named=True))
        return styled(
            self.verdicts(),
            title=f"{self.spec.id}: {self.spec.title}",
            subtitle=f"{len(self.result.claims)} claims: {tally}",
        )

    def claim(self, claim_id: str) -> CheckView:
        for claim, result in zip(self.spec.claims, self.result.claims, strict=True):
            if claim.id == claim_id:
                return CheckView(self.spec, claim, result, self.context)
        raise KeyError(f"{self.spec.id} has no claim {claim_id}")

    def main_symbol(self) -> str | None:
        """The price series the article's claims read most often (its subject)."""
        counts: dict[str, int] = {}
        for claim in self.result.claims:
            for series in claim.series:
                if not is_series(series):
                    counts[series] = counts.get(series, 0) + 1
        return max(counts, key=lambda s: counts[s]) if counts else None

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
            chart = view.explore()
            if chart is not None:
                display(chart)

    def _repr_html_(self) -> str:
        p = self.spec.published
        return (
            f"<h3>{html.escape(self.spec.id)}: {html.escape(self.spec.title)}</h3>"
            f"<p>Published {p.date} ({p.basis}; read at {self.result.known_at:%Y-%m-%d %H:%M} "
            f"UTC{', during the session' if self.result.in_progress else ''}). "
            f"Date candidates: {', '.join(str(d) for d in p.candidates) or 'n/a'}. "
            f"Store version {self.result.store_version}.</p>"
        )


# -- the time machine --------------------------------------------------------------------------

STATUSES = ("same", "revised", "other feed", "recorded later", "after the cut")


@dataclass
class TimeMachine:
    """A series as known at a cut, next to the same series as known now.

    ``then`` and ``now`` have one row per session (prices) or period (observations):
    ``session`` (the date; a period's first day), ``period``, ``feed``, ``value`` (the close,
    or the observation), ``valid_at`` and ``recorded_at``.
    """

    symbol: str
    known_at: dt.datetime
    recorded_by: dt.datetime | None
    then: pl.DataFrame
    now: pl.DataFrame
    tape: Tape | None = None

    @cached_property
    def changes(self) -> pl.DataFrame:
        """Every session (period) known now, with its status against the cut's tape:

        ``same``; ``revised`` (the same feed recorded a new value since: a correction, or a
        later vintage); ``other feed`` (another feed is preferred now); ``recorded later``
        (valid before the cut, recorded after it); ``after the cut`` (valid later).
        ``change`` is the value now minus the value then.
        """
        then = self.then.select(
            "period",
            pl.col("feed").alias("feed_then"),
            pl.col("value").alias("value_then"),
            pl.col("recorded_at").alias("recorded_then"),
        )
        joined = self.now.join(then, on="period", how="left")
        status = (
            pl.when(pl.col("value_then").is_null() & (pl.col("valid_at") <= self.known_at))
            .then(pl.lit("recorded later"))
            .when(pl.col("value_then").is_null())
            .then(pl.lit("after the cut"))
            .when(pl.col("feed") != pl.col("feed_then"))
            .then(pl.lit("other feed"))
            .when(pl.col("value") != pl.col("value_then"))
            .then(pl.lit("revised"))
            .otherwise(pl.lit("same"))
        )
        return joined.with_columns(
            status.alias("status"),
            (pl.col("value") - pl.col("value_then")).round(10).alias("change"),
        ).select(
            "session",
            "period",
            "feed",
            "value",
            "recorded_at",
            "feed_then",
            "value_then",
            "recorded_then",
            "change",
            "status",
        )

    def counts(self) -> pl.DataFrame:
        """Sessions (periods) by status."""
        return self.changes.group_by("status").len().sort("status")

    def changed(self) -> pl.DataFrame:
        """What changed about the cut's past: revised, other feed, recorded later."""
        past = ("revised", "other feed", "recorded later")
        return self.changes.filter(pl.col("status").is_in(past)).sort("session")

    def table(self, rows: int = 12) -> GT | str:
        """The largest changes about the past, as a display table (or why there is none)."""
        changed = self.changed().sort(pl.col("change").abs(), descending=True, nulls_last=True)
        if changed.height == 0:
            return f"nothing {self.symbol} held before the cut has changed since"
        shown = changed.head(rows).with_columns(
            pl.col("recorded_at", "recorded_then").map_elements(_utc_text, return_dtype=pl.String)
        )
        return styled(
            shown.drop("session"),
            title=f"{self.symbol}: what changed since the cut",
            subtitle=f"the {shown.height} largest of {changed.height:,} changes about the past",
            verdict="status",
        )

    def _repr_html_(self) -> str:
        text = ", ".join(
            f"{r['status']}: {r['len']:,}" for r in self.counts().iter_rows(named=True)
        )
        return (
            f"<p><b>{html.escape(self.symbol)}</b> known at {_utc_text(self.known_at)}"
            + (f", recorded by {_utc_text(self.recorded_by)}" if self.recorded_by else "")
            + f": {self.then.height:,} values then, {self.now.height:,} now ({text}).</p>"
        )

    def chart(self, start: dt.date | None = None) -> alt.TopLevelMixin:
        """Then against now, with what changed about the past marked (thinned past the row
        budget); a click lists every version of the picked session's facts."""
        frame = self.changes
        if start is not None:
            frame = frame.filter(pl.col("session") >= start)
        frame = thin(frame).with_columns(
            pl.col("session").dt.to_string("%Y-%m-%d").alias("day"),
            pl.col("recorded_at", "recorded_then").map_elements(_utc_text, return_dtype=pl.String),
        )
        base = alt.Chart(frame).encode(x=alt.X("session:T", title=None))
        lines = alt.Color(
            "line:N",
            scale=alt.Scale(domain=["now", "then"], range=["#0969da", "#57606a"]),
            legend=alt.Legend(orient="top", title=None),
        )
        now = (
            base.transform_calculate(line="'now'")
            .mark_line()
            .encode(
                y=alt.Y("value:Q", title=self.symbol, scale=alt.Scale(zero=False)),
                color=lines,
                tooltip=["day:N", "feed:N", alt.Tooltip("value:Q", format=",.4~f"), "status:N"],
            )
        )
        then = (
            base.transform_calculate(line="'then'")
            .mark_line(strokeDash=[4, 2])
            .encode(y="value_then:Q", color=lines)
        )
        pick = alt.selection_point(
            name=PICK, nearest=True, on="click", fields=["period"], empty=False
        )
        changed = alt.FieldOneOfPredicate(field="status", oneOf=list(STATUSES[1:4]))
        marks = (
            base.transform_filter(changed)
            .mark_point(filled=True)
            .encode(
                y="value:Q",
                shape=alt.Shape(
                    "status:N",
                    scale=alt.Scale(domain=list(STATUSES[1:4])),
                    legend=alt.Legend(orient="top", title="changed since the cut"),
                ),
                size=alt.when(pick).then(alt.value(160)).otherwise(alt.value(50)),
                tooltip=[
                    "day:N",
                    "period:N",
                    "status:N",
                    "feed:N",
                    "feed_then:N",
                    alt.Tooltip("value:Q", format=",.4~f", title="now"),
                    alt.Tooltip("value_then:Q", format=",.4~f", title="then"),
                    alt.Tooltip("change:Q", format="+,.4~f"),
                    alt.Tooltip("recorded_at:N", title="recorded (now)"),
                    alt.Tooltip("recorded_then:N", title="recorded (then)"),
                ],
            )
            .add_params(pick)
        )
        # the cuts that fall inside the data: when the tape was read (known_at) and what a
        # reader had recorded by then (recorded_by)
        last = frame["session"].max()
        cuts = pl.DataFrame(
            {
                "cut": ["known at", "recorded by"],
                "day": [
                    self.known_at.date(),
                    self.recorded_by.date() if self.recorded_by else None,
                ],
            }
        ).filter(pl.col("day").is_not_null() & (pl.col("day") <= last))
        cut = (
            alt.Chart(cuts)
            .mark_rule(color="gray", strokeDash=[2, 2])
            .encode(x="day:T", tooltip=["cut:N", alt.Tooltip("day:T", format="%Y-%m-%d")])
        )
        title = alt.Title(
            f"{self.symbol}: as known then (dashed) and now",
            subtitle=f"known at {_utc_text(self.known_at)}"
            + (f", recorded by {_utc_text(self.recorded_by)}" if self.recorded_by else ""),
        )
        return (
            alt.layer(then, now, marks, cut)
            .properties(width=680, height=260, title=title)
            .interactive(bind_y=False)
        )

    def versions(self, period: str) -> pl.DataFrame | str:
        """Every recorded version, on every feed, of the series' fact for ``period`` (a
        session's date or an observation's period)."""
        if self.tape is None:
            return "no tape attached: build the time machine with Workbench.time_machine"
        found = _history(self.tape, self.symbol, period)
        return found if found.height else f"{self.symbol} has no fact for {period}"

    def explore(self, start: dt.date | None = None) -> Explorer:
        """The chart; a click on a changed point lists every version of that fact."""
        return Explorer(
            self.chart(start),
            lambda datum: self.versions(str(datum["period"])),
            title=f"{self.symbol}: every version of the picked fact",
        )


def _history(tape: Tape, symbol: str, period: str) -> pl.DataFrame:
    """Every version of ``symbol``'s fact at ``period`` (a session or a period), all feeds."""
    key = f"1d/{period}" if not is_series(symbol) else period
    events = tape.log.scan(tape.version).filter(
        (pl.col("key") == key) & pl.col("stream").str.starts_with(f"{symbol}@")
    )
    found = (
        events.filter(pl.col("event_type") != "Retraction")
        .select(
            pl.coalesce("symbol", "series").alias("series"),
            pl.lit(period).alias("at"),
            "feed",
            pl.coalesce("close", "adj_close", "value").alias("value"),
            "event_id",
            "recorded_at",
            "source",
        )
        .collect()
    )
    # the version a reader sees now: the latest recorded of the feed the tape prefers
    if is_series(symbol):
        now = tape.observations(FAR_FUTURE, series=[symbol])
        now = now.filter(now.period == period)
    else:
        now = tape.bars(FAR_FUTURE, symbols=[symbol])
        now = now.filter(now.session == dt.date.fromisoformat(period))
    read = tape.run(now.select("feed", "recorded_at")).with_columns(pl.lit(True).alias("read"))
    found = found.join(read, on=["feed", "recorded_at"], how="left")
    return _events(found.with_columns(pl.col("read").fill_null(False))).sort("feed", "recorded_at")


# -- revisions between vintages ---------------------------------------------------------------


@dataclass
class Revisions:
    """The values of a revised series that a later vintage changed (see
    :func:`analysis.vintages.revisions`), with a summary, tables and a chart."""

    prefix: str | None
    frame: pl.DataFrame
    tape: Tape

    def summary(self) -> str:
        """How many values changed, between which releases, and the largest change."""
        if self.frame.height == 0:
            return f"no value of {self.prefix or 'any series'} was revised"
        pairs = self.frame.group_by("vintage_before", "vintage_after").agg(
            pl.col("recorded_before").first(), pl.col("recorded_after").first(), pl.len()
        )
        between = "; ".join(
            f"{r['len']:,} by vintage {r['vintage_after']} "
            f"(recorded {_utc_text(r['recorded_after'])}) against {r['vintage_before']} "
            f"(recorded {_utc_text(r['recorded_before'])})"
            for r in pairs.sort("recorded_after").iter_rows(named=True)
        )
        top = self.largest(1).row(0, named=True)
        return (
            f"{self.frame.height:,} values of {self.prefix or 'every series'} revised: {between}. "
            f"Largest: {top['series']} {top['period']}, {top['before']} -> {top['after']} "
            f"({top['change']:+.2f} {_change_unit(top['series'])})."
        ).replace(" )", ")")

    def by_series(self) -> pl.DataFrame:
        """Per series: values revised, the mean and largest absolute change."""
        return (
            self.frame.group_by("series")
            .agg(
                pl.len().alias("revised"),
                pl.col("change").abs().mean().round(4).alias("mean_abs_change"),
                pl.col("change").abs().max().alias("largest_abs_change"),
            )
            .sort("series")
        )

    def largest(self, rows: int = 12) -> pl.DataFrame:
        """The ``rows`` largest revisions by absolute change."""
        return self.frame.sort(
            pl.col("change").abs(), "series", "period", descending=[True, False, False]
        ).head(rows)

    def table(self, rows: int = 12) -> GT:
        """The largest revisions as a display table."""
        shown = self.largest(rows).select(
            "series",
            "period",
            "before",
            "after",
            "change",
            "vintage_before",
            "vintage_after",
            pl.col("recorded_before", "recorded_after").map_elements(
                _utc_text, return_dtype=pl.String
            ),
        )
        return styled(
            shown,
            title=f"The {shown.height} largest revisions of {self.prefix or 'every series'}",
            subtitle=f"of {self.frame.height:,} revised values",
        )

    def _repr_html_(self) -> str:
        return (
            f"<p>{html.escape(self.summary())}</p>"
            + styled(self.by_series(), title="Revisions by series").as_raw_html()
        )

    def chart(self) -> alt.Chart:
        """Each revision by period: how much the later vintage changed it (the largest
        ``MAX_ROWS`` when there are more); a click lists the fact's versions."""
        frame = self.largest(MAX_ROWS).with_columns(
            _period_day(pl.col("period")).alias("session"),
            pl.col("recorded_before", "recorded_after").map_elements(
                _utc_text, return_dtype=pl.String
            ),
        )
        pick = alt.selection_point(
            name=PICK, nearest=True, on="click", fields=["series", "period"], empty=False
        )
        shown = "" if frame.height == self.frame.height else f" (the {frame.height:,} largest)"
        return (
            alt.Chart(frame)
            .mark_point(filled=True)
            .encode(
                x=alt.X("session:T", title="period"),
                y=alt.Y("change:Q", title="after - before (percentage points)"),
                color=alt.Color("series:N", legend=alt.Legend(orient="right")),
                size=alt.when(pick).then(alt.value(140)).otherwise(alt.value(25)),
                tooltip=[
                    "series:N",
                    "period:N",
                    "before:Q",
                    "after:Q",
                    alt.Tooltip("change:Q", format="+.2f"),
                    "vintage_before:N",
                    "vintage_after:N",
                    alt.Tooltip("recorded_after:N", title="revised (recorded)"),
                ],
            )
            .add_params(pick)
            .properties(
                width=680,
                height=260,
                title=alt.Title(
                    f"Revisions of {self.prefix or 'every series'}{shown}",
                    subtitle="each point is one value a later vintage changed",
                ),
            )
            .interactive(bind_y=False)
        )

    def explore(self) -> Explorer:
        """The chart; a click lists every version of the picked value."""
        return Explorer(
            self.chart(),
            lambda datum: _history(self.tape, str(datum["series"]), str(datum["period"])),
            title="Every version of the picked value",
        )


# -- the workbench -----------------------------------------------------------------------------


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

    def rewrite_table(self, article_id: str) -> GT | str:
        """For a rewrite, claim by claim: the original's verdict next to the rewrite's."""
        from analysis.claims.report import rewrite_rows

        view = self.article(article_id)
        original = view.spec.rewrite_of
        if original is None:
            return f"{article_id} is not a rewrite of another article"
        rows = rewrite_rows(view.result, [self.article(original).result, view.result])
        return styled(
            pl.DataFrame(rows),
            title=f"{article_id} rewrites {original}: what changed, claim by claim",
        )

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

    def scorecard_table(self) -> GT:
        """The scorecard as a display table: every call, full text, verdicts in colour."""
        card = self.scorecard()
        return styled(
            card,
            title="Every forecast and analyst call, and how it played out",
            subtitle=f"{card.height} calls, scored on the tape as known now",
        )

    def revisions(self, prefix: str | None = None) -> Revisions:
        """The values a later vintage revised (series starting with ``prefix``)."""
        return Revisions(prefix, revisions(self.log, prefix, version=self.tape.version), self.tape)

    def time_machine(
        self, symbol: str, known_at: dt.datetime, recorded_by: dt.datetime | None = None
    ) -> TimeMachine:
        """``symbol`` (a price series, or an observation series such as ``FF3:SMB:M``) as
        known at ``known_at`` by a reader who saw what was recorded by ``recorded_by``, next to
        the series as known now."""
        if is_series(symbol):
            then_t = self.tape.observations(known_at, recorded_by, series=[symbol])
            now_t = self.tape.observations(FAR_FUTURE, series=[symbol])
            key = pl.col("period")
            day = _period_day(key)
        else:
            then_t = self.tape.bars(known_at, recorded_by, symbols=[symbol])
            now_t = self.tape.bars(FAR_FUTURE, symbols=[symbol])
            day = pl.col("session")
            key = pl.col("session").cast(pl.String)

        def frame(table: Any) -> pl.DataFrame:
            raw = self.tape.run(table)
            value = pl.col("value") if is_series(symbol) else pl.col("close")
            return raw.select(
                day.alias("session"),
                key.alias("period"),
                "feed",
                value.alias("value"),
                "valid_at",
                "recorded_at",
            ).sort("session", "period")

        return TimeMachine(
            symbol, known_at, recorded_by, frame(then_t), frame(now_t), tape=self.tape
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
