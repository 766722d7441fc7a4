"""Ingest orchestration: files -> checked rows -> events -> one commit per file.

Two passes over each file, so that nothing is recorded unless the whole input is valid and
memory stays bounded whatever the size of a file:

1. **check**: the file is read window by window (:class:`~store.ingest.formats.SourceReader`),
   parsed, checked and turned into events that are validated as the store would, then
   dropped. What spans windows (repeated sessions, order, the last rows' volumes) is kept in
   a :class:`~store.ingest.bars.BarLedger` that grows with the number of sessions, not with
   the file. The file's sha256 is computed on the way.
2. **write**: only once every file passed, the store is opened (created if it is new) and
   each file is read again and appended as ONE Delta commit
   (:meth:`~store.log.EventLog.append_stream`): a file's events land whole or not at all. If
   the file changed between the passes, its sha256 differs and nothing is committed.

A file that fits in one window keeps its events between the passes while they fit in
:data:`CACHE_BYTES`, so the catalog's small files are read once. Re-ingesting a file adds
nothing (events are keyed by content hash).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from rich.markup import escape
from rich.progress import Progress, TaskID

from store.config import data_path
from store.errors import BadInput, TapecheckError
from store.events import observations_frame, price_bars_frame
from store.ingest.adapters import ADAPTER_NAMES, ADAPTERS, checked, detect, expected_error, head
from store.ingest.bars import BarLedger
from store.ingest.formats import (
    CHUNK_BYTES,
    IngestWarning,
    Parsed,
    SourceReader,
    Target,
    TextFile,
    read_text_file,
)
from store.ingest.stamping import stamp
from store.ingest.yahoo import PriceLayout, price_layout, price_rows
from store.log import EventLog
from store.reference.catalog import Catalog, load_catalog
from store.validate import stream_problem, symbol_problem, validate_batch

# Events kept in memory between the check and the write (estimated size), for files that
# fit in one window; anything beyond is read again in the write pass.
CACHE_BYTES = 256 * 1024 * 1024
Opener = EventLog | Callable[[], EventLog]

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
class _Plan:
    """One file to ingest: what it is, then what the check pass learned about it."""

    path: Path
    shown: str
    target: Target
    adapter: str
    feed: str
    currency: str
    result: FileResult | None = None
    size: int = 0
    sha256: str = ""
    kind: str = "bars"
    layout: PriceLayout | None = None
    repeats: pl.Series | None = None  # price files: lines repeating an earlier row
    cached: list[tuple[pl.DataFrame, list[int]]] | None = None


class _Budget:
    """What the check pass may keep in memory for the write pass."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.left = limit

    def take(self, frame: pl.DataFrame) -> bool:
        size = int(frame.estimated_size())
        if size > self.left:
            return False
        self.left -= size
        return True


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


