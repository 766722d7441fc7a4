"""The claims engine: evaluates article specs on the tape and returns verdicts with evidence.

The engine owns what every check shares:

- the cut: each article is read at its publication instant (date and New York time);
- the session in progress: a live measurement is judged at the session's close
  (``supported``), somewhere in its high-low range (``consistent_intraday``) or nowhere
  (``refuted``), exactly (the measurement is monotone in each price, so the range's ends bound
  it);
- missing data (``not_enough_data``, naming what is missing) and horizons past the data
  (``pending``, with the interim result);
- proxies (IWN for the Russell 2000 Value index) flagged from the catalog;
- cross-source agreement: the verdict on every other feed of the claim's first series, read
  from the same panel in the same queries.

Checks themselves are evaluated by the evaluator registered for their IR class
(:mod:`analysis.claims.dispatch`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

# importing the evaluator modules registers every evaluator with the dispatch
import analysis.claims.on_session
import analysis.claims.published
import analysis.claims.scored  # noqa: F401
from analysis.claims.context import Context, publication_cut
from analysis.claims.dispatch import evaluate
from analysis.claims.model import ArticleSpec, ClaimSpec, _Scored
from analysis.claims.timeref import SessionRef
from analysis.claims.verdict import Live, Outcome, Verdict
from analysis.tape import Tape
from store.errors import BadInput
from store.reference.calendar import sessions
from store.reference.catalog import load_catalog

__all__ = [
    "ArticleResult",
    "Candidate",
    "ClaimResult",
    "Context",
    "context_for",
    "evaluate_article",
    "evaluate_claim",
    "infer_dates",
    "judge_live",
]

HOLDING = (Verdict.SUPPORTED, Verdict.CONSISTENT_INTRADAY)


@dataclass
class ClaimResult:
    """One claim's verdict and its evidence, as reports show it."""

    id: str
    kind: str
    says: str
    verdict: Verdict
    measured: dict[str, object]
    rule: str
    series: list[str]
    summary: str
    sources_agree: bool | None = None
    source_verdicts: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    proxy: dict[str, str] = field(default_factory=dict)
    feeds: dict[str, list[str]] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    session_in_progress: bool = False
    anchor: bool = False
    rewrite_of: str | None = None
    reason: str | None = None
    # the verdict on every candidate publication date; ``robust`` when they all agree,
    # ``date-dependent`` when they differ, None with a single date
    date_verdicts: dict[str, str] = field(default_factory=dict)
    robustness: str | None = None
    # the vintages of a revised series the check read (analysis.vintages), and what a reader
    # must know when they were released after the article
    vintages: list[dict[str, object]] = field(default_factory=list)
    vintage_note: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "says": self.says,
            "verdict": str(self.verdict),
            "measured": _jsonable(self.measured),
            "rule": self.rule,
            "series": self.series,
            "sources_agree": self.sources_agree,
            "source_verdicts": self.source_verdicts,
            "summary": self.summary,
            "missing": self.missing,
            "proxy": self.proxy,
            "feeds": self.feeds,
            "dates": self.dates,
            "session_in_progress": self.session_in_progress,
            "anchor": self.anchor,
            "rewrite_of": self.rewrite_of,
            "reason": self.reason,
            "date_verdicts": self.date_verdicts,
            "robustness": self.robustness,
            "vintages": _jsonable(self.vintages),
            "note": self.note,
        }

    @property
    def note(self) -> str | None:
        """What a reader must know beside the verdict."""
        notes = []
        if self.anchor:
            notes.append(
                "an anchor of the inferred publication date: consistent with it by "
                "construction, not independent confirmation"
            )
        if self.vintage_note:
            notes.append(self.vintage_note)
        return "; ".join(notes) or None


@dataclass
class ArticleResult:
    """Every claim of one article, evaluated at its publication cut."""

    spec: ArticleSpec
    known_at: dt.datetime
    in_progress: bool
    store_version: int
    claims: list[ClaimResult]


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 6) if np.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    return value


