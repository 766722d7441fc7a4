"""Chart specs, tested through ``to_dict()``: the encodings, interactivity, and that the dates
a chart marks are the ones the signals compute."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import signals as sg
from analysis.notebook import Workbench, thin


@pytest.fixture(scope="module")
def bench(real_log):
    return Workbench(real_log)


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def dataset(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def marked(spec: dict, color: str) -> list[str]:
    for layer in layers(spec):
        mark = layer["mark"]
        if isinstance(mark, dict) and mark.get("type") == "point" and mark.get("color") == color:
            return [row["session"][:10] for row in dataset(spec, layer)]
    return []


def test_cards_render_html(bench, data_dir):
    from claim_oracles import expected

    html = bench.check("A", "A02")._repr_html_()
    verdict = expected("A02", data_dir).verdict  # the verdict the raw files give
    assert f">{verdict}</span>" in html and "first_time" in html and "2,500" in html


def test_a01_marks_the_record_closes_the_signal_finds(bench):
    view = bench.check("A", "A01")
    spec = view.chart().to_dict()
    closed = view.context.closed("^RUT")
    records = sg.record_closes(closed).to_polars()
    want = [str(d) for d in records["session"] if d.year == 2025 and d < dt.date(2025, 10, 6)]
    assert marked(spec, "darkorange") == want


def test_c04_marks_the_crossing_of_the_200_session_average(bench):
    view = bench.check("C", "C04")
    spec = view.chart().to_dict()
    closed = view.context.closed("^RUT")
    crossings = sg.ma_crossings(closed.filter(closed.session < dt.date(2025, 10, 15)), 200)
    last = crossings.order_by("session").to_polars().row(-1, named=True)
    assert last["direction"] == "up"
    assert marked(spec, "black") == [str(last["session"])]
    sma_layers = [lay for lay in layers(spec) if lay["encoding"].get("y", {}).get("field") == "sma"]
    assert len(sma_layers) == 1


def test_c07_marks_the_breakout_and_draws_the_level(bench):
    view = bench.check("C", "C07")
    spec = view.chart().to_dict()
    hit = sg.consecutive_weekly_closes_above(
        view.context.after("^RUT"), 2460, 2, start=dt.date(2025, 10, 16)
    ).to_polars()
    assert marked(spec, "black") == [str(hit["session"][0])]
    levels = [
        dataset(spec, lay)[0]["level"]
        for lay in layers(spec)
        if lay["encoding"].get("y", {}).get("field") == "level"
    ]
    assert levels == [2460.0]


def test_encodings_tooltips_and_zoom(bench):
    spec = bench.check("B", "B01").chart().to_dict()  # a relative claim: two rebased series
    line = next(
        lay
        for lay in layers(spec)
        if lay["mark"] == {"type": "line"} or lay["mark"].get("type") == "line"
    )
    assert line["encoding"]["x"] == {"field": "session", "title": None, "type": "temporal"}
    assert line["encoding"]["color"]["field"] == "series"
    assert {t["field"] for t in line["encoding"]["tooltip"]} == {"series", "session", "close"}
    assert any(p.get("bind") == "scales" for p in spec["params"])  # zoomable time axis
    series = {row["series"] for row in dataset(spec, line)}
    assert series == {"^RUT", "^GSPC"}


def test_long_series_are_thinned_below_the_row_budget(bench):
    import polars as pl

    machine = bench.time_machine("^GSPC", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert machine.changes.height > 20_000
    assert thin(machine.changes).height <= 4_000
    spec = machine.chart().to_dict()  # no MaxRowsError on a century of bars
    assert sum(len(v) for v in spec["datasets"].values()) <= 4_001
    assert isinstance(machine.changes, pl.DataFrame)