def events_of(
    kind: str, rows: pl.DataFrame, symbol: str, feed: str, source: str, currency: str
) -> pl.DataFrame:
    """Turn parsed rows (bars or observations) into a batch of events in the store's schema."""
    if kind == "bars":
        bars = rows.select(
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
    obs = rows.select("series", "period", "value", "unit", "valid_at")
    return observations_frame(obs, feed=feed, source=source)


def to_events(parsed: Parsed, symbol: str, feed: str, name: str, currency: str) -> pl.DataFrame:
    """Turn a parsed file into a batch of events in the store's schema."""
    source = source_label(parsed.adapter, name, parsed.sha256)
    return events_of(parsed.kind, parsed.rows, symbol, feed, source, currency)


def _check(plan: _Plan, budget: _Budget, on_bytes: Callable[[int], None], chunk_bytes: int) -> None:
    """The check pass over one file: everything is verified, nothing is written."""
    if plan.adapter not in ADAPTER_NAMES:
        raise BadInput(
            f"unknown adapter {plan.adapter!r}; choose one of {', '.join(ADAPTER_NAMES)}",
            file=plan.shown,
        )
    reader = SourceReader(plan.path, name=plan.shown, chunk_bytes=chunk_bytes, on_bytes=on_bytes)
    plan.size = reader.size
    windows = reader.windows()
    try:
        first = next(windows)
        if first.at_end and len(head(first)) == 1:
            raise BadInput("has only a header line, no data rows", file=plan.shown, row=1)
        name = detect(first) if plan.adapter == "auto" else plan.adapter
        plan.kind = ADAPTERS[name].kind
        if plan.kind == "bars":
            _check_prices(plan, name, first, windows, reader, budget, chunk_bytes)
        else:
            _check_whole(plan, name, first, budget)
    finally:
        windows.close()


def _check_prices(
    plan: _Plan,
    name: str,
    first: TextFile,
    windows: Iterator[TextFile],
    reader: SourceReader,
    budget: _Budget,
    chunk_bytes: int,
) -> None:
    layout = price_layout(first, plan.target, name, expected_error(first))
    ledger = BarLedger(
        plan.shown,
        layout.columns,
        plan.target,
        values_at=lambda line: _values_at(plan, layout, line, chunk_bytes),
    )
    # One window: the file's hash is known at once, so its events can be kept for the write.
    label = source_label(name, plan.shown, first.sha256 or "0" * 64)
    kept: list[tuple[pl.DataFrame, list[int]]] | None = [] if first.at_end else None
    last_line = 1
    for window in itertools.chain([first], windows):
        last_line = max(last_line, window.last_line)
        fresh = ledger.add(price_rows(window, layout))
        stamped = stamp(fresh)
        ledger.note_calendar(stamped)
        events = events_of("bars", stamped, plan.target.symbol, plan.feed, label, plan.currency)
        lines = fresh.get_column("line").to_list()
        validate_batch(events, file=plan.shown, lines=lines)
        if kept is not None:
            kept.append((events, lines))
    if ledger.rows == 0:
        raise BadInput("has a header but no data rows", file=plan.shown, row=last_line)
    warnings = ledger.finish()
    plan.layout = layout
    plan.sha256 = reader.sha256
    plan.repeats = ledger.repeated_lines
    if kept is not None and all(budget.take(events) for events, _ in kept):
        plan.cached = kept
    plan.result = FileResult(
        file=plan.shown,
        series=plan.target.symbol,
        feed=plan.feed,
        adapter=name,
        detected=plan.adapter == "auto",
        rows=ledger.rows,
        events=ledger.rows,
        warnings=warnings,
    )


def _check_whole(plan: _Plan, name: str, first: TextFile, budget: _Budget) -> None:
    # FRED and French files are small: they are parsed whole (read_text_file caps their size).
    tf = first if first.at_end else read_text_file(plan.path)
    parsed = ADAPTERS[name].parse(tf, plan.target, name, expected_error(tf))
    parsed.file = plan.shown
    events = to_events(parsed, plan.target.symbol, plan.feed, plan.shown, plan.currency)
    lines = parsed.rows.get_column("line").to_list()
    validate_batch(events, file=plan.shown, lines=lines)
    plan.sha256 = tf.sha256
    if budget.take(events):
        plan.cached = [(events, lines)]
    plan.result = FileResult(
        file=plan.shown,
        series=plan.target.symbol,
        feed=plan.feed,
        adapter=parsed.adapter,
        detected=plan.adapter == "auto",
        rows=parsed.rows.height,
        events=events.height,
        warnings=list(parsed.warnings),
    )


def _values_at(plan: _Plan, layout: PriceLayout, line: int, chunk_bytes: int) -> dict | None:
    """The parsed row of one file line (names the field of a clash across windows)."""
    for window in SourceReader(plan.path, name=plan.shown, chunk_bytes=chunk_bytes).windows():
        if window.first_line <= line <= window.last_line:
            rows = price_rows(window, layout).filter(pl.col("line") == line)
            return rows.row(0, named=True) if rows.height else None
    return None


def _batches(
    plan: _Plan, on_bytes: Callable[[int], None], chunk_bytes: int
) -> Iterator[tuple[pl.DataFrame, list[int]]]:
    """The write pass over one file: its events, batch by batch, exactly as checked."""
    if plan.cached is not None:
        on_bytes(plan.size)
        yield from plan.cached
        return
    assert plan.result is not None
    label = source_label(plan.result.adapter, plan.shown, plan.sha256)
    if plan.kind != "bars":
        tf = read_text_file(plan.path)
        on_bytes(plan.size)
        _same_file(plan, tf.sha256)
        parsed = ADAPTERS[plan.result.adapter].parse(
            tf, plan.target, plan.result.adapter, expected_error(tf)
        )
        events = events_of("observations", parsed.rows, "", plan.feed, label, plan.currency)
        yield events, parsed.rows.get_column("line").to_list()
        return
    assert plan.layout is not None and plan.repeats is not None
    reader = SourceReader(plan.path, name=plan.shown, chunk_bytes=chunk_bytes, on_bytes=on_bytes)
    try:
        for window in reader.windows():
            rows = price_rows(window, plan.layout)
            if plan.repeats.len():
                rows = rows.filter(~pl.col("line").is_in(plan.repeats.implode()))
            if rows.height == 0:
                continue
            stamped = stamp(rows)
            events = events_of("bars", stamped, plan.target.symbol, plan.feed, label, plan.currency)
            yield events, rows.get_column("line").to_list()
    except BadInput as exc:
        # The check pass read these bytes without a fault: they changed since.
        raise BadInput(
            f"changed while it was being ingested ({exc.message}); nothing was written",
            file=plan.shown,
            row=exc.row,
            field=exc.field,
        ) from None
    _same_file(plan, reader.sha256)


def _same_file(plan: _Plan, sha256: str) -> None:
    if sha256 != plan.sha256:
        raise BadInput(
            "changed while it was being ingested (its sha256 differs from the checked one); "
            "nothing was written",
            file=plan.shown,
        )


def _write(log: EventLog, plan: _Plan, progress: _Bytes, chunk_bytes: int) -> None:
    start = progress.done

    def attempt() -> Iterator[tuple[pl.DataFrame, list[int]]]:
        progress.done = start  # a retried commit reads the file again from its start
        return _batches(plan, progress, chunk_bytes)

    result = log.append_stream(attempt, file=plan.shown)
    assert plan.result is not None
    plan.result.added = result.added
    plan.result.skipped = result.skipped


def _opened(log: Opener) -> EventLog:
    return log if isinstance(log, EventLog) else log()


class _Bytes:
    """A progress task advanced by bytes read; reset when a write is retried."""

    def __init__(self, progress: Progress | None, description: str, total: int) -> None:
        self.progress = progress
        self.task: TaskID | None = (
            progress.add_task(escape(description), total=max(total, 1)) if progress else None
        )
        self.done = 0

    def __call__(self, n: int) -> None:
        self.done += n
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=self.done)

    def describe(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=escape(text))


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
    log: Opener,
    path: Path | str,
    symbol: str | None,
    adapter: str = "auto",
    feed: str | None = None,
    *,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> IngestResult:
    """Ingest one file as one source of ``symbol``.

    Parameters
    ----------
    log
        The store to append to, or a function that opens it: it is called only once the
        whole file passed every check, so a bad file never creates a store.
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
    progress
        Shows two bars by bytes: checking, then writing.
    chunk_bytes
        The size of a window of the file.

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
    plan = _Plan(Path(path), str(path), target, adapter, feed, currency)
    size = _size(plan.path)
    checking = _Bytes(progress, f"checking {path}", size)
    _check(plan, _Budget(), checking, chunk_bytes)
    assert plan.result is not None
    _check_symbol(symbol, ADAPTERS[plan.result.adapter].kind)
    plan.result.warnings = warnings + plan.result.warnings
    store = _opened(log)
    writing = _Bytes(progress, f"writing {path}", size)
    _write(store, plan, writing, chunk_bytes)
    return IngestResult([plan.result], time.perf_counter() - start, store.version())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _target(symbol: str, kind: str | None, publication: str | None) -> Target:
    return Target(symbol=symbol, kind=kind, publication=publication)


def ingest_catalog(
    log: Opener,
    data_dir: Path | str | None = None,
    *,
    catalog: Catalog | None = None,
    series: list[str] | None = None,
    progress: Progress | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> IngestResult:
    """Ingest every source of the catalog (or of the given ``series``) from ``data_dir``.

    Every file is read and checked first; only when all pass is the store opened (``log``
    may be a function that opens it) and anything appended, one commit per file. A second
    run adds nothing.

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
    plans: list[_Plan] = []
    for spec in cat.series.values():
        if series is not None and spec.id not in series:
            continue
        for source in spec.sources:
            plans.append(
                _Plan(
                    root / source.file,
                    source.file,
                    Target.of(spec, source),
                    source.adapter,
                    source.feed,
                    spec.currency or "USD",
                )
            )
    total = sum(_size(p.path) for p in plans)
    budget = _Budget()
    checking = _Bytes(progress, "checking", total)
    for plan in plans:
        checking.describe(f"checking {plan.shown}")
        _check(plan, budget, checking, chunk_bytes)
    store = _opened(log)
    writing = _Bytes(progress, "writing", total)
    for plan in plans:
        writing.describe(f"writing {plan.shown}")
        _write(store, plan, writing, chunk_bytes)
        plan.cached = None  # free the events once they are in the store
    unlisted = _unlisted(root, cat) if series is None else []
    return IngestResult(
        [p.result for p in plans if p.result is not None],
        time.perf_counter() - start,
        store.version(),
        unlisted,
    )


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
