"""Analyst calls from the article specs, recorded in the log as ``AnalystCall`` events.

Recording is idempotent: a call's event id hashes its content, so running ``verify`` again
adds nothing, and the store version a report cites is the same on every run.
"""

from __future__ import annotations

import hashlib

from analysis.claims.context import publication_cut
from analysis.claims.loader import ARTICLES_DIR
from analysis.claims.model import ArticleSpec
from store import AnalystCall, AppendResult, EventLog, batch

__all__ = ["call_events", "record_calls"]


def call_events(spec: ArticleSpec) -> list[AnalystCall]:
    """The article's calls, valid from its publication instant."""
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


def record_calls(log: EventLog, specs: list[ArticleSpec]) -> AppendResult | None:
    """Append every spec's calls in one atomic batch (a no-op when all are recorded)."""
    events = [e for spec in specs for e in call_events(spec)]
    if not events:
        return None
    return log.append(batch(events))
