"""Vintages: what a later release of a series revised, and which release a check read.

A revised series (the French library, FRED downloads made at different times) is one feed
with several vintages, each recorded at its release (``store.ingest.vintages``). So the log
holds, per fact, one version per vintage that changed it:

- :func:`revisions` lists every value a later vintage changed: the fact, the value before and
  after, by how much, and when each was recorded (the two releases);
- :func:`vintage_read` tells which vintage (``recorded_at`` and ``source``) a set of
  observations read from the tape came from, and whether it was recorded after a cut, e.g. an
  article's publication: a check that can only be made on a later vintage says so.

Both read the log through the store's public read API (``scan``), at one version.

>>> import datetime as dt
>>> from store import MemoryEventLog, Observation, batch
>>> log = MemoryEventLog()
>>> t = dt.datetime(1926, 9, 1, 4, tzinfo=dt.UTC)
>>> def smb(value, source):
...     return Observation("FF3:SMB:M", "french", "1926-07", value, "percent", t, source)
>>> old = dt.datetime(2025, 3, 1, 5, tzinfo=dt.UTC)
>>> new = dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)
>>> log.append(batch([smb(-2.3, "french-factors:v202412.csv#sha256:aa")]), recorded_at=old).added
1
>>> log.append(batch([smb(-2.5, "french-factors:v202511.csv#sha256:bb")]), recorded_at=new).added
1
>>> revisions(log).select("series", "period", "before", "after", "change").rows()
[('FF3:SMB:M', '1926-07', -2.3, -2.5, -0.2)]
>>> from analysis.tape import Tape
>>> tape = Tape(log)
>>> now = tape.run(tape.observations(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)))
>>> read = vintage_read(now, dt.datetime(2024, 7, 12, tzinfo=dt.UTC))
>>> read.recorded_after_cut, read.sources()
(True, ['french-factors:v202511.csv#sha256:bb'])
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from store import EventType
from store.log import LogReads
from store.reference.catalog import SourceSpec, load_catalog

__all__ = ["VintageRead", "catalog_source", "revisions", "vintage_labels", "vintage_read"]

# ``store.ingest.run.source_label``: "<adapter>:<file name>#sha256:<16 hex>"
_LABEL = re.compile(r"^(?P<adapter>[^:]+):(?P<name>.+)#sha256:(?P<sha>[0-9a-f]+)$")


def catalog_source(label: str | None, series: str | None = None) -> SourceSpec | None:
    """The catalogued source (with its ``vintage`` and ``released``) an event's ``source``
    label names, or None for a file the catalog does not list.

    >>> catalog_source("fred:DFEDTARU_to20251210.csv#sha256:0123456789abcdef").vintage
    '2025-12-10'
    >>> catalog_source("tests") is None
    True
    """
    match = _LABEL.match(label or "")
    if match is None:
        return None
    spec = load_catalog().entry(series) if series else None
    return load_catalog().find_file(Path(match["name"]), spec.id if spec else None)


def _observations(log: LogReads, version: int | None) -> pl.LazyFrame:
    events = log.scan(version)
    retracted = events.filter(pl.col("event_type") == EventType.RETRACTION.value).select(
        pl.col("retracts").alias("event_id")
    )
    return events.filter(pl.col("event_type") == EventType.OBSERVATION.value).join(
        retracted, on="event_id", how="anti"
    )


def vintage_labels(sources: pl.Series, series: pl.Series) -> pl.Series:
    """The catalogued vintage each event's source file is (null: not a vintage), looked up
    once per distinct (source, series)."""
    pairs = pl.DataFrame({"source": sources, "series": series}).unique()
    labels = {
        (s, ser): (spec.vintage if (spec := catalog_source(s, ser)) is not None else None)
        for s, ser in pairs.iter_rows()
    }
    return pl.Series(
        [labels[(s, ser)] for s, ser in zip(sources, series, strict=True)], dtype=pl.String
    )


def revisions(
    log: LogReads, prefix: str | None = None, *, version: int | None = None
) -> pl.DataFrame:
    """Every value a later recording changed: one row per fact and new version.

    Parameters
    ----------
    log
        The event log (any adapter).
    prefix
        Only series whose id starts with it (``FF3``, ``FFME:VW``, ``FRED:DFEDTARU``).
    version
        The log version to read (default: the latest).

    Returns
    -------
    polars.DataFrame
        ``series, feed, period, valid_at, before, after, change`` (after - before, in the
        series' unit), ``recorded_before, recorded_after`` (when each version was recorded: a
        vintage's release), ``vintage_before, vintage_after`` (the catalog's labels) and
        ``source_before, source_after``; sorted by series and period. A value re-recorded
        unchanged is one event, so it never appears here.
    """
    obs = _observations(log, version)
    if prefix is not None:
        obs = obs.filter(pl.col("series").str.starts_with(prefix))
    fact = ["stream", "key"]
    versions = (
        obs.select(
            "stream",
            "key",
            "series",
            "feed",
            "period",
            "valid_at",
            "value",
            "recorded_at",
            "source",
        )
        .sort([*fact, "recorded_at"])
        .with_columns(
            pl.col("value").shift(1).over(fact).alias("before"),
            pl.col("recorded_at").shift(1).over(fact).alias("recorded_before"),
            pl.col("source").shift(1).over(fact).alias("source_before"),
        )
        .filter(pl.col("recorded_before").is_not_null())
        .collect()
    )
    out = versions.select(
        "series",
        "feed",
        "period",
        "valid_at",
        "before",
        pl.col("value").alias("after"),
        # percent values carry two decimals: the difference is rounded to what the files say
        (pl.col("value") - pl.col("before")).round(10).alias("change"),
        "recorded_before",
        pl.col("recorded_at").alias("recorded_after"),
        "source_before",
        pl.col("source").alias("source_after"),
    )
    return out.with_columns(
        vintage_labels(out["source_before"], out["series"]).alias("vintage_before"),
        vintage_labels(out["source_after"], out["series"]).alias("vintage_after"),
    ).sort("series", "period")


@dataclass(frozen=True)
class VintageRead:
    """Which vintages a set of observations was read from, against a cut.

    ``vintages`` has one row per ``(feed, source, recorded_at)``: its catalog ``vintage``
    label and ``released`` instant (null for an undated source, recorded when it was
    ingested), the number of ``observations`` and their first and last ``period``, and
    ``after_cut`` (recorded after the cut).
    """

    cut: dt.datetime
    vintages: pl.DataFrame

    @property
    def recorded_after_cut(self) -> bool:
        """Whether any of the observations was recorded after the cut."""
        return bool(self.vintages.get_column("after_cut").any())

    @property
    def released_after_cut(self) -> bool:
        """Whether any of them comes from a dated vintage released after the cut (undated
        sources, recorded at ingest, say nothing about when their values were public)."""
        released = self.vintages.get_column("released")
        return bool((released.is_not_null() & (released > self.cut)).any())

    def sources(self) -> list[str]:
        """The ``source`` labels read, newest recording first."""
        return self.vintages.get_column("source").to_list()

    def evidence(self) -> list[dict[str, object]]:
        """JSON-ready rows for a verdict's evidence."""
        rows = self.vintages.with_columns(
            pl.col("recorded_at", "released").dt.to_string("%Y-%m-%dT%H:%M:%SZ")
        )
        return rows.to_dicts()

    def summary(self) -> str:
        """One line per vintage: ``FF3:SMB:A vintage 202412 (french, released 2025-03-01 05:00
        UTC, after the cut): 97 values, 1927..2023``."""
        lines = []
        for row in self.vintages.iter_rows(named=True):
            when = row["released"] or row["recorded_at"]
            label = f"vintage {row['vintage']}" if row["vintage"] else "undated source"
            verb = "released" if row["released"] else "recorded"
            side = "after" if row["after_cut"] else "before"
            lines.append(
                f"{row['series']} {label} ({row['feed']}, {verb} {when:%Y-%m-%d %H:%M} UTC, "
                f"{side} the cut): {row['observations']:,} values, "
                f"{row['first_period']}..{row['last_period']}"
            )
        return "\n".join(lines)


