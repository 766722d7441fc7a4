"""Prepared statements: each shape of query compiled to SQL once.

ibis compiles an expression to SQL in Python, and that costs 30 to 200 ms a query, more than
DuckDB then takes to run it on a panel of a few hundred thousand bars. Claims of one kind ask the
same question of other symbols, dates, views and levels: the same *shape* of query with other
constants. :class:`Statements` compiles each shape once, to a prepared statement whose constants
are numbered parameters (``$1``, ``$2``, ...) and whose tables are stand-ins, and runs every
later query of that shape by binding its own constants and table names to it.

A shape is the expression with

- each constant that a comparison or a membership test reads (``session >= DATE``,
  ``symbol IN (...)``, ``close > LEVEL``) replaced by a numbered :class:`Slot` of the same type,
  compiled as ``CAST($n AS type)``, so the engine compares exactly what it compared before;
- each table of the engine replaced by a numbered stand-in, because a kept table's name differs
  from one run to the next while its columns do not.

Every other constant (window frames, string patterns, arithmetic) stays part of the shape: those
are where an engine wants a literal, or where a literal's type (a DuckDB ``DECIMAL``) would
differ from a parameter's. A shape that fails to compile or to run prepared is compiled the
ordinary way from then on, so a query never fails because of the cache.

Compiled shapes are also kept on disk, one file per shape named by the SHA-256 of the shape's
key, under ``$TAPECHECK_CACHE/statements`` (default: the user's cache directory, e.g.
``~/.cache/tapecheck``; ``TAPECHECK_CACHE=off`` keeps them in memory only), in a directory per
ibis and sqlglot version, so that a new process does not compile again what an earlier one did.
A shape whose key holds a value without a stable text (an object of a type not listed in
:func:`_stable`) is kept in memory only.

Examples
--------
>>> import ibis, polars as pl
>>> con = ibis.duckdb.connect()
>>> t = con.create_table("bars", pl.DataFrame({"symbol": ["^A", "^B"], "close": [1.0, 2.0]}))
>>> statements = Statements(stored=False)
>>> [statements.run(con, t.filter(t.symbol == s))["close"].item() for s in ("^A", "^B")]
[1.0, 2.0]
>>> statements.compiled, statements.reused
(1, 1)
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import enum
import functools
import hashlib
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.datashape as ds
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir
import polars as pl
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.expr.schema import Schema

from store.config import cache_path
from store.files import write_atomically

__all__ = [
    "SLOTTED_BY",
    "Slot",
    "Statements",
    "cache_directory",
    "statements",
    "uncached",
]

# Bumped whenever what a stored statement means changes (the slot rendering, the key's text).
FORMAT = 1

# The operations whose constant operands become parameters: comparisons and membership tests,
# where a column is compared with a value, so binding the value changes nothing the engine does.
SLOTTED_BY: tuple[type[ops.Node], ...] = (
    ops.Equals,
    ops.NotEquals,
    ops.Greater,
    ops.GreaterEqual,
    ops.Less,
    ops.LessEqual,
    ops.Between,
    ops.InValues,
)
# The constant types a parameter carries exactly as the literal would (no DECIMAL parsing, no
# interval or nested types).
_SLOTTED_TYPES = (dt.String, dt.Date, dt.Timestamp, dt.Floating, dt.Integer, dt.Boolean)
# A constant selected as a column keeps its type as a parameter only for these (a float literal
# is a DECIMAL to DuckDB, and a narrow integer could overflow where a literal would not).
_SELECTED_TYPES = (dt.String, dt.Date, dt.Timestamp, dt.Boolean)
# Shapes kept per process; a verify of the four articles needs 88.
CAPACITY = 1024
_STAND_IN = "__tapecheck_table_{}__"
# The operations ibis's DuckDB backend prepares before a query runs (see `_Bound.hooked`).
_HOOKED: tuple[type[ops.Node], ...] = (
    ops.InMemoryTable,
    ops.ScalarUDF,
    ops.AggUDF,
    ops.GeoSpatialUnOp,
    ops.GeoSpatialBinOp,
)


class Slot(ops.Value):
    """A constant of a shape: the ``index``-th parameter of its prepared statement."""

    index: int
    dtype: dt.DataType
    shape = ds.scalar


@dataclass(frozen=True)
class _Bound:
    """One query, as the key of its shape and what it binds to it."""

    op: ops.Node
    key: tuple[Any, ...]
    slots: dict[ops.Node, int]
    tables: dict[ops.Node, int]
    # whether ibis's pre-execute hooks have work to do (register a memtable or a UDF, load an
    # extension, warn of a consumed reader); each walks the whole graph, ~4 ms a query
    hooked: bool

    @property
    def values(self) -> tuple[Any, ...]:
        return tuple(_value(literal) for literal in self.slots)

    def shape(self) -> ops.Node:
        """The query with its constants as slots and its tables as stand-ins (compiled once)."""
        replacements: dict[ops.Node, ops.Node] = {
            literal: Slot(i, literal.dtype) for literal, i in self.slots.items()
        }
        for table, i in self.tables.items():
            assert isinstance(table, ops.PhysicalTable)
            namespace = getattr(table, "namespace", ops.Namespace())
            replacements[table] = ops.DatabaseTable(
                _STAND_IN.format(i), table.schema, None, namespace
            )
        return self.op.replace(replacements) if replacements else self.op


class Statements:
    """Prepared statements by shape, for DuckDB connections driven by ibis.

    Parameters
    ----------
    capacity
        Shapes kept in memory (least recently used ones are dropped).
    stored
        Also keep compiled shapes on disk, in :func:`cache_directory`.
    """

    def __init__(self, capacity: int = CAPACITY, *, stored: bool = True) -> None:
        self.capacity = capacity
        self.stored = stored
        # per shape: its SQL (None: compiled the ordinary way) and the file that keeps it
        self._sql: OrderedDict[tuple[type, tuple[Any, ...]], tuple[str | None, Path | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self.compiled = 0
        self.loaded = 0
        self.reused = 0
        self.enabled = True

    def run(self, con: Any, expr: ir.Expr) -> pl.DataFrame:
        """Execute ``expr`` on the DuckDB connection ``con``, as ``con.to_polars`` would."""
        bound = self._prepared(con, expr)
        if bound is None:
            return con.to_polars(expr)
        key, sql, values = bound
        try:
            table = con.con.sql(sql, params=list(values)).to_arrow_table()
        except duckdb.Error:
            # the engine will not take this shape prepared: it compiles whole from now on
            self._refuse(key)
            return con.to_polars(expr)

        table = expr.as_table().__pyarrow_result__(table, data_mapper=_data_mapper())
        return expr.__polars_result__(pl.from_arrow(table))

    def create_temp_table(self, con: Any, name: str, expr: ir.Table) -> ir.Table:
        """``CREATE TEMP TABLE name AS expr`` on ``con``, as ``con.create_table`` would."""
        bound = self._prepared(con, expr)
        if bound is None:
            return con.create_table(name, expr, temp=True)
        key, sql, values = bound
        try:
            con.con.execute(f"CREATE TEMP TABLE {_quoted(con, name)} AS {sql}", list(values))
        except duckdb.Error:
            self._refuse(key)
            return con.create_table(name, expr, temp=True)
        return con.table(name)

    def _refuse(self, key: tuple[type, tuple[Any, ...]]) -> None:
        with self._lock:
            _, stored = self._sql.get(key, (None, None))
            self._sql[key] = (None, None)
        if stored is not None:
            # a stored statement the engine refuses (damaged, or written by other code) goes,
            # so that the next process compiles the shape again instead of refusing it too
            with contextlib.suppress(OSError):
                stored.unlink()

    # -- shapes ----------------------------------------------------------------------------------

    def _prepared(
        self, con: Any, expr: ir.Expr
    ) -> tuple[tuple[type, tuple[Any, ...]], str, tuple[Any, ...]] | None:
        """The SQL of ``expr``'s shape with its table names filled in, and the values to bind;
        ``None`` when the query is to be compiled the ordinary way."""
        if not self.enabled:
            return None
        try:
            bound = _bind(expr.as_table().op(), con)
        except Exception:  # an operation that will not take a slot: compile it whole
            return None
        if bound.hooked:
            con._run_pre_execute_hooks(expr)
        key = (type(con.compiler), bound.key)
        with self._lock:
            known = key in self._sql
            template = self._sql[key][0] if known else None
            if known:
                self._sql.move_to_end(key)
        if known and template is None:
            return None
        if not known:
            stored = _stored_path(con, bound) if self.stored else None
            template = _read(stored)
            if template is None:
                template = _compile(con, bound)
                self.compiled += 1
                if template is not None and stored is not None:
                    _write(template, stored)
            else:
                self.loaded += 1
            with self._lock:
                self._sql[key] = (template, stored)
                while len(self._sql) > self.capacity:
                    self._sql.popitem(last=False)
        else:
            self.reused += 1
        if template is None:
            return None
        sql = template
        for table, i in bound.tables.items():
            name = table.name
            sql = sql.replace(_quoted(con, _STAND_IN.format(i)), _quoted(con, name))
        return key, sql, bound.values


@functools.cache
def _data_mapper() -> type:
    """ibis's DuckDB result conversion (``DuckDBPyArrowData``), without the module it lives
    in: that module imports pandas (half a second) for a conversion no tapecheck query uses."""
    import pyarrow as pa
    from ibis.formats.pyarrow import PyArrowData

    class DuckDBArrowData(PyArrowData):
        @classmethod
        def convert_scalar(cls, scalar: pa.Scalar, dtype: dt.DataType) -> pa.Scalar:
            if dtype.is_null():
                return pa.scalar(None)
            return super().convert_scalar(scalar, dtype)

        @classmethod
        def convert_column(cls, column: pa.Array, dtype: dt.DataType) -> pa.Array:
            if dtype.is_null():
                return pa.nulls(len(column))
            return super().convert_column(column, dtype)

    return DuckDBArrowData


def cache_directory() -> Path | None:
    """Where compiled statements are kept between processes (``None``: nowhere)."""
    root = cache_path()
    return root / "statements" if root is not None else None


def _stored_path(con: Any, bound: _Bound) -> Path | None:
    directory = cache_directory()
    if directory is None:
        return None
    try:
        text = _stable(bound.key)
    except _Unstable:
        return None
    compiler = type(con.compiler)
    version = f"ibis-{ibis.__version__}-sqlglot-{sg.__version__}-format-{FORMAT}"
    engine = f"{compiler.__module__}.{compiler.__qualname__}"
    digest = hashlib.sha256(f"{engine}\n{text}".encode()).hexdigest()
    return directory / version / f"{digest}.sql"


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write(template: str, path: Path) -> None:
    # a read-only or full cache directory costs speed, never a result
    with contextlib.suppress(OSError):
        write_atomically(template, path)


class _Unstable(Exception):
    """A key holds a value whose text may differ between processes."""


def _stable(obj: Any) -> str:
    """A text for a key that is the same in every process (no addresses, no set order)."""
    parts: list[str] = []
    _stable_into(obj, parts)
    return "".join(parts)


def _stable_into(obj: Any, parts: list[str]) -> None:
    # one list for the whole key, joined once: joining at every level of a deep key cost
    # 0.3 s for the 88 shapes of a verify
    kind = type(obj)
    if kind is str or kind is int:  # most of a key: the fast path of the branch below
        parts.append(f"{kind.__name__}:{obj!r}")
    elif isinstance(obj, tuple):
        parts.append("(")
        for i, o in enumerate(obj):
            if i:
                parts.append(",")
            _stable_into(o, parts)
        parts.append(")")
    elif isinstance(obj, frozenset):
        parts.append("{" + ",".join(sorted(_stable(o) for o in obj)) + "}")
    elif obj is None or isinstance(
        obj,
        bool
        | int
        | float
        | str
        | bytes
        | decimal.Decimal
        | datetime.date
        | datetime.time
        | datetime.timedelta,
    ):
        parts.append(f"{type(obj).__name__}:{obj!r}")
    elif isinstance(obj, type):
        parts.append(f"type:{obj.__module__}.{obj.__qualname__}")
    elif isinstance(obj, enum.Enum):
        parts.append(f"enum:{type(obj).__module__}.{type(obj).__qualname__}.{obj.name}")
    elif isinstance(obj, dt.DataType):
        parts.append(f"dtype:{obj!r}")
    elif isinstance(obj, Schema):
        parts.append("schema:")
        _stable_into(tuple(obj.items()), parts)
    elif isinstance(obj, ops.Namespace):
        parts.append(f"namespace:{obj.catalog!r}.{obj.database!r}")
    else:
        raise _Unstable(type(obj).__name__)


def _quoted(con: Any, name: str) -> str:
    return str(sg.to_identifier(name, quoted=con.compiler.quoted).sql(con.dialect))


def _bind(op: ops.Node, con: Any) -> _Bound:
    """Split a query into the key of its shape and what it binds.

    The key lists the query's nodes in a depth-first order from the root, each as its type and
    its arguments (a node argument by its number in that order), so equal keys mean equal
    graphs up to the slotted constants and the stand-in tables. Constants and tables are
    numbered in the same order, which is the order the shape numbers its parameters.
    """
    order: list[ops.Node] = []
    number: dict[ops.Node, int] = {}
    stack = [op]
    while stack:
        node = stack.pop()
        if node in number:
            continue
        number[node] = len(order)
        order.append(node)
        stack.extend(reversed(node.__children__))
    slottable = _slottable(order)
    slots: dict[ops.Node, int] = {}
    tables: dict[ops.Node, int] = {}
    key: list[Any] = []
    readers = getattr(con, "_record_batch_readers_consumed", {})
    hooked = False
    for node in order:
        hooked = hooked or isinstance(node, _HOOKED) or _reader_backed(node, readers)
        if node in slottable:
            slots[node] = len(slots)
            key.append(("$", slots[node], node.dtype))
        elif isinstance(node, ops.InMemoryTable) or (
            isinstance(node, ops.DatabaseTable) and node.source is con
        ):
            tables[node] = len(tables)
            key.append(("T", tables[node], node.schema, getattr(node, "namespace", None)))
        else:
            key.append((type(node), *(_encoded(arg, number) for arg in node.__args__)))
    return _Bound(op, tuple(key), slots, tables, hooked)


def _reader_backed(node: ops.Node, readers: dict[str, bool]) -> bool:
    return isinstance(node, ops.PhysicalTable) and node.name in readers


def _encoded(arg: Any, number: dict[ops.Node, int]) -> Any:
    if isinstance(arg, ops.Node):
        return ("#", number[arg])
    if isinstance(arg, tuple):
        return tuple(_encoded(a, number) for a in arg)
    if isinstance(arg, dict):  # FrozenOrderedDict of a selection's columns
        return tuple((k, _encoded(v, number)) for k, v in arg.items())
    return arg


def _slottable(order: list[ops.Node]) -> set[ops.Node]:
    """The constants every use of which is a comparison, a membership test, or (dates, text,
    flags) a selected column: only there does a parameter behave exactly as the literal."""
    safe: dict[ops.Node, bool] = {}
    for node in order:
        if isinstance(node, ops.Literal):
            continue
        for arg, how in _uses(node):
            if isinstance(arg, ops.Literal):
                safe[arg] = safe.get(arg, True) and how
    return {
        literal
        for literal, ok in safe.items()
        if ok and literal.value is not None and isinstance(literal.dtype, _SLOTTED_TYPES)
    }


def _uses(node: ops.Node) -> Iterator[tuple[Any, bool]]:
    """Each argument of ``node``, with whether a constant there may be a parameter: a direct
    operand of a comparison or membership test, or a column a projection selects. Anything
    nested deeper is a use that keeps the constant a literal."""
    compares = isinstance(node, SLOTTED_BY)
    for arg in node.__args__:
        if isinstance(arg, dict):
            for a in arg.values():
                selected = isinstance(node, ops.Project) and isinstance(
                    getattr(a, "dtype", None), _SELECTED_TYPES
                )
                yield a, selected
        elif isinstance(arg, tuple):
            for a in arg:
                if isinstance(a, tuple | dict):
                    yield from ((leaf, False) for leaf in _leaves(a))
                else:
                    yield a, compares
        else:
            yield arg, compares


def _leaves(arg: Any) -> Iterator[Any]:
    if isinstance(arg, dict):
        arg = tuple(arg.values())
    if isinstance(arg, tuple):
        for a in arg:
            yield from _leaves(a)
    else:
        yield arg


def _value(literal: ops.Literal) -> Any:
    value = literal.value
    # pandas timestamps (ibis may keep them) bind as Python datetimes
    to_py = getattr(value, "to_pydatetime", None)
    value = to_py() if to_py is not None else value
    dtype = literal.dtype
    if isinstance(value, datetime.datetime) and isinstance(dtype, dt.Timestamp):
        # ibis compiles a timestamp literal from its wall-clock fields, read in the type's
        # zone (none: a naive timestamp); bind the same instant, not the session zone's reading
        if dtype.timezone is None:
            value = value.replace(tzinfo=None)
        elif value.tzinfo is None:
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(dtype.timezone))
    return value


def _compile(con: Any, bound: _Bound) -> str | None:
    try:
        query = _slot_compiler(con.compiler.__class__).to_sqlglot(bound.shape().to_expr())
        return str(
            query.sql(dialect=con.dialect, copy=False, unsupported_level=sg.ErrorLevel.RAISE)
        )
    except Exception:  # a rule that cannot compile a slot: this shape compiles whole
        return None


@functools.cache
def _slot_compiler(cls: Any) -> Any:
    class SlotCompiler(cls):
        def visit_Slot(self, op: Slot, *, index: int, dtype: dt.DataType) -> sge.Expression:
            return self.cast(sge.Placeholder(this=str(index + 1)), dtype)

    return SlotCompiler()


statements = Statements()


@contextmanager
def uncached() -> Iterator[None]:
    """Compile every query the ordinary way inside the block (what the cache is tested
    against)."""
    before = statements.enabled
    statements.enabled = False
    try:
        yield
    finally:
        statements.enabled = before
