"""An in-memory event log with the same contract as the Delta log.

It exists for notebooks that want a scratch log and for tests that explore many histories
quickly; the contract suite runs against it and against :class:`store.log.EventLog` alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import polars as pl

from store.events import EVENT_SCHEMA
from store.log import PRIOR_COLUMNS, AppendResult, LogReads, dedupe, prepare, seal


class MemoryEventLog(LogReads):
    """Versions are the list of committed batches; version ``v`` sees the first ``v`` of them."""

    def __init__(self) -> None:
        self._commits: list[pl.DataFrame] = []

    def version(self) -> int:
        return len(self._commits)

    def append(
        self,
        batch: pl.DataFrame,
        *,
        recorded_at: dt.datetime | None = None,
        file: str | None = None,
        lines: list[int] | None = None,
    ) -> AppendResult:
        batch, unique = prepare(batch, file=file, lines=lines)
        keys = unique.select("stream", "key").unique()
        prior = (
            self.scan()
            .select(PRIOR_COLUMNS)
            .join(keys.lazy(), on=["stream", "key"], how="semi")
            .collect()
        )
        new, _ = dedupe(unique, prior, file=file, lines=lines)
        if new.height == 0:
            return AppendResult(0, batch.height, self.version(), None, 1)
        stamp = recorded_at or dt.datetime.now(dt.UTC)
        self._commits.append(seal(new, stamp))
        return AppendResult(new.height, batch.height - new.height, self.version(), stamp, 1)

    def append_stream(
        self,
        batches: Callable[[], Iterable[tuple[pl.DataFrame, list[int] | None]]],
        *,
        file: str | None = None,
        recorded_at: dt.datetime | None = None,
    ) -> AppendResult:
        """A stream of batches as one commit (see :meth:`store.log.EventLog.append_stream`)."""
        frames, lines = [], []
        for frame, rows in batches():
            frames.append(frame)
            lines.extend(rows if rows is not None else range(frame.height))
        if not frames:
            return AppendResult(0, 0, self.version(), None, 1)
        return self.append(
            pl.concat(frames, how="vertical"), recorded_at=recorded_at, file=file, lines=lines
        )

    def scan(self, version: int | None = None) -> pl.LazyFrame:
        commits = self._commits if version is None else self._commits[:version]
        if not commits:
            return pl.DataFrame(schema=EVENT_SCHEMA).lazy()
        return pl.concat(commits, how="vertical").lazy()
