"""Kenneth R. French Data Library files: the Fama-French factors and portfolio returns.

A library CSV is a preamble (often removed by whoever committed it), then blocks: an optional
title line (``  Equal Weight Returns -- Monthly``), a header line whose first cell is empty,
and rows keyed ``YYYYMM`` (monthly) or ``YYYY`` (annual), then a blank line. A copyright line
ends the file. Values are in percent per period; ``-99.99`` and ``-999`` mean missing and are
skipped (counted in a warning), never stored.

=====================  =====================================================================
adapter                series ids (feed ``french``; each file is one vintage of it)
=====================  =====================================================================
``french-factors``     ``FF3:MKT-RF:M``, ``FF3:SMB:M``, ``FF3:HML:M``, ``FF3:RF:M``; period
                       ``YYYY-MM``; the annual block gives ``FF3:<factor>:A``, period ``YYYY``
``french-portfolios``  ``FFME:<weight>:<portfolio>:<M|A>``: weight ``VW`` or ``EW``;
                       portfolio ``LE0``, ``LO30``, ``MED40``, ``HI30``, ``QNT1``..``QNT5``
                       (``Lo 20``..``Hi 20``), ``DEC1``..``DEC10`` (``Lo 10``..``Hi 10``)
=====================  =====================================================================

The family prefix (``FF3``, ``FFME``) is the catalog's series id. The first block of a
portfolio file has no title in the library's own layout: it is the value-weight block. The
``Number of Firms`` and ``Average Firm Size`` blocks are not returns and are skipped (counted).

Publication rules: the library is refreshed about a month after a month ends, so the value of
month M is valid from 00:00 New York on the first day of month M+2; an annual value of year Y
from 00:00 New York on March 1 of Y+1. Vintages: French revises the whole history with each
CRSP vintage. Every vintage is a source of the one feed ``french``, recorded at its release
(the catalog's ``released``, see ``store.ingest.vintages``), so a value a later vintage
revises becomes a new version of the same fact; the valid times above are when a value was
first public, whatever the vintage. ``analysis.vintages.revisions`` lists what changed.
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
    numbers,
    parse_block,
    split_header,
)
from store.reference.clock import NEW_YORK_TZ

MISSING = (-99.99, -999.0)
EXPECTED = {
    "french-factors": ",Mkt-RF,SMB,HML,RF header followed by YYYYMM rows (French library)",
    "french-portfolios": ",<= 0,Lo 30,Med 40,... header followed by YYYYMM rows (French library)",
}
_KEY = re.compile(r"^\s*(\d{4}|\d{6})\s*,")
_DIGIT = re.compile(r"^\s*\d")
_MANGLED = re.compile(r"^(\d+)-Dec$")
_PORTFOLIO = {
    "<= 0": "LE0",
    "lo 30": "LO30",
    "med 40": "MED40",
    "hi 30": "HI30",
    "lo 20": "QNT1",
    "hi 20": "QNT5",
    "lo 10": "DEC1",
    "hi 10": "DEC10",
}


def _is_header(lines: list[str], i: int) -> bool:
    """A block header: first cell empty, and the next non-blank line is a keyed row."""
    if not lines[i].startswith(",") or len(split_header(lines[i])) < 2:
        return False
    nxt = next((x for x in lines[i + 1 : i + 4] if x.strip()), "")
    return bool(_KEY.match(nxt))


def _header_lines(lines: list[str], limit: int = 40) -> list[int]:
    """0-based indexes of the block headers among the first ``limit`` lines."""
    return [i for i in range(min(limit, len(lines))) if _is_header(lines, i)]


def match_factors(lines: list[str]) -> bool:
    """Whether the file is a French factors file (a ``Mkt-RF`` block header near the top)."""
    heads = _header_lines(lines)
    return bool(heads) and "Mkt-RF" in split_header(lines[heads[0]])


def match_portfolios(lines: list[str]) -> bool:
    """Whether the file is a French portfolio-returns file (a keyed block, no ``Mkt-RF``)."""
    heads = _header_lines(lines)
    return bool(heads) and "Mkt-RF" not in split_header(lines[heads[0]])


def column_code(name: str) -> tuple[str, bool]:
    """Series code of a header cell, and whether the cell was spreadsheet-mangled."""
    mangled = _MANGLED.match(name)
    if mangled:
        return f"DEC{mangled.group(1)}", True
    low = name.lower()
    if low in _PORTFOLIO:
        return _PORTFOLIO[low], False
    m = re.match(r"^(dec|qnt)\s*(\d+)$", low)
    if m:
        return f"{m.group(1).upper()}{m.group(2)}", False
    return re.sub(r"[^A-Z0-9\-]", "", name.upper()), False


def published(key: pl.Expr, monthly: bool) -> pl.Expr:
    """``valid_at`` (UTC) of a monthly (``YYYYMM``) or annual (``YYYY``) value."""
    if monthly:
        first = pl.date(key.str.slice(0, 4).cast(pl.Int32), key.str.slice(4, 2).cast(pl.Int8), 1)
        day = first.dt.offset_by("2mo")
    else:
        day = pl.date(key.cast(pl.Int32) + 1, 3, 1)
    return day.cast(pl.Datetime("us")).dt.replace_time_zone(NEW_YORK_TZ).dt.convert_time_zone("UTC")


def parse_french(
    tf: TextFile,
    target: Target,
    adapter: str,
    fail_expected: Callable[[str, str, int], Exception],
) -> Parsed:
    """Parse every return block of a French library file; see the module docstring."""
    matcher = match_factors if adapter == "french-factors" else match_portfolios
    if not matcher(tf.lines):
        raise fail_expected(adapter, EXPECTED[adapter], 1)
    frames: list[pl.DataFrame] = []
    missing = 0
    mangled: set[str] = set()
    skipped: list[str] = []
    seen: dict[str, int] = {}
    for title, header_at, rows_at in _blocks(tf):
        header = split_header(tf.lines[header_at])
        header[0] = "<date>"
        block = parse_block(tf, header, rows_at)
        keys = block.frame.get_column("c0").str.strip_chars()
        monthly = keys.str.len_chars()[0] == 6
        if (keys.str.len_chars() != keys.str.len_chars()[0]).any():
            i = int((keys.str.len_chars() != keys.str.len_chars()[0]).arg_true()[0])
            raise tf.fail(
                f"{keys[i]!r} mixes annual and monthly keys in one block", rows_at[i], "<date>"
            )
        _check_keys(tf, keys, rows_at, monthly)
        weight = _weight(title, adapter)
        if weight is None:
            skipped.append(title.strip())
            continue
        freq = "M" if monthly else "A"
        for i in range(1, len(header)):
            code, was_mangled = column_code(header[i])
            if was_mangled:
                mangled.add(header[i])
            series = ":".join(p for p in (target.symbol, weight, code, freq) if p)
            if series in seen:
                raise tf.fail(
                    f"series {series} also comes from the block at line {seen[series]}",
                    header_at + 1,
                    header[i],
                )
            seen[series] = header_at + 1
            values = numbers(tf, block, i)
            frame = pl.DataFrame({"key": keys, "value": values, "line": rows_at}).with_columns(
                pl.lit(series).alias("series")
            )
            is_missing = frame.get_column("value").is_in(list(MISSING))
            missing += int(is_missing.sum())
            frames.append(frame.filter(~is_missing))
    if not frames:
        raise fail_expected(adapter, EXPECTED[adapter], 1)
    rows = pl.concat(frames)
    _check_duplicates(tf, rows)
    monthly_key = pl.col("key").str.len_chars() == 6
    out = rows.select(
        pl.col("series"),
        pl.when(monthly_key)
        .then(pl.col("key").str.slice(0, 4) + "-" + pl.col("key").str.slice(4, 2))
        .otherwise(pl.col("key"))
        .alias("period"),
        pl.col("value"),
        pl.lit(target.unit).alias("unit"),
        pl.when(monthly_key)
        .then(published(pl.col("key"), True))
        .otherwise(published(pl.col("key"), False))
        .alias("valid_at"),
        pl.col("line"),
    ).unique(subset=["series", "period"], keep="first", maintain_order=True)
    warnings: list[IngestWarning] = []
    if missing:
        warnings.append(
            IngestWarning("missing-marker", "-99.99/-999 missing-value markers skipped", missing)
        )
    if mangled:
        names = tuple(sorted(mangled, key=lambda n: int(n.split("-")[0])))
        warnings.append(
            IngestWarning(
                "mangled-header",
                "spreadsheet-mangled headers read as deciles ('2-Dec' = 'Dec 2')",
                len(mangled),
                names[:5],
            )
        )
    if skipped:
        warnings.append(
            IngestWarning(
                "skipped-blocks",
                "blocks that are not returns, skipped",
                len(skipped),
                tuple(skipped),
            )
        )
    return Parsed(tf.name, adapter, "observations", out, warnings, tf.sha256)


def _blocks(tf: TextFile) -> list[tuple[str, int, list[int]]]:
    """(title, 0-based header index, 1-based data lines) of every keyed block."""
    lines = tf.lines
    out: list[tuple[str, int, list[int]]] = []
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _is_header(lines, i):
            rows: list[int] = []
            j = i + 1
            while j < len(lines) and lines[j].strip():
                if _KEY.match(lines[j]):
                    rows.append(j + 1)
                elif _DIGIT.match(lines[j]):
                    cell = split_header(lines[j])[0]
                    raise tf.fail(f"{cell!r} is not a YYYYMM or YYYY key", j + 1, "<date>")
                else:
                    break
                j += 1
            out.append((title, i, rows))
            title = ""
            i = j
            continue
        if _DIGIT.match(line) and _KEY.match(line):
            raise tf.fail("a data row outside any block (no header above it)", i + 1, "<date>")
        if stripped:
            title = stripped
        i += 1
    return out


def _weight(title: str, adapter: str) -> str | None:
    low = title.lower()
    if adapter == "french-factors":
        return ""
    if "number of firms" in low or "firm size" in low or "sum of" in low:
        return None
    if "equal weight" in low:
        return "EW"
    return "VW"


def _check_keys(tf: TextFile, keys: pl.Series, lines: list[int], monthly: bool) -> None:
    if monthly:
        month = keys.str.slice(4, 2).cast(pl.Int32)
        bad = ((month < 1) | (month > 12)).arg_true()
        if len(bad):
            i = int(bad[0])
            raise tf.fail(f"{keys[i]!r} is not a month (expected YYYYMM)", lines[i], "<date>")


def _check_duplicates(tf: TextFile, rows: pl.DataFrame) -> None:
    dup = rows.filter(pl.struct("series", "key").is_duplicated())
    if dup.height == 0:
        return
    clash = dup.unique(subset=["series", "key", "value"]).filter(
        pl.struct("series", "key").is_duplicated()
    )
    if clash.height:
        first = clash.sort("line").row(0, named=True)
        pair = dup.filter((pl.col("series") == first["series"]) & (pl.col("key") == first["key"]))
        lines = sorted(pair.get_column("line").to_list())
        raise tf.fail(
            f"period {first['key']} appears twice with different values "
            f"(line {lines[0]} and line {lines[1]})",
            lines[1],
            "<date>",
        )
