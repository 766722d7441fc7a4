"""The claims engine on the real data, structurally: coverage of CLAIMS.md, proxies, sources,
rewrites, calls, reproducibility and bad input. Every claim's figures and verdict are checked
against independent oracles in test_claims_oracles.py."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from conftest import run_tapecheck

from analysis.claims.commands import run_verify
from analysis.claims.verdict import VERDICTS

KINDS = {"P": "as_published", "F": "forecast", "C": "call", "N": "not_checkable"}


def claims_md(data_dir: Path) -> dict[str, tuple[str, bool]]:
    text = (data_dir.parent / "CLAIMS.md").read_text()
    rows = re.findall(r"^\| ([A-D]\d{2}) \| ([PFCN])(, anchor)? \|", text, flags=re.M)
    return {cid: (KINDS[kind], bool(anchor)) for cid, kind, anchor in rows}


def test_every_claim_in_claims_md_has_a_verdict_of_the_right_kind(verified, data_dir):
    claims, _ = verified
    listed = claims_md(data_dir)
    assert len(listed) == 64
    assert set(claims) == set(listed)
    for cid, (kind, anchor) in listed.items():
        assert claims[cid].kind == kind, cid
        assert claims[cid].anchor == anchor, cid
        assert claims[cid].verdict in VERDICTS, cid
    assert all(c.rule for c in claims.values() if c.verdict in ("supported", "refuted"))


# -- honesty: proxies, missing data, sources, rewrites --------------------------------------------


def test_proxy_and_missing_series_are_named(verified):
    claims, _ = verified
    assert claims["B07"].proxy == {"IWN": "^RUJ"}
    assert claims["B07"].feeds == {"IWN": ["chenc319"]}
    assert "WWSIX" in claims["B06"].missing
    assert any("SUM" in m for m in claims["B14"].missing)
    assert "clean energy" in claims["C14"].missing


def test_verdicts_are_recomputed_on_the_other_sources(verified):
    """Every other unadjusted feed of a claim's first series votes (what each vote must be is
    checked against the oracles in test_claims_oracles.py)."""
    import tomllib

    claims, _ = verified
    catalog = tomllib.loads(
        (Path(__file__).parents[1] / "store/reference/catalog.toml").read_text()
    )
    series = {s["id"]: s for s in catalog["series"]}

    def others(symbol: str) -> set[str]:
        first = series[symbol]["preferred"][:1]
        return {
            s["feed"]
            for s in series[symbol]["sources"]
            if s["feed"] not in first and not s.get("adjusted", False)
        }

    for cid, symbol in (("A02", "^RUT"), ("B05", "^GSPC"), ("B16", "COHU"), ("C06", "^GSPC")):
        assert set(claims[cid].source_verdicts) == others(symbol), cid
    assert claims["B07"].source_verdicts == {}  # IWN's other feed is dividend-adjusted


def test_the_rewrite_table_shows_changed_assertions(verified):
    from analysis.claims.report import rewrite_rows

    _, articles = verified
    rows = {r["claim"]: r for r in rewrite_rows(articles["D"], list(articles.values()))}
    assert rows["D05"]["rewrite_of"] == "C06" and rows["D05"]["assertion_changed"]
    assert (
        "correction" in rows["D05"]["rewrite_rule"] and "pullback" in rows["D05"]["original_rule"]
    )
    assert rows["D11"]["assertion_changed"] is False


def calls_in_claims_md(data_dir: Path) -> int:
    """The analyst calls CLAIMS.md lists (kind C)."""
    return sum(kind == "call" for kind, _ in claims_md(data_dir).values())


def test_calls_are_recorded_once(real_log, verified, data_dir):
    import polars as pl

    calls = real_log.events().filter(pl.col("event_type") == "AnalystCall")
    assert calls.height == calls_in_claims_md(data_dir)
    assert set(calls["key"]) >= {"C/C16", "A/A11", "B/B17"}
    row = calls.filter(pl.col("key") == "C/C16").row(0, named=True)
    assert row["stream"] == "call:jefferies/steven-desanctis" and row["value"] == 2665.0
    before = real_log.version()
    run_verify(real_log, ["B"], charts=False)
    assert real_log.version() == before


# -- reproducibility ------------------------------------------------------------------------------

SPEC = """\
id: R
source_file: 000_77974f9479d0f05e.txt
title: reproducibility probe
published: {date: 2025-10-06, basis: given, time: "14:00:00"}
claims:
  - {id: R01, kind: as_published, session_in_progress: true, says: third record,
     check: {predicate: record_count, symbol: ^RUT, rule: exactly, value: 3}}
  - {id: R04, kind: as_published, session_in_progress: true, says: up more than 12%,
     check: {predicate: period_return, symbol: ^RUT, window: ytd, rule: more_than, value: 0.12}}
