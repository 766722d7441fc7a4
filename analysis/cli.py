"""The ``tapecheck`` command line (typer + rich).

Every command reports an expected failure (bad input, a damaged or missing store, a full or
read-only disk, a Delta conflict, YAML, dates out of range, input nested too deeply) as one
line on stderr with exit code 2 and no traceback; ``--debug`` shows the traceback. A refuted
claim is a result, never an error. Whatever came from the input is printed as text: rich never
reads it as markup or emoji codes.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from store.errors import TapecheckError, clip

if TYPE_CHECKING:
    from store.log import EventLog

app = typer.Typer(
    name="tapecheck",
    help="Check what market articles claim against the tape, as it was known at publication.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False, highlight=False)
# An error line quotes at most this much of a message; values inside it are clipped shorter.
ERROR_LINE_LIMIT = 1_000
DEBUG_ENV = "TAPECHECK_DEBUG"

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Event store directory (default: $TAPECHECK_STORE)."),
]


@app.callback()
def global_options(
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar=DEBUG_ENV, help="On an error, show the traceback too."),
    ] = False,
) -> None:
    """Check what market articles claim against the tape, as it was known at publication."""
    # declared for --help; main() reads the flag from argv and the environment itself, since
    # it must decide before the command runs (and after it failed)
    del debug


@app.command("log")
def log_command(
    store: StoreOption = None,
    last: Annotated[int, typer.Option("--last", "-n", help="How many recent events to show.")] = 10,
    stream: Annotated[str | None, typer.Option(help="Only this stream.")] = None,
) -> None:
    """Show the store version, event counts per stream and type, and the latest events."""
    import polars as pl

    log = _open(store)
    summary = log.summary()
    if stream is not None:
        summary = summary.filter(pl.col("stream") == stream)
    table = Table(title=Text(f"tapecheck log {log.root} (version {log.version()})"))
    for col in ("stream", "type", "events", "first valid", "last valid", "last recorded"):
        table.add_column(col, justify="right" if col == "events" else "left")
    for row in summary.iter_rows(named=True):
        table.add_row(
            Text(row["stream"]),
            Text(row["event_type"]),
            f"{row['events']:,}",
            _ts(row["first_valid"]),
            _ts(row["last_valid"]),
            _ts(row["last_recorded"]),
        )
    total = int(summary.get_column("events").sum()) if summary.height else 0
    table.caption = f"{total:,} events in {summary.height} stream/type pairs"
    console.print(table)
    recent = log.scan()
    if stream is not None:
        recent = recent.filter(pl.col("stream") == stream)
    recent = recent.sort(["recorded_at", "stream", "valid_at", "key"], descending=True).head(last)
    tail = Table(title=f"latest {last} events recorded")
    for col in ("recorded", "type", "stream", "key", "valid at", "event id"):
        tail.add_column(col)
    for row in recent.collect().iter_rows(named=True):
        tail.add_row(
            _ts(row["recorded_at"]),
            Text(row["event_type"]),
            Text(row["stream"]),
            Text(row["key"]),
            _ts(row["valid_at"]),
            row["event_id"][:12],
        )
    console.print(tail)


@app.command("fsck")
def fsck_command(
    store: StoreOption = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also re-read every file of every version and prove that each version "
            "contains every event of the one before.",
        ),
    ] = False,
) -> None:
    """Verify the log's entries against their seals, every data file, and every event's hashes.

    Exit code 1 when a problem is found; each problem names the file or log entry at fault.
    """
    from store.fsck import fsck as run_fsck

    log = _open(store)
    report = run_fsck(log, deep=deep)
    for problem in report.problems:
        err_console.print(Text.assemble(("PROBLEM ", "red"), str(problem)), soft_wrap=True)
    for note in report.notes:
        console.print(Text(f"note: {note}"), soft_wrap=True)
    if report.unreferenced:
        console.print(
            f"note: {len(report.unreferenced)} data file(s) not in the current version "
            "(removed by compaction, or left by an interrupted write; harmless)"
        )
    proved = (
        f", {report.versions_proved} versions proved to contain the one before"
        if report.deep
        else ""
    )
    status = Text("ok", "green") if report.ok else Text(f"{len(report.problems)} problem(s)", "red")
    console.print(
        Text.assemble(
            f"fsck version {report.version}: {report.entries_checked} log entries "
            f"({report.sealed_entries} sealed), {report.files_checked} files, "
            f"{report.events_checked:,} events checked{proved}: ",
            status,
        ),
        soft_wrap=True,
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("compact")
def compact_command(store: StoreOption = None) -> None:
    """Compact small data files (Delta optimize). What every as-of read returns is unchanged."""
    log = _open(store)
    before = log.version()
    metrics = log.compact()
    console.print(
        f"compacted version {before} -> {log.version()}: "
        f"{metrics.get('numFilesRemoved', 0)} files into {metrics.get('numFilesAdded', 0)}"
    )


def _ts(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "Z")


def _open(store: Path | None) -> EventLog:
    from store.log import EventLog

    return EventLog.open(store)


# Command groups that live beside the code they drive register themselves, so this module
# stays the one place that owns error handling and exit codes. They import ibis, DuckDB, altair
# and Delta Lake (seconds), so a group is imported only when one of its commands runs; `--help`
# lists them from here (tests/test_cli_lazy.py keeps these lines equal to the commands' own).
PLUGINS: dict[str, tuple[str, str]] = {
    "ingest": ("store.ingest.commands", "Ingest source files into the event store."),
    "sources": (
        "analysis.sources",
        "List the sources (feeds) of a series and every session where they disagree.",
    ),
    "replay": (
        "analysis.replay",
        "Show one series as it was known at a cut (and the session in progress, if any).",
    ),
    "screen": (
        "analysis.screen",
        "Screen every symbol at one cut: above its moving average, YTD return, record closes.",
    ),
    "verify": (
        "analysis.claims.commands",
        "Check every claim of the articles on the tape as known at publication.",
    ),
    "infer-date": (
        "analysis.claims.commands",
        "Evaluate the anchor claims on every session of a window; rank the dates where all hold "
        "by how well the measured values fit the stated figures.",
    ),
    "calls": (
        "analysis.claims.commands",
        "Scorecard of every analyst call and forecast: how each played out, by firm and analyst.",
    ),
}
_registered: set[str] = set()


def _register_module(module: str) -> None:
    if module in _registered:
        return
    # a command listed for --help earlier in this process gives way to the real one
    app.registered_commands = [c for c in app.registered_commands if c.callback is not _listed]
    importlib.import_module(module).register(app)
    _registered.add(module)


def _register_plugins(argv: list[str] | None = None) -> None:
    """Register the command group ``argv`` invokes (all of them for an unknown command); with
    no command at all (``--help``), list every command without importing its group."""
    words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
    if not words:
        present = {c.name for c in app.registered_commands}
        for name, (_module, help_text) in PLUGINS.items():
            if name not in present:
                app.command(name, help=help_text)(_listed)
        return
    if words[0] in PLUGINS:
        _register_module(PLUGINS[words[0]][0])
        return
    if words[0] in {c.name for c in app.registered_commands if c.callback is not _listed}:
        return  # one of this module's own commands (log, fsck, compact)
    for module in dict.fromkeys(m for m, _ in PLUGINS.values()):
        _register_module(module)


def _listed() -> None:  # pragma: no cover - listed by --help, never invoked
    raise typer.Exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``tapecheck`` console script: the one place errors become lines."""
    with _native_stderr() as native:
        try:
            _register_plugins(argv)
            # standalone mode lets click own usage errors (exit 2) and --help; our own errors
            # escape it as exceptions and are reported here as one line.
            app(args=argv)
        except Exception as exc:
            message, code = describe(exc)
            if _debug_requested(argv):
                traceback.print_exception(exc, file=sys.stderr)
                _replay(native)
            err_console.print(Text.assemble(("error: ", "red"), one_line(message)), soft_wrap=True)
            sys.exit(code)


