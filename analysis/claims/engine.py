"""The claims engine: evaluates article specs on the tape and returns verdicts with evidence.

The engine owns what every check shares:

- the cut: each article is read at its publication instant (date and New York time);
- the session in progress: a live measurement is judged at the session's close
  (``supported``), somewhere in its high-low range (``consistent_intraday``) or nowhere
  (``refuted``);
- missing data (``not_enough_data``, naming what is missing) and horizons past the data
  (``pending``, with the interim result);
- proxies (IWN for the Russell 2000 Value index) flagged from the catalog;
- cross-source agreement: the verdict recomputed on every other feed of the claim's first
  series.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from analysis.claims.context import Context, publication_cut
from analysis.claims.model import ArticleSpec, ClaimSpec
from analysis.claims.outcome import Live, NotEnoughData, Outcome
from analysis.claims.published import PUBLISHED
from analysis.claims.scored import SCORED
from analysis.tape import Tape
from store.errors import BadInput
from store.reference.calendar import sessions
from store.reference.catalog import load_catalog

__all__ = ["ArticleResult", "ClaimResult", "evaluate_article", "evaluate_claim", "infer_dates"]

GRID = 201  # price points sampled across a session's range per symbol


@dataclass
class ClaimResult:
    """One claim's verdict and its evidence, as reports show it."""

    id: str
    kind: str
    says: str
    verdict: str
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

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "says": self.says,
            "verdict": self.verdict,
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
        }


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
    return f"{float(value):.4g}" if isinstance(value, int | float | np.generic) else str(value)


def judge_live(live: Live) -> tuple[str, dict[str, object]]:
    """Judge a live measurement at the session's close and across its range."""
    closes = {s: r[2] for s, r in live.ranges.items()}
    at_close = live.value_at(closes)
    grids = [
        np.linspace(r[0], r[1], GRID if len(live.ranges) == 1 else 41) for r in live.ranges.values()
    ]
    values = [
        live.value_at(dict(zip(live.ranges, point, strict=True)))
        for point in itertools.product(*grids)
    ]
    holding = [v for v in values if live.holds(v)]
    measured = {
        "at_close": at_close,
        "range_min": min(values),
        "range_max": max(values),
        "session_range": {
            s: {"low": r[0], "high": r[1], "close": r[2]} for s, r in live.ranges.items()
        },
    }
    if live.holds(at_close):
        return "supported", measured
    return ("consistent_intraday" if holding else "refuted"), measured


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


def _run(claim: ClaimSpec, ctx: Context) -> Outcome:
    check = claim.check
    assert check is not None
    table = PUBLISHED if claim.kind == "as_published" else SCORED
    evaluator = table.get(check.predicate)
    if evaluator is None:
        kinds = "as_published" if claim.kind != "as_published" else "forecast/call"
        raise BadInput(
            f"predicate {check.predicate!r} is for {kinds} claims, not {claim.kind}",
            field=f"{claim.id}.check.predicate",
        )
    try:
        out = evaluator(check, ctx, claim.session_in_progress)
    except NotEnoughData as exc:
        return Outcome("not_enough_data", {}, "", str(exc), check.subjects(), missing=exc.missing)
    if out.live is not None:
        out.verdict, live_measured = judge_live(out.live)
        out.measured |= live_measured
        out.summary += (
            f"; measured {_fmt(live_measured['at_close'])} at the close, "
            f"{_fmt(live_measured['range_min'])} to {_fmt(live_measured['range_max'])} "
            "across the session's range"
        )
    return out


def evaluate_claim(claim: ClaimSpec, ctx: Context, *, cross_source: bool = True) -> ClaimResult:
    """One claim at one cut, with its evidence."""
    base = dict(
        id=claim.id,
        kind=claim.kind,
        says=claim.says,
        anchor=claim.anchor,
        rewrite_of=claim.rewrite_of,
        reason=claim.reason,
        session_in_progress=claim.session_in_progress and ctx.in_progress,
    )
    if claim.kind == "not_checkable":
        return ClaimResult(
            **base,
            verdict="not_checkable",
            measured={},
            rule="",
            series=[],
            summary=claim.reason or "",
        )
    if claim.check is None:
        return ClaimResult(
            **base,
            verdict="not_enough_data",
            measured={},
            rule="",
            series=[],
            summary=claim.reason or "",
            missing=[claim.reason or ""],
        )
    out = _run(claim, ctx)
    result = ClaimResult(
        **base,
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
    if cross_source and out.verdict != "not_enough_data":
        _agreement(claim, ctx, result)
    return result


def _agreement(claim: ClaimSpec, ctx: Context, result: ClaimResult) -> None:
    """Recompute the verdict on every other feed of the claim's first series."""
    subjects = claim.check.subjects() if claim.check else []
    if not subjects:
        return
    spec = load_catalog().entry(subjects[0])
    if spec is None or spec.kind in ("macro", "factor"):
        return
    preferred = spec.preferred[:1]
    others = [s.feed for s in spec.sources if s.feed not in preferred and not s.adjusted]
    verdicts = {}
    for feed in others:
        out = _run(claim, ctx.with_source(subjects[0], feed))
        verdicts[feed] = out.verdict
    result.source_verdicts = verdicts
    comparable = [v for v in verdicts.values() if v != "not_enough_data"]
    result.sources_agree = all(v == result.verdict for v in comparable) if comparable else None


def context_for(
    spec: ArticleSpec,
    tape: Tape,
    recorded_by: dt.datetime | None = None,
    day: dt.date | None = None,
) -> Context:
    cut = publication_cut(day or spec.published.date, spec.published.time)
    return Context(tape, cut, recorded_by)


def evaluate_article(
    spec: ArticleSpec,
    tape: Tape,
    *,
    recorded_by: dt.datetime | None = None,
    cross_source: bool = True,
) -> ArticleResult:
    """Every claim of ``spec`` at its publication cut."""
    ctx = context_for(spec, tape, recorded_by)
    claims = [evaluate_claim(c, ctx, cross_source=cross_source) for c in spec.claims]
    return ArticleResult(spec, ctx.known_at, ctx.in_progress, tape.version, claims)


@dataclass
class Candidate:
    """A session on which every anchor claim holds, with what each anchor measured."""

    day: dt.date
    anchors: dict[str, ClaimResult]


def infer_dates(
    spec: ArticleSpec, tape: Tape, start: dt.date, end: dt.date
) -> tuple[list[Candidate], int]:
    """Evaluate the anchor claims on every XNYS session in ``[start, end]`` at the spec's
    publication time; return the sessions where all hold, and how many were tried."""
    anchors = [c for c in spec.claims if c.anchor]
    if not anchors:
        raise BadInput(f"article {spec.id} marks no claim as an anchor", field="anchor")
    days = sessions().filter(pl.col("session").is_between(start, end))["session"].to_list()
    found = []
    for day in days:
        ctx = context_for(spec, tape, day=day)
        results = {c.id: evaluate_claim(c, ctx, cross_source=False) for c in anchors}
        if all(r.verdict in ("supported", "consistent_intraday") for r in results.values()):
            found.append(Candidate(day, results))
    return found, len(days)
