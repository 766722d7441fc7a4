"""FRED CSV adapters and the publication rule of each macro series.

=================  ===============================================================
adapter            header
=================  ===============================================================
``fred``           ``observation_date,<SERIES>`` (FRED's own CSV; older files say
                   ``DATE,<SERIES>``). Blank or ``.`` values (holidays) are skipped
                   and counted in a warning.
``fred-datevalue`` ``Date,Value`` (re-exports; the series comes from the catalog or
                   ``--symbol``)
=================  ===============================================================

Publication rules: an observation's ``valid_at`` is when its publisher made it public, so that
the tape as of an article's date sees only what a reader could have seen.

==================  ==========================================================================
rule                valid_at of the value dated D (month M)
==================  ==========================================================================
``fomc-target``     D 00:00 New York. FRED dates a target-range change the day after the
                    14:00 ET FOMC announcement, so the value is public before D starts
                    (DFEDTARU, DFEDTARL).
``next-morning``    D+1 09:00 New York. The New York Fed publishes the effective rate for D
                    the next business morning (DFF). Also the default for daily series not
                    in the catalog.
``monthly-average`` the first day of M+1, 16:00 New York: a monthly average is known once the
                    month is over (FEDFUNDS). Also the default for monthly series.
``treasury-evening`` D 18:00 New York. Treasury publishes the day's par yields after the
                    close (T10Y2Y).
==================  ==========================================================================

Downloads of one live series made at different times are vintages of the feed ``fred`` (the
catalog's ``vintage`` and ``released``): each is recorded at its release, oldest first, so a
later download adds the days it is the first to hold and re-records a value only where FRED
revised it (see ``store.ingest.vintages``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from store.ingest.formats import (
    IngestWarning,
    Parsed,
    Target,
    TextFile,
    data_lines,
    dates,
    numbers,
    parse_block,
    split_header,
)
from store.reference.clock import NEW_YORK_TZ

EXPECTED = {
    "fred": "observation_date,<SERIES> (FRED CSV)",
    "fred-datevalue": "Date,Value",
}
RULES = ("fomc-target", "next-morning", "monthly-average", "treasury-evening")
_SERIES = re.compile(r"^[A-Z0-9_]{2,32}$")
EXAMPLES = 5


def match_fred(lines: list[str]) -> str | None:
    """The FRED series id in a FRED header, or None."""
    cells = split_header(lines[0])
    if len(cells) != 2:
        return None
    is_fred = cells[0] in ("observation_date", "DATE") and bool(_SERIES.match(cells[1]))
    return cells[1] if is_fred and cells[1] not in ("VALUE", "CLOSE") else None


def match_datevalue(lines: list[str]) -> bool:
    """Whether the header is ``Date,Value``."""
    return [c.lower() for c in split_header(lines[0])] == ["date", "value"]


def series_id(symbol: str) -> str:
    """``DFF`` and ``FRED:DFF`` both name the series ``FRED:DFF``."""
    return symbol if symbol.startswith("FRED:") else f"FRED:{symbol}"


def _at(day: pl.Expr, hours: int) -> pl.Expr:
    return (
        day.cast(pl.Datetime("us"))
        .dt.offset_by(f"{hours}h")
        .dt.replace_time_zone(NEW_YORK_TZ)
        .dt.convert_time_zone("UTC")
    )


def published(day: pl.Expr, rule: str) -> pl.Expr:
    """``valid_at`` (UTC) of the value dated ``day`` under a publication ``rule``."""
    if rule == "fomc-target":
        return _at(day, 0)
    if rule == "next-morning":
        return _at(day.dt.offset_by("1d"), 9)
    if rule == "monthly-average":
        return _at(day.dt.month_start().dt.offset_by("1mo"), 16)
    if rule == "treasury-evening":
        return _at(day, 18)
    raise ValueError(f"unknown publication rule {rule!r}; known: {', '.join(RULES)}")


def default_rule(days: pl.Series) -> str:
    """The rule for a series the catalog does not know: monthly when every date is a 1st."""
    return "monthly-average" if bool((days.dt.day() == 1).all()) else "next-morning"


def parse_fred(
    tf: TextFile,
    target: Target,
    adapter: str,
    fail_expected: Callable[[str, str, int], Exception],
) -> Parsed:
    """Parse a FRED CSV (either form) into observations; see the module docstring."""
    if adapter == "fred":
        in_header = match_fred(tf.lines)
        if in_header is None:
            raise fail_expected(adapter, EXPECTED[adapter], 1)
        series = series_id(in_header)
        if target.symbol and series_id(target.symbol) != series:
            raise tf.fail(
                f"the file holds {in_header}, not {target.symbol}", 1, split_header(tf.lines[0])[1]
            )
    else:
        if not match_datevalue(tf.lines):
            raise fail_expected(adapter, EXPECTED[adapter], 1)
        series = series_id(target.symbol)
    header = split_header(tf.lines[0])
    block = parse_block(tf, header, data_lines(tf, 2))
    # FRED writes a missing value as an empty cell, older downloads as ".".
    block.frame.replace_column(
        1, block.frame.get_column("c1").str.strip_chars().replace(".", "").alias("c1")
    )
    rows = pl.DataFrame(
        {
            "day": dates(tf, block, 0),
            "value": numbers(tf, block, 1, required=False),
            "line": block.frame.get_column("line"),
        }
    )
    warnings: list[IngestWarning] = []
    blank = rows.get_column("value").is_null()
    if blank.any():
        warnings.append(
            IngestWarning(
                "blank-values",
                "blank values (market holidays) skipped",
                int(blank.sum()),
                tuple(d.isoformat() for d in rows.filter(blank).get_column("day").head(EXAMPLES)),
            )
        )
        rows = rows.filter(~blank)
    if rows.height == 0:
        raise tf.fail("has no values, only blanks", len(tf.lines), header[1])
    rows, dup = _duplicates(tf, rows, header[1])
    if dup:
        warnings.append(dup)
    rule = target.publication or default_rule(rows.get_column("day"))
    if target.publication is None:
        warnings.append(
            IngestWarning(
                "default-publication",
                f"{series} is not in the catalog; publication rule {rule!r} assumed",
                1,
            )
        )
    monthly = rule == "monthly-average"
    period = pl.col("day").dt.strftime("%Y-%m" if monthly else "%Y-%m-%d")
    out = rows.select(
        pl.lit(series).alias("series"),
        period.alias("period"),
        pl.col("value"),
        pl.lit(target.unit).alias("unit"),
        published(pl.col("day"), rule).alias("valid_at"),
        pl.col("line"),
    )
    return Parsed(tf.name, adapter, "observations", out, warnings, tf.sha256)


def _duplicates(
    tf: TextFile, rows: pl.DataFrame, column: str
) -> tuple[pl.DataFrame, IngestWarning | None]:
    repeated = rows.filter(pl.col("day").is_duplicated())
    if repeated.height == 0:
        return rows, None
    clash = repeated.unique(subset=["day", "value"]).filter(pl.col("day").is_duplicated())
    if clash.height:
        day = clash.get_column("day").min()
        pair = repeated.filter(pl.col("day") == day).sort("line")
        a, b = int(pair.get_column("line")[0]), int(pair.get_column("line")[1])
        raise tf.fail(
            f"date {day!s} appears twice with different values (line {a} and line {b})", b, column
        )
    kept = rows.unique(subset=["day"], keep="first", maintain_order=True)
    return kept, IngestWarning(
        "duplicate-rows", "identical duplicate rows (one of each kept)", rows.height - kept.height
    )
