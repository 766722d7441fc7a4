"""Views of verdicts: the JSON report, the Markdown report, and the rewrite comparison.

The JSON is deterministic: the same store version and specs give byte-identical output (no
wall-clock time is written, keys keep a fixed order, floats are rounded to 6 places).
"""

from __future__ import annotations

import json

from analysis.claims.engine import ArticleResult, ClaimResult
from analysis.files import write_atomically

__all__ = ["dumps", "report_json", "report_markdown", "rewrite_rows", "write_atomically"]


def report_json(results: list[ArticleResult], data_end: str | None) -> dict[str, object]:
    """The ``reports/claims.json`` document (DESIGN.md's shape, plus evidence fields)."""
    version = results[0].store_version if results else None
    return {
        "store_version": str(version),
        "data_end": data_end,
        "articles": [
            {
                "id": r.spec.id,
                "title": r.spec.title,
                "source_file": r.spec.source_file,
                "published": str(r.spec.published.date),
                "published_basis": r.spec.published.basis,
                "published_same_as": r.spec.published.same_as,
                "published_at": r.known_at.isoformat(),
                "published_during_session": r.in_progress,
                "date_candidates": [d.isoformat() for d in r.spec.published.candidates],
                "rewrite_of": r.spec.rewrite_of,
                "claims": [c.to_json() for c in r.claims],
            }
            for r in results
        ],
        "rewrites": [
            {"article": r.spec.id, "of": r.spec.rewrite_of, "claims": rewrite_rows(r, results)}
            for r in results
            if r.spec.rewrite_of
        ],
    }


def rewrite_rows(rewrite: ArticleResult, results: list[ArticleResult]) -> list[dict[str, object]]:
    """Claim by claim: what the original said and how it was judged, next to the rewrite."""
    original = next((r for r in results if r.spec.id == rewrite.spec.rewrite_of), None)
    by_id = {c.id: c for c in original.claims} if original else {}
    rows: list[dict[str, object]] = []
    for claim in rewrite.claims:
        before = by_id.get(claim.rewrite_of or "")
        rows.append(
            {
                "claim": claim.id,
                "rewrite_of": claim.rewrite_of,
                "original_says": before.says if before else None,
                "rewrite_says": claim.says,
                "original_rule": before.rule if before else None,
                "rewrite_rule": claim.rule,
                "assertion_changed": before is None or before.rule != claim.rule,
                "original_verdict": before.verdict if before else None,
                "rewrite_verdict": claim.verdict,
                "verdict_changed": before is None or before.verdict != claim.verdict,
            }
        )
    return rows


def dumps(doc: dict[str, object]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _cell(text: object) -> str:
    """Table-safe text: a rule like |m - c| must not split a Markdown cell."""
    return str(text or "-").replace("|", "\\|")


def _measured_line(claim: ClaimResult) -> str:
    keep = {k: v for k, v in claim.measured.items() if k != "session_range"}
    parts = []
    for key, value in list(keep.items())[:6]:
        if isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        elif isinstance(value, list | dict):
            parts.append(f"{key} {json.dumps(value, default=str)[:80]}")
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def report_markdown(
    results: list[ArticleResult], data_end: str | None, charts: dict[str, str] | None = None
) -> str:
    """``reports/claims.md``: a verdict table per article, then each claim with its rule,
    measured values, evidence and chart."""
    charts = charts or {}
    version = results[0].store_version if results else None
    out = [
        "# tapecheck: claims against the tape",
        "",
        f"Store version {version}; data end {data_end}. Each claim is checked on the tape as "
        "known at the article's publication; forecasts and calls are scored on what came after.",
        "",
    ]
    for r in results:
        p = r.spec.published
        basis = (
            f"the date of {p.same_as}, which it rewrites (same_as)"
            if p.basis == "same_as"
            else p.basis
        )
        candidates = ", ".join(str(d) for d in p.candidates) or "n/a"
        out += [
            f"## {r.spec.id}: {r.spec.title}",
            "",
            f"Source file `{r.spec.source_file}`. Published {p.date} ({basis}; cut "
            f"{r.known_at.isoformat()}"
            + (", during the session" if r.in_progress else "")
            + f"). Date candidates: {candidates}"
            + (
                "; every claim is judged on each of them (robust: the same verdict on all)."
                if len(p.candidates) > 1
                else "."
            ),
            "",
            "| id | kind | verdict | measured | rule | sources agree |",
            "|---|---|---|---|---|---|",
        ]
        for c in r.claims:
            agree = {True: "yes", False: "**no**", None: "-"}[c.sources_agree]
            out.append(
                f"| {c.id} | {c.kind} | **{c.verdict}** | {_cell(c.summary)} | "
                f"{_cell(c.rule)} | {agree} |"
            )
        out.append("")
        for c in r.claims:
            out += [f"### {c.id} ({c.kind}): {c.says}", "", f"Verdict: **{c.verdict}**."]
            if c.reason:
                out.append(f"Reason: {c.reason}.")
            if c.rule:
                out.append(f"Rule: {c.rule}.")
            if c.measured:
                out.append(f"Measured: {_measured_line(c)}.")
            if c.series:
                feeds = "; ".join(
                    f"{k} from {', '.join(v) or 'no feed'}" for k, v in c.feeds.items()
                )
                out.append(
                    f"Series: {', '.join(c.series)}" + (f" ({feeds})" if feeds else "") + "."
                )
            if c.proxy:
                out.append(
                    "Proxy: "
                    + ", ".join(f"{k} stands in for {v}" for k, v in c.proxy.items())
                    + "."
                )
            if c.missing:
                out.append(f"Missing: {', '.join(c.missing)}.")
            if c.source_verdicts:
                out.append(
                    "Other sources: "
                    + ", ".join(f"{k} {v}" for k, v in c.source_verdicts.items())
                    + "."
                )
            if c.session_in_progress:
                out.append(
                    "Checked against the final bar of the session in progress at publication."
                )
            if c.robustness:
                dates = ", ".join(f"{d} {v}" for d, v in c.date_verdicts.items())
                out.append(f"On the candidate dates: {c.robustness} ({dates}).")
            if c.note:
                out.append(f"Note: {c.note}.")
            if c.id in charts:
                out += ["", f"![{c.id}]({charts[c.id]})"]
            out.append("")
        if r.spec.rewrite_of:
            out += [
                f"### How {r.spec.id} rewrites {r.spec.rewrite_of}",
                "",
                "| claim | of | original rule | rewrite rule | assertion changed | "
                "original verdict | rewrite verdict |",
                "|---|---|---|---|---|---|---|",
            ]
            for row in rewrite_rows(r, results):
                before = _cell(row["original_rule"])
                after = _cell(row["rewrite_rule"])
                out.append(
                    f"| {row['claim']} | {row['rewrite_of'] or '-'} | {before}"
                    f" | {after} | "
                    f"{'**yes**' if row['assertion_changed'] else 'no'} | "
                    f"{row['original_verdict'] or '-'} | {row['rewrite_verdict']} |"
                )
            out.append("")
    return "\n".join(out)
