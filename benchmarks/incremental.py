"""Signals kept up to date from new events only: the incremental workload.

A consumer holds, per symbol, the state the three signals need (the last 199 closes for the
200-session average, the highest close so far and the record count, the close the year
started from) and folds in the events each append commits (``EventLog.added``). An event that
restates a session the state already holds (a correction, a retraction) sends that one symbol
back to a cold read of its own stream from the projection (``streams=`` pruning), so the state
always equals the cold computation.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from benchmarks.engines import SMA_SESSIONS, Signals


@dataclass
class SymbolState:
    closes: deque[float] = field(default_factory=lambda: deque(maxlen=SMA_SESSIONS))
    last_session: dt.date | None = None
    last_close: float | None = None
    high: float | None = None
    records: int = 0
    last_record: dt.date | None = None
    base_close: float | None = None  # the last close of the year before last_session's
    sma: float | None = None

    def push(self, session: dt.date, close: float) -> None:
        if self.last_session is not None and session.year > self.last_session.year:
            self.base_close = self.last_close
        if self.high is not None and close > self.high:
            self.records += 1
            self.last_record = session
        self.high = close if self.high is None else max(self.high, close)
        self.closes.append(close)
        self.sma = sum(self.closes) / SMA_SESSIONS if len(self.closes) == SMA_SESSIONS else None
        self.last_session, self.last_close = session, close


class SignalState:
    """Per-symbol signal state over one store, caught up to a log version."""

    def __init__(self, store: Path) -> None:
        from store import EventLog

        self.log = EventLog.open(store)
        self.version = self.log.version()
        self.symbols: dict[str, SymbolState] = {}
        bars = self._bars(None)
        for symbol, rows in bars.group_by("symbol", maintain_order=True):
            self.symbols[str(symbol[0])] = self._replay(rows)

    def _bars(self, streams: list[str] | None) -> pl.DataFrame:
        facts = self.log.folded(version=self.version, streams=streams)
        return (
            facts.filter(pl.col("event_type") == "PriceBar")
            .select("symbol", "session", "close")
            .sort("symbol", "session")
        )

    @staticmethod
    def _replay(rows: pl.DataFrame) -> SymbolState:
        state = SymbolState()
        for session, close in rows.select("session", "close").iter_rows():
            state.push(session, close)
        return state

    def catch_up(self) -> int:
        """Fold in every event committed since the state's version; returns how many."""
        new = self.log.added(self.version)
        self.version = self.log.version()
        bars = new.filter(pl.col("event_type") == "PriceBar").sort("symbol", "session")
        cold: set[str] = set(
            new.filter(pl.col("event_type") != "PriceBar").get_column("stream").to_list()
        )
        for symbol, session, close, stream in bars.select(
            "symbol", "session", "close", "stream"
        ).iter_rows():
            state = self.symbols.setdefault(symbol, SymbolState())
            if state.last_session is not None and session <= state.last_session:
                cold.add(stream)  # a restated session: this symbol is recomputed
                continue
            state.push(session, close)
        if cold:
            for symbol, rows in self._bars(sorted(cold)).group_by("symbol"):
                self.symbols[str(symbol[0])] = self._replay(rows)
        return new.height

    def signals(self) -> Signals:
        """The signals at each symbol's last session (the incremental workload's answer)."""
        rows = [
            (s, st.sma, st.records, st.last_record, st.last_close, st.base_close)
            for s, st in sorted(self.symbols.items())
        ]
        frame = pl.DataFrame(
            rows,
            schema={
                "symbol": pl.String,
                "sma": pl.Float64,
                "records": pl.Int64,
                "last_record": pl.Date,
                "close": pl.Float64,
                "base": pl.Float64,
            },
            orient="row",
        )
        return Signals(
            frame.select("symbol", "sma"),
            frame.filter(pl.col("records") > 0).select("symbol", "records", "last_record"),
            frame.filter(pl.col("base").is_not_null()).select(
                "symbol", (pl.col("close") / pl.col("base") - 1).alias("ytd")
            ),
        )
