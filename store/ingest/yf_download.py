"""Download daily bars with yfinance, for users with internet and without local files.

yfinance is not a dependency of tapecheck: it is imported only here, only when a download is
asked for, and a clear error says how to install it. The download asks for unadjusted OHLC
plus ``Adj Close`` (``auto_adjust=False``), so the bars are stored like a Yahoo CSV download:
raw prices in open/high/low/close and the adjusted close in ``adj_close``. The feed is
``yfinance``. Downloaded rows go through the same checks and calendar as files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import time
from types import ModuleType
from typing import Any

import polars as pl

from store.errors import TapecheckError
from store.ingest.bars import check_bars
from store.ingest.formats import Parsed, Target, TextFile
from store.ingest.run import FileResult, IngestResult, to_events
from store.ingest.stamping import stamp_sessions
from store.log import EventLog
from store.reference.catalog import load_catalog
from store.validate import symbol_problem

FEED = "yfinance"
ADAPTER = "yfinance-download"
_COLUMNS = {
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj close": "adj_close",
    "volume": "volume",
}


def _yfinance() -> ModuleType:
    try:
        return importlib.import_module("yfinance")
    except ImportError:
        raise TapecheckError(
            "downloading needs yfinance, which is not installed: `pip install yfinance` "
            "(or ingest local files with `tapecheck ingest FILE --symbol S`)"
        ) from None


def frame_from_yfinance(data: Any, symbol: str) -> pl.DataFrame:
    """Bars (``session, open, high, low, close, adj_close, volume, line``) from the pandas
    frame ``yfinance.download`` returns, with plain or (Price, Ticker) MultiIndex columns."""
    columns = data.columns
    if getattr(columns, "nlevels", 1) > 1:
        level = "Ticker" if "Ticker" in (columns.names or []) else 1
        tickers = list(dict.fromkeys(columns.get_level_values(level)))
        if symbol not in tickers:
            raise TapecheckError(f"yfinance returned {', '.join(map(str, tickers))}, not {symbol}")
        data = data.xs(symbol, axis=1, level=level)
    rename = {c: _COLUMNS[str(c).lower()] for c in data.columns if str(c).lower() in _COLUMNS}
    missing = {"open", "high", "low", "close"} - set(rename.values())
    if missing:
        raise TapecheckError(
            f"yfinance frame for {symbol} lacks {', '.join(sorted(missing))}: "
            f"columns were {', '.join(map(str, data.columns))}"
        )
    sessions = [ts.date() if hasattr(ts, "date") else ts for ts in data.index]
    out: dict[str, pl.Series] = {"session": pl.Series("session", sessions, dtype=pl.Date)}
    for source, field in rename.items():
        out[field] = pl.Series(field, data[source].astype("float64").to_numpy(), dtype=pl.Float64)
    frame = pl.DataFrame(out)
    for field in ("adj_close", "volume"):
        if field not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(field))
    # float NaN from pandas means "no value": a missing bar must not become a NaN price.
    frame = frame.with_columns(pl.col(pl.Float64).fill_nan(None))
    return (
        frame.select("session", "open", "high", "low", "close", "adj_close", "volume")
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64))
    )


def download_bars(
    symbol: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> pl.DataFrame:
    """Download daily bars of ``symbol`` from Yahoo Finance through yfinance.

    Raises
    ------
    TapecheckError
        When yfinance is not installed, the download fails (no network) or returns nothing.
    """
    problem = symbol_problem(symbol)
    if problem:
        raise TapecheckError(f"symbol {problem}")
    yf = _yfinance()
    try:
        data = yf.download(
            symbol,
            start=start.isoformat() if start else "1900-01-01",
            end=end.isoformat() if end else None,
            auto_adjust=False,
            actions=False,
            progress=False,
        )
    except Exception as exc:  # yfinance raises many kinds; all mean "no data"
        raise TapecheckError(f"yfinance download of {symbol} failed: {exc}") from None
    if data is None or len(data) == 0:
        raise TapecheckError(
            f"yfinance returned no rows for {symbol}: no network, or an unknown symbol"
        )
    return frame_from_yfinance(data, symbol)


def ingest_download(
    log: EventLog,
    symbol: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    feed: str = FEED,
) -> IngestResult:
    """Download ``symbol`` and append its bars as the ``yfinance`` feed (one batch)."""
    began = time.perf_counter()
    rows = download_bars(symbol, start=start, end=end)
    name = f"yfinance:{symbol}"
    digest = hashlib.sha256(rows.write_csv().encode()).hexdigest()
    tf = TextFile(path=None, name=name, lines=[], sha256=digest, trailing_newline=True)
    spec = load_catalog().entry(symbol)
    target = Target(symbol=symbol, adjusted=False, kind=spec.kind if spec else None)
    columns = {c: c for c in ("open", "high", "low", "close", "adj_close", "volume")}
    rows, warnings = check_bars(tf, rows, columns, target)
    rows, more = stamp_sessions(rows)
    parsed = Parsed(name, ADAPTER, "bars", rows, warnings + more, digest)
    currency = (spec.currency if spec else None) or "USD"
    events = to_events(parsed, symbol, feed, name, currency)
    result = log.append(events, file=name, lines=rows.get_column("line").to_list())
    report = FileResult(
        file=name,
        series=symbol,
        feed=feed,
        adapter=ADAPTER,
        detected=False,
        rows=rows.height,
        events=events.height,
        added=result.added,
        skipped=result.skipped,
        warnings=parsed.warnings,
    )
    return IngestResult([report], time.perf_counter() - began, log.version())
