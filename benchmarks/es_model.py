"""The ``eventsourcing`` baseline's domain model: one aggregate per symbol, one event per bar.

It lives in its own module because the library resolves event classes by import path.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event


class Symbol(Aggregate):
    """A ticker whose history is the stream of its bars."""

    @event("Listed")
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.last_close: float | None = None

    @event("BarRecorded")
    def record_bar(
        self, session: str, open: float, high: float, low: float, close: float, volume: float
    ) -> None:
        self.last_close = close
