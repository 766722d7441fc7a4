"""Ingest orchestration: files -> checked rows -> events -> one append per file.

Whole-catalog ingest reads and checks every file before it appends anything, so one bad file
leaves the log untouched. Each file is then appended as one batch (one Delta commit): a file's
events land whole or not at all, and re-ingesting a file adds nothing (events are keyed by
content hash).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from rich.progress import Progress, TaskID

from store.config import data_path
from store.errors import BadInput, TapecheckError
from store.events import observations_frame, price_bars_frame
from store.ingest.adapters import ADAPTERS, checked, parse_file
from store.ingest.formats import IngestWarning, Parsed, Target
from store.log import EventLog
from store.reference.catalog import Catalog, SourceSpec, load_catalog
from store.validate import stream_problem, symbol_problem

_GENERIC = {"daily", "close", "adj", "adjclose", "ohlcv", "yahoo", "yf", "clean", "prices"}


@dataclass
class FileResult:
    """What ingest did with one file."""

    file: str
    series: str
    feed: str
    adapter: str
    detected: bool
    rows: int
    events: int = 0
    added: int = 0
    skipped: int = 0
    warnings: list[IngestWarning] = field(default_factory=list)

    @property
    def warning_count(self) -> int:
        """Sum of the counts of every warning."""
        return sum(w.count for w in self.warnings)


@dataclass
class IngestResult:
    """What one ``tapecheck ingest`` did."""

    files: list[FileResult]
    seconds: float
    version: int | None
    unlisted: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Prepared:
    result: FileResult
    events: pl.DataFrame
    lines: list[int]


def default_feed(path: Path | str) -> str:
    """A feed name from a file name: its last token that is not a generic word.

    ``RUT_daily_alitalbi.csv`` -> ``alitalbi``; ``COHU_adjclose_dsturdy.csv`` -> ``dsturdy``.
    Falls back to ``local`` when no token qualifies.
    """
    tokens = [t.lower() for t in Path(path).stem.replace("-", "_").split("_") if t]
    for token in reversed(tokens[1:]):
        clean = "".join(ch for ch in token if ch.isalnum())
        if clean and clean not in _GENERIC and not clean.isdigit() and not clean.startswith("to"):
            return clean
    return "local"


def source_label(adapter: str, name: str, sha256: str) -> str:
    """The ``source`` of an event: adapter, file name and content hash of the input."""
    return f"{adapter}:{name}#sha256:{sha256[:16]}"


def to_events(parsed: Parsed, symbol: str, feed: str, name: str, currency: str) -> pl.DataFrame:
    """Turn a parsed file into a batch of events in the store's schema."""
    source = source_label(parsed.adapter, name, parsed.sha256)
    if parsed.kind == "bars":
        bars = parsed.rows.select(
            pl.lit(symbol).alias("symbol"),
            "session",
            "bar_start",
            "bar_end",
            "open",
            "high",
            "low",
            "close",
            "adj_close",
            "volume",
        )
        return price_bars_frame(bars, feed=feed, source=source, currency=currency)
    obs = parsed.rows.select("series", "period", "value", "unit", "valid_at")
    return observations_frame(obs, feed=feed, source=source)


def _prepare(
    path: Path, shown: str, target: Target, adapter: str, feed: str, currency: str
) -> _Prepared:
    parsed = parse_file(path, target, adapter)
    # Errors name the file as the user (or the catalog) gave it.
    parsed.file = shown
    events = to_events(parsed, target.symbol, feed, shown, currency)
    return _Prepared(
        FileResult(
            file=shown,
            series=target.symbol,
            feed=feed,
            adapter=parsed.adapter,
            detected=adapter == "auto",
            rows=parsed.rows.height,
            events=events.height,
            warnings=list(parsed.warnings),
        ),
        events,
        parsed.rows.get_column("line").to_list(),
    )


def _append(log: EventLog, prepared: _Prepared) -> None:
    result = log.append(prepared.events, file=prepared.result.file, lines=prepared.lines)
    prepared.result.added = result.added
    prepared.result.skipped = result.skipped


def _check_symbol(symbol: str, kind: str | None) -> None:
    bar_problem = symbol_problem(symbol)
    if kind == "bars" and bar_problem:
        raise BadInput(f"symbol {bar_problem}", field="--symbol")
    if bar_problem and stream_problem(symbol):
        raise BadInput(f"symbol {bar_problem}", field="--symbol")


def _check_feed(feed: str) -> None:
    if not feed or not all(ch.isalnum() or ch in "._-" for ch in feed):
        raise BadInput(f"feed {feed!r} must be letters, digits, '.', '_' or '-'", field="--feed")


