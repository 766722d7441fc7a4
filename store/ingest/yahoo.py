"""Adapters for daily price CSVs as Yahoo Finance, yfinance and their users write them.

=================  =====================================================================
adapter            header
=================  =====================================================================
``yahoo``          ``Date,Open,High,Low,Close[,Adj Close],Volume`` (Yahoo CSV download;
                   also yfinance before 0.2.51)
``yfinance``       ``Date,[Adj Close,]Close,High,Low,Open,Volume`` (yfinance >= 0.2.51
                   ``to_csv``; the date header may be empty; CRLF and float32 noise)
``yfinance-multi`` three lines ``Price,Close,...`` / ``Ticker,^RUT,...`` / ``Date,,,,,``
``lower-ohlc``     ``date,open,high,low,close,volume[,...]`` (lower-case exports; extra
                   columns such as ``wap,count`` are ignored)
``close-only``     ``Date,Close``, ``Date,Adj Close`` or ``Date,<ticker>``
=================  =====================================================================

Values are kept as parsed (float32 renderings are not rounded): cross-source comparison
carries a tolerance for that noise. A close-only file's closes go into ``adj_close`` when the
catalog says they are dividend-adjusted (or the header says ``Adj Close``), else into ``close``.
yfinance auto-adjusted OHLC files are stored in open/high/low/close as they are; the catalog
marks such a source ``adjusted``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from store.ingest.bars import check_across_rows, check_rows
from store.ingest.formats import (
    Block,
    Parsed,
    Target,
    TextFile,
    data_lines,
    dates,
    numbers,
    parse_block,
    split_header,
    window_lines,
)
from store.ingest.stamping import stamp_sessions

FIELDS = ("open", "high", "low", "close", "adj_close", "volume")
_NAMES = {
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj close": "adj_close",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "volume": "volume",
}

EXPECTED = {
    "yahoo": "Date,Open,High,Low,Close[,Adj Close],Volume",
    "yfinance": "Date,[Adj Close,]Close,High,Low,Open,Volume",
    "yfinance-multi": "Price,Close,High,Low,Open,Volume / Ticker,<symbol>,... / Date,,,,,",
    "lower-ohlc": "date,open,high,low,close,volume[,...]",
    "close-only": "Date,Close (or Date,Adj Close, or Date,<ticker>)",
}


def _lower(cells: list[str]) -> list[str]:
    return [c.lower() for c in cells]


def match_yahoo(lines: list[str]) -> dict[str, int] | None:
    """Column indexes of a Yahoo CSV header, or None."""
    cells = _lower(split_header(lines[0]))
    for want in (
        ["date", "open", "high", "low", "close", "adj close", "volume"],
        ["date", "open", "high", "low", "close", "volume"],
    ):
        if cells == want:
            return {_NAMES[c]: i for i, c in enumerate(want) if c != "date"}
    return None


def match_lower_ohlc(lines: list[str]) -> dict[str, int] | None:
    """Column indexes of a lower-case ``date,open,high,low,close,volume,...`` export."""
    cells = split_header(lines[0])
    want = ["date", "open", "high", "low", "close", "volume"]
    if cells[: len(want)] == want and all(c == c.lower() for c in cells):
        return {c: i for i, c in enumerate(want) if c != "date"}
    return None


def match_yfinance(lines: list[str]) -> dict[str, int] | None:
    """Column indexes of a single-header yfinance ``to_csv`` (Close first), or None."""
    cells = _lower(split_header(lines[0]))
    if not cells or cells[0] not in ("date", "datetime", ""):
        return None
    for want in (
        ["close", "high", "low", "open", "volume"],
        ["adj close", "close", "high", "low", "open", "volume"],
    ):
        if cells[1:] == want:
            return {_NAMES[c]: i + 1 for i, c in enumerate(want)}
    return None


def match_yfinance_multi(lines: list[str], symbol: str | None = None) -> dict[str, int] | None:
    """Column indexes of a three-line yfinance MultiIndex header for ``symbol`` (or for its
    only ticker when ``symbol`` is None)."""
    if len(lines) < 3:
        return None
    price, ticker, date = (split_header(line) for line in lines[:3])
    if not price or price[0].lower() != "price" or ticker[0].lower() != "ticker":
        return None
    if date[0].lower() not in ("date", "datetime") or any(date[1:]):
        return None
    if len(price) != len(ticker) or len(price) != len(date):
        return None
    tickers = {t for t in ticker[1:]}
    chosen = symbol if symbol is not None else (next(iter(tickers)) if len(tickers) == 1 else None)
    out: dict[str, int] = {}
    for i, (field, tick) in enumerate(zip(price, ticker, strict=True)):
        if i and tick.upper() == (chosen or "").upper() and field.lower() in _NAMES:
            out[_NAMES[field.lower()]] = i
    required = {"open", "high", "low", "close"}
    return out if required <= out.keys() else ({} if tickers else None)


def match_close_only(lines: list[str]) -> dict[str, int] | None:
    """``Date,<close column>``: the close column is index 1."""
    cells = split_header(lines[0])
    if len(cells) != 2 or cells[0].lower() not in ("date", "") or not cells[1]:
        return None
    if cells[1].lower() in ("value", "dividend", "dividends"):
        return None
    return {"close": 1}


@dataclass(frozen=True)
class PriceLayout:
    """Where a price file's fields are: read from its header, then used for every window."""

    adapter: str
    index: dict[str, int]
    header: list[str]
    first_data: int

    @property
    def columns(self) -> dict[str, str]:
        """Our field name -> the file's column name."""
        block = Block(pl.DataFrame(), self.header)
        return {f: block.column_name(i) for f, i in self.index.items()}


