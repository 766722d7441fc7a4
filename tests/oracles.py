"""Independent readers of the raw CSV files, and the market's words made exact, for oracle
tests (pandas, csv, decimal and exchange_calendars only).

Nothing here imports ``store`` or ``analysis``: the files are read where they lie with pandas or
``csv``, the XNYS calendar comes from ``exchange_calendars`` directly, and the rule table of
``analysis/claims/wording.py`` is rewritten from its documentation. Where the tape composes a
series from several feeds (the catalog's preference: the first feed has priority, later ones
fill the sessions it lacks), :func:`quoted` and :func:`adjusted` compose the same files the same
way; the choice of feeds is written out below from the data's PROVENANCE.md, and a test checks
it against ``store/reference/catalog.toml``.

Every reader is cached, so a test session reads each raw file once.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
# A close more than a week before the day it stands for means the series had stopped (or not
# started): the documented slack of the claims engine (a feed that stale abstains).
SLACK_DAYS = 7

# -- the files of each price series ---------------------------------------------------------

# feed -> (file under the data folder, whether its prices are dividend-adjusted)
SOURCES: dict[str, dict[str, tuple[str, bool]]] = {
    "^RUT": {
        "alitalbi": ("prices/RUT_daily_alitalbi.csv", False),
        "heliar": ("prices/RUT_daily_heliar.csv", False),
        "shresth": ("prices/RUT_daily_yf_shresth.csv", False),
        "chatterjee": ("prices/RUT_close_chatterjee.csv", False),
    },
    "^GSPC": {
        "guydekowski": ("prices/GSPC_daily.csv", False),
        "chenc319": ("prices/GSPC_daily_yahoo_chenc319.csv", False),
        "heliar": ("prices/GSPC_daily_heliar.csv", False),
        "shresth": ("prices/GSPC_daily_yf_shresth.csv", False),
        "chatterjee": ("prices/GSPC_close_chatterjee.csv", False),
    },
    "IWN": {
        "chenc319": ("prices/IWN_daily_yahoo_chenc319.csv", False),
        "dsturdy": ("prices/IWN_close_adj_dsturdy.csv", True),
    },
    "COHU": {
        "dsturdy": ("stocks/COHU_adjclose_dsturdy.csv", True),
        "stell0": ("stocks/COHU_ohlcv_stell0.csv", False),
        "dieperdev": ("stocks/COHU_ohlcv_to20240308_dieperdev.csv", False),
    },
    "FLS": {"dsturdy": ("stocks/FLS_adjclose_dsturdy.csv", True)},
    "GAP": {
        "dsturdy": ("stocks/GAP_adjclose_dsturdy.csv", True),
        "sungkyu": ("stocks/GAP_ohlcv_sungkyu.csv", False),
    },
    "GTLS": {
        "dsturdy5": ("stocks/GTLS_adjclose_dsturdy5.csv", True),
        "stell0": ("stocks/GTLS_ohlcv_stell0.csv", False),
    },
    "IONQ": {
        "dsturdy": ("stocks/IONQ_adjclose_dsturdy.csv", True),
        "sungkyu": ("stocks/IONQ_ohlcv_sungkyu.csv", False),
    },
    "MARA": {
        "dsturdy": ("stocks/MARA_adjclose_dsturdy.csv", True),
        "sungkyu": ("stocks/MARA_ohlcv_sungkyu.csv", False),
    },
    "MP": {"dsturdy": ("stocks/MP_adjclose_dsturdy.csv", True)},
    "OKLO": {
        "dsturdy": ("stocks/OKLO_adjclose_dsturdy.csv", True),
        "sungkyu": ("stocks/OKLO_ohlcv_sungkyu.csv", False),
    },
    "PAG": {"dsturdy": ("stocks/PAG_adjclose_dsturdy.csv", True)},
    "QBTS": {"dsturdy": ("stocks/QBTS_adjclose_dsturdy.csv", True)},
    "RGTI": {"dsturdy": ("stocks/RGTI_adjclose_dsturdy.csv", True)},
    "RIOT": {
        "dsturdy": ("stocks/RIOT_adjclose_dsturdy.csv", True),
        "sungkyu": ("stocks/RIOT_ohlcv_sungkyu.csv", False),
    },
    "SMR": {
        "dsturdy": ("stocks/SMR_adjclose_dsturdy.csv", True),
        "sungkyu": ("stocks/SMR_ohlcv_sungkyu.csv", False),
    },
    "SUM": {"dieperdev": ("stocks/SUM_ohlcv_to20240308_dieperdev.csv", False)},
}

# Which feeds the quoted (unadjusted) prices come from, by priority. ^RUT: heliar has the right
# 2025-09-08 close (alitalbi's is an intraday snapshot) and alitalbi fills 1987-2016. ^GSPC: the
# guydekowski download covers 1927-2026 with final prices. Single stocks: the raw OHLC files.
PREFERRED: dict[str, tuple[str, ...]] = {
    "^RUT": ("heliar", "alitalbi"),
    "^GSPC": ("guydekowski", "chenc319", "heliar"),
    "IWN": ("chenc319",),
    "COHU": ("stell0", "dieperdev"),
    "FLS": (),
    "GAP": ("sungkyu",),
    "GTLS": ("stell0",),
    "IONQ": ("sungkyu",),
    "MARA": ("sungkyu",),
    "MP": (),
    "OKLO": ("sungkyu",),
    "PAG": (),
    "QBTS": (),
    "RGTI": (),
    "RIOT": ("sungkyu",),
    "SMR": ("sungkyu",),
    "SUM": ("dieperdev",),
}
# ... and the dividend-adjusted ones (total returns), by priority.
PREFERRED_ADJUSTED: dict[str, tuple[str, ...]] = {
    "^RUT": (),
    "^GSPC": (),
    "IWN": ("dsturdy", "chenc319"),
    "COHU": ("dsturdy", "dieperdev"),
    "FLS": ("dsturdy",),
    "GAP": ("dsturdy",),
    "GTLS": ("dsturdy5",),
    "IONQ": ("dsturdy",),
    "MARA": ("dsturdy",),
    "MP": ("dsturdy",),
    "OKLO": ("dsturdy",),
    "PAG": ("dsturdy",),
    "QBTS": ("dsturdy",),
    "RGTI": ("dsturdy",),
    "RIOT": ("dsturdy",),
    "SMR": ("dsturdy",),
    "SUM": ("dieperdev",),
}

_COLUMNS = {"adj close": "adj_close"}


@cache
def read_prices(path: Path, adjusted_file: bool = False) -> pd.DataFrame:
    """One raw price file as ``open, high, low, close, adj_close`` indexed by session date
    (missing columns are NaN). Reads every layout in the data folder: Yahoo CSV, yfinance (one
    header line, or three), lower-case OHLC exports and close-only files (whose value is the
    adjusted close when ``adjusted_file``)."""
    with path.open(newline="") as fh:
        header = next(csv.reader(fh))
    if header[0] == "Price":  # yfinance multi-index: Price / Ticker / Date lines
        names = ["date", *(c.strip().lower() for c in header[1:])]
        frame = pd.read_csv(
            path, skiprows=3, header=None, names=names, float_precision="round_trip"
        )
    else:
        frame = pd.read_csv(path, float_precision="round_trip")
        frame.columns = ["date", *(_COLUMNS.get(c.lower(), c.lower()) for c in frame.columns[1:])]
        if len(frame.columns) == 2:  # close-only: Date,<ticker or Close>
            frame.columns = ["date", "adj_close" if adjusted_file else "close"]
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    frame = frame.set_index("date").sort_index()
    for column in ("open", "high", "low", "close", "adj_close"):
        if column not in frame.columns:
            frame[column] = math.nan
    return frame[["open", "high", "low", "close", "adj_close"]].astype(float)


def feed(data: Path, symbol: str, name: str) -> pd.DataFrame:
    """The bars of one feed of ``symbol``."""
    file, is_adjusted = SOURCES[symbol][name]
    return read_prices(data / file, is_adjusted)


def _compose(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        empty = pd.DatetimeIndex([], name="date")
        return pd.DataFrame(columns=["open", "high", "low", "close"], index=empty, dtype=float)
    stacked = pd.concat(frames)
    return stacked[~stacked.index.duplicated(keep="first")].sort_index()


@cache
def _quoted(data: Path, symbol: str, only: str | None) -> pd.DataFrame:
    names = (only,) if only is not None else PREFERRED[symbol]
    frames = [feed(data, symbol, n)[["open", "high", "low", "close"]] for n in names]
    frames = [f[f.close.notna()] for f in frames]
    return _compose(frames)


def quoted(data: Path, symbol: str, only: str | None = None) -> pd.DataFrame:
    """Quoted prices of ``symbol`` (OHLC): the preferred feeds composed, or one feed."""
    return _quoted(data, symbol, only)


@cache
def adjusted(data: Path, symbol: str) -> pd.DataFrame:
    """Dividend-adjusted closes of ``symbol`` (column ``close``), the preferred adjusted feeds
    composed: a feed's adjusted close where it has one, else its (adjusted OHLC) close."""
    frames = []
    for name in PREFERRED_ADJUSTED[symbol]:
        bars = feed(data, symbol, name)
        close = bars.adj_close.where(bars.adj_close.notna(), bars.close).dropna()
        frames.append(close.to_frame("close"))
    return _compose(frames)


