"""Every signal against an independent computation on the real data.

The oracles read the raw CSV files with pandas and compute each quantity in a few plain lines;
they share no code with the adapters, the tape or the signals. Where the tape composes a
series from several feeds (the catalog's preference), the oracle composes the same files.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import oracles
import pandas as pd
import pytest
import ta

from analysis import signals as sg

NOW = dt.datetime(2026, 8, 22, tzinfo=dt.UTC)  # after the last bar of every file
D = dt.date


@pytest.fixture(scope="module")
def rut(data_dir: Path) -> pd.DataFrame:
    return oracles.rut(data_dir)


@pytest.fixture(scope="module")
def gspc(data_dir: Path) -> pd.DataFrame:
    return oracles.gspc(data_dir)


@pytest.fixture(scope="module")
def rut_bars(real_tape):
    return real_tape.bars(NOW, symbols=["^RUT"])


@pytest.fixture(scope="module")
def gspc_bars(real_tape):
    return real_tape.bars(NOW, symbols=["^GSPC"])


def cents(a: float, b: float) -> None:
    assert abs(a - b) < 0.005, (a, b)


def bp(a: float, b: float) -> None:
    assert abs(a - b) < 1e-4, (a, b)


# -- the tape itself ----------------------------------------------------------------------------


def test_tape_composes_the_preferred_feeds(rut_bars, rut):
    tape = rut_bars.order_by("session").to_pandas()
    assert len(tape) == len(rut)
    assert (pd.to_datetime(tape.session).values == rut.index.values).all()
    assert np.allclose(tape.close.values, rut.close.values, rtol=0, atol=1e-6)


# -- moving averages ----------------------------------------------------------------------------


def test_rut_200_session_average_on_2025_09_30(rut_bars, rut):
    got = (
        sg.moving_average(rut_bars, 200)
        .filter(lambda t: t.session == D(2025, 9, 30))
        .to_pandas()
        .sma.item()
    )
    pandas_sma = rut.close.rolling(200).mean().loc["2025-09-30"]
    ta_sma = ta.trend.sma_indicator(rut.close, window=200).loc["2025-09-30"]
    cents(got, pandas_sma)
    cents(got, ta_sma)


def test_200_session_crossings_2024_2025(rut_bars, rut):
    got = sg.ma_crossings(rut_bars, 200).to_pandas()
    got = got[pd.to_datetime(got.session).dt.year.isin([2024, 2025])]
    sma = rut.close.rolling(200).mean()
    above = rut.close > sma
    prev_above = above.shift()
    cross = sma.notna() & sma.shift().notna() & (above != prev_above)
    # a close exactly on its average is neither above nor below: none occurs here
    assert not (rut.close == sma).any()
    want = rut[cross & rut.index.year.isin([2024, 2025])]
    assert list(pd.to_datetime(got.session)) == list(want.index)
    assert list(got.direction) == ["up" if a else "down" for a in above[want.index]]


# -- records ------------------------------------------------------------------------------------


def test_rut_record_closes_of_2025(rut_bars, rut):
    got = sg.record_closes(rut_bars).to_pandas()
    got = sorted(pd.to_datetime(got.session[pd.to_datetime(got.session).dt.year == 2025]))
    prior = rut.close.cummax().shift()
    want = rut.index[(rut.close > prior) & (rut.index.year == 2025)]
    assert got == list(want)
    assert len(want) > 0


def test_record_closes_per_year(rut_bars, rut):
    got = sg.records_per_year(rut_bars).to_pandas().set_index("year").records
    prior = rut.close.cummax().shift()
    want = rut.index[rut.close > prior].year.value_counts()
    assert got.sort_index().to_dict() == want.sort_index().to_dict()


def test_rut_record_highs(rut_bars, rut):
    got = sg.record_highs(rut_bars).to_pandas()
    prior = rut.high.cummax().shift()
    want = rut.index[rut.high > prior]
    assert sorted(pd.to_datetime(got.session)) == list(want)


def test_first_rut_high_above_2500(rut_bars, rut):
    got = sg.first_high_above(rut_bars, 2500).to_pandas()
    want = rut.index[rut.high > 2500][0]
    assert pd.Timestamp(got.session.item()) == want


def test_first_rut_close_above_2400_in_2025(rut_bars, rut):
    got = sg.first_close_above(rut_bars, 2400, start=D(2025, 1, 1), end=D(2025, 12, 31))
    window = rut.loc["2025"]
    assert pd.Timestamp(got.to_pandas().session.item()) == window.index[window.close > 2400][0]


# -- returns ------------------------------------------------------------------------------------


def test_gspc_return_in_july_2024(gspc_bars, gspc):
    got = sg.period_return(gspc_bars, D(2024, 6, 30), D(2024, 7, 31)).to_pandas()
    _, base = oracles.close_on_or_before(gspc, D(2024, 6, 30))
    _, end = oracles.close_on_or_before(gspc, D(2024, 7, 31))
    bp(got.period_return.item(), end / base - 1)


@pytest.mark.parametrize("as_of", [D(2024, 7, 17), D(2025, 10, 6), D(2025, 10, 8)])
def test_ytd_and_mtd(rut_bars, rut, as_of):
    ytd = sg.ytd_return(rut_bars, as_of).to_pandas().period_return.item()
    _, end = oracles.close_on_or_before(rut, as_of)
    _, year_base = oracles.close_on_or_before(rut, D(as_of.year - 1, 12, 31))
    bp(ytd, end / year_base - 1)
    mtd = sg.month_to_date_return(rut_bars, as_of).to_pandas().period_return.item()
    _, month_base = oracles.close_on_or_before(rut, as_of.replace(day=1) - dt.timedelta(days=1))
    bp(mtd, end / month_base - 1)


def test_trailing_and_calendar_windows(rut_bars, rut):
    as_of = D(2024, 7, 17)
    upto = rut.loc[:"2024-07-17"].close
    got = sg.trailing_return(rut_bars, as_of, 5).to_pandas().period_return.item()
    bp(got, upto.iloc[-1] / upto.iloc[-6] - 1)
    six = sg.window_return(rut_bars, as_of, months=6).to_pandas()
    _, base = oracles.close_on_or_before(rut, D(2024, 1, 17))
    bp(six.period_return.item(), upto.iloc[-1] / base - 1)
    decade = sg.window_return(rut_bars, as_of, years=10).to_pandas()
    _, base10 = oracles.close_on_or_before(rut, D(2014, 7, 17))
    bp(decade.period_return.item(), upto.iloc[-1] / base10 - 1)


def test_relative_return_first_half_2024(rut_bars, gspc_bars, rut, gspc):
    got = sg.relative_return(rut_bars, gspc_bars, D(2023, 12, 31), D(2024, 6, 30)).to_pandas()
    r = (
        oracles.close_on_or_before(rut, D(2024, 6, 30))[1]
        / oracles.close_on_or_before(rut, D(2023, 12, 31))[1]
    )
    g = (
        oracles.close_on_or_before(gspc, D(2024, 6, 30))[1]
        / oracles.close_on_or_before(gspc, D(2023, 12, 31))[1]
    )
    bp(got.relative_return.item(), (r - 1) - (g - 1))


# -- weekly closes ------------------------------------------------------------------------------


def test_rut_weekly_closes_sep_to_dec_2025(rut_bars, rut):
    got = sg.weekly_closes(rut_bars).to_pandas()
    got["session"] = pd.to_datetime(got.session)
    got = got[(got.session >= "2025-09-01") & (got.session <= "2025-12-31")]
    got = got.sort_values("session")
    # last trading day of each Monday-based week, straight from the data's own dates; weeks
    # are formed before the date range is cut, so a week spilling into 2026 ends in 2026
    weekly = rut.groupby(rut.index.to_period("W-SUN")).tail(1)
    last = weekly.loc["2025-09-01":"2025-12-31"]
    assert list(pd.to_datetime(got.session)) == list(last.index)
    assert np.allclose(got.close.values, last.close.values)


def test_two_weekly_closes_above_2460_after_october_2025(rut_bars, rut):
    got = sg.consecutive_weekly_closes_above(rut_bars, 2460, 2, start=D(2025, 10, 9)).to_pandas()
    weekly = rut.groupby(rut.index.to_period("W-SUN")).tail(1).loc["2025-10-09":].close
    above = (weekly > 2460).to_numpy()
    hits = [i for i in range(1, len(above)) if above[i] and above[i - 1]]
    if not hits:
        assert got.empty
    else:
        assert pd.Timestamp(got.session.item()) == weekly.index[hits[0]]
        assert pd.Timestamp(got.run_start.item()) == weekly.index[hits[0] - 1]


# -- relative strength and drawdowns --------------------------------------------------------------


def test_rut_vs_gspc_longest_stretch_below_a_peak(rut_bars, gspc_bars, rut, gspc):
    got = sg.longest_below_peak(sg.relative_strength(rut_bars, gspc_bars)).to_pandas()
    ratio = (rut.close / gspc.close).dropna()
    peak = ratio.cummax()
    below = ratio < peak
    best, start, run, run_start = 0, None, 0, ratio.index[0]
    for day, is_below in below.items():
        if not is_below:
            run, run_start = 0, day
        else:
            run += 1
            if run > best:
                best, start = run, run_start
    assert got.sessions_below.item() == best
    assert pd.Timestamp(got.peak_session.item()) == start


def test_gspc_max_drawdown_2020(gspc_bars, gspc):
    got = sg.max_drawdown(gspc_bars, start=D(2020, 1, 1), end=D(2020, 12, 31)).to_pandas()
    y = gspc.loc["2020"].close
    dd = y / y.cummax() - 1
    trough = dd.idxmin()
    bp(got.drawdown.item(), dd.min())
    assert pd.Timestamp(got.trough_session.item()) == trough
    assert pd.Timestamp(got.peak_session.item()) == y.loc[:trough].idxmax()


def test_gspc_pullback_after_october_8_2025(gspc_bars, gspc):
    got = sg.pullback_after(gspc_bars, D(2025, 10, 8), D(2025, 11, 30)).to_pandas()
    y = gspc.loc["2025-10-08":"2025-11-30"].close
    dd = y / y.cummax() - 1
    bp(got.drawdown.item(), dd.min())


# -- targets ------------------------------------------------------------------------------------


def test_implied_upside_of_2665_from_october_7_2025(rut_bars, rut):
    got = sg.implied_upside(rut_bars, 2665, D(2025, 10, 7)).to_pandas()
    _, ref = oracles.close_on_or_before(rut, D(2025, 10, 7))
    cents(got.reference_close.item(), ref)
    bp(got.implied_upside.item(), 2665 / ref - 1)


def test_target_2665_touched_and_met_by_year_end(rut_bars, rut):
    touched = sg.target_touched(rut_bars, 2665, D(2025, 10, 8), D(2025, 12, 31)).to_pandas()
    window = rut.loc["2025-10-09":"2025-12-31"]
    hits = window.index[window.high >= 2665]
    if len(hits):
        assert pd.Timestamp(touched.session.item()) == hits[0]
    else:
        assert touched.empty
    met = sg.target_met(rut_bars, 2665, D(2025, 12, 31)).to_pandas()
    _, end = oracles.close_on_or_before(rut, D(2025, 12, 31))
    assert bool(met.met.item()) == (end >= 2665)
    bp(met.signed_error.item(), end / 2665 - 1)


# -- observations -------------------------------------------------------------------------------


def test_smb_premia_1927_to_2023(real_tape, data_dir):
    obs = real_tape.observations(NOW, series=["FF3:SMB:A"])
    got = sg.factor_premia(obs, "FF3:SMB:A", 1927, 2023).to_pandas()
    smb = oracles.french_annual(
        data_dir / "factors/F-F_Research_Data_Factors_vintage202412.CSV", "SMB"
    )
    values = [smb[y] for y in range(1927, 2024)]
    assert got.years.item() == len(values) == 97
    bp(got.arithmetic_mean.item(), sum(values) / len(values))
    geo = (math.prod(1 + v / 100 for v in values) ** (1 / len(values)) - 1) * 100
    bp(got.geometric_mean.item(), geo)
    bp(got.positive_share.item(), sum(v > 0 for v in values) / len(values))


def test_fed_target_changes_since_2022(real_tape, data_dir):
    obs = real_tape.observations(NOW, series=["FRED:DFEDTARU"])
    got = sg.rate_changes(obs, "FRED:DFEDTARU").to_pandas()
    got = got[got.period >= "2022-01-01"]
    raw = pd.read_csv(data_dir / "macro/DFEDTARU_to20260605_DateValue.csv")
    diff = raw.Value.diff()
    changes = raw[diff.fillna(0) != 0]
    changes = changes[changes.Date >= "2022-01-01"]
    assert list(got.period) == list(changes.Date)
    assert np.allclose(got.change_bp.values, (diff[changes.index] * 100).values)
