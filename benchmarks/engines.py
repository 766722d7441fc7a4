"""One workload, several engines: the as-of replay plus three signals, and a one-symbol query.

Every engine reads the same Parquet files (the log's Delta snapshot) and returns the same
:class:`Signals`: the 200-session moving average at ``as_of``, the count and last session of
record closes, and the year-to-date return at ``as_of``, one row per symbol.

- ``tape``: tapecheck's public API, ``analysis.tape.Tape(log).bars(...)`` and
  ``analysis.signals`` (ibis on DuckDB), the fold materialised once;
- ``projection``: the same signals over ``EventLog.projection()``, where the cut is a filter;
- ``pandas``: what a notebook user writes;
- ``polars``: hand-written lazy Polars;
- ``duckdb``: hand-written DuckDB SQL with the same as-of dedupe.

The as-of dedupe of the baselines: drop retracted events, keep bars valid by the cut, then per
``(stream, key)`` the version recorded last (ties: the larger ``event_id``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SMA_SESSIONS = 200
READ_COLUMNS = [
    "event_type",
    "stream",
    "key",
    "symbol",
    "session",
    "valid_at",
    "recorded_at",
    "event_id",
    "close",
    "retracts",
]


@dataclass(frozen=True)
class Cut:
    """An as-of cut: facts valid by ``known_at``, signals evaluated at session ``as_of``."""

    known_at: dt.datetime
    as_of: dt.date

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.as_of.year - 1, 12, 31)


@dataclass
class Signals:
    """The three signals, one row per symbol, sorted by symbol."""

    sma: pl.DataFrame  # symbol, sma
    records: pl.DataFrame  # symbol, records, last_record
    ytd: pl.DataFrame  # symbol, ytd

    def normalised(self) -> Signals:
        return Signals(
            self.sma.select(pl.col("symbol"), pl.col("sma").cast(pl.Float64)).sort("symbol"),
            self.records.select(
                pl.col("symbol"),
                pl.col("records").cast(pl.Int64),
                pl.col("last_record").cast(pl.Date),
            ).sort("symbol"),
            self.ytd.select(pl.col("symbol"), pl.col("ytd").cast(pl.Float64)).sort("symbol"),
        )


def differences(a: Signals, b: Signals, tolerance: float = 1e-9) -> list[str]:
    """What differs between two engines' signals (empty: they agree)."""
    out = []
    a, b = a.normalised(), b.normalised()
    for name in ("sma", "records", "ytd"):
        left, right = getattr(a, name), getattr(b, name)
        if left.get_column("symbol").to_list() != right.get_column("symbol").to_list():
            out.append(f"{name}: different symbols")
            continue
        for col in left.columns[1:]:
            x, y = left.get_column(col), right.get_column(col)
            if x.dtype == pl.Float64:
                both = x.is_null() == y.is_null()
                close = ((x - y).abs() <= tolerance * y.abs().clip(1.0, None)).fill_null(True)
                ok = bool((both & close).all())
            else:
                ok = x.equals(y)
            if not ok:
                out.append(f"{name}.{col} differs")
    return out


# -- tapecheck ------------------------------------------------------------------------------


def _ibis_signals(bars: object, cut: Cut) -> Signals:
    from analysis import signals as sg

    ma = sg.moving_average(bars, SMA_SESSIONS)  # type: ignore[arg-type]
    sma = ma.filter(ma.session == cut.as_of).select("symbol", "sma").to_polars()
    rec = sg.record_closes(bars)  # type: ignore[arg-type]
    records = (
        rec.group_by("symbol")
        .aggregate(records=rec.count(), last_record=rec.session.max())
        .to_polars()
    )
    ytd = sg.ytd_return(bars, cut.as_of)  # type: ignore[arg-type]
    ytd_frame = ytd.select("symbol", ytd=ytd.period_return).to_polars()
    return Signals(sma, records, ytd_frame)


def tape_signals(store: Path, cut: Cut) -> Signals:
    """tapecheck's public API: the tape as of the cut, then ``analysis.signals``."""
    from analysis.tape import Tape
    from store import EventLog

    tape = Tape(EventLog.open(store))
    bars = tape.bars(cut.known_at).select("symbol", "session", "close").cache()
    return _ibis_signals(bars, cut)