def _fmt(value: object) -> str:
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:.4g}"
    return str(value)


def judge_live(live: Live) -> tuple[Verdict, dict[str, object]]:
    """Judge a statement about the session in progress: ``supported`` when it holds at the
    close (or, for the intraday high, at the high), ``consistent_intraday`` when each stated
    component was reached somewhere in its own range, else ``refuted``."""
    value = live.measured()
    intervals = live.intervals()
    measured: dict[str, object] = {
        f"at_{live.judged_on}": value,
        "components": {
            label: {"low": lo, "high": hi, "accepts": [c.accepts.lo, c.accepts.hi]}
            for c in live.components
            for label, (lo, hi) in [(c.label, intervals[c.label])]
        },
        "session_range": {
            s: {"low": r[0], "high": r[1], "close": r[2]} for s, r in live.ranges.items()
        },
    }
    if live.accepts.contains(value):
        return Verdict.SUPPORTED, measured
    if live.judged_on == "close" and all(c.reached(live.ranges) for c in live.components):
        return Verdict.CONSISTENT_INTRADAY, measured
    return Verdict.REFUTED, measured


def finish(out: Outcome, show: Callable[[float], str] | None = None) -> Outcome:
    """Judge a live measurement, if any; the outcome then has its verdict."""
    if out.live is not None:
        live = out.live
        out.verdict, live_measured = judge_live(live)
        out.measured |= live_measured
        fmt = show or out.show or _fmt
        where = f"the session's {live.judged_on}"
        parts = [f"{where}: {fmt(live.measured())}"]
        if live.judged_on == "close":
            intervals = live.intervals()
            for c in live.components:
                lo, hi = intervals[c.label]
                cfmt = c.show or fmt
                parts.append(f"{c.label} over the session's range: {cfmt(lo)} to {cfmt(hi)}")
        out.summary += "; " + "; ".join(parts)
        out.value = live.measured()
        out.live = None
        out.judged_live = True
    assert out.verdict is not None
    return out


def _feeds(series: list[str]) -> dict[str, list[str]]:
    """The feeds each series is read from (the catalog's preference, first has priority)."""
    cat = load_catalog()
    out = {}
    for name in series:
        spec = cat.entry(name)
        if spec is not None:
            out[name] = list(spec.preferred or spec.preferred_adjusted)
    return out


def _proxies(series: list[str]) -> dict[str, str]:
    cat = load_catalog()
    out = {}
    for name in series:
        spec = cat.entry(name)
        if spec is not None and spec.proxy_of:
            out[name] = spec.proxy_of
    return out


def _base(claim: ClaimSpec, in_progress: bool) -> dict[str, object]:
    return dict(
        id=claim.id,
        kind=claim.kind,
        says=claim.says,
        anchor=claim.anchor,
        rewrite_of=claim.rewrite_of,
        reason=claim.reason,
        session_in_progress=claim.session_in_progress and in_progress,
    )


def _unchecked(claim: ClaimSpec, in_progress: bool) -> ClaimResult | None:
    if claim.kind == "not_checkable":
        return ClaimResult(
            **_base(claim, in_progress),  # type: ignore[arg-type]
            verdict=Verdict.NOT_CHECKABLE,
            measured={},
            rule="",
            series=[],
            summary=claim.reason or "",
        )
    if claim.check is None:
        return ClaimResult(
            **_base(claim, in_progress),  # type: ignore[arg-type]
            verdict=Verdict.NOT_ENOUGH_DATA,
            measured={},
            rule="",
            series=[],
            summary=claim.reason or "",
            missing=[claim.reason or ""],
        )
    return None


def _result(claim: ClaimSpec, out: Outcome, in_progress: bool) -> ClaimResult:
    assert out.verdict is not None
    base = _base(claim, in_progress)
    base["session_in_progress"] = out.judged_live
    return ClaimResult(
        **base,  # type: ignore[arg-type]
        verdict=out.verdict,
        measured=out.measured,
        rule=out.rule,
        series=out.series,
        summary=out.summary,
        missing=out.missing,
        proxy=_proxies(out.series),
        feeds=_feeds(out.series),
        dates=out.dates,
    )


