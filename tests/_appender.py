"""A writer process for the crash and concurrency tests (run as a script, never imported).

crash   STORE N SIZE          append N batches of SIZE bars, one symbol per batch, in order
writer  STORE W N GO_FILE      append N small batches as writer W, some shared with others
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import polars as pl

from store import EventLog, price_bars_frame


def bars(symbol: str, start: int, n: int) -> pl.DataFrame:
    day0 = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)
    first = pl.int_range(start, start + n, eager=True)
    frame = pl.DataFrame({"i": first}).with_columns(
        (pl.lit(day0) + pl.duration(days=pl.col("i"))).alias("day")
    )
    close = 100.0 + (pl.col("i") % 97).cast(pl.Float64)
    frame = frame.select(
        pl.lit(symbol).alias("symbol"),
        pl.col("day").dt.date().alias("session"),
        (pl.col("day") + pl.duration(hours=14, minutes=30)).alias("bar_start"),
        (pl.col("day") + pl.duration(hours=21)).alias("bar_end"),
        close.alias("open"),
        (close + 1).alias("high"),
        (close - 1).alias("low"),
        close.alias("close"),
    )
    return price_bars_frame(frame, feed="stress", source=f"{symbol}:{start}")


def crash(store: str, n: int, size: int) -> None:
    log = EventLog.open(store, create=True)
    print("ready", flush=True)
    for b in range(n):
        result = log.append(bars(f"^C{b}", 0, size))
        print(f"batch {b} added {result.added} skipped {result.skipped}", flush=True)


def writer(store: str, w: int, n: int, go: str) -> None:
    log = EventLog.open(store)
    while not Path(go).exists():
        time.sleep(0.01)
    retries = 0
    for j in range(n):
        frame = bars(f"^W{w}", j * 10, 10)
        if j % 2 == 0:  # every other batch also carries facts all writers share
            frame = pl.concat([frame, bars("^SHARED", j * 5, 5)])
        retries += log.append(frame).attempts - 1
    print(f"writer {w} done, {retries} retries", flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "crash":
        crash(args[0], int(args[1]), int(args[2]))
    else:
        writer(args[0], int(args[1]), int(args[2]), args[3])
