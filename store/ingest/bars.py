"""Checks on parsed daily bars, in the file's own terms (its lines and column names).

Fatal problems make the whole file refused: a price that is zero or negative, high below low,
an open or close outside the day's range, negative volume, and one session given twice with
different values. Real-world defects that are not fatal are counted as warnings and the rows
are kept exactly as the file has them: zero volume, identical duplicate rows (one is kept), an
intraday-looking last row.

A file is checked window by window (:class:`BarLedger`): each window's rows are checked on
their own (:func:`check_rows`), and the ledger keeps what spans windows in memory that grows
with the number of distinct sessions, never with the file: one row per session (its values'
hash and first line), the last few sessions for the volume check, counts and a few examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from store.errors import BadInput
from store.ingest.formats import IngestWarning, Target, TextFile
from store.ingest.stamping import beyond_calendar, calendar_warnings
from store.validate import OHLC_SLACK

PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")
VALUE_COLUMNS = (*PRICE_COLUMNS, "volume")
# A last row whose volume is under this share of the recent median was most likely written
# during the session; the close of such a row is not the session's close.
PARTIAL_VOLUME_RATIO = 0.5
TRAILING_ROWS = 20
EXAMPLES = 5


def _examples(rows: pl.DataFrame, mask: pl.Series) -> tuple[str, ...]:
    sessions = rows.filter(mask).get_column("session").head(EXAMPLES)
    return tuple(d.isoformat() for d in sessions.to_list())


def check_rows(tf: TextFile, rows: pl.DataFrame, columns: dict[str, str]) -> None:
    """Refuse impossible bars: the checks that need one row at a time.

    Parameters
    ----------
    tf
        The file, for error messages.
    rows
        ``session, open, high, low, close, adj_close, volume, line`` (absent values null).
    columns
        Our field name -> the file's column name, so messages use the file's words.
    """
    line = rows.get_column("line")

    def fail(mask: pl.Series, message: str, field: str) -> None:
        idx = mask.fill_null(False).arg_true()
        if len(idx):
            i = int(idx[0])
            values = {c: rows.get_column(c)[i] for c in VALUE_COLUMNS}
            raise tf.fail(message.format(**values), int(line[i]), columns.get(field, field))

    for name in PRICE_COLUMNS:
        col = rows.get_column(name)
        fail(col <= 0, f"price {{{name}}} is not positive", name)
    o, h, lo, c = (rows.get_column(n) for n in ("open", "high", "low", "close"))
    fail(h < lo, "high {high} is below low {low}", "high")
    slack = h.abs() * OHLC_SLACK
    for name, col in (("open", o), ("close", c)):
        outside = (col > h + slack) | (col < lo - slack)
        fail(outside, f"{name} {{{name}}} lies outside the day's range [{{low}}, {{high}}]", name)
    fail(rows.get_column("volume") < 0, "volume {volume} is negative", "volume")


def check_bars(
    tf: TextFile, rows: pl.DataFrame, columns: dict[str, str], target: Target
) -> tuple[pl.DataFrame, list[IngestWarning]]:
    """Refuse impossible bars; count the defects that are only suspicious (a whole file).

    Parameters
    ----------
    tf
        The file, for error messages.
    rows
        ``session, open, high, low, close, adj_close, volume, line`` (absent values null).
    columns
        Our field name -> the file's column name, so messages use the file's words.
    target
        The catalog's description of the file (kind, known partial last row).

    Returns
    -------
    The rows sorted by session with identical duplicates dropped, and the warnings.
    """
    check_rows(tf, rows, columns)
    return check_across_rows(tf, rows, columns, target)


def check_across_rows(
    tf: TextFile, rows: pl.DataFrame, columns: dict[str, str], target: Target
) -> tuple[pl.DataFrame, list[IngestWarning]]:
    """The part of :func:`check_bars` that spans rows, for rows :func:`check_rows` already
    passed: refuse a session given twice with different values, count the suspicious defects.

    Takes and returns what :func:`check_bars` does.
    """
    ledger = BarLedger(tf.name, columns, target, values_at=lambda n: _row_at(rows, n))
    kept = ledger.add(rows)
    warnings = ledger.finish(calendar=False)
    return (kept.sort("session") if not ledger.in_order else kept), warnings


def _row_at(rows: pl.DataFrame, line: int) -> dict[str, object] | None:
    found = rows.filter(pl.col("line") == line)
    return found.row(0, named=True) if found.height else None


class BarLedger:
    """What a price file's rows say across windows: repeated sessions, their order, the last
    sessions' volumes, and the dates off the calendar.

    Parameters
    ----------
    name
        The file, for error messages.
    columns
        Our field name -> the file's column name.
    target
        The catalog's description of the file.
    values_at
        Gives the values of an earlier file line, to name the field of a clash with a row of
        an earlier window (None: the clash names the session column).
    """

    def __init__(
        self,
        name: str,
        columns: dict[str, str],
        target: Target,
        values_at: Callable[[int], dict[str, object] | None] | None = None,
    ) -> None:
        self.name = name
        self.columns = columns
        self.target = target
        self.values_at = values_at
        self.first = pl.DataFrame(schema={"session": pl.Date, "_hash": pl.UInt64, "line": pl.Int64})
        # Lines that repeat an earlier row exactly: the write pass skips them.
        self.repeated_lines = pl.Series("line", [], dtype=pl.Int64)
        self.in_order = True
        self._last: Any = None
        self.rows = 0
        self.repeats = 0
        self._repeated = pl.Series("session", [], dtype=pl.Date)
        self._tail = pl.DataFrame(schema={"session": pl.Date, "volume": pl.Float64})
        self._zero = 0
        self._zero_days = pl.Series("session", [], dtype=pl.Date)
        self._volumes = 0
        self._off = 0
        self._off_beyond = 0
        self._off_days = pl.Series("session", [], dtype=pl.Date)

    def add(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Take one window's checked rows (file order); return the rows whose session is new.

        Raises BadInput when a session comes back with different values.
        """
        if rows.height == 0:
            return rows
        hashed = rows.with_columns(pl.struct(list(VALUE_COLUMNS)).hash(seed=0).alias("_hash"))
        firsts = hashed.unique(subset=["session"], keep="first", maintain_order=True)
        # Only the sessions of this window are looked up: a scan of the ledger, no hash table
        # over every session of the file.
        days = firsts.get_column("session").implode()
        earlier = self.first.filter(pl.col("session").is_in(days))
        new = firsts.join(earlier, on="session", how="anti").select(self.first.columns)
        known = pl.concat([earlier, new])
        seen = hashed.join(known, on="session", how="left", suffix="_first")
        clash = seen.filter(pl.col("_hash") != pl.col("_hash_first")).sort("line")
        if clash.height:
            self._clash(hashed, clash.row(0, named=True))
        fresh = seen.filter(pl.col("line") == pl.col("line_first")).drop(
            "_hash", "_hash_first", "line_first"
        )
        repeated = seen.filter(pl.col("line") != pl.col("line_first"))
        self.first = pl.concat([self.first, new], rechunk=self.first.n_chunks() > 64)
        if repeated.height:
            self.repeats += repeated.height
            self.repeated_lines = pl.concat([self.repeated_lines, repeated.get_column("line")])
            again = repeated.get_column("session").unique()
            self._repeated = pl.concat([self._repeated, again]).unique().sort().head(EXAMPLES)
        self._note(fresh)
        return fresh

    def _note(self, fresh: pl.DataFrame) -> None:
        if fresh.height == 0:
            return
        days = fresh.get_column("session")
        if self.in_order and (
            not days.is_sorted() or (self._last is not None and days[0] < self._last)
        ):
            self.in_order = False
        self._last = days.max() if self._last is None else max(self._last, days.max())
        self.rows += fresh.height
        volume = fresh.get_column("volume")
        self._volumes += volume.len() - volume.null_count()
        zero = fresh.filter(volume == 0).get_column("session")
        self._zero += zero.len()
        self._zero_days = pl.concat([self._zero_days, zero]).sort().head(EXAMPLES)
        self._tail = (
            pl.concat([self._tail, fresh.select("session", "volume")])
            .sort("session")
            .tail(TRAILING_ROWS + 1)
        )

    def note_calendar(self, stamped: pl.DataFrame) -> None:
        """Count the stamped fresh rows whose date is not a session of the calendar."""
        days = stamped.filter(pl.col("_off")).get_column("session")
        if days.len():
            self._off += days.len()
            self._off_beyond += beyond_calendar(days)
            self._off_days = pl.concat([self._off_days, days]).sort().head(EXAMPLES)

    def _clash(self, hashed: pl.DataFrame, row: dict[str, object]) -> None:
        session, first_line, line = row["session"], row["line_first"], row["line"]
        assert isinstance(first_line, int) and isinstance(line, int)
        earlier = _row_at(hashed, first_line)
        if earlier is None and self.values_at is not None:
            earlier = self.values_at(first_line)
        field = "session"
        if earlier is not None:
            field = next(
                (c for c in VALUE_COLUMNS if earlier[c] != row[c] and c in self.columns),
                "session",
            )
        raise BadInput(
            f"session {session} appears twice with different values "
            f"(line {first_line} and line {line})",
            file=self.name,
            row=line,
            field=self.columns.get(field, field),
        )

    def finish(self, *, calendar: bool = True) -> list[IngestWarning]:
        """The warnings, once every window was added: repeats, order, volumes (and, with
        ``calendar``, the dates off the calendar and the sessions missing)."""
        warnings: list[IngestWarning] = []
        if self.repeats:
            warnings.append(
                IngestWarning(
                    "duplicate-rows",
                    "identical duplicate rows (one of each kept)",
                    self.repeats,
                    tuple(d.isoformat() for d in self._repeated.to_list()),
                )
            )
        if not self.in_order:
            warnings.append(IngestWarning("unsorted", "rows are not in date order (sorted)", 1))
        warnings.extend(self._volume_warnings())
        if calendar:
            warnings.extend(
                calendar_warnings(
                    self._off_days, self._off, self._off_beyond, self.first.get_column("session")
                )
            )
        return warnings

    def _volume_warnings(self) -> list[IngestWarning]:
        tail = self._tail
        if self.rows == 0:
            return []
        if self._volumes == 0:
            if self.target.last_row_partial:
                return [_partial(tail, "the source is known to write its last row intraday")]
            return []
        out: list[IngestWarning] = []
        if self._zero:
            what = "zero index volume (index volume is not meaningful)"
            if self.target.kind != "index":
                what = "zero volume"
            examples = tuple(d.isoformat() for d in self._zero_days.to_list())
            out.append(IngestWarning("zero-volume", what, self._zero, examples))
        if self.target.last_row_partial:
            out.append(_partial(tail, "the source is known to write its last row intraday"))
        elif self.rows > TRAILING_ROWS:
            vol = tail.get_column("volume")
            last = float(vol[-1] or 0)
            trailing = vol.head(TRAILING_ROWS)
            median = float(trailing.filter(trailing > 0).median() or 0)  # type: ignore[arg-type]
            if last and median and last < PARTIAL_VOLUME_RATIO * median:
                out.append(
                    _partial(
                        tail,
                        f"its volume {last:,.0f} is under {PARTIAL_VOLUME_RATIO:.0%} of the "
                        f"median of the {TRAILING_ROWS} sessions before ({median:,.0f})",
                    )
                )
        return out


def _partial(rows: pl.DataFrame, why: str) -> IngestWarning:
    session = rows.get_column("session")[-1]
    return IngestWarning(
        "intraday-last-row",
        f"last row {session} may be an intraday snapshot, kept as is ({why})",
        1,
        (session.isoformat(),),
    )