def ingest_file(
    log: EventLog,
    path: Path | str,
    symbol: str | None,
    adapter: str = "auto",
    feed: str | None = None,
    *,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest one file as one source of ``symbol``.

    Parameters
    ----------
    log
        The store to append to.
    path
        The file; errors name it as given.
    symbol
        Ticker (price files), FRED series (``DFF`` or ``FRED:DFF``) or French family prefix
        (``FF3``, ``FFME``). None looks the file up in the catalog by its name.
    adapter
        An adapter name, or ``auto`` to detect it from the header (the result says which).
    feed
        The source's name; default: the catalog's feed for this file, else derived from the
        file name (``RUT_daily_alitalbi.csv`` -> ``alitalbi``).

    Raises
    ------
    BadInput
        For any fatal problem; nothing is written then.
    """
    start = time.perf_counter()
    cat = checked(catalog or load_catalog())
    if symbol is None:
        listed = cat.find_file(path)
        if listed is None:
            raise BadInput("is not in the catalog: give --symbol", file=str(path), field="--symbol")
        symbol = listed.series
    _check_symbol(symbol, ADAPTERS[adapter].kind if adapter in ADAPTERS else None)
    spec = cat.entry(symbol) or (cat.entry(f"FRED:{symbol}") if ":" not in symbol else None)
    known = cat.find_file(path, spec.id) if spec else None
    warnings: list[IngestWarning] = []
    if spec is not None:
        if spec.id.startswith("FRED:"):
            symbol = spec.id
        target = Target.of(spec, known) if known else _target(symbol, spec.kind, spec.publication)
        currency = spec.currency or "USD"
    else:
        target = Target(symbol=symbol)
        currency = "USD"
        warnings.append(IngestWarning("not-in-catalog", f"{symbol} is not in the catalog", 1))
    feed = feed or (known.feed if known else default_feed(path))
    _check_feed(feed)
    task = progress.add_task(f"reading {path}", total=2) if progress else None
    prepared = _prepare(Path(path), str(path), target, adapter, feed, currency)
    _check_symbol(symbol, ADAPTERS[prepared.result.adapter].kind)
    prepared.result.warnings = warnings + prepared.result.warnings
    if progress is not None and task is not None:
        progress.update(task, advance=1, description=f"appending {path}")
    _append(log, prepared)
    if progress is not None and task is not None:
        progress.advance(task)
    return IngestResult([prepared.result], time.perf_counter() - start, log.version())


def _target(symbol: str, kind: str | None, publication: str | None) -> Target:
    return Target(symbol=symbol, kind=kind, publication=publication)


def ingest_catalog(
    log: EventLog,
    data_dir: Path | str | None = None,
    *,
    catalog: Catalog | None = None,
    series: list[str] | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest every source of the catalog (or of the given ``series``) from ``data_dir``.

    Every file is read and checked first; only when all pass is anything appended, one
    batch per file. A second run adds nothing.

    Raises
    ------
    TapecheckError
        When the data folder is missing; BadInput for the first bad file (nothing written).
    """
    start = time.perf_counter()
    cat = checked(catalog or load_catalog())
    root = Path(data_dir) if data_dir is not None else data_path()
    if not root.is_dir():
        raise TapecheckError(
            f"data folder {root} not found: set TAPECHECK_DATA to the folder of source files"
        )
    chosen: list[tuple[SourceSpec, Target, str]] = []
    for spec in cat.series.values():
        if series is not None and spec.id not in series:
            continue
        for source in spec.sources:
            chosen.append((source, Target.of(spec, source), spec.currency or "USD"))
    sizes = [_line_count(root / s.file) for s, _, _ in chosen]
    files_task: TaskID | None = None
    rows_task: TaskID | None = None
    if progress is not None:
        files_task = progress.add_task("reading files", total=len(chosen))
        rows_task = progress.add_task("rows", total=sum(sizes))
    prepared: list[_Prepared] = []
    for (source, target, currency), size in zip(chosen, sizes, strict=True):
        if progress is not None and files_task is not None:
            progress.update(files_task, description=f"reading {source.file}")
        prepared.append(
            _prepare(root / source.file, source.file, target, source.adapter, source.feed, currency)
        )
        if progress is not None and files_task is not None and rows_task is not None:
            progress.advance(files_task)
            progress.advance(rows_task, size)
    if progress is not None and files_task is not None:
        progress.update(files_task, description="appending", completed=0)
    for item in prepared:
        _append(log, item)
        if progress is not None and files_task is not None:
            progress.advance(files_task)
    unlisted = _unlisted(root, cat) if series is None else []
    return IngestResult(
        (prepared and [p.result for p in prepared]) or [],
        time.perf_counter() - start,
        log.version(),
        unlisted,
    )


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def _unlisted(root: Path, cat: Catalog) -> list[str]:
    listed = {Path(s.file).as_posix() for s in cat.sources()}
    out = []
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        if rel in listed or cat.ignored_reason(p) is not None or rel == "README.md":
            continue
        out.append(rel)
    return out