def vintage_read(observations: pl.DataFrame, cut: dt.datetime) -> VintageRead:
    """Which vintage each of ``observations`` was recorded with, and whether after ``cut``.

    Parameters
    ----------
    observations
        Rows read from the tape (``Tape.observations``): ``series, feed, period,
        recorded_at, source``.
    cut
        The instant to compare with, e.g. the article's publication.
    """
    cut = cut.astimezone(dt.UTC)
    frame = observations.select("series", "feed", "period", "recorded_at", "source")
    grouped = (
        frame.group_by("series", "feed", "source", "recorded_at")
        .agg(
            pl.len().alias("observations"),
            pl.col("period").min().alias("first_period"),
            pl.col("period").max().alias("last_period"),
        )
        .sort("recorded_at", "series", descending=[True, False])
    )
    specs = [
        catalog_source(s, ser) for s, ser in zip(grouped["source"], grouped["series"], strict=True)
    ]
    vintages = grouped.with_columns(
        pl.Series("vintage", [s.vintage if s else None for s in specs], dtype=pl.String),
        pl.Series(
            "released",
            [s.released if s else None for s in specs],
            dtype=pl.Datetime("us", "UTC"),
        ),
        (pl.col("recorded_at") > cut).alias("after_cut"),
    ).select(
        "series",
        "feed",
        "vintage",
        "released",
        "recorded_at",
        "after_cut",
        "observations",
        "first_period",
        "last_period",
        "source",
    )
    return VintageRead(cut, vintages)
