"""Chart specs, tested through ``to_dict()``: the encodings, interactivity, and that the dates
a chart marks are the ones the signals compute."""

from __future__ import annotations

import datetime as dt
import html
import itertools

import pytest

from analysis.notebook import Workbench, thin


@pytest.fixture(scope="module")
def bench(real_log):
    return Workbench(real_log)


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def dataset(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def marked(spec: dict, what: str) -> list[str]:
    """The sessions a chart marks with points in the legend's role ``what``."""
    for layer in layers(spec):
        mark = layer["mark"]
        if isinstance(mark, dict) and mark.get("type") == "point":
            rows = dataset(spec, layer)
            if rows and rows[0]["what"] == what:
                return [row["session"][:10] for row in rows]
    return []


def roles(spec: dict) -> list[str]:
    """Every legend role a chart's layers draw, in layer order."""
    return [row["what"] for layer in layers(spec) for row in dataset(spec, layer)[:1]]


def levels(spec: dict, what: str) -> list[float]:
    """The values of the horizontal rules a chart draws in the legend's role ``what``."""
    return [
        row["value"]
        for layer in layers(spec)
        if layer["mark"]["type"] == "rule"
        for row in dataset(spec, layer)
        if row["what"] == what and "session" not in row
    ]


def test_cards_render_html(bench, data_dir):
    from claim_oracles import expected

    html = bench.check("A", "A02")._repr_html_()
    verdict = expected("A02", data_dir).verdict  # the verdict the raw files give
    assert f">{verdict}</span>" in html and "first time" in html and "2,500" in html


def test_a01_marks_the_record_closes_and_the_prior_record(bench, data_dir):
    from claim_oracles import expected

    spec = bench.check("A", "A01").chart().to_dict()
    oracle = expected("A01", data_dir).measured  # record closes found in the raw file (pandas)
    assert marked(spec, "record close") == oracle["record_sessions"]
    assert levels(spec, "prior record") == [pytest.approx(oracle["prior_record_close"])]


def test_c04_marks_the_crossing_of_the_200_session_average(bench, data_dir):
    from claim_oracles import expected

    spec = bench.check("C", "C04").chart().to_dict()
    oracle = expected("C04", data_dir)  # the last crossing, from the raw closes (pandas)
    assert marked(spec, "crossing") == [oracle.dates["crossing"]]
    assert roles(spec).count("200-session average") == 1


def test_c07_marks_the_breakout_and_draws_the_level(bench, data_dir):
    from claim_oracles import expected

    spec = bench.check("C", "C07").chart().to_dict()
    oracle = expected("C07", data_dir)  # two weekly closes above 2,460, from the raw closes
    assert marked(spec, "breakout") == [oracle.dates["breakout"]]
    assert levels(spec, "claimed level") == [oracle.measured["level"]]


def test_encodings_tooltips_and_zoom(bench):
    spec = bench.check("B", "B01").chart().to_dict()  # a relative claim: two rebased series
    lines = [lay for lay in layers(spec) if lay["mark"].get("type") == "line"]
    for line in lines:
        x = line["encoding"]["x"]
        assert (x["field"], x["type"]) == ("session", "temporal")
        assert x["axis"]["format"] in ("%d %b", "%b %Y", "%Y")  # one date format per chart
        assert {t["field"] for t in line["encoding"]["tooltip"]} == {"what", "session", "value"}
    assert spec["encoding"]["color"]["field"] == "what"  # one colour scale: one legend
    assert any(p.get("bind") == "scales" for p in spec["params"])  # zoomable time axis
    series = {dataset(spec, line)[0]["what"].split(",")[0] for line in lines}
    assert series == {"^RUT", "^GSPC"}


def test_long_series_are_thinned_below_the_row_budget(bench):
    import polars as pl

    machine = bench.time_machine("^GSPC", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert machine.changes.height > 20_000
    assert thin(machine.changes).height <= 4_000
    spec = machine.chart().to_dict()  # no MaxRowsError on a century of bars
    assert sum(len(v) for v in spec["datasets"].values()) <= 4_001
    assert isinstance(machine.changes, pl.DataFrame)


# -- picking a session: the events behind it ----------------------------------------------------


def test_explorer_pick_layer_is_a_top_level_click_selection(bench, data_dir):
    from claim_oracles import expected

    from analysis.notebook import PICK, Explorer

    explorer = bench.check("C", "C07").explore()
    assert isinstance(explorer, Explorer)
    spec = explorer.chart.to_dict()
    pick = next(p for p in spec["params"] if p["name"] == PICK)
    assert pick["views"] == ["pick_layer"]
    assert pick["select"]["on"] == "click" and pick["select"]["fields"] == ["day"]
    # the pick layer lies over the chart's marks: one band per session, edge to edge, so a
    # click on the line as well as beside it picks a session
    overlay = spec["layer"][-1]
    assert overlay["name"] == "pick_layer" and overlay["mark"]["type"] == "rect"
    rows = spec["datasets"][overlay["data"]["name"]]
    breakout = expected("C07", data_dir).dates["breakout"]
    assert breakout in {r["day"] for r in rows}  # the sessions the chart shows
    assert all(a["band_to"] == b["band_from"] for a, b in itertools.pairwise(rows))
    # its tooltip gives the session and the close on it
    titles = [t.get("title") for t in overlay["encoding"]["tooltip"]]
    assert titles[0] == "session" and "^RUT close" in titles
    # the claim's own layers come first, unchanged, with their zoom
    assert any(p.get("bind") == "scales" for p in spec["params"])


def test_a_picked_session_lists_every_feed_and_the_event_the_check_read(bench, data_dir):
    import altair as alt
    import pandas as pd
    import polars as pl

    from analysis.notebook import PICK

    alt.JupyterChart.enable_offline()
    explorer = bench.check("C", "C07").explore()
    box = explorer.widget()
    assert box is not None and "Click a point" in explorer.details.value
    # what the browser sends when a session is clicked: the Vega signal of the point selection
    signal = {"vlPoint": {"or": [{"day": "2025-10-31"}]}, "day": ["2025-10-31"]}
    explorer.view._vl_selections = {PICK: {"value": signal, "store": []}}
    shown = explorer.details.value
    # oracle: the store's own read of every ^RUT feed at that session, and heliar's raw close
    facts = (
        bench.log.scan()
        .filter(pl.col("event_type") == "PriceBar")
        .filter((pl.col("symbol") == "^RUT") & (pl.col("session") == dt.date(2025, 10, 31)))
        .collect()
    )
    assert facts.height >= 3
    for row in facts.iter_rows(named=True):
        assert row["event_id"] in shown and row["feed"] in shown
    raw = pd.read_csv(data_dir / "prices/RUT_daily_heliar.csv")
    close = raw.loc[raw["date"].astype(str).str[:10] == "2025-10-31", "close"].iloc[0]
    read = explorer.lookup({"day": "2025-10-31"})
    heliar = read.filter(pl.col("feed") == "heliar").row(0, named=True)
    assert heliar["read"] == "yes" and heliar["value"] == pytest.approx(close)
    assert read.filter(pl.col("read") == "yes").height == 1
    # nothing picked: back to the hint
    explorer.view._vl_selections = {PICK: {"value": None, "store": []}}
    assert "Click a point" in explorer.details.value


def test_the_session_in_progress_at_publication_lists_its_final_bar(bench):
    view = bench.check("A", "A03")  # A was written during the 2025-10-06 session
    events = view.events_at(dt.date(2025, 10, 6))
    assert not isinstance(events, str)
    read = events.filter(events["read"] == "yes").row(0, named=True)
    final = view.context.live("^RUT")
    assert final is not None and read["value"] == pytest.approx(final["close"])


def test_verdict_table_has_every_claim_in_full_text(bench):
    view = bench.article("C")
    page = view.verdict_table().as_raw_html()
    longest = max((c.rule for c in view.result.claims), key=len)
    assert all(c.id in page for c in view.result.claims)
    assert longest in html.unescape(page) and "…" not in page
    assert "#cf222e" in page or "#1a7f37" in page  # verdicts in colour


def test_every_chart_has_a_legend_for_every_mark_wrapped_titles_and_data(bench):
    from analysis.claims.loader import load_articles

    drawn = 0
    for spec in load_articles(None):
        for claim in bench.article(spec.id).result.claims:
            chart = bench.check(spec.id, claim.id).chart()
            if chart is None:
                continue  # nothing to draw gives no chart, never an empty one
            drawn += 1
            d = chart.to_dict()
            domain = d["encoding"]["color"]["scale"]["domain"]
            assert "legend" in d["encoding"]["color"], claim.id
            for layer in layers(d):
                rows = dataset(d, layer)
                assert rows, (claim.id, layer["mark"])  # every layer draws something
                assert {r["what"] for r in rows} <= set(domain), claim.id  # and is in the legend
                x = layer["encoding"].get("x")
                if x is not None and "axis" in x:
                    assert x["axis"]["format"] in ("%d %b", "%b %Y", "%Y"), claim.id
            title = d["title"]
            assert all(len(line) <= 80 for line in title["text"]), claim.id  # wrapped
            assert all(len(line) <= 100 for line in title.get("subtitle", [])), claim.id
    assert drawn >= 40


def test_b09_draws_the_premium_by_year_with_the_accepted_band(bench, data_dir):
    import oracles as o

    spec = bench.check("B", "B09").chart().to_dict()
    bars = next(lay for lay in layers(spec) if lay["mark"]["type"] == "bar")
    # oracle: the annual SMB rows of the raw file, 1927-2023
    smb = o.french_annual(data_dir / "factors/F-F_Research_Data_Factors_vintage202412.CSV", "SMB")
    got = {int(r["session"][:4]): r["value"] for r in dataset(spec, bars)}
    assert got == pytest.approx({y: smb[y] for y in range(1927, 2024)})
    band = next(lay for lay in layers(spec) if lay["mark"]["type"] == "rect")
    [row] = dataset(spec, band)
    assert (row["lo"], row["hi"]) == (1.5, 2.5)  # what rounds to the stated "2"


def test_a11_draws_the_adds_path_against_the_removes(bench):
    spec = bench.check("A", "A11").chart().to_dict()
    lines = {
        dataset(spec, lay)[0]["what"]: dataset(spec, lay)
        for lay in layers(spec)
        if lay["mark"]["type"] == "line"
    }
    assert set(lines) == {"adds (PAG, FLS), mean", "removals (GAP, GTLS), mean"}
    for rows in lines.values():
        at_call = [r["value"] for r in rows if r["session"][:10] == "2025-10-06"]
        assert at_call == [pytest.approx(100.0)] and len(rows) > 100  # rebased at the call


def test_the_b09_card_names_the_vintage_and_says_it_came_after_the_article(bench):
    page = html.unescape(bench.check("B", "B09")._repr_html_())
    assert "vintages read" in page and "FF3:SMB:A vintage 202412, released 2025-03-01" in page
    assert "checkable only on data recorded after the article" in page