@contextlib.contextmanager
def _native_stderr() -> Iterator[IO[bytes] | None]:
    """Keep what native code writes straight to file descriptor 2 (delta-rs's worker threads
    print a Rust panic there when a write fails on a full or read-only disk) out of the
    terminal; Python's own stderr (errors, warnings, progress) still goes there. ``--debug``
    shows what was kept."""
    try:
        if sys.stderr.fileno() != 2:
            raise ValueError
    except (AttributeError, OSError, ValueError):
        yield None  # not a process's real stderr (a notebook, a test capturing output)
        return
    sys.stderr.flush()
    python_stderr = sys.stderr
    saved = os.dup(2)
    with tempfile.TemporaryFile() as kept:
        os.dup2(kept.fileno(), 2)
        with open(
            os.dup(saved), "w", encoding=python_stderr.encoding, errors="backslashreplace"
        ) as terminal:
            sys.stderr = terminal
            try:
                yield kept
            finally:
                terminal.flush()
                sys.stderr = python_stderr
                os.dup2(saved, 2)
                os.close(saved)


def _replay(native: IO[bytes] | None) -> None:
    if native is None:
        return
    native.seek(0)
    text = native.read().decode("utf-8", "backslashreplace")
    if text.strip():
        sys.stderr.write(f"(native stderr)\n{text}")


def _debug_requested(argv: list[str] | None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return "--debug" in args or os.environ.get(DEBUG_ENV, "") not in ("", "0", "false")


def one_line(message: str, limit: int = ERROR_LINE_LIMIT) -> str:
    """A message as one line of at most ``limit`` characters.

    >>> one_line("first\\nsecond   third")
    'first second third'
    """
    return clip(" ".join(message.split()), limit)


_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code of an error: 2 when expected, 1 for a bug.

    >>> describe(OSError(28, "No space left on device", "/tmp/s/events/x.parquet"))
    ('/tmp/s/events/x.parquet: No space left on device (disk full)', 2)
    >>> describe(RecursionError("maximum recursion depth exceeded"))[1]
    2
    """
    import yaml
    from deltalake.exceptions import DeltaError

    if isinstance(exc, TapecheckError):
        return str(exc), 2
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}{_hint(exc.errno)}", 2
    if isinstance(exc, DeltaError):
        text = str(exc)
        code = _OS_ERROR.search(text)
        hint = _hint(int(code.group(1))) if code else ""
        return f"the Delta store failed: {one_line(text, 400)}{hint}", 2
    if isinstance(exc, yaml.YAMLError):
        return f"not valid YAML: {one_line(str(exc), 400)}", 2
    if isinstance(exc, RecursionError):
        return "input nested too deeply to process (recursion limit reached)", 2
    if isinstance(exc, OverflowError) or (
        isinstance(exc, ValueError) and "out of range" in str(exc)
    ):
        return f"a date or number out of range: {clip(exc, 300)}", 2
    if isinstance(exc, MemoryError):
        return "out of memory", 2
    return (
        f"internal error {type(exc).__name__}: {clip(exc, 300)} "
        f"(a bug in tapecheck; run with --debug for the traceback)",
        1,
    )


def _hint(code: int | None) -> str:
    return {
        errno.ENOSPC: " (disk full)",
        errno.EDQUOT: " (disk quota exceeded)",
        errno.EROFS: " (read-only file system)",
        errno.EACCES: " (permission denied)",
        errno.EPERM: " (permission denied)",
        errno.ENOTDIR: " (a path component is a file, not a folder)",
    }.get(code or 0, "")
