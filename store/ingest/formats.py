"""Reading source files: text, CSV blocks and typed columns, with file lines kept for errors.

Every adapter reads its file through :func:`read_text_file` and :func:`parse_block`, so every
fatal problem is reported the same way: a :class:`~store.errors.BadInput` naming the file as
the user gave it, the 1-based line of the file (header lines counted) and the column as the
file names it. Parsing is done by Polars on string columns; this module only keeps track of
which file line each row came from.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from store.errors import BadInput

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


if TYPE_CHECKING:
    from store.reference.catalog import SeriesSpec, SourceSpec


@dataclass(frozen=True)
class IngestWarning:
    """A real-world defect that is reported, counted and never silently fixed."""

    code: str
    message: str
    count: int
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        more = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        return f"{self.message}: {self.count:,}{more}"


@dataclass(frozen=True)
class Target:
    """What a file holds, as the catalog (or the command line) describes it.

    Attributes
    ----------
    symbol
        The ticker (price files), the series id (one-series files such as FRED), or the
        family prefix (``FF3``, ``FFME``) of a multi-series file.
    adjusted
        For close-only files: whether the closes are dividend-adjusted (they then go into
        ``adj_close``). ``None`` lets the header decide (``Adj Close`` means adjusted).
    last_row_partial
        The source is known to write its last row during the session.
    kind
        ``index``, ``etf``, ``stock``, ``macro`` or ``factor``; indexes have meaningless volume.
    publication
        The name of the publication rule of an observation series (see ``store.ingest.fred``).
    """

    symbol: str
    adjusted: bool | None = None
    last_row_partial: bool = False
    kind: str | None = None
    publication: str | None = None
    unit: str = "percent"

    @classmethod
    def of(cls, spec: SeriesSpec, source: SourceSpec) -> Target:
        """What an adapter needs to know about one catalogued ``source`` of ``spec``."""
        return cls(
            symbol=spec.id,
            adjusted=source.adjusted,
            last_row_partial=source.last_row_partial,
            kind=spec.kind,
            publication=spec.publication,
            unit=spec.unit or "percent",
        )


@dataclass
class Parsed:
    """One file, parsed and checked, not yet turned into events.

    ``rows`` holds bars (``session, open, high, low, close, adj_close, volume``) or
    observations (``series, period, value, unit, valid_at``), plus ``line``: the file line each
    row came from.
    """

    file: str
    adapter: str
    kind: Literal["bars", "observations"]
    rows: pl.DataFrame
    warnings: list[IngestWarning] = field(default_factory=list)
    sha256: str = ""


@dataclass(frozen=True)
class TextFile:
    """A source file's text split in lines (CRLF or LF), with what identifies its bytes."""

    path: Path | None
    name: str
    lines: list[str]
    sha256: str
    trailing_newline: bool

    def fail(self, message: str, line: int | None = None, column: str | None = None) -> BadInput:
        """A BadInput about this file (returned, so callers ``raise`` it where they are)."""
        return BadInput(message, file=self.name, row=line, field=column)