def _read_vintages(result: ClaimResult, claim: ClaimSpec, ctx: Context) -> None:
    """Which vintage of each revised series the check read (as known at publication, or now
    for a forecast), and, for a statement about the past, whether it could only be checked on
    a vintage released after the article."""
    from analysis.vintages import vintage_read

    cat = load_catalog()
    revised = [
        s
        for s in result.series
        if (spec := cat.entry(s)) is not None and any(src.vintage for src in spec.sources)
    ]
    if not revised:
        return
    now = isinstance(claim.check, _Scored)
    frames = [f for s in revised if (f := ctx.observations_frame(s, now=now)).height]
    if not frames:
        return
    read = vintage_read(pl.concat(frames, how="vertical_relaxed"), ctx.known_at)
    result.vintages = read.evidence()
    if now:
        return  # a forecast is scored on what came later by design
    rows = list(read.vintages.iter_rows(named=True))
    later = [
        f"{r['series']} vintage {r['vintage']} ({r['feed']}), released {r['released']:%Y-%m-%d}"
        for r in rows
        if r["released"] is not None and r["released"] > read.cut
    ]
    if not later:
        return
    published = f"after the article ({read.cut:%Y-%m-%d})"
    result.vintage_note = (
        f"checkable only on data recorded {published}: it reads {'; '.join(later)}"
        if len(later) == len(rows)
        else f"reads values revised {published}: {'; '.join(later)}"
    )


def evaluate_claim(claim: ClaimSpec, ctx: Context, *, cross_source: bool = True) -> ClaimResult:
    """One claim at the context's (first) publication cut, with its evidence and (with
    ``cross_source``) the verdict on every other feed of its first series."""
    unchecked = _unchecked(claim, ctx.in_progress)
    if unchecked is not None:
        return unchecked
    assert claim.check is not None
    reading = ctx.reading(claim, cross_source=cross_source)
    outcomes = {i: finish(o) for i, o in evaluate(claim.check, reading).items()}
    result = _result(claim, outcomes[0], ctx.in_progress)
    _read_vintages(result, claim, ctx)
    if len(ctx.cuts) > 1:
        result.date_verdicts = {
            ctx.date_of(k).isoformat(): str(outcomes[k].verdict) for k in range(len(ctx.cuts))
        }
        distinct = set(result.date_verdicts.values())
        result.robustness = "robust" if len(distinct) == 1 else "date-dependent"
    others = {ctx.feed_of(i): o.verdict for i, o in outcomes.items() if i in ctx.feed_views(claim)}
    if cross_source and result.verdict != Verdict.NOT_ENOUGH_DATA and others:
        result.source_verdicts = {feed: str(v) for feed, v in others.items()}
        comparable = [v for v in others.values() if v != Verdict.NOT_ENOUGH_DATA]
        result.sources_agree = all(v == result.verdict for v in comparable) if comparable else None
    return result


def context_for(
    spec: ArticleSpec,
    tape: Tape,
    recorded_by: dt.datetime | None = None,
    day: dt.date | None = None,
) -> Context:
    """The article's context at its publication date (or at ``day``)."""
    return Context(spec, tape, recorded_by, days=[day] if day is not None else None)


def publication_days(spec: ArticleSpec) -> list[dt.date]:
    """The publication date, then every other candidate date the spec records."""
    date = spec.published.date
    assert date is not None
    return [date, *(d for d in spec.published.candidates if d != date)]


def evaluate_article(
    spec: ArticleSpec,
    tape: Tape,
    *,
    recorded_by: dt.datetime | None = None,
    cross_source: bool = True,
) -> ArticleResult:
    """Every claim of ``spec`` at its publication cut, and on every other candidate date."""
    ctx = Context(spec, tape, recorded_by, days=publication_days(spec), cross_source=cross_source)
    claims = [evaluate_claim(c, ctx, cross_source=cross_source) for c in spec.claims]
    return ArticleResult(spec, ctx.known_at, ctx.in_progress, tape.version, claims)


