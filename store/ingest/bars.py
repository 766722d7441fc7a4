"""Checks on parsed daily bars, in the file's own terms (its lines and column names).

Fatal problems make the whole file refused: a price that is zero or negative, high below low,
an open or close outside the day's range, negative volume, and one session given twice with
different values. Real-world defects that are not fatal are counted as warnings and the rows
are kept exactly as the file has them: zero volume, identical duplicate rows (one is kept), an
intraday-looking last row.
"""

from __future__ import annotations

import polars as pl

from store.ingest.formats import IngestWarning, Target, TextFile
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


def check_bars(
    tf: TextFile, rows: pl.DataFrame, columns: dict[str, str], target: Target
) -> tuple[pl.DataFrame, list[IngestWarning]]:
    """Refuse impossible bars; count the defects that are only suspicious.

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
    warnings: list[IngestWarning] = []
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

    rows, dup_warning = _duplicates(tf, rows, columns)
    if dup_warning:
        warnings.append(dup_warning)
    if not rows.get_column("session").is_sorted():
        warnings.append(IngestWarning("unsorted", "rows are not in date order (sorted)", 1))
        rows = rows.sort("session")
    warnings.extend(_volume_warnings(rows, target))
    return rows, warnings


def _duplicates(
    tf: TextFile, rows: pl.DataFrame, columns: dict[str, str]
) -> tuple[pl.DataFrame, IngestWarning | None]:
    repeated = rows.filter(pl.col("session").is_duplicated())
    if repeated.height == 0:
        return rows, None
    distinct = repeated.unique(subset=["session", *VALUE_COLUMNS], keep="first")
    clash = distinct.filter(pl.col("session").is_duplicated()).sort("line")
    if clash.height:
        session = clash.get_column("session")[0]
        pair = repeated.filter(pl.col("session") == session).sort("line")
        first, second = pair.row(0, named=True), pair.row(1, named=True)
        field = next(
            (c for c in VALUE_COLUMNS if first[c] != second[c] and c in columns), "session"
        )
        raise tf.fail(
            f"session {session} appears twice with different values "
            f"(line {first['line']} and line {second['line']})",
            int(second["line"]),
            columns.get(field, field),
        )
    kept = rows.unique(subset=["session"], keep="first", maintain_order=True)
    extra = rows.height - kept.height
    examples = tuple(
        d.isoformat() for d in repeated.get_column("session").unique().sort().head(EXAMPLES)
    )
    warning = IngestWarning(
        "duplicate-rows", "identical duplicate rows (one of each kept)", extra, examples
    )
    return kept, warning


def _volume_warnings(rows: pl.DataFrame, target: Target) -> list[IngestWarning]:
    out: list[IngestWarning] = []
    vol = rows.get_column("volume")
    if vol.null_count() == rows.height:
        if target.last_row_partial:
            out.append(_partial(rows, "the source is known to write its last row intraday"))
        return out
    zero = vol == 0
    if zero.any():
        what = "zero index volume (index volume is not meaningful)"
        if target.kind != "index":
            what = "zero volume"
        out.append(IngestWarning("zero-volume", what, int(zero.sum()), _examples(rows, zero)))
    if target.last_row_partial:
        out.append(_partial(rows, "the source is known to write its last row intraday"))
    elif rows.height > TRAILING_ROWS:
        last = vol[-1]
        trailing = vol.slice(rows.height - 1 - TRAILING_ROWS, TRAILING_ROWS)
        median = trailing.filter(trailing > 0).median()
        if last and median and last < PARTIAL_VOLUME_RATIO * float(median):  # type: ignore[arg-type]
            out.append(
                _partial(
                    rows,
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