def rut(data: Path) -> pd.DataFrame:
    """^RUT: heliar, with alitalbi for the sessions heliar lacks."""
    return quoted(data, "^RUT")


def gspc(data: Path) -> pd.DataFrame:
    """^GSPC: the guydekowski download (1927 to 2026, final prices)."""
    return quoted(data, "^GSPC")


def close_on_or_before(frame: pd.DataFrame, day: dt.date) -> tuple[pd.Timestamp, float]:
    upto = frame.loc[: pd.Timestamp(day)]
    return upto.index[-1], float(upto.close.iloc[-1])


# -- the XNYS calendar and publication cuts -------------------------------------------------


@cache
def xnys() -> pd.DataFrame:
    """Every XNYS session from 1985 with its open and close (UTC), from exchange_calendars."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xcals.get_calendar("XNYS", start="1985-01-01").schedule[["open", "close"]]


def sessions_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The XNYS sessions from ``start`` to ``end``."""
    cal = xnys()
    return [ts.date() for ts in cal.loc[pd.Timestamp(start) : pd.Timestamp(end)].index]


@cache
def week_ends() -> pd.DatetimeIndex:
    """The last XNYS session of each (Monday to Sunday) week."""
    index = xnys().index
    return pd.DatetimeIndex(pd.Series(index, index=index).groupby(index.to_period("W-SUN")).max())