@dataclass
class Candidate:
    """A session on which every anchor claim holds, with what each anchor measured, how well
    the measured values fit the stated figures (``fit``: the sum of each anchor's distance
    from its figure, in units of the figure's last printed digit; 0 is a perfect fit), and
    why it was set aside, if it was (``excluded``)."""

    day: dt.date
    anchors: dict[str, ClaimResult]
    fit: float = 0.0
    distances: dict[str, float] = field(default_factory=dict)
    excluded: str | None = None


def fit_of(check: object, out: Outcome) -> float:
    """How far a measured value lies from the claimed figure, in units of the figure's last
    printed digit: measured from the figure itself, so a date whose YTD is 11.0% fits "11%"
    better than one at 11.4%, though both round to it."""
    claimed = getattr(check, "value", None)
    if claimed is None or out.value is None or not math.isfinite(out.value):
        return 0.0
    figure = getattr(check, "figure", None)
    if figure is not None:
        unit = figure.unit
    elif float(claimed).is_integer() and abs(claimed) >= 1:
        unit = 1.0
    else:
        unit = max(abs(claimed) * 0.01, 1e-9)
    # out.value is the measured value as the claim states it (a fall by its size)
    return abs(out.value - claimed) / unit


def weekday_mentions(spec: ArticleSpec) -> list[tuple[str, SessionRef]]:
    """The weekdays the article names without "last" (``on Monday``, ``as of Wednesday``,
    ``Tuesday's close``), by claim: each must fall in the publication's own week."""
    out = []
    for claim in spec.claims:
        check = claim.check
        if check is None:
            continue
        for name in ("session", "ending", "reference"):
            ref = getattr(check, name, None)
            if isinstance(ref, SessionRef) and ref.kind == "weekday":
                out.append((claim.id, ref))
    return out


def infer_dates(
    spec: ArticleSpec,
    tape: Tape,
    start: dt.date,
    end: dt.date,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Candidate], int]:
    """Evaluate the anchor claims on every XNYS session in ``[start, end]`` at the spec's
    publication time (all sessions in one panel, each anchor in one pass). Return the
    sessions where all hold, best fit first (those a weekday mention rules out last, with the
    reason), and how many were tried."""
    anchors = [c for c in spec.claims if c.anchor]
    if not anchors:
        raise BadInput(f"article {spec.id} marks no claim as an anchor", field="anchor")
    days = sessions().filter(pl.col("session").is_between(start, end))["session"].to_list()
    if not days:
        return [], 0
    ctx = Context(spec, tape, days=days, claims=anchors, cross_source=False)
    by_view: dict[int, dict[str, ClaimResult]] = {i: {} for i in range(len(days))}
    distances: dict[int, dict[str, float]] = {i: {} for i in range(len(days))}
    for claim in anchors:
        assert claim.check is not None
        if progress is not None:
            progress(claim.id)
        reading = ctx.reading(claim, cross_source=False)
        for i, out in evaluate(claim.check, reading).items():
            in_progress = ctx.panel.views[i].in_progress
            done = finish(out)
            by_view[i][claim.id] = _result(claim, done, in_progress)
            distances[i][claim.id] = fit_of(claim.check, done)
    mentions = weekday_mentions(spec)
    found = []
    for i, results in by_view.items():
        if not all(r.verdict in HOLDING for r in results.values()):
            continue
        cut = ctx.cuts[i]
        outside = [
            f"{cid}: {ref.text} would be {ref.resolve(cut)}, in an earlier week"
            for cid, ref in mentions
            if not ref.in_publication_week(cut)
        ]
        found.append(
            Candidate(
                days[i],
                results,
                round(sum(distances[i].values()), 6),
                distances[i],
                "; ".join(outside) or None,
            )
        )
    found.sort(key=lambda c: (c.excluded is not None, c.fit, c.day))
    return found, len(days)


__all__ += ["publication_cut"]