def projection_signals(store: Path, cut: Cut) -> Signals:
    """The same signals over the projection: the cut is a filter, not a fold."""
    import ibis

    from store import EventLog

    snap = EventLog.open(store).projection()
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    t = con.read_parquet(list(snap.files))
    bars = (
        t.filter(t.event_type == "PriceBar", t.valid_at <= cut.known_at)
        .select("symbol", "session", "close")
        .cache()
    )
    return _ibis_signals(bars, cut)


# -- baselines ------------------------------------------------------------------------------


def pandas_signals(files: list[str], cut: Cut) -> Signals:
    """A notebook user's pandas: read, dedupe as of the cut, group and roll."""
    import pandas as pd

    df = pd.concat([pd.read_parquet(f, columns=READ_COLUMNS) for f in files], ignore_index=True)
    retracted = set(df.loc[df["event_type"] == "Retraction", "retracts"])
    known_at = pd.Timestamp(cut.known_at)
    bars = df[
        (df["event_type"] == "PriceBar")
        & (df["valid_at"] <= known_at)
        & ~df["event_id"].isin(retracted)
    ]
    bars = bars.sort_values(["recorded_at", "event_id"]).drop_duplicates(
        ["stream", "key"], keep="last"
    )
    bars = bars.sort_values(["symbol", "session"]).reset_index(drop=True)
    closes = bars.groupby("symbol")["close"]
    bars["sma"] = closes.rolling(SMA_SESSIONS).mean().reset_index(level=0, drop=True)
    bars["prior"] = closes.cummax().groupby(bars["symbol"]).shift()
    as_of = pd.Timestamp(cut.as_of).date()
    sma = bars.loc[bars["session"] == as_of, ["symbol", "sma"]]
    rec = bars[bars["close"] > bars["prior"]]
    records = rec.groupby("symbol").agg(records=("close", "size"), last_record=("session", "max"))
    base = bars[bars["session"] <= cut.year_end].groupby("symbol")["close"].last()
    end = bars[bars["session"] <= as_of].groupby("symbol")["close"].last()
    ytd = (end / base - 1).dropna().rename("ytd").reset_index()
    return Signals(
        pl.from_pandas(sma.reset_index(drop=True)),
        pl.from_pandas(records.reset_index()),
        pl.from_pandas(ytd),
    )


def polars_signals(files: list[str], cut: Cut) -> Signals:
    """Hand-written lazy Polars."""
    events = pl.scan_parquet(files).select(READ_COLUMNS)
    retracted = events.filter(pl.col("event_type") == "Retraction").select(
        pl.col("retracts").alias("event_id")
    )
    bars = (
        events.filter((pl.col("event_type") == "PriceBar") & (pl.col("valid_at") <= cut.known_at))
        .join(retracted, on="event_id", how="anti")
        .sort("recorded_at", "event_id")
        .group_by("stream", "key")
        .last()
        .select("symbol", "session", "close")
        .sort("symbol", "session")
        .collect()
    )
    with_sma = bars.with_columns(
        pl.col("close").rolling_mean(SMA_SESSIONS).over("symbol").alias("sma"),
        pl.col("close").cum_max().shift().over("symbol").alias("prior"),
    )
    sma = with_sma.filter(pl.col("session") == cut.as_of).select("symbol", "sma")
    records = (
        with_sma.filter(pl.col("close") > pl.col("prior"))
        .group_by("symbol")
        .agg(pl.len().alias("records"), pl.col("session").max().alias("last_record"))
    )
    base = bars.filter(pl.col("session") <= cut.year_end).group_by("symbol").last()
    end = bars.filter(pl.col("session") <= cut.as_of).group_by("symbol").last()
    ytd = end.join(base, on="symbol", suffix="_base").select(
        "symbol", (pl.col("close") / pl.col("close_base") - 1).alias("ytd")
    )
    return Signals(sma, records, ytd)


