"""Adapters on the real files (spot checks from PROVENANCE.md) and on small synthetic files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from store.config import data_path
from store.errors import BadInput
from store.ingest.adapters import detect, parse_file
from store.ingest.formats import Target, read_text_file
from store.ingest.run import default_feed
from store.reference.catalog import load_catalog

DATA = data_path()
needs_data = pytest.mark.skipif(
    not (DATA / "prices").is_dir(), reason=f"real data folder {DATA} is absent (TAPECHECK_DATA)"
)


def bars(rel: str, symbol: str) -> pl.DataFrame:
    cat = load_catalog()
    source = cat.find_file(rel, symbol)
    assert source is not None
    spec = cat.series[symbol]
    return parse_file(DATA / rel, Target.of(spec, source), source.adapter).rows


def close_on(rows: pl.DataFrame, day: str, column: str = "close") -> float:
    hit = rows.filter(pl.col("session") == dt.date.fromisoformat(day))
    assert hit.height == 1, day
    return hit.get_column(column)[0]


def obs(rel: str, family: str) -> tuple[pl.DataFrame, list[str]]:
    cat = load_catalog()
    source = cat.find_file(rel, family)
    assert source is not None
    parsed = parse_file(DATA / rel, Target.of(cat.series[family], source), source.adapter)
    return parsed.rows, [w.code for w in parsed.warnings]


def value(rows: pl.DataFrame, series: str, period: str) -> float:
    hit = rows.filter((pl.col("series") == series) & (pl.col("period") == period))
    assert hit.height == 1, (series, period)
    return hit.get_column("value")[0]


# ---- real files ------------------------------------------------------------------------------


@needs_data
def test_every_catalogued_file_is_detected_as_its_catalogued_adapter() -> None:
    for source in load_catalog().sources():
        assert detect(read_text_file(DATA / source.file)) == source.adapter, source.file


@needs_data
def test_rut_sources_spot_checks() -> None:
    alitalbi = bars("prices/RUT_daily_alitalbi.csv", "^RUT")  # yfinance, CRLF, float32
    heliar = bars("prices/RUT_daily_heliar.csv", "^RUT")  # lower-ohlc
    shresth = bars("prices/RUT_daily_yf_shresth.csv", "^RUT")  # three-line header
    chatterjee = bars("prices/RUT_close_chatterjee.csv", "^RUT")  # Date,^RUT
    assert alitalbi.height == 9686 and heliar.height == 2552 and shresth.height == 1254
    for rows in (alitalbi, heliar, chatterjee):
        assert close_on(rows, "2021-11-08") == pytest.approx(2442.74, abs=0.005)
    assert close_on(alitalbi, "2025-09-08") == pytest.approx(2393.69, abs=0.005)
    assert close_on(heliar, "2025-09-08") == pytest.approx(2394.89, abs=0.005)
    assert close_on(shresth, "2025-09-08") == pytest.approx(2394.89, abs=0.005)
    # float32 noise is kept as parsed, not rounded
    assert close_on(alitalbi, "1987-09-10") == 168.97000122070312


@needs_data
def test_gspc_and_etf_spot_checks() -> None:
    assert close_on(bars("prices/GSPC_daily.csv", "^GSPC"), "2024-12-31") == pytest.approx(
        5881.63, abs=0.005
    )
    iwn = bars("prices/IWN_daily_yahoo_chenc319.csv", "IWN")
    assert close_on(iwn, "2024-12-31") == pytest.approx(164.17, abs=0.005)
    assert iwn.get_column("adj_close").null_count() == 0
    dsturdy = bars("prices/IWN_close_adj_dsturdy.csv", "IWN")  # adjusted close only
    assert dsturdy.get_column("close").null_count() == dsturdy.height
    assert dsturdy.get_column("adj_close").null_count() == 0


@needs_data
def test_stock_spot_checks() -> None:
    stell0 = bars("stocks/COHU_ohlcv_stell0.csv", "COHU")  # empty date header
    assert close_on(stell0, "2024-08-01") == pytest.approx(28.01, abs=0.005)
    assert close_on(stell0, "2023-12-29", "high") == pytest.approx(36.35, abs=0.005)
    dsturdy = bars("stocks/COHU_adjclose_dsturdy.csv", "COHU")
    assert close_on(dsturdy, "2024-12-31", "adj_close") == pytest.approx(26.70, abs=0.005)
    sumd = bars("stocks/SUM_ohlcv_to20240308_dieperdev.csv", "SUM")
    assert sumd.get_column("session").max() == dt.date(2024, 3, 8)
    assert close_on(sumd, "2024-01-02") == pytest.approx(38.27, abs=0.005)


@needs_data
def test_fred_spot_checks() -> None:
    upper, _ = obs("macro/DFEDTARU_to20260605_DateValue.csv", "FRED:DFEDTARU")
    assert value(upper, "FRED:DFEDTARU", "2024-09-18") == 5.5
    assert value(upper, "FRED:DFEDTARU", "2024-09-19") == 5.0
    # fomc-target: public at 00:00 New York on the date FRED gives it
    row = upper.filter(pl.col("period") == "2024-09-19")
    assert row.get_column("valid_at")[0] == dt.datetime(2024, 9, 19, 4, tzinfo=dt.UTC)
    t10, codes = obs("macro/T10Y2Y.csv", "FRED:T10Y2Y")
    assert t10.height == 13049 - 549 and "blank-values" in codes
    assert value(t10, "FRED:T10Y2Y", "2024-01-02") == -0.38
    fedfunds, _ = obs("macro/FEDFUNDS.csv", "FRED:FEDFUNDS")
    assert value(fedfunds, "FRED:FEDFUNDS", "2024-12") == 4.48
    dff, _ = obs("macro/DFF.csv", "FRED:DFF")
    row = dff.filter(pl.col("period") == "2024-09-19")
    assert row.get_column("value")[0] == 4.83
    assert row.get_column("valid_at")[0] == dt.datetime(2024, 9, 20, 13, tzinfo=dt.UTC)


@needs_data
def test_french_spot_checks() -> None:
    ff, _ = obs("factors/F-F_Research_Data_Factors_vintage202412.CSV", "FF3")
    assert value(ff, "FF3:SMB:M", "2024-01") == -5.02
    assert value(ff, "FF3:MKT-RF:M", "2024-12") == -3.17
    assert value(ff, "FF3:SMB:A", "2024") == -11.13
    assert value(ff, "FF3:MKT-RF:A", "2023") == 21.69
    assert ff.filter(pl.col("series") == "FF3:RF:M").height == 1182
    jan = ff.filter((pl.col("series") == "FF3:SMB:M") & (pl.col("period") == "2024-01"))
    assert jan.get_column("valid_at")[0] == dt.datetime(2024, 3, 1, 5, tzinfo=dt.UTC)
    year = ff.filter((pl.col("series") == "FF3:SMB:A") & (pl.col("period") == "2024"))
    assert year.get_column("valid_at")[0] == dt.datetime(2025, 3, 1, 5, tzinfo=dt.UTC)
    new, _ = obs("factors/F-F_Research_Data_Factors_monthly_vintage202511.csv", "FF3")
    assert value(new, "FF3:HML:M", "2025-11") == 3.76
    me, codes = obs("factors/Portfolios_Formed_on_ME_vintage202412.CSV", "FFME")
    assert value(me, "FFME:VW:DEC1:M", "2024-01") == -2.08
    assert value(me, "FFME:VW:DEC10:M", "2024-01") == 2.42
    assert value(me, "FFME:VW:LO30:A", "2024") == 8.83
    assert me.filter(pl.col("series").str.starts_with("FFME:EW:")).height > 0
    assert me.filter(pl.col("series").str.contains("LE0")).height == 0  # all -99.99
    assert "missing-marker" in codes
    me11, codes = obs("factors/Portfolios_Formed_on_ME_VWmonthly_vintage202511.csv", "FFME")
    assert value(me11, "FFME:VW:DEC2:M", "2025-11") == 2.92
    assert "mangled-header" in codes


# ---- synthetic files -------------------------------------------------------------------------

YF_SINGLE = (
    "Date,Close,High,Low,Open,Volume\r\n"
    "2025-01-02,2027.0699462890625,2040.1099853515625,2010.0,2020.0,100\r\n"
    "2025-01-03,2030.5,2031.0,2020.25,2025.0,120\r\n"
)
YF_MULTI = (
    "Price,Close,High,Low,Open,Volume\n"
    "Ticker,^RUT,^RUT,^RUT,^RUT,^RUT\n"
    "Date,,,,,\n"
    "2025-01-02,2027.07,2040.11,2010.0,2020.0,100\n"
)
LOWER = "date,open,high,low,close,volume,wap,count\n2025-01-02,10,11,9,10.5,0.0,,\n"
FRED = "observation_date,T10Y2Y\n2025-01-01,\n2025-01-02,0.33\n"
FRENCH = (
    "This file was created by CMPT_ME_BEME_RETS using the 202412 CRSP database.\n"
    "The 1-month TBill rate data until 202405 ...\n\n"
    ",Mkt-RF,SMB,HML,RF\n"
    "202401,    0.70,   -5.02,   -2.47,    0.47\n"
    "202402,    5.06,   -0.78,   -3.49,    0.42\n\n"
    " Annual Factors: January-December \n"
    ",Mkt-RF,SMB,HML,RF\n"
    "2024,   19.78,  -11.13,   -9.10,    5.26\n\n"
    "Copyright 2025 Eugene F. Fama and Kenneth R. French\n"
)


@pytest.mark.parametrize(
    ("text", "adapter", "symbol"),
    [
        (YF_SINGLE, "yfinance", "^RUT"),
        (YF_MULTI, "yfinance-multi", "^RUT"),
        (LOWER, "lower-ohlc", "SPY"),
        (FRED, "fred", "T10Y2Y"),
        (FRENCH, "french-factors", "FF3"),
        ("Date,Value\n2025-01-02,4.5\n", "fred-datevalue", "DFF"),
        ("Date,Close\n2025-01-02,4.5\n", "close-only", "SPY"),
    ],
)
def test_auto_detects_each_format(tmp_path: Path, text: str, adapter: str, symbol: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    parsed = parse_file(path, Target(symbol=symbol))
    assert parsed.adapter == adapter
    assert parsed.rows.height >= 1


def test_crlf_yfinance_keeps_float32_values(tmp_path: Path) -> None:
    path = tmp_path / "RUT.csv"
    path.write_bytes(YF_SINGLE.encode())
    rows = parse_file(path, Target(symbol="^RUT"), "yfinance").rows
    assert rows.get_column("close").to_list() == [2027.0699462890625, 2030.5]
    assert rows.get_column("open").to_list() == [2020.0, 2025.0]


def test_french_preamble_and_annual_block(tmp_path: Path) -> None:
    path = tmp_path / "F-F.csv"
    path.write_text(FRENCH)
    rows = parse_file(path, Target(symbol="FF3"), "french-factors").rows
    assert value(rows, "FF3:SMB:M", "2024-01") == -5.02
    assert value(rows, "FF3:RF:A", "2024") == 5.26
    assert rows.height == 4 * 2 + 4


def test_french_missing_markers_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "ME.csv"
    path.write_text(",<= 0,Lo 30\n202401,  -99.99,  1.00\n202402,  -999,  2.00\n")
    parsed = parse_file(path, Target(symbol="FFME"), "french-portfolios")
    assert parsed.rows.get_column("series").unique().to_list() == ["FFME:VW:LO30:M"]
    assert [(w.code, w.count) for w in parsed.warnings] == [("missing-marker", 2)]


def test_fred_blank_values_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "T10Y2Y.csv"
    path.write_text(FRED)
    parsed = parse_file(path, Target(symbol="FRED:T10Y2Y", publication="treasury-evening"))
    assert parsed.rows.get_column("period").to_list() == ["2025-01-02"]
    assert [w.code for w in parsed.warnings] == ["blank-values"]
    # treasury-evening: 18:00 New York = 23:00 UTC in January
    assert parsed.rows.get_column("valid_at")[0] == dt.datetime(2025, 1, 2, 23, tzinfo=dt.UTC)


def test_close_only_header_must_name_the_symbol(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Date,^GSPC\n2025-01-02,5000\n")
    with pytest.raises(BadInput, match=r"another series than \^RUT") as info:
        parse_file(path, Target(symbol="^RUT"))
    assert info.value.row == 1 and info.value.field == "^GSPC"


def test_multi_index_ticker_must_match(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(YF_MULTI)
    with pytest.raises(BadInput, match=r"Ticker row names \^RUT, not \^GSPC"):
        parse_file(path, Target(symbol="^GSPC"), "yfinance-multi")


def test_intraday_last_row_is_a_warning_never_a_fix(tmp_path: Path) -> None:
    lines = ["Date,Open,High,Low,Close,Volume"]
    day = dt.date(2025, 3, 3)
    for i in range(30):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        volume = 1_000_000 if i < 29 else 100_000
        lines.append(f"{day},10,11,9,10.{i % 10},{volume}")
        day += dt.timedelta(days=1)
    path = tmp_path / "x.csv"
    path.write_text("\n".join(lines) + "\n")
    parsed = parse_file(path, Target(symbol="ABC"), "yahoo")
    assert parsed.rows.height == 30
    assert [w.code for w in parsed.warnings] == ["intraday-last-row"]


def test_default_feed_from_file_names() -> None:
    assert default_feed("RUT_daily_alitalbi.csv") == "alitalbi"
    assert default_feed("COHU_adjclose_dsturdy.csv") == "dsturdy"
    assert default_feed("COHU_ohlcv_to20240308_dieperdev.csv") == "dieperdev"
    assert default_feed("GSPC_daily.csv") == "local"