@dataclass(frozen=True)
class Cut:
    """A publication instant: ``day`` at New York time ``at``."""

    day: dt.date
    at: dt.time

    @property
    def instant(self) -> pd.Timestamp:
        return pd.Timestamp(dt.datetime.combine(self.day, self.at, NEW_YORK)).tz_convert("UTC")

    @property
    def today(self) -> pd.Timestamp:
        return pd.Timestamp(self.day)

    @property
    def in_progress(self) -> bool:
        """Whether a session was open at the cut."""
        cal = xnys()
        if self.today not in cal.index:
            return False
        row = cal.loc[self.today]
        return bool(row.open <= self.instant < row.close)

    def _closed_today(self) -> bool:
        cal = xnys()
        return self.today in cal.index and bool(cal.loc[self.today].close <= self.instant)

    def closed(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The bars known at the cut: every earlier session, and today's once it has closed."""
        known = bars.index < self.today
        if self._closed_today():
            known |= bars.index == self.today
        return bars[known]

    def live(self, bars: pd.DataFrame) -> pd.Series | None:
        """The final bar of the session in progress at the cut (None outside a session or when
        the bars lack it)."""
        if not self.in_progress or self.today not in bars.index:
            return None
        return bars.loc[self.today]

    def level(self, bars: pd.DataFrame) -> tuple[pd.Timestamp, float] | None:
        """The level at publication: the close of the session in progress (scored from its
        close), else the last close before the cut; None when that is over a week old."""
        known = self.closed(bars)
        live = self.live(bars)
        if live is not None:
            return self.today, float(live.close)
        if known.empty or (self.today - known.index[-1]).days > SLACK_DAYS:
            return None
        return known.index[-1], float(known.close.iloc[-1])


# -- the market's words made exact ---------------------------------------------------------


def last_on_or_before(frame: pd.DataFrame, day: dt.date | pd.Timestamp) -> pd.Series | None:
    """The last row on or before ``day`` (its name is the session), or None."""
    upto = frame.loc[: pd.Timestamp(day)]
    return None if upto.empty else upto.iloc[-1]


def on_or_before(frame: pd.DataFrame, day: dt.date | pd.Timestamp) -> pd.Series:
    """The last row on or before ``day``, which must exist."""
    row = last_on_or_before(frame, day)
    assert row is not None, f"no row on or before {day}"
    return row


def record_closes(closes: pd.Series) -> pd.Series:
    """Whether each close is strictly above every earlier close."""
    return closes > closes.cummax().shift()


def first_at_max(values: pd.Series) -> tuple[pd.Timestamp, float]:
    """The highest value and the first session it was reached."""
    top = float(values.max())
    return values.index[values == top][0], top


def moving_average_crossings(closes: pd.Series, sessions: int) -> list[tuple[pd.Timestamp, str]]:
    """Sessions where the close crosses its ``sessions``-session simple average: ``up`` from at
    or below to above, ``down`` from at or above to below."""
    sma = closes.rolling(sessions).mean()
    prev_close, prev_sma = closes.shift(), sma.shift()
    up = (prev_close <= prev_sma) & (closes > sma)
    down = (prev_close >= prev_sma) & (closes < sma)
    return [(day, "up" if up[day] else "down") for day in closes.index[up | down]]


def weekly_closes(bars: pd.DataFrame) -> pd.Series:
    """The close of the last XNYS session of each week (sessions the bars have)."""
    return bars.close[bars.index.isin(week_ends())]


@dataclass(frozen=True)
class Stretch:
    """A stretch of a relative-strength line: from the peak it fell from (``start``), the number
    of observations below that peak, and whether the line regained it afterwards."""

    start: pd.Timestamp
    below: int
    recovered: bool


def stretches_below_peak(ratio: pd.Series) -> list[Stretch]:
    """Every stretch of ``ratio`` below its running peak (a stretch starts at each value that is
    not below the running maximum; the last stretch is under way)."""
    below = ratio < ratio.cummax()
    starts: list[pd.Timestamp] = []
    counts: list[int] = []
    for day, is_below in below.items():
        if is_below and starts:
            counts[-1] += 1
        else:
            starts.append(pd.Timestamp(day))
            counts.append(0)
    last = len(starts) - 1
    return [
        Stretch(start, n, i < last) for i, (start, n) in enumerate(zip(starts, counts, strict=True))
    ]


def longest(stretches: list[Stretch]) -> Stretch:
    """The longest stretch (the earliest of equal ones)."""
    most = max(s.below for s in stretches)
    return next(s for s in stretches if s.below == most)


# -- observations: FRED and the Kenneth French library -------------------------------------


@cache
def fred(path: Path) -> pd.Series:
    """A FRED download (``observation_date,<ID>`` or ``Date,Value``) by date; blanks skipped."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    values = pd.to_numeric(frame.iloc[:, 1].str.strip().replace(".", ""), errors="coerce")
    series = pd.Series(values.to_numpy(), index=pd.to_datetime(frame.iloc[:, 0]))
    return series.dropna().sort_index()


def fed_target_upper(data: Path) -> pd.Series:
    """DFEDTARU: the download to 2026-06-05 first, the one to 2025-12-10 filling."""
    first = fred(data / "macro/DFEDTARU_to20260605_DateValue.csv")
    second = fred(data / "macro/DFEDTARU_to20251210.csv")
    both = pd.concat([first, second])
    return both[~both.index.duplicated(keep="first")].sort_index()


def rate_changes(series: pd.Series) -> list[tuple[pd.Timestamp, float]]:
    """The dates a policy rate changed, with the change in basis points."""
    change = series.diff()
    moved = change[change.notna() & (change != 0)]
    return [(day, round(float(c) * 100, 2)) for day, c in moved.items()]


@cache
def french_annual(path: Path, column: str) -> dict[int, float]:
    """One column of the annual block of a Kenneth French factors file."""
    rows, in_annual = {}, False
    header = ["", "Mkt-RF", "SMB", "HML", "RF"]
    with path.open(newline="") as fh:
        for rec in csv.reader(fh):
            if rec and "Annual Factors" in rec[0]:
                in_annual = True
                continue
            if in_annual and len(rec) > 1 and rec[0].strip().isdigit():
                rows[int(rec[0])] = float(rec[header.index(column)])
    return rows


@cache
def french_first_block(path: Path, column: str) -> dict[str, float]:
    """One column of the first (value-weight monthly) block of a French portfolios file, by
    ``YYYY-MM``; the library's -99.99 and -999 mean missing and are skipped."""
    rows: dict[str, float] = {}
    header: list[str] | None = None
    with path.open(newline="") as fh:
        for rec in csv.reader(fh):
            cells = [c.strip() for c in rec]
            if header is None:
                if cells and cells[0] == "" and column in cells:
                    header = cells
                continue
            if not cells or not re.fullmatch(r"\d{6}", cells[0]):
                break
            value = float(cells[header.index(column)])
            if value not in (-99.99, -999.0):
                rows[f"{cells[0][:4]}-{cells[0][4:]}"] = value
    return rows


def size_portfolio_monthly(data: Path, column: str) -> dict[str, float]:
    """Value-weight monthly returns of one size portfolio (``Lo 30``, ``Hi 30``), percent: the
    2025-11 vintage first, the 2024-12 vintage filling the months it lacks."""
    new = french_first_block(
        data / "factors/Portfolios_Formed_on_ME_VWmonthly_vintage202511.csv", column
    )
    old = french_first_block(data / "factors/Portfolios_Formed_on_ME_vintage202412.CSV", column)
    return {**old, **new}


def french_month_known(period: str, cut: Cut) -> bool:
    """The library publishes month M about a month after it ends: known from the first day of
    month M+2 (New York)."""
    year, month = int(period[:4]), int(period[5:7])
    month += 2
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, 1) <= cut.day


