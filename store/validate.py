"""Batch validation: a batch is checked whole before a single byte is written.

Every rule reports the first offending row and the field, so a user can fix the input. The
rules are the store's invariants, not the ingest adapters' parsing rules: adapters catch format
problems with file lines and columns first, and this is the net under every writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from store.errors import BadInput
from store.events import (
    BAR_KEY,
    BAR_STREAM,
    CALL_KINDS,
    EVENT_SCHEMA,
    OBSERVATION_KEY,
    OBSERVATION_STREAM,
    REQUIRED_FIELDS,
    SCHEMA_VERSION,
    UTC_US,
    EventType,
    conform,
)

# Streams name entities (``^RUT@alitalbi``, ``FRED:DFEDTARU@vengveng``,
# ``call:jefferies/desanctis``). They are never turned into paths, but a name that looks like
# one is refused anyway: it is nearly always a mistake (a file path passed as a symbol).
_STREAM = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9^=._:@/\-]{0,127}$")
_SYMBOL = re.compile(r"^\^?[A-Za-z0-9][A-Za-z0-9=._\-]{0,31}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")

ENVELOPE_REQUIRED = ("event_type", "stream", "key", "valid_at", "source")
PRICE_FIELDS = ("open", "high", "low", "close")
# Relative slack for OHLC ordering: sources store prices as float32 renderings, so a close can
# sit a few ulps above a high that is the same number written differently.
OHLC_SLACK = 1e-6
# The one interval the engine reads.
DAILY = "1d"


def stream_problem(name: object) -> str | None:
    """Why a stream name is refused, or None when it is acceptable."""
    if not isinstance(name, str) or name == "":
        return "is empty"
    if "\\" in name or name.startswith(("/", ".", "~")) or "//" in name:
        return f"{name!r} looks like a path"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return f"{name!r} looks like a path"
    if not _STREAM.match(name):
        return f"{name!r} has characters outside A-Z a-z 0-9 ^ = . _ : @ / -"
    return None


def symbol_problem(name: object) -> str | None:
    """Why a ticker symbol is refused, or None when it is acceptable."""
    if not isinstance(name, str) or name == "":
        return "is empty"
    if "/" in name or "\\" in name or ".." in name:
        return f"{name!r} looks like a path"
    if not _SYMBOL.match(name):
        return f"{name!r} is not a ticker symbol"
    return None


def _fail(message: str, row: int, field: str, file: str | None, lines: list[int] | None) -> None:
    line = lines[row] if lines is not None else row
    raise BadInput(message, file=file, row=line, field=field)


def _first(mask: pl.Series) -> int | None:
    idx = mask.fill_null(False).arg_true()
    return int(idx[0]) if len(idx) else None


def _coerce(frame: pl.DataFrame, file: str | None) -> pl.DataFrame:
    unknown = [c for c in frame.columns if c not in EVENT_SCHEMA]
    if unknown:
        raise BadInput(f"unknown event column(s): {', '.join(unknown)}", file=file)
    missing = [c for c in ENVELOPE_REQUIRED if c not in frame.columns]
    if missing:
        raise BadInput(f"missing required column(s): {', '.join(missing)}", file=file)
    out = []
    for name in frame.columns:
        want = EVENT_SCHEMA[name]
        col = frame.get_column(name)
        if want == UTC_US:
            if col.dtype == pl.Null:
                out.append(col.cast(want))
                continue
            if not isinstance(col.dtype, pl.Datetime):
                raise BadInput(
                    f"wrong type: expected a timestamp, got {col.dtype}", file=file, field=name
                )
            if col.dtype.time_zone is None:
                raise BadInput(
                    "naive timestamp: give a time zone (timestamps are stored in UTC)",
                    file=file,
                    field=name,
                )
            out.append(col.dt.convert_time_zone("UTC").cast(want))
            continue
        if col.dtype == pl.String and want != pl.String():
            raise BadInput(f"wrong type: expected {want}, got text", file=file, field=name)
        try:
            out.append(col.cast(want, strict=True))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            raise BadInput(
                f"wrong type: expected {want}, got {col.dtype}", file=file, field=name
            ) from None
    return conform(pl.DataFrame(out))


def validate_batch(
    frame: pl.DataFrame, *, file: str | None = None, lines: list[int] | None = None
) -> pl.DataFrame:
    """Check a batch against the event schema and invariants; return it in canonical form.

    Parameters
    ----------
    frame
        Events in (a subset of) :data:`store.events.EVENT_SCHEMA`'s columns.
    file
        The input file the batch came from, named in errors.
    lines
        For each row, the line of ``file`` it came from, named in errors.

    Raises
    ------
    BadInput
        Naming the row and field of the first problem found.
    """
    if not isinstance(frame, pl.DataFrame):
        raise BadInput(f"a batch must be a polars DataFrame, got {type(frame).__name__}", file=file)
    frame = _coerce(frame, file)
    if frame.height == 0:
        return frame
    if frame.get_column("schema_version").null_count() == frame.height:
        frame = frame.with_columns(pl.lit(SCHEMA_VERSION, dtype=pl.Int16).alias("schema_version"))

    known = {e.value for e in EventType}
    bad = _first(~frame.get_column("event_type").is_in(list(known)))
    if bad is not None:
        value = frame.get_column("event_type")[bad]
        _fail(f"unknown event type {value!r}", bad, "event_type", file, lines)
    bad = _first(frame.get_column("schema_version") != SCHEMA_VERSION)
    if bad is not None:
        _fail(
            f"unsupported schema_version (this store writes {SCHEMA_VERSION})",
            bad,
            "schema_version",
            file,
            lines,
        )

    for name in (*ENVELOPE_REQUIRED, "schema_version"):
        bad = _first(frame.get_column(name).is_null())
        if bad is not None:
            _fail("is missing", bad, name, file, lines)
    bad = _first(frame.get_column("key").str.len_chars() == 0)
    if bad is not None:
        _fail("is empty", bad, "key", file, lines)
    _check_names(
        frame, pl.repeat(True, frame.height, eager=True), "stream", stream_problem, file, lines
    )

    types = frame.get_column("event_type")
    for etype, fields in REQUIRED_FIELDS.items():
        of_type = types == etype.value
        if not of_type.any():
            continue
        for name in fields:
            bad = _first(of_type & frame.get_column(name).is_null())
            if bad is not None:
                _fail(f"is missing for a {etype.value}", bad, name, file, lines)

    _check_bars(frame, types == EventType.PRICE_BAR.value, file, lines)
    _check_observations(frame, types == EventType.OBSERVATION.value, file, lines)
    _check_calls(frame, types == EventType.ANALYST_CALL.value, file, lines)
    _check_retractions(frame, types == EventType.RETRACTION.value, file, lines)
    _check_duplicates(frame, file, lines)
    return frame


def _check_names(
    frame: pl.DataFrame,
    mask: pl.Series,
    name: str,
    problem_of: Callable[[object], str | None],
    file: str | None,
    lines: list[int] | None,
) -> None:
    # A batch names few distinct entities; checking each distinct name once keeps this linear
    # in names, not rows.
    col = frame.get_column(name)
    for value in col.filter(mask).unique(maintain_order=True).to_list():
        problem = problem_of(value)
        if problem:
            row = _first(mask & (col.is_null() if value is None else col == value))
            assert row is not None
            _fail(f"{name} {problem}", row, name, file, lines)


def _check_finite(
    frame: pl.DataFrame, mask: pl.Series, name: str, file: str | None, lines: list[int] | None
) -> None:
    col = frame.get_column(name)
    bad = _first(mask & col.is_not_null() & (col.is_nan() | col.is_infinite()))
    if bad is not None:
        _fail(f"is {col[bad]!r}, not a number", bad, name, file, lines)


def _check_bars(
    frame: pl.DataFrame, mask: pl.Series, file: str | None, lines: list[int] | None
) -> None:
    if not mask.any():
        return
    _check_names(frame, mask, "symbol", symbol_problem, file, lines)
    # The engine reads daily bars, one per (symbol, feed, session): a bar of another interval
    # would stand beside the session's daily bar, and a stream other than symbol@feed would
    # give one symbol's feed two streams (found in review: the feed preference returned two
    # bars for one session).
    interval = frame.get_column("interval")
    bad = _first(mask & (interval.is_null() | (interval != DAILY)))
    if bad is not None:
        _fail(
            f"interval {interval[bad]!r} is not {DAILY!r}: tapecheck reads daily bars",
            bad,
            "interval",
            file,
            lines,
        )
    _check_natural_key(frame, mask, BAR_STREAM, BAR_KEY, file, lines)
    for name in (*PRICE_FIELDS, "adj_close", "volume"):
        _check_finite(frame, mask, name, file, lines)
    for name in (*PRICE_FIELDS, "adj_close"):
        col = frame.get_column(name)
        bad = _first(mask & col.is_not_null() & (col <= 0))
        if bad is not None:
            _fail(f"price {col[bad]} is not positive", bad, name, file, lines)
    vol = frame.get_column("volume")
    bad = _first(mask & vol.is_not_null() & (vol < 0))
    if bad is not None:
        _fail(f"volume {vol[bad]} is negative", bad, "volume", file, lines)
    o, h, lo, c = (frame.get_column(n) for n in PRICE_FIELDS)
    ohl_nulls = o.is_null().cast(pl.Int8) + h.is_null().cast(pl.Int8) + lo.is_null().cast(pl.Int8)
    bad = _first(mask & (ohl_nulls > 0) & (ohl_nulls < 3))
    if bad is not None:
        name = next(n for n, col in (("open", o), ("high", h), ("low", lo)) if col[bad] is None)
        _fail("is missing while the bar has other OHLC values", bad, name, file, lines)
    bad = _first(mask & c.is_null() & frame.get_column("adj_close").is_null())
    if bad is not None:
        _fail("a bar needs a close or an adjusted close", bad, "close", file, lines)
    slack = h * OHLC_SLACK
    bad = _first(mask & (h < lo))
    if bad is not None:
        _fail(f"high {h[bad]} is below low {lo[bad]}", bad, "high", file, lines)
    for name, col in (("open", o), ("close", c)):
        bad = _first(mask & ((col > h + slack) | (col < lo - slack)))
        if bad is not None:
            _fail(
                f"{name} {col[bad]} lies outside the bar's range [{lo[bad]}, {h[bad]}]",
                bad,
                name,
                file,
                lines,
            )
    bad = _first(mask & (frame.get_column("bar_end") <= frame.get_column("bar_start")))
    if bad is not None:
        _fail("bar ends before it starts", bad, "bar_end", file, lines)
    bad = _first(mask & (frame.get_column("valid_at") != frame.get_column("bar_end")))
    if bad is not None:
        _fail(
            "a bar is valid at its close (valid_at must equal bar_end)",
            bad,
            "valid_at",
            file,
            lines,
        )


def _check_observations(
    frame: pl.DataFrame, mask: pl.Series, file: str | None, lines: list[int] | None
) -> None:
    if mask.any():
        _check_finite(frame, mask, "value", file, lines)
        _check_natural_key(frame, mask, OBSERVATION_STREAM, OBSERVATION_KEY, file, lines)


def _check_natural_key(
    frame: pl.DataFrame,
    mask: pl.Series,
    stream: pl.Expr,
    key: pl.Expr,
    file: str | None,
    lines: list[int] | None,
) -> None:
    """A fact's stream and key are the ones its fields name (``symbol@feed`` and
    ``interval/session`` for a bar, ``series@feed`` and ``period`` for an observation)."""
    expected = frame.select(stream.alias("stream"), key.alias("key"))
    for name in ("stream", "key"):
        got, want = frame.get_column(name), expected.get_column(name)
        bad = _first(mask & (want.is_null() | (got != want)))
        if bad is not None:
            _fail(f"is {got[bad]!r}, but its fields name {want[bad]!r}", bad, name, file, lines)


def _check_calls(
    frame: pl.DataFrame, mask: pl.Series, file: str | None, lines: list[int] | None
) -> None:
    if not mask.any():
        return
    bad = _first(mask & ~frame.get_column("call_kind").is_in(list(CALL_KINDS)))
    if bad is not None:
        _fail(
            f"unknown call kind {frame.get_column('call_kind')[bad]!r}; expected one of "
            f"{', '.join(CALL_KINDS)}",
            bad,
            "call_kind",
            file,
            lines,
        )
    bad = _first(mask & (frame.get_column("subjects").list.len() == 0))
    if bad is not None:
        _fail("a call needs at least one subject", bad, "subjects", file, lines)
    _check_finite(frame, mask, "value", file, lines)


def _check_retractions(
    frame: pl.DataFrame, mask: pl.Series, file: str | None, lines: list[int] | None
) -> None:
    if not mask.any():
        return
    for i in mask.arg_true().to_list():
        target = frame.get_column("retracts")[i]
        if not _HEX32.match(target):
            _fail(f"{target!r} is not an event id", i, "retracts", file, lines)


def _check_duplicates(frame: pl.DataFrame, file: str | None, lines: list[int] | None) -> None:
    is_fact = pl.col("event_type") != EventType.RETRACTION.value
    # Two events for the same fact in one batch would leave "the latest" undefined, since both
    # are recorded at the same instant: refuse them unless they are the very same event.
    # Distinct 64-bit hashes prove distinct keys; only a batch whose hashes repeat (a real
    # duplicate, or a collision) pays for the exact check below.
    keys = frame.select("stream", "key", "event_type").filter(is_fact)
    if keys.select(pl.struct("stream", "key").hash().n_unique()).item() == keys.height:
        return
    facts = frame.with_row_index("_row").filter(is_fact)
    dupes = (
        facts.unique(subset=[c for c in frame.columns if c not in ("source",)], keep="first")
        .filter(pl.struct("stream", "key").is_duplicated())
        .sort("_row")
    )
    if dupes.height:
        first = dupes.row(0, named=True)
        other = dupes.filter(
            (pl.col("stream") == first["stream"]) & (pl.col("key") == first["key"])
        ).row(1, named=True)
        where = lines[first["_row"]] if lines is not None else first["_row"]
        _fail(
            f"duplicate key {first['stream']} {first['key']} with different values "
            f"(also at {'line' if lines is not None else 'row'} {where})",
            other["_row"],
            "key",
            file,
            lines,
        )


def check_against_log(
    new: pl.DataFrame,
    prior: pl.DataFrame,
    *,
    file: str | None = None,
    lines: list[int] | None = None,
) -> None:
    """Check events not yet in the log against the versions the log already holds.

    ``new`` carries ``_row``, each event's row in the batch; ``prior`` holds every logged event
    of the batch's keys (``stream, key, valid_at, event_id, event_type``).

    - Every version of a fact shares its ``valid_at``: a correction restates a fact, it does
      not move it in time. This is what makes an as-of cut of the projection equal to a fold
      of the log (see :mod:`store.projection`).
    - A retraction names an event of its own stream and key, in the log or in the batch.

    Raises
    ------
    BadInput
        Naming the row and the field (``valid_at`` or ``retracts``).
    """
    retraction = EventType.RETRACTION.value
    facts = new.filter(pl.col("event_type") != retraction)
    logged = prior.filter(pl.col("event_type") != retraction)
    if facts.height and logged.height:
        moved = (
            facts.select("_row", "stream", "key", "valid_at")
            .join(
                logged.select("stream", "key", pl.col("valid_at").alias("logged_valid_at")),
                on=["stream", "key"],
            )
            .filter(pl.col("valid_at") != pl.col("logged_valid_at"))
            .sort("_row")
        )
        if moved.height:
            bad = moved.row(0, named=True)
            _fail(
                f"{bad['stream']} {bad['key']} is logged as valid at "
                f"{bad['logged_valid_at'].isoformat()}; a new version of a fact keeps its "
                "valid_at (retract it and record the fact under its own key instead)",
                bad["_row"],
                "valid_at",
                file,
                lines,
            )
    retractions = new.filter(pl.col("event_type") == retraction)
    if retractions.height == 0:
        return
    # a retraction may name any event of its key, another retraction included (which leaves
    # the fold as it was: retractions are final)
    targets = pl.concat(
        [prior.select("stream", "key", "event_id"), new.select("stream", "key", "event_id")]
    )
    orphans = retractions.join(
        targets,
        left_on=["stream", "key", "retracts"],
        right_on=["stream", "key", "event_id"],
        how="anti",
    ).sort("_row")
    if orphans.height:
        bad = orphans.row(0, named=True)
        _fail(
            f"retracts {bad['retracts']}, which is no event of {bad['stream']} {bad['key']} "
            "in the log or the batch",
            bad["_row"],
            "retracts",
            file,
            lines,
        )
