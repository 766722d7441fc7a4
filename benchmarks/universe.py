"""A seeded synthetic universe of daily bars on real XNYS sessions, plus a corrections stream.

Sizes (symbols x years of sessions ending with the last session of 2025):

- S: 100 x 10 (about 250k bars), the size the default tests check for correctness;
- M: 1,000 x 20 (about 5M bars);
- L: 3,000 x 40 (about 30M bars), a Russell-3000-sized universe.

Prices are a seeded geometric random walk per symbol, with an open, a high and a low that the
store's validation accepts. The corrections stream re-records 1% of the bars later with a
close moved by a few basis points (same session, same ``valid_at``), as a vendor's restatement
would.

>>> u = Universe.of("S", symbols=3, years=1)
>>> bars = u.bars()
>>> bars.height == 3 * u.sessions.height, bars["symbol"].n_unique()
(True, 3)
>>> 0 < u.corrections(bars).height < bars.height // 50
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from store import price_bars_frame
from store.reference.calendar import sessions

SIZES: dict[str, tuple[int, int]] = {"S": (100, 10), "M": (1_000, 20), "L": (3_000, 40)}
LAST_YEAR = 2025
FEED = "synthetic"
CORRECTED_SHARE = 0.01
# About a million bars per append, the size of one big vendor file.
BATCH_BARS = 1_000_000


@dataclass(frozen=True)
class Universe:
    """``symbols`` symbols with one bar per XNYS session over ``years`` years."""

    size: str
    symbols: int
    years: int
    seed: int = 20251006

    @classmethod
    def of(cls, size: str, *, symbols: int | None = None, years: int | None = None) -> Universe:
        n, y = SIZES[size]
        return cls(size, symbols or n, years or y)

    @property
    def sessions(self) -> pl.DataFrame:
        """The XNYS sessions the universe covers (session, open, close in UTC)."""
        first = dt.date(LAST_YEAR - self.years + 1, 1, 1)
        last = dt.date(LAST_YEAR, 12, 31)
        return sessions().filter(pl.col("session").is_between(first, last))

    @property
    def names(self) -> list[str]:
        return [f"SYN{i:04d}" for i in range(self.symbols)]

    def next_session(self, step: int = 0) -> pl.DataFrame:
        """The ``step``-th XNYS session after the universe's last one (incremental workload)."""
        later = sessions().filter(pl.col("session") > dt.date(LAST_YEAR, 12, 31))
        return later.slice(step, 1)

    def bars(self, symbols: list[str] | None = None) -> pl.DataFrame:
        """PriceBar events of the given symbols (default: all), in the full event schema."""
        names = symbols if symbols is not None else self.names
        return price_bars_frame(
            self._ohlc(names, self.sessions), feed=FEED, source=f"synthetic-{self.size}"
        )

    def batches(self) -> Iterator[pl.DataFrame]:
        """The universe as appends of about :data:`BATCH_BARS` bars, whole symbols each."""
        per = max(1, BATCH_BARS // max(1, self.sessions.height))
        for i in range(0, self.symbols, per):
            yield self.bars(self.names[i : i + per])

    def next_bars(self, step: int = 0) -> pl.DataFrame:
        """One more session for every symbol (the ``step``-th after the universe), continuing
        each walk from its last close."""
        close = self._ohlc(self.names, self.sessions.tail(1)).get_column("close").to_numpy()
        for k in range(step + 1):
            rng = np.random.default_rng([self.seed, 1_000_000 + k])
            close = close * np.exp(rng.normal(0.0, 0.02, self.symbols))
        day = self.next_session(step)
        frame = pl.DataFrame(
            {
                "symbol": self.names,
                "session": [day.item(0, "session")] * self.symbols,
                "bar_start": pl.Series([day.item(0, "open")] * self.symbols),
                "bar_end": pl.Series([day.item(0, "close")] * self.symbols),
                "open": close,
                "high": close * 1.01,
                "low": close * 0.99,
                "close": close,
                "volume": np.full(self.symbols, 1e6),
            }
        )
        return price_bars_frame(frame, feed=FEED, source=f"synthetic-{self.size}-next-{step}")

    def corrections(self, bars: pl.DataFrame) -> pl.DataFrame:
        """1% of ``bars`` re-recorded with a restated close (seeded choice)."""
        rng = np.random.default_rng(self.seed + 2)
        pick = rng.random(bars.height) < CORRECTED_SHARE
        chosen = bars.filter(pl.Series(pick))
        factor = pl.lit(1.0005)
        return chosen.with_columns(
            (pl.col("close") * factor).alias("close"),
            (pl.col("high") * factor).alias("high"),
            pl.lit(f"synthetic-{self.size}-restated").alias("source"),
        )

    def _ohlc(self, names: list[str], days: pl.DataFrame) -> pl.DataFrame:
        # One generator per symbol, so a symbol's walk is the same whichever batch it is in.
        n = days.height
        parts = []
        full = self.sessions.height
        for name in names:
            rng = np.random.default_rng([self.seed, int(name[3:])])
            close = 20.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, full)))
            open_ = close * np.exp(rng.normal(0.0, 0.005, full))
            wick = np.abs(rng.normal(0.0, 0.01, (2, full)))
            high = np.maximum(open_, close) * (1.0 + wick[0])
            low = np.minimum(open_, close) * (1.0 - wick[1])
            volume = rng.integers(10_000, 5_000_000, full).astype(np.float64)
            parts.append(
                pl.DataFrame(
                    {
                        "symbol": pl.Series([name], dtype=pl.String).new_from_index(0, n),
                        "open": open_[-n:],
                        "high": high[-n:],
                        "low": low[-n:],
                        "close": close[-n:],
                        "volume": volume[-n:],
                    }
                )
            )
        ohlc = pl.concat(parts)
        cal = days.select(
            "session", pl.col("open").alias("bar_start"), pl.col("close").alias("bar_end")
        )
        reps = pl.concat([cal] * len(names))
        return pl.concat([ohlc, reps], how="horizontal").select(
            "symbol", "session", "bar_start", "bar_end", "open", "high", "low", "close", "volume"
        )
