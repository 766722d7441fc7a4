"""A seeded synthetic universe for engine parity: many symbols, two feeds, revisions, retractions.

Prices are geometric random walks on real XNYS sessions (2022-2025). Symbols start and stop at
random sessions and skip a few sessions, some have a second feed with slightly different closes
and gaps (so the preference fills from it), later appends correct some closes (the fold must
take the newest version) and retract others (the fold must fall back to the version before, or
drop the fact), and two observation series (a stepped policy rate and an annual factor) ride
along. Nothing here is read by tapecheck itself: it only writes events through the log's API.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from store import EventLog, Retraction, batch
from store.events import observations_frame, price_bars_frame
from store.reference.calendar import sessions

FIRST, LAST = dt.date(2022, 1, 3), dt.date(2025, 12, 31)
RECORDED = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
RATE, FACTOR, MONTHLY = "SYN:RATE", "SYN:FACTOR:A", "SYN:PORTFOLIO:M"


def _bars(rng: np.random.Generator, symbols: list[str], days: pl.DataFrame) -> pl.DataFrame:
    parts = []
    n = days.height
    for symbol in symbols:
        start = int(rng.integers(0, n // 3))
        stop = int(rng.integers(2 * n // 3, n + 1))
        steps = rng.normal(0.0004, 0.02, stop - start)
        close = 50 * np.exp(np.cumsum(steps)) * rng.uniform(0.5, 4)
        spread = np.abs(rng.normal(0, 0.01, stop - start)) * close
        opening = close * (1 + rng.normal(0, 0.005, stop - start))
        frame = days.slice(start, stop - start).with_columns(
            symbol=pl.lit(symbol),
            close=close,
            high=np.maximum(opening, close) + spread,
            low=np.minimum(opening, close) - spread,
            open=opening,
            volume=rng.integers(1_000, 1_000_000, stop - start).astype(float),
        )
        parts.append(frame)
    return pl.concat(parts).rename({"open_utc": "bar_start", "close_utc": "bar_end"})


def write_universe(log: EventLog, *, symbols: int = 40, seed: int = 20251006) -> dict[str, object]:
    """Append the universe to ``log`` in several commits; returns what was written."""
    rng = np.random.default_rng(seed)
    days = (
        sessions()
        .filter(pl.col("session").is_between(FIRST, LAST))
        .select("session", open_utc="open", close_utc="close")
    )
    names = [f"SYN{i:03d}" for i in range(symbols)]
    every = _bars(rng, names, days)
    bars = every.filter(pl.Series(rng.random(every.height) > 0.02))  # a few sessions missing
    primary = price_bars_frame(bars, feed="synth-a", source="universe.py")
    # a second, close-only feed for every third symbol: closes off by up to 0.1%, a tenth of
    # its sessions missing
    alt = every.filter(pl.col("symbol").is_in(names[::3]))
    alt = alt.filter(pl.Series(rng.random(alt.height) > 0.1))
    alt = alt.with_columns(
        close=alt["close"] * (1 + rng.uniform(-0.001, 0.001, alt.height)),
        open=None,
        high=None,
        low=None,
    )
    secondary = price_bars_frame(alt, feed="synth-b", source="universe.py")
    hour = dt.timedelta(hours=1)
    for i, chunk in enumerate(primary.partition_by("symbol")):
        log.append(chunk, recorded_at=RECORDED + i * dt.timedelta(minutes=1))
    log.append(secondary, recorded_at=RECORDED + hour)
    # corrections: later versions of 300 bars with a different close
    picked = bars.sample(300, seed=seed)
    fixed = picked.with_columns(close=pl.col("close") * 1.03, high=pl.col("high") * 1.03)
    log.append(
        price_bars_frame(fixed, feed="synth-a", source="universe.py/fix"),
        recorded_at=RECORDED + 2 * hour,
    )
    # retractions: 40 of the corrections (the original comes back) and 40 originals (gone)
    events = log.scan().collect()
    revised = events.filter(pl.col("source") == "universe.py/fix").head(40)
    untouched = events.filter(
        (pl.col("source") == "universe.py") & ~pl.col("key").is_in(revised["key"].implode())
    ).sample(40, seed=seed)
    log.append(
        batch(
            Retraction(r["event_id"], r["stream"], r["key"], r["valid_at"], "synthetic", "u.py")
            for r in pl.concat([revised, untouched]).iter_rows(named=True)
        ),
        recorded_at=RECORDED + 3 * hour,
    )
    log.append(_observations(rng, days), recorded_at=RECORDED + 4 * hour)
    return {"symbols": names, "bars": primary.height, "recorded": RECORDED}


def _observations(rng: np.random.Generator, days: pl.DataFrame) -> pl.DataFrame:
    steps = np.where(rng.random(days.height) < 0.02, rng.choice([-0.25, 0.25], days.height), 0)
    rate = days.select(
        series=pl.lit(RATE),
        period=pl.col("session").cast(pl.String),
        value=pl.Series(np.round(4 + np.cumsum(steps), 2)),
        unit=pl.lit("percent"),
        valid_at=pl.col("close_utc"),
    )
    years = list(range(1950, 2025))
    factor = pl.DataFrame(
        {
            "series": FACTOR,
            "period": [str(y) for y in years],
            "value": np.round(rng.normal(2, 12, len(years)), 2),
            "unit": "percent",
            "valid_at": [dt.datetime(y + 1, 2, 1, tzinfo=dt.UTC) for y in years],
        }
    )
    # drawn after the others, so adding it changed none of their values
    months = pl.date_range(dt.date(1950, 1, 1), dt.date(2024, 12, 1), "1mo", eager=True)
    monthly = pl.DataFrame(
        {
            "series": MONTHLY,
            "period": months.dt.strftime("%Y-%m"),
            "value": np.round(rng.normal(0.8, 4.5, months.len()), 2),
            "unit": "percent",
            # published mid-month after the month it covers
            "valid_at": months.dt.offset_by("1mo")
            .dt.offset_by("14d")
            .cast(pl.Datetime("us", "UTC")),
        }
    )
    return pl.concat(
        [
            observations_frame(rate, feed="synth-fred", source="universe.py"),
            observations_frame(factor, feed="synth-french", source="universe.py"),
            observations_frame(monthly, feed="synth-french", source="universe.py"),
        ]
    )