"""


def test_same_version_same_bytes_and_a_later_correction_changes_nothing_as_recorded(
    tmp_path, data_dir
):
    import polars as pl

    from analysis.tape import Tape
    from store import EventLog, PriceBar, batch
    from store.ingest.run import ingest_catalog

    log = EventLog.open(tmp_path / "s", create=True)
    ingest_catalog(log, data_dir, series=["^RUT"])
    spec = tmp_path / "r.yaml"
    spec.write_text(SPEC)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    run_verify(log, [str(spec)], json_path=first, charts=False)
    run_verify(log, [str(spec)], json_path=second, charts=False)
    assert first.read_bytes() == second.read_bytes()
    version = log.version()
    bar = (
        Tape(log)
        .bars(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), symbols=["^RUT"])
        .filter(lambda t: t.session == dt.date(2025, 10, 3))
        .to_polars()
        .row(0, named=True)
    )
    fixed = PriceBar(
        symbol="^RUT",
        feed=bar["feed"],
        session=bar["session"],
        bar_start=bar["bar_start"],
        bar_end=bar["valid_at"],
        open=2400.0,
        high=2500.0,
        low=2300.0,
        close=2350.0,
        source="correction",
    )
    log.append(batch([fixed]))
    pinned = tmp_path / "3.json"
    run_verify(log, [str(spec)], json_path=pinned, version=version, charts=False)
    assert pinned.read_bytes() == first.read_bytes()
    latest = tmp_path / "4.json"
    run_verify(log, [str(spec)], json_path=latest, charts=False)
    assert latest.read_bytes() != first.read_bytes()
    assert pl.read_json(latest).height == 1


# -- bad input ------------------------------------------------------------------------------------


def test_unknown_article_and_bad_spec_exit_2(real_log, tmp_path):
    done = run_tapecheck("verify", "Z", store=real_log.root)
    assert done.returncode == 2 and "unknown article 'Z'" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("rule: exactly", "rule: exactly, colour: red"))
    done = run_tapecheck("verify", str(bad), store=real_log.root)
    assert done.returncode == 2 and "bad.yaml, line 7" in done.stderr and "colour" in done.stderr
    done = run_tapecheck(
        "infer-date", "A", "--window", "2025-10-10..2025-10-01", store=real_log.root
    )
    assert done.returncode == 2 and "ends before it starts" in done.stderr


def test_the_duckdb_memory_setting_is_applied_and_a_bad_one_exits_2(real_log, monkeypatch):
    from analysis.tape import Tape

    monkeypatch.setenv("TAPECHECK_DUCKDB_MEMORY", "256MB")
    tape = Tape(real_log)
    limit = tape.con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit == "244.1 MiB"  # 256e6 bytes, as DuckDB prints it
    monkeypatch.setenv("TAPECHECK_DUCKDB_MEMORY", "lots")
    done = run_tapecheck("verify", "A", "--no-charts", store=real_log.root)
    assert done.returncode == 2, done.stderr
    assert "TAPECHECK_DUCKDB_MEMORY" in done.stderr and "'lots'" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0


def test_infer_date_cli_lists_the_candidates_with_the_reason(real_log, data_dir):
    from claim_oracles import candidates

    (day,) = candidates(data_dir, "C", dt.date(2025, 10, 13), dt.date(2025, 10, 17))
    done = run_tapecheck(
        "infer-date", "C", "--window", "2025-10-13..2025-10-17", store=real_log.root
    )
    assert done.returncode == 0, done.stderr
    assert day.isoformat() in done.stdout and "one session fits" in done.stdout


def test_markdown_report_with_charts(real_log, tmp_path):
    md = tmp_path / "claims.md"
    run_verify(real_log, ["C"], md_path=md, charts=True)
    text = md.read_text()
    assert "| C01 |" in text and "![C07](charts/C07.png)" in text
    assert (tmp_path / "charts" / "C07.png").read_bytes()[:4] == b"\x89PNG"
    assert pd.Series(list((tmp_path / "charts").glob("*.png"))).size >= 15


def test_calls_scorecard(real_log, data_dir):
    done = run_tapecheck("calls", store=real_log.root, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Jefferies" in done.stdout and "Fairlead" in done.stdout
    assert f"{calls_in_claims_md(data_dir)} AnalystCall events recorded" in done.stdout


def test_markdown_measured_lines_are_plain_words_and_never_cut(verified, data_dir):
    from claim_oracles import expected

    from analysis.claims.report import report_markdown

    claims, articles = verified
    text = report_markdown(list(articles.values()), None)
    lines = {
        block.split(" ", 1)[0]: line
        for block in text.split("\n### ")[1:]
        for line in block.splitlines()
        if line.startswith("Measured: ")
    }
    for cid, claim in claims.items():
        if not claim.measured:
            continue
        line = lines[cid]
        assert "{" not in line and "_" not in line.replace("^", ""), line  # words, not JSON
        # every date the check measured is on the line in full (nothing cut mid-way)
        for day in _dates(claim.to_json()["measured"]):
            assert day in line, (cid, day)
    # A03: the session's high against the prior record high, both from the raw file
    a03 = expected("A03", data_dir).measured
    assert f"prior record high {a03['prior_record_high']:,.2f}" in lines["A03"]
    assert f"the session's high {a03['at_high']:,.2f}" in lines["A03"]
    assert "at the close" not in lines["A03"]


def _dates(value: object) -> list[str]:
    """Every ISO date in a JSON value, however deep."""
    if isinstance(value, dict):
        return [d for v in value.values() for d in _dates(v)]
    if isinstance(value, list):
        return [d for v in value for d in _dates(v)]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return [value]
    return []