def duckdb_signals(files: list[str], cut: Cut) -> Signals:
    """Hand-written DuckDB SQL with the same as-of dedupe."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        """
        CREATE TEMP TABLE bars AS
        WITH ev AS (SELECT * FROM read_parquet($files)),
        retracted AS (SELECT retracts AS event_id FROM ev WHERE event_type = 'Retraction')
        SELECT symbol, session, close FROM ev
        WHERE event_type = 'PriceBar' AND valid_at <= $cut
          AND event_id NOT IN (SELECT event_id FROM retracted)
        QUALIFY row_number() OVER (
            PARTITION BY stream, key ORDER BY recorded_at DESC, event_id DESC) = 1
        """,
        {"files": files, "cut": cut.known_at},
    )
    sma = con.sql(
        f"""
        SELECT symbol, sma FROM (
          SELECT symbol, session,
            CASE WHEN count(close) OVER w = {SMA_SESSIONS} THEN avg(close) OVER w END AS sma
          FROM bars
          WINDOW w AS (PARTITION BY symbol ORDER BY session
                       ROWS BETWEEN {SMA_SESSIONS - 1} PRECEDING AND CURRENT ROW))
        WHERE session = $as_of
        """,
        params={"as_of": cut.as_of},
    ).pl()
    records = con.sql(
        """
        SELECT symbol, count(*) AS records, max(session) AS last_record FROM (
          SELECT symbol, session, close, max(close) OVER (PARTITION BY symbol ORDER BY session
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior
          FROM bars)
        WHERE close > prior GROUP BY symbol
        """
    ).pl()
    ytd = con.sql(
        """
        WITH base AS (SELECT symbol, arg_max(close, session) AS close FROM bars
                      WHERE session <= $year_end GROUP BY symbol),
             fin AS (SELECT symbol, arg_max(close, session) AS close FROM bars
                     WHERE session <= $as_of GROUP BY symbol)
        SELECT fin.symbol, fin.close / base.close - 1 AS ytd FROM fin JOIN base USING (symbol)
        """,
        params={"year_end": cut.year_end, "as_of": cut.as_of},
    ).pl()
    return Signals(sma, records, ytd)


# -- one symbol at a past cut ---------------------------------------------------------------


def summary(bars: pl.DataFrame) -> dict[str, object]:
    """What every engine's one-symbol answer is compared on."""
    bars = bars.sort("session")
    return {
        "bars": bars.height,
        "last_session": bars.get_column("session").max(),
        "close_sum": round(float(bars.get_column("close").sum()), 6),
    }


def point_projection(store: Path, stream: str, known_at: dt.datetime) -> dict[str, object]:
    from store import EventLog

    rows = EventLog.open(store).folded(known_at, streams=[stream])
    return summary(rows.filter(pl.col("event_type") == "PriceBar"))


def point_tape(store: Path, symbol: str, known_at: dt.datetime) -> dict[str, object]:
    from analysis.tape import Tape
    from store import EventLog

    bars = Tape(EventLog.open(store)).bars(known_at, symbols=[symbol])
    return summary(bars.select("session", "close").to_polars())


def point_duckdb(files: list[str], stream: str, known_at: dt.datetime) -> dict[str, object]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    bars = con.sql(
        """
        WITH ev AS (SELECT * FROM read_parquet($files) WHERE stream = $stream),
        retracted AS (SELECT retracts AS event_id FROM ev WHERE event_type = 'Retraction')
        SELECT session, close FROM ev
        WHERE event_type = 'PriceBar' AND valid_at <= $cut
          AND event_id NOT IN (SELECT event_id FROM retracted)
        QUALIFY row_number() OVER (
            PARTITION BY stream, key ORDER BY recorded_at DESC, event_id DESC) = 1
        """,
        params={"files": files, "stream": stream, "cut": known_at},
    ).pl()
    return summary(bars)


def point_polars(files: list[str], stream: str, known_at: dt.datetime) -> dict[str, object]:
    events = pl.scan_parquet(files).select(READ_COLUMNS).filter(pl.col("stream") == stream)
    retracted = events.filter(pl.col("event_type") == "Retraction").select(
        pl.col("retracts").alias("event_id")
    )
    bars = (
        events.filter((pl.col("event_type") == "PriceBar") & (pl.col("valid_at") <= known_at))
        .join(retracted, on="event_id", how="anti")
        .sort("recorded_at", "event_id")
        .group_by("stream", "key")
        .last()
        .collect()
    )
    return summary(bars)


def point_pandas(files: list[str], stream: str, known_at: dt.datetime) -> dict[str, object]:
    import pandas as pd

    df = pd.concat(
        [
            pd.read_parquet(f, columns=READ_COLUMNS, filters=[("stream", "==", stream)])
            for f in files
        ],
        ignore_index=True,
    )
    retracted = set(df.loc[df["event_type"] == "Retraction", "retracts"])
    bars = df[
        (df["event_type"] == "PriceBar")
        & (df["valid_at"] <= pd.Timestamp(known_at))
        & ~df["event_id"].isin(retracted)
    ]
    bars = bars.sort_values(["recorded_at", "event_id"]).drop_duplicates(
        ["stream", "key"], keep="last"
    )
    return summary(pl.from_pandas(bars[["session", "close"]]))