def read_text_file(path: Path | str) -> TextFile:
    """Read a source file as text, refusing directories, missing and empty files.

    Parameters
    ----------
    path
        The file as the user gave it; errors name it that way.
    """
    name = str(path)
    p = Path(path)
    if p.is_dir():
        raise BadInput("is a directory, not a data file", file=name)
    if not p.exists():
        raise BadInput("no such file", file=name)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read file ({exc.strerror})", file=name) from None
    if not data.strip():
        raise BadInput("file is empty", file=name, row=1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput("is not UTF-8 text (a binary file?)", file=name, row=line) from None
    lines = text.splitlines()
    return TextFile(
        path=p,
        name=name,
        lines=lines,
        sha256=hashlib.sha256(data).hexdigest(),
        trailing_newline=text.endswith(("\n", "\r")),
    )


def split_header(line: str) -> list[str]:
    """The cells of a header line, stripped."""
    return [cell.strip() for cell in line.split(",")]


@dataclass(frozen=True)
class Block:
    """Rows of one CSV block as strings: column ``c0..cN`` for the file's columns, plus
    ``line`` (1-based file line)."""

    frame: pl.DataFrame
    header: list[str]

    def column_name(self, index: int) -> str:
        """How the file names column ``index`` (an unnamed first column is ``<date>``)."""
        return _name(self.header, index)


def parse_block(tf: TextFile, header: list[str], line_numbers: list[int]) -> Block:
    """Parse the given data lines of ``tf`` with Polars, all columns as strings.

    A line with fewer or more fields than the header is fatal; when it is the last line the
    error says the file looks truncated.
    """
    width = len(header)
    if not line_numbers:
        raise tf.fail("has a header but no data rows", len(tf.lines), None)
    texts = pl.Series("text", [tf.lines[n - 1] for n in line_numbers], dtype=pl.String)
    fields = texts.str.count_matches(",", literal=True) + 1
    bad = (fields != width).arg_true()
    if len(bad):
        i = int(bad[0])
        got = int(fields[i])
        is_last = line_numbers[i] == line_numbers[-1]
        if is_last and got < width:
            raise tf.fail(
                f"file looks truncated: the last line has {got} of {width} fields",
                line_numbers[i],
                _name(header, min(got, width - 1)),
            )
        raise tf.fail(
            f"has {got} fields, the header has {width}",
            line_numbers[i],
            _name(header, min(got, width - 1)),
        )
    cols = [f"c{i}" for i in range(width)]
    body = "\n".join(texts.to_list()) + "\n"
    frame = pl.read_csv(
        io.StringIO(body),
        has_header=False,
        new_columns=cols,
        infer_schema=False,
        quote_char=None,
    )
    frame = frame.with_columns(pl.Series("line", line_numbers, dtype=pl.Int64))
    return Block(frame=frame, header=header)


def _name(header: list[str], index: int) -> str:
    name = header[index]
    return name if name else ("<date>" if index == 0 else f"<column {index + 1}>")


def data_lines(tf: TextFile, start: int) -> list[int]:
    """The 1-based numbers of the non-blank lines from line ``start`` on.

    Blank lines inside the data are skipped (a trailing blank line is common in the French
    files); they carry nothing.
    """
    return [n for n in range(start, len(tf.lines) + 1) if tf.lines[n - 1].strip()]


def numbers(
    tf: TextFile, block: Block, index: int, *, required: bool = True, truncated_ok: bool = False
) -> pl.Series:
    """Column ``index`` of ``block`` as Float64.

    Text that is not a number is fatal, naming line and column. Blank cells are fatal when
    ``required``, else null. ``NaN``/``inf`` are fatal: a price or a rate is a number.
    """
    raw = block.frame.get_column(f"c{index}").str.strip_chars()
    values = raw.cast(pl.Float64, strict=False)
    lines = block.frame.get_column("line")
    column = block.column_name(index)
    blank = raw.is_null() | (raw == "")
    bad = (~blank & values.is_null()).arg_true()
    if len(bad):
        i = int(bad[0])
        raise _number_error(tf, raw[i], int(lines[i]), column)
    if required:
        missing = blank.arg_true()
        if len(missing):
            i = int(missing[0])
            raise tf.fail("is empty; a number is required", int(lines[i]), column)
    bad = (values.is_nan() | values.is_infinite()).fill_null(False).arg_true()
    if len(bad):
        i = int(bad[0])
        raise tf.fail(f"{raw[i]!r} is not a finite number", int(lines[i]), column)
    return values.alias(column)


def _number_error(tf: TextFile, text: str, line: int, column: str) -> BadInput:
    last = line == len(tf.lines) and not tf.trailing_newline
    if last and re.fullmatch(r"[-+]?\d*\.?\d*[eE][-+]?", text.strip()):
        return tf.fail(f"file looks truncated: {text!r} is a cut-off number", line, column)
    return tf.fail(f"{text!r} is not a number", line, column)


def dates(tf: TextFile, block: Block, index: int = 0) -> pl.Series:
    """Column ``index`` as Date, from ``YYYY-MM-DD`` (a time suffix, as some yfinance
    versions write, is accepted and dropped). Anything else is fatal."""
    raw = block.frame.get_column(f"c{index}").str.strip_chars()
    lines = block.frame.get_column("line")
    head = raw.str.slice(0, 10)
    ok_shape = raw.str.contains(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?.*)?$").fill_null(
        False
    )
    parsed = head.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    bad = (~ok_shape | parsed.is_null()).arg_true()
    if len(bad):
        i = int(bad[0])
        text = raw[i]
        shown = "an empty cell" if not text else repr(text)
        raise tf.fail(
            f"{shown} is not a date (expected YYYY-MM-DD)", int(lines[i]), block.column_name(index)
        )
    return parsed.alias("session")


def looks_like_iso_date(text: str) -> bool:
    """Whether a cell starts like ``YYYY-MM-DD`` (used to tell data from headers)."""
    return bool(_ISO_DATE.match(text.strip()))
