"""Analyst calls from the article specs, recorded in the log as ``AnalystCall`` events.

Recording is idempotent: a call's event id hashes its content, so running ``verify`` again
adds nothing, and the store version a report cites is the same on every run.
"""

from __future__ import annotations

import hashlib

import polars as pl

from analysis.claims.context import publication_cut
from analysis.claims.loader import ARTICLES_DIR
from analysis.claims.model import ArticleSpec
from store import AnalystCall, AppendResult, EventLog, batch
from store.validate import validate_batch

__all__ = ["call_batch", "call_events", "record_calls"]


def call_events(spec: ArticleSpec) -> list[AnalystCall]:
    """The article's calls, valid from its publication instant."""
    assert spec.published.date is not None, "same_as publications are resolved at load"
    cut = publication_cut(spec.published.date, spec.published.time)
    source = f"spec:{spec.id}:{_spec_digest(spec)}"
    events = []
    for claim in spec.claims:
        call = claim.call
        if call is None:
            continue
        events.append(
            AnalystCall(
                call_id=f"{spec.id}/{claim.id}",
                analyst=call.analyst,
                firm=call.firm,
                call_kind=call.call_kind,
                subjects=tuple(call.subjects),
                article=spec.source_file,
                paraphrase=call.paraphrase,
                valid_at=cut,
                source=source,
                value=call.value,
                comparator=call.comparator,
                horizon_end=call.horizon_end,
            )
        )
    return events


def _spec_digest(spec: ArticleSpec) -> str:
    path = next((p for p in ARTICLES_DIR.glob("*.yaml") if p.stem.startswith(spec.id + "_")), None)
    data = path.read_bytes() if path is not None else spec.model_dump_json().encode()
    return hashlib.sha256(data).hexdigest()[:12]


def call_batch(specs: list[ArticleSpec]) -> pl.DataFrame | None:
    """Every spec's calls as one batch of events, validated (None when there are none)."""
    events = [e for spec in specs for e in call_events(spec)]
    if not events:
        return None
    frame = batch(events)
    validate_batch(frame)
    return frame


def record_calls(log: EventLog, specs: list[ArticleSpec]) -> AppendResult | None:
    """Append every spec's calls in one atomic batch (a no-op when all are recorded)."""
    frame = call_batch(specs)
    return log.append(frame) if frame is not None else None
