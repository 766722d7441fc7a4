"""Tiny, hand-checkable tables for the signals' docstring examples (no store needed)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import polars as pl

if TYPE_CHECKING:
    from store import MemoryEventLog

# Real XNYS sessions around New Year 2025 (Jan 1 is a holiday).
SESSIONS = [
    dt.date(2024, 12, 31),
    dt.date(2025, 1, 2),
    dt.date(2025, 1, 3),
    dt.date(2025, 1, 6),
    dt.date(2025, 1, 7),
    dt.date(2025, 1, 8),
]
# Fridays of January 2025, each the last session of its week.
FRIDAYS = [dt.date(2025, 1, d) for d in (3, 10, 17, 24, 31)]


def example_bars(
    symbol: str = "^A",
    closes: list[float] | None = None,
    sessions: list[dt.date] | None = None,
) -> ir.Table:
    """Daily bars with ``high = close + 2`` and ``low = close - 2``."""
    closes = closes or [100, 100, 101, 104, 106, 108]
    sessions = sessions or SESSIONS[: len(closes)]
    frame = pl.DataFrame(
        {"symbol": symbol, "session": sessions, "close": [float(c) for c in closes]}
    ).with_columns(open=pl.col("close"), high=pl.col("close") + 2, low=pl.col("close") - 2)
    return ibis.memtable(frame)


def example_weekly_bars() -> ir.Table:
    """One bar per Friday of January 2025: closes 101, 99, 102, 103, 98."""
    return example_bars(closes=[101, 99, 102, 103, 98], sessions=FRIDAYS)


def example_factor() -> ir.Table:
    """An annual factor series in percent: 2000 +10, 2001 -5, 2002 +1."""
    return ibis.memtable(
        pl.DataFrame(
            {"series": "FF3:SMB:A", "period": ["2000", "2001", "2002"], "value": [10.0, -5, 1]}
        )
    )


def example_rates() -> ir.Table:
    """A daily target-range upper limit with one 50 bp cut on 2024-09-19."""
    return ibis.memtable(
        pl.DataFrame(
            {
                "series": "FRED:DFEDTARU",
                "period": ["2024-09-17", "2024-09-18", "2024-09-19", "2024-09-20"],
                "value": [5.5, 5.5, 5.0, 5.0],
            }
        )
    )


def example_log(symbol: str = "^A", closes: list[float] | None = None) -> MemoryEventLog:
    """An in-memory log of daily bars on :data:`SESSIONS`, valid at 21:00 UTC (the close)."""
    from store import MemoryEventLog, PriceBar, batch

    closes = closes or [100, 100, 101, 104, 106, 108]
    bars = []
    for session, close in zip(SESSIONS, closes, strict=False):
        end = dt.datetime.combine(session, dt.time(21), dt.UTC)
        start = end - dt.timedelta(hours=6, minutes=30)
        c = float(close)
        bars.append(PriceBar(symbol, "demo", session, start, end, c, c + 2, c - 2, c, "examples"))
    log = MemoryEventLog()
    log.append(batch(bars), recorded_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    return log