# -- the wording rules, from the documented table of analysis/claims/wording.py --------------

INF = math.inf


@dataclass(frozen=True)
class Accepts:
    """The values a claim's rule accepts: ``lo .. hi``, each end open or closed."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, x: float) -> bool:
        if math.isnan(x):
            return False
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return above and below

    def meets(self, lo: float, hi: float) -> bool:
        """Whether some value of the closed range ``[lo, hi]`` is accepted."""
        lo, hi = min(lo, hi), max(lo, hi)
        if hi < self.lo or (hi == self.lo and self.lo_open):
            return False
        return not (lo > self.hi or (lo == self.hi and self.hi_open))

    def ends(self) -> list[float | None]:
        """The two ends, infinite ones as None (as the reports print them)."""
        return [None if math.isinf(x) else x for x in (self.lo, self.hi)]


def figure(text: str) -> tuple[Decimal, Decimal]:
    """A figure as printed and its unit (one step of its last printed digit), both as
    fractions for percentages: ``11%`` -> (0.11, 0.01), ``0.8%`` -> (0.008, 0.001), ``2,460``
    -> (2460, 10), ``2,466`` -> (2466, 1)."""
    match = re.fullmatch(r"([-+]?)([\d,]+)(?:\.(\d+))?(%?)", text.strip())
    assert match, text
    sign, whole, decimals, percent = match.groups()
    number = Decimal(f"{sign}{whole.replace(',', '')}.{decimals or '0'}")
    if decimals:
        unit = Decimal(1).scaleb(-len(decimals))
    elif percent:
        unit = Decimal(1)
    else:
        digits = whole.replace(",", "")
        unit = Decimal(1).scaleb(len(digits) - len(digits.rstrip("0")))
    scale = Decimal("0.01") if percent else Decimal(1)
    return number * scale, unit * scale


def accepts(rule: str, stated: str | None = None, value: float | None = None) -> Accepts:
    """What ``rule`` accepts for a claim that prints ``stated`` (or gives ``value``), at the
    default tolerances of the documented table."""
    if stated is not None:
        c, u = figure(stated)
    else:
        c, u = Decimal(str(value)) if value is not None else Decimal(0), None
    f = float
    if rule == "rounds_to":
        assert u is not None
        return Accepts(f(c - u / 2), f(c + u / 2), hi_open=True)
    if rule in ("about", "roughly"):
        units = 1 if rule == "about" else 2
        assert u is not None, "a relative tolerance is not used by these claims"
        return Accepts(f(c - units * u), f(c + units * u))
    table = {
        "more_than": Accepts(f(c), INF, lo_open=True),
        "at_least": Accepts(f(c), INF),
        "flat": Accepts(-0.01, 0.01),
        "treading_water": Accepts(-0.05, 0.05),
        "twice": Accepts(1.5, 2.5),
        "on_a_tear": Accepts(0.10, INF),
        "pullback": Accepts(-INF, -0.05),
        "correction": Accepts(-INF, -0.10),
        "record": Accepts(f(c), INF, lo_open=True),
        "first_time": Accepts(f(c), INF, lo_open=True),
        "below": Accepts(-INF, f(c), hi_open=True),
        "above": Accepts(f(c), INF, lo_open=True),
        "exactly": Accepts(f(c), f(c)),
    }
    return table[rule]


def live_verdict(
    rule: Accepts,
    at: float,
    components: list[tuple[Accepts, float, float]],
    judged_on: str = "close",
) -> str:
    """A statement about the session in progress: ``supported`` when it holds at the close (or,
    for the intraday high, at the high), ``consistent_intraday`` when each stated component is
    reached somewhere in its own range over the session, else ``refuted``."""
    if at in rule:
        return "supported"
    if judged_on == "close" and all(a.meets(lo, hi) for a, lo, hi in components):
        return "consistent_intraday"
    return "refuted"


def judged(holds: bool) -> str:
    return "supported" if holds else "refuted"
