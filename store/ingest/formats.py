"""Reading source files: text, CSV blocks and typed columns, with file lines kept for errors.

Every adapter reads its file through :class:`SourceReader` (in windows of whole lines, so a
file of any size is read in bounded memory) or :func:`read_text_file` (whole, for the small
FRED and French files), and through :func:`parse_block`. Every fatal problem is reported the
same way: a :class:`~store.errors.BadInput` naming the file as the user gave it, the 1-based
line of the file (header lines counted) and the column as the file names it. Parsing is done
by Polars on string columns; this module only keeps track of which file line each row came
from.

Input limits: only regular files are read (a FIFO, a device or a socket is refused before
reading); a line may be at most :data:`MAX_LINE_CHARS` characters; a file read whole may be at
most :data:`WHOLE_FILE_LIMIT` bytes. Price files are read window by window and have no size
limit.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

import polars as pl

from store.errors import BadInput, clip

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# A window of a streamed file: about this many bytes of whole lines.
CHUNK_BYTES = 4 * 1024 * 1024
# No line of a data file is longer; a longer one means the file is not one.
MAX_LINE_CHARS = 1024 * 1024
# Files that adapters read whole (FRED, French) are small; anything larger is refused.
WHOLE_FILE_LIMIT = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


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
    """Lines of a source file (CRLF or LF), with what identifies its bytes.

    A whole file has ``first_line == 1`` and ``at_end``. A window of a streamed file holds
    the lines ``first_line .. last_line``; ``sha256`` and ``trailing_newline`` are only known
    in the last window (``at_end``).
    """

    path: Path | None
    name: str
    lines: list[str]
    sha256: str
    trailing_newline: bool
    first_line: int = 1
    at_end: bool = True

    @property
    def last_line(self) -> int:
        """The file line number of the last line held (``first_line - 1`` when empty)."""
        return self.first_line + len(self.lines) - 1

    def line(self, number: int) -> str:
        """The text of file line ``number`` (it must lie in this window)."""
        return self.lines[number - self.first_line]

    def fail(self, message: str, line: int | None = None, column: str | None = None) -> BadInput:
        """A BadInput about this file (returned, so callers ``raise`` it where they are)."""
        return BadInput(message, file=self.name, row=line, field=column)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_source(path: Path | str, name: str | None = None) -> BinaryIO:
    """Open a data file for reading, refusing anything but a regular file before reading.

    The file is opened non-blocking and checked with ``fstat`` on the open descriptor, so a
    FIFO is refused instead of waiting for a writer, and ``/dev/zero`` or ``/dev/urandom``
    instead of being read forever.
    """
    name = str(path) if name is None else name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise BadInput("no such file", file=name) from None
    except OSError as exc:
        raise BadInput(f"cannot read file ({exc.strerror})", file=name) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise BadInput("is a directory, not a data file", file=name)
        raise BadInput(
            f"is {_kind(mode)}, not a regular file; tapecheck reads only regular files",
            file=name,
        )
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _decode(data: bytes, name: str, first_line: int, first: bool) -> str:
    if first and data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data[: exc.start].count(b"\n")
        raise BadInput("is not UTF-8 text (a binary file?)", file=name, row=line) from None


def _check_line_lengths(lines: list[str], name: str, first_line: int) -> None:
    if lines and max(map(len, lines)) > MAX_LINE_CHARS:
        at = next(i for i, line in enumerate(lines) if len(line) > MAX_LINE_CHARS)
        raise BadInput(
            f"a line longer than {MAX_LINE_CHARS:,} characters: not a data file",
            file=name,
            row=first_line + at,
        )


def read_text_file(path: Path | str, *, limit: int = WHOLE_FILE_LIMIT) -> TextFile:
    """Read a whole source file as text, refusing non-regular, missing, empty and large files.

    Parameters
    ----------
    path
        The file as the user gave it; errors name it that way.
    limit
        The largest file read whole, in bytes.
    """
    name = str(path)
    with open_source(path, name) as fh:
        size = os.fstat(fh.fileno()).st_size
        data = fh.read(limit + 1) if size <= limit else b""
    if size > limit or len(data) > limit:
        raise BadInput(
            f"is {max(size, len(data)):,} bytes; files read whole may be at most {limit:,} bytes",
            file=name,
        )
    if not data.strip():
        raise BadInput("file is empty", file=name, row=1)
    text = _decode(data, name, 1, first=True)
    lines = text.splitlines()
    _check_line_lengths(lines, name, 1)
    return TextFile(
        path=Path(path),
        name=name,
        lines=lines,
        sha256=hashlib.sha256(data).hexdigest(),
        trailing_newline=text.endswith(("\n", "\r")),
    )


class SourceReader:
    """A regular file read in windows of whole lines, hashing its bytes as it goes.

    Memory holds one window (about ``chunk_bytes``) at a time, whatever the file's size.
    ``sha256`` is the digest of the whole file once the last window was read.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "f.csv"
    >>> _ = path.write_text("Date,Close\\n2025-01-02,1\\n2025-01-03,2\\n")
    >>> for w in SourceReader(path, chunk_bytes=16).windows():
    ...     print(w.first_line, w.lines, w.at_end)
    1 ['Date,Close'] False
    2 ['2025-01-02,1'] False
    3 ['2025-01-03,2'] True
    """

    def __init__(
        self,
        path: Path | str,
        *,
        name: str | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = str(path) if name is None else name
        self.chunk_bytes = chunk_bytes
        self.on_bytes = on_bytes
        self._fh = open_source(path, self.name)
        self.size = os.fstat(self._fh.fileno()).st_size
        self._hash = hashlib.sha256()
        self.sha256 = ""

    def close(self) -> None:
        """Close the file (windows() closes it when it is exhausted)."""
        self._fh.close()

    def windows(self) -> Iterator[TextFile]:
        """Successive windows of whole lines; the last one has ``at_end`` set.

        One block is read ahead, so that the window holding the file's last line knows it.
        """
        pending = b""
        number = 1
        first = True
        with self._fh as fh:
            data = self._read(fh)
            while True:
                following = self._read(fh) if data else b""
                eof = not following
                pending += data
                data = following
                cut = len(pending) if eof else _line_end(pending)
                if cut == 0 and not eof:
                    if len(pending) > MAX_LINE_CHARS * 4:  # UTF-8: at most 4 bytes a character
                        raise BadInput(
                            f"a line longer than {MAX_LINE_CHARS:,} characters: not a data file",
                            file=self.name,
                            row=number,
                        )
                    continue
                chunk, pending = pending[:cut], pending[cut:]
                if first and eof and not chunk.strip():
                    raise BadInput("file is empty", file=self.name, row=1)
                text = _decode(chunk, self.name, number, first)
                lines = text.splitlines()
                _check_line_lengths(lines, self.name, number)
                if eof:
                    self.sha256 = self._hash.hexdigest()
                yield TextFile(
                    path=self.path,
                    name=self.name,
                    lines=lines,
                    sha256=self.sha256,
                    trailing_newline=text.endswith(("\n", "\r")) if text else not first,
                    first_line=number,
                    at_end=eof,
                )
                number += len(lines)
                first = False
                if eof:
                    return

    def _read(self, fh: BinaryIO) -> bytes:
        data = fh.read(self.chunk_bytes)
        if data:
            self._hash.update(data)
            if self.on_bytes is not None:
                self.on_bytes(len(data))
        return data


def _line_end(data: bytes) -> int:
    """Where the last whole line of ``data`` ends (0: no line ends in it yet).

    A lone CR ends a line too, unless it is the last byte (the next could be the LF of a CRLF).
    """
    cut = data.rfind(b"\n") + 1
    if cut == 0:
        cut = data.rfind(b"\r", 0, len(data) - 1) + 1
    return cut


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


def parse_block(tf: TextFile, header: list[str], line_numbers: list[int] | pl.Series) -> Block:
    """Parse the given data lines of ``tf`` with Polars, all columns as strings.

    A line with fewer or more fields than the header is fatal; when it is the last line the
    error says the file looks truncated.
    """
    width = len(header)
    if len(line_numbers) == 0:
        raise tf.fail("has a header but no data rows", tf.last_line, None)
    numbers = pl.Series("line", line_numbers, dtype=pl.Int64)
    texts = pl.Series("text", tf.lines, dtype=pl.String).gather(numbers - tf.first_line)
    fields = texts.str.count_matches(",", literal=True) + 1
    bad = (fields != width).arg_true()
    if len(bad):
        i = int(bad[0])
        got = int(fields[i])
        line = int(numbers[i])
        is_last = tf.at_end and i == len(numbers) - 1
        if is_last and got < width:
            raise tf.fail(
                f"file looks truncated: the last line has {got} of {width} fields",
                line,
                _name(header, min(got, width - 1)),
            )
        raise tf.fail(
            f"has {got} fields, the header has {width}", line, _name(header, min(got, width - 1))
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
    frame = frame.with_columns(numbers)
    return Block(frame=frame, header=header)


def _name(header: list[str], index: int) -> str:
    name = header[index]
    return name if name else ("<date>" if index == 0 else f"<column {index + 1}>")


def data_lines(tf: TextFile, start: int) -> list[int]:
    """The 1-based numbers of the non-blank lines from line ``start`` on.

    Blank lines inside the data are skipped (a trailing blank line is common in the French
    files); they carry nothing.
    """
    return window_lines(tf, start).to_list()


def window_lines(tf: TextFile, start: int) -> pl.Series:
    """:func:`data_lines` as a Series (no Python loop over the lines of a large window)."""
    texts = pl.Series("text", tf.lines, dtype=pl.String)
    numbers = pl.int_range(tf.first_line, tf.last_line + 1, dtype=pl.Int64, eager=True)
    keep = (numbers >= start) & (texts.str.strip_chars().str.len_bytes() > 0)
    return numbers.filter(keep).alias("line")


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
        raise tf.fail(f"{clip(repr(raw[i]))} is not a finite number", int(lines[i]), column)
    return values.alias(column)


def _number_error(tf: TextFile, text: str, line: int, column: str) -> BadInput:
    last = tf.at_end and line == tf.last_line and not tf.trailing_newline
    if last and re.fullmatch(r"[-+]?\d*\.?\d*[eE][-+]?", text.strip()):
        return tf.fail(f"file looks truncated: {text!r} is a cut-off number", line, column)
    return tf.fail(f"{clip(repr(text))} is not a number", line, column)


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
        shown = "an empty cell" if not text else clip(repr(text))
        raise tf.fail(
            f"{shown} is not a date (expected YYYY-MM-DD)", int(lines[i]), block.column_name(index)
        )
    return parsed.alias("session")


def looks_like_iso_date(text: str) -> bool:
    """Whether a cell starts like ``YYYY-MM-DD`` (used to tell data from headers)."""
    return bool(_ISO_DATE.match(text.strip()))
