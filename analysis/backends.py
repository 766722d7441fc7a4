"""The engines the tape runs on, registered per engine (as pandera registers its backends).

A :class:`Backend` is the small set of engine-specific steps the tape needs: connect, scan the
Parquet files of one Delta snapshot, keep an intermediate result on the engine (a temporary
table on DuckDB, a cached view on Spark), upload a small reference frame, and bring a result
back as a Polars frame with UTC timestamps. Everything else (the fold, the signals, the claims)
is one set of ibis expressions that runs on whichever backend holds the tape.

>>> sorted(BACKENDS)
['duckdb', 'pyspark']
>>> backend_named("duckdb").name
'duckdb'
"""

from __future__ import annotations

import itertools
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import polars as pl

from store.errors import TapecheckError

__all__ = ["BACKENDS", "BACKEND_ENV", "Backend", "backend_for", "backend_named", "register"]

BACKEND_ENV = "TAPECHECK_BACKEND"
BACKENDS: dict[str, type[Backend]] = {}
_names = itertools.count()


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    """Class decorator: make a backend available under ``name``."""

    def add(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        BACKENDS[name] = cls
        return cls

    return add


def backend_named(name: str | None = None) -> Backend:
    """The backend called ``name`` (default: ``$TAPECHECK_BACKEND``, else ``duckdb``)."""
    name = name or os.environ.get(BACKEND_ENV) or "duckdb"
    try:
        return BACKENDS[name]()
    except KeyError:
        raise TapecheckError(
            f"unknown backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}"
        ) from None


def backend_for(con: ibis.BaseBackend) -> Backend:
    """The backend that drives an existing ibis connection."""
    return backend_named(con.name)


def unique_name(prefix: str) -> str:
    """A table name no other table of this process uses."""
    return f"{prefix}_{os.getpid()}_{next(_names)}"


class Backend(ABC):
    """The engine-specific steps of the tape. Subclasses register with :func:`register`."""

    name: ClassVar[str]

    @abstractmethod
    def connect(self) -> ibis.BaseBackend:
        """A new connection with UTC as its session time zone."""

    @abstractmethod
    def scan(self, con: ibis.BaseBackend, files: tuple[str, ...], schema: pl.Schema) -> ir.Table:
        """The events in exactly these Parquet files (one Delta snapshot), lazily."""

    @abstractmethod
    def keep(self, con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once and keep the result on the engine for many later queries."""

    @abstractmethod
    def upload(self, con: ibis.BaseBackend, frame: pl.DataFrame) -> ir.Table:
        """A small frame (reference data, a list of cuts) as a table on the engine."""

    def to_polars(self, con: ibis.BaseBackend, expr: ir.Expr) -> pl.DataFrame:
        """Execute ``expr`` on ``con``; timestamps come back in UTC whatever the engine does."""
        frame = con.to_polars(expr)
        naive = [
            c for c, t in frame.schema.items() if isinstance(t, pl.Datetime) and t.time_zone is None
        ]
        if naive:
            # engines with a UTC session time zone return UTC wall-clock values without a zone
            frame = frame.with_columns(pl.col(c).dt.replace_time_zone("UTC") for c in naive)
        return frame


@register("duckdb")
class DuckDBBackend(Backend):
    """The embedded default: an in-process DuckDB reading the snapshot's Parquet files."""

    def connect(self) -> ibis.BaseBackend:
        con = ibis.duckdb.connect()
        # timestamps are compared in UTC whatever the user's machine is set to
        con.raw_sql("SET TimeZone = 'UTC'")
        # DuckDB draws a progress bar on long queries; the CLI draws its own
        con.raw_sql("SET enable_progress_bar = false")
        return con

    def scan(self, con: ibis.BaseBackend, files: tuple[str, ...], schema: pl.Schema) -> ir.Table:
        if not files:
            return self.upload(con, pl.DataFrame(schema=schema))
        return con.read_parquet(list(files), table_name=unique_name("tapecheck_events"))

    def keep(self, con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
        return con.create_table(unique_name("tapecheck_kept"), expr, temp=True)

    def upload(self, con: ibis.BaseBackend, frame: pl.DataFrame) -> ir.Table:
        return con.create_table(unique_name("tapecheck_ref"), frame, temp=True)


@register("pyspark")
class SparkBackend(Backend):
    """Apache Spark through ibis's PySpark backend (``local[2]`` unless a session exists).

    Spark has no temporary tables in ibis, so kept results are cached temporary views; it reads
    exactly the snapshot's file list (reading the table directory would also pick up files the
    Delta log has removed), and returns timestamps without a zone, which :meth:`to_polars` puts
    back in UTC (the session time zone is UTC).
    """

    def connect(self) -> ibis.BaseBackend:
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(os.environ.get("TAPECHECK_SPARK_MASTER", "local[2]"))
            .appName("tapecheck")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate()
        )
        return ibis.pyspark.connect(session)

    @staticmethod
    def _session(con: ibis.BaseBackend) -> Any:
        return con._session

    def _view(self, con: ibis.BaseBackend, frame: Any, cache: bool) -> ir.Table:
        name = unique_name("tapecheck")
        if cache:
            frame = frame.cache()
        frame.createOrReplaceTempView(name)
        return con.table(name)

    def scan(self, con: ibis.BaseBackend, files: tuple[str, ...], schema: pl.Schema) -> ir.Table:
        if not files:
            return self.upload(con, pl.DataFrame(schema=schema))
        return self._view(con, self._session(con).read.parquet(*files), cache=False)

    def keep(self, con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
        frame = self._session(con).sql(str(con.compile(expr)))
        return self._view(con, frame, cache=True)

    def upload(self, con: ibis.BaseBackend, frame: pl.DataFrame) -> ir.Table:
        session = self._session(con)
        arrow = frame.to_arrow()
        if frame.height == 0:
            from pyspark.sql.pandas.types import from_arrow_schema

            spark_frame = session.createDataFrame([], from_arrow_schema(arrow.schema))
        else:
            spark_frame = session.createDataFrame(arrow.to_pandas())
        return self._view(con, spark_frame, cache=True)