def price_layout(
    tf: TextFile,
    target: Target,
    adapter: str,
    fail_expected: Callable[[str, str, int], Exception],
) -> PriceLayout:
    """The layout of a price file from its first lines (``tf`` is the file or its first
    window)."""
    if adapter == "yfinance-multi":
        index = match_yfinance_multi(tf.lines, target.symbol)
        if index == {}:
            tickers = ",".join(dict.fromkeys(split_header(tf.lines[1])[1:]))
            raise tf.fail(f"the Ticker row names {tickers}, not {target.symbol}", 2, "Ticker")
        first_data = 4
    else:
        matcher = {
            "yahoo": match_yahoo,
            "yfinance": match_yfinance,
            "lower-ohlc": match_lower_ohlc,
            "close-only": match_close_only,
        }[adapter]
        index = matcher(tf.lines)
        first_data = 2
    if index is None:
        raise fail_expected(adapter, EXPECTED[adapter], min(len(tf.lines), 3))
    header = split_header(tf.lines[first_data - 2])
    if adapter == "yfinance-multi":
        header = split_header(tf.lines[0])
        header[0] = "Date"
    if adapter == "close-only":
        index = _close_only_column(tf, header[1] if len(header) > 1 else "", target)
    return PriceLayout(adapter, index, header, first_data)


def price_rows(tf: TextFile, layout: PriceLayout) -> pl.DataFrame:
    """The rows of one window (or a whole file) as typed bars, each row checked on its own:
    ``session, open, high, low, close, adj_close, volume, line`` in file order."""
    lines = window_lines(tf, layout.first_data)
    if lines.len() == 0:
        return pl.DataFrame(
            schema={"session": pl.Date, **dict.fromkeys(FIELDS, pl.Float64), "line": pl.Int64}
        )
    block = parse_block(tf, layout.header, lines)
    n = block.frame.height
    index = layout.index
    rows = pl.DataFrame(
        {
            "session": dates(tf, block, 0),
            **{
                f: (
                    numbers(tf, block, index[f], required=f != "volume")
                    if f in index
                    else pl.Series(f, [None] * n, dtype=pl.Float64)
                )
                for f in FIELDS
            },
            "line": block.frame.get_column("line"),
        }
    )
    check_rows(tf, rows, layout.columns)
    return rows


def parse_prices(
    tf: TextFile,
    target: Target,
    adapter: str,
    fail_expected: Callable[[str, str, int], Exception],
) -> Parsed:
    """Parse a whole file ``tf`` with one of this module's adapters; see the module docstring.

    Ingest reads large files window by window with :func:`price_layout` and
    :func:`price_rows` instead (``store.ingest.run``); both paths apply the same checks.
    """
    layout = price_layout(tf, target, adapter, fail_expected)
    if not data_lines(tf, layout.first_data):
        raise tf.fail("has a header but no data rows", tf.last_line, None)
    rows = price_rows(tf, layout)
    # price_rows checked each row on its own; what is left spans rows
    rows, warnings = check_across_rows(tf, rows, layout.columns, target)
    rows, calendar_warnings = stamp_sessions(rows)
    return Parsed(
        file=tf.name,
        adapter=adapter,
        kind="bars",
        rows=rows,
        warnings=warnings + calendar_warnings,
        sha256=tf.sha256,
    )


def _close_only_column(tf: TextFile, name: str, target: Target) -> dict[str, int]:
    lowered = name.lower()
    if lowered in ("adj close", "adj_close", "adjclose"):
        return {"adj_close": 1}
    if lowered != "close" and lowered != target.symbol.lower():
        raise tf.fail(
            f"the close column is named {name!r}: it holds another series than {target.symbol}",
            1,
            name,
        )
    return {"adj_close": 1} if target.adjusted else {"close": 1}
