"""Views of verdicts: the JSON report, the Markdown report, and the rewrite comparison.

The JSON is deterministic: the same store version and specs give byte-identical output (no
wall-clock time is written, keys keep a fixed order, floats are rounded to 6 places).
"""

from __future__ import annotations

import json
import math
import re

from analysis.claims.engine import ArticleResult, ClaimResult

__all__ = ["dumps", "report_json", "report_markdown", "rewrite_rows"]


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


# measured keys holding a fraction (0.1149 is +11.49%)
_FRACTION = re.compile(
    r"return|relative|spread|upside|fall|peak_to_trough|signed_error|share|contribution|"
    r"(adds|removes)_mean"
)
# how the engine's summary prints a live value (``the session's close: +11.49%``)
_LIVE = re.compile(r"the session's (?P<on>close|high|low): (?P<value>[^;]+)")


def _words(key: str) -> str:
    """A measured key in words: ``prior_record_high`` -> ``prior record high``."""
    return key.replace("_pct", " (percentage points)").replace("_", " ")


def _value(key: str, value: object) -> str:
    """One measured value in full: prices with thousands separators and cents, fractions as
    signed percentages, lists and mappings spelt out (never cut)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        # a mapping of fractions (returns by symbol) keeps its key's unit
        inner = ", ".join(
            f"{_words(str(k))} {_value(key if _FRACTION.search(key) else str(k), v)}"
            for k, v in value.items()
        )
        return f"({inner})" if inner else "none"
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, v) for v in value) if value else "none"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "unbounded" if value > 0 else "-unbounded"
        if _FRACTION.search(key):
            return f"{value:+.2%}"
        return f"{value:,.2f}" if abs(value) >= 10 else f"{value:.4g}"
    return str(value)


def _measured_line(claim: ClaimResult) -> str:
    """The measured values in words, each in full (the session's range is in the summary)."""
    live = {m["on"]: m["value"].strip() for m in _LIVE.finditer(claim.summary)}
    parts = []
    for key, value in claim.measured.items():
        if key == "session_range":
            continue
        if key.startswith("at_") and key[3:] in live:
            parts.append(f"the session's {key[3:]} {live[key[3:]]}")
        elif key == "components" and isinstance(value, dict):
            for label, c in value.items():
                lo, hi = (_value(label, c["low"]), _value(label, c["high"]))
                parts.append(f"{label} over the session's range {lo} to {hi}")
        else:
            parts.append(f"{_words(key)} {_value(key, value)}")
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
