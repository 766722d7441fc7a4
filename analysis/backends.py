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

from analysis.statements import statements
from store.config import DUCKDB_MEMORY_ENV, duckdb_memory
from store.errors import BadInput, TapecheckError
from store.log import Snapshot

__all__ = [
    "BACKENDS",
    "BACKEND_ENV",
    "BACKEND_HELP",
    "Backend",
    "backend_for",
    "backend_named",
    "delta_in_packages",
    "register",
]

BACKEND_ENV = "TAPECHECK_BACKEND"
BACKEND_HELP = "Engine: duckdb (embedded, the default) or pyspark; default $TAPECHECK_BACKEND."
SPARK_MASTER_ENV = "TAPECHECK_SPARK_MASTER"
# What a session tapecheck starts itself is set to; a session the user built is left as it is.
LOCAL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # a few cores: the default 200 shuffle partitions would be 200 tiny tasks per query
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
DELTA_PACKAGE = "io.delta:delta-spark"
JAVA_HINT = (
    "Spark needs Java 17: install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
    "macOS: brew install openjdk@17) and set JAVA_HOME"
)
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

    def read_snapshot(
        self, con: ibis.BaseBackend, snapshot: Snapshot, schema: pl.Schema
    ) -> ir.Table:
        """The events of one Delta version: by default, a scan of exactly its data files."""
        return self.scan(con, snapshot.files, schema)

    @abstractmethod
    def keep(self, con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once and keep the result on the engine for many later queries."""

    @abstractmethod
    def upload(self, con: ibis.BaseBackend, frame: pl.DataFrame) -> ir.Table:
        """A small frame (reference data, a list of cuts) as a table on the engine."""

    def execute(self, con: ibis.BaseBackend, expr: ir.Expr) -> pl.DataFrame:
        """Execute ``expr`` on ``con`` as the engine returns it."""
        return con.to_polars(expr)

    def to_polars(self, con: ibis.BaseBackend, expr: ir.Expr) -> pl.DataFrame:
        """Execute ``expr`` on ``con``; timestamps come back in UTC whatever the engine does."""
        frame = self.execute(con, expr)
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
        # every panel scans the same projection files: read each file's footer once (Delta
        # data files are written once under unique names, so a kept footer cannot go stale)
        con.raw_sql("SET parquet_metadata_cache = true")
        memory = duckdb_memory()
        if memory is not None:
            import duckdb

            quoted = "'" + memory.replace("'", "''") + "'"
            try:
                con.raw_sql(f"SET memory_limit = {quoted}")
            except duckdb.Error as exc:
                con.disconnect()
                raise BadInput(
                    f"{memory!r} is not a memory size DuckDB accepts, such as 4GB or 512MiB "
                    f"({' '.join(str(exc).split())})",
                    field=DUCKDB_MEMORY_ENV,
                ) from None
        return con

    def scan(self, con: ibis.BaseBackend, files: tuple[str, ...], schema: pl.Schema) -> ir.Table:
        if not files:
            return self.upload(con, pl.DataFrame(schema=schema))
        return con.read_parquet(list(files), table_name=unique_name("tapecheck_events"))

    def execute(self, con: ibis.BaseBackend, expr: ir.Expr) -> pl.DataFrame:
        # each shape of query compiles once (analysis/statements.py)
        return statements.run(con, expr)

    def keep(self, con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
        return statements.create_temp_table(con, unique_name("tapecheck_kept"), expr)

    def upload(self, con: ibis.BaseBackend, frame: pl.DataFrame) -> ir.Table:
        return con.create_table(unique_name("tapecheck_ref"), frame, temp=True)


@register("pyspark")
class SparkBackend(Backend):
    """Apache Spark through ibis's PySpark backend.

    The session is the active one when there is one (a Databricks notebook, or a session the
    user configured), else a new ``local[2]`` session (``$TAPECHECK_SPARK_MASTER`` overrides
    the master). Spark reads the pinned Delta version natively (``versionAsOf``) when it can
    resolve the ``delta`` data source (delta-spark on the class path, or in
    ``spark.jars.packages``), and otherwise exactly the version's file list: reading the table
    directory would also pick up files the log has removed (compaction leaves them on disk).
    Kept results are cached temporary views (ibis has no temporary tables on Spark), and
    timestamps come back without a zone, which :meth:`Backend.to_polars` puts back in UTC (the
    session time zone is UTC).
    """

    def connect(self) -> ibis.BaseBackend:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise TapecheckError(
                "the pyspark backend needs PySpark: pip install 'tapecheck[spark]'"
            ) from None
        session = SparkSession.getActiveSession()
        if session is None:
            builder = SparkSession.builder.master(os.environ.get(SPARK_MASTER_ENV, "local[2]"))
            for key, value in LOCAL_CONF.items():
                builder = builder.config(key, value)
            try:
                session = builder.appName("tapecheck").getOrCreate()
            except Exception as exc:  # pyspark raises its own runtime error when Java is missing
                raise TapecheckError(
                    f"cannot start Spark ({_first_line(exc)}); {JAVA_HINT}"
                ) from None
            session.sparkContext.setLogLevel("ERROR")
        # ibis sets the session time zone to UTC: Spark timestamps are instants shown in it
        return ibis.pyspark.connect(session)

    @staticmethod
    def session(con: ibis.BaseBackend) -> Any:
        """The ``SparkSession`` behind an ibis PySpark connection."""
        return con._session

    def reads_delta(self, con: ibis.BaseBackend) -> bool:
        """Whether this session reads Delta tables natively: delta-spark is in
        ``spark.jars.packages``, or Spark resolves the ``delta`` data source."""
        packages = self.session(con).conf.get("spark.jars.packages", "") or ""
        return delta_in_packages(packages) or self.resolves(con, "delta")

    def resolves(self, con: ibis.BaseBackend, source: str) -> bool:
        """Whether ``spark.read.format(source)`` finds a data source: the JVM is asked the
        lookup the reader does, so a JAR counts however it got on the class path (``--jars``,
        ``spark.jars``, a cluster image)."""
        session = self.session(con)
        try:
            jvm, jsession = session._jvm, session._jsparkSession
            lookup = jvm.org.apache.spark.sql.execution.datasources.DataSource.lookupDataSource
            lookup(source, jsession.sessionState().conf())
        except Exception:  # not found, or no JVM to ask (Spark Connect)
            return False
        return True

    def read_snapshot(
        self, con: ibis.BaseBackend, snapshot: Snapshot, schema: pl.Schema
    ) -> ir.Table:
        if not self.reads_delta(con):
            return self.scan(con, snapshot.files, schema)
        reader = self.session(con).read.format("delta").option("versionAsOf", snapshot.version)
        return self._view(con, reader.load(str(snapshot.path)), cache=False)

    def _view(self, con: ibis.BaseBackend, frame: Any, cache: bool) -> ir.Table:
        name = unique_name("tapecheck")
        if cache:
            frame = frame.cache()
        frame.createOrReplaceTempView(name)
        return con.table(name)

    def scan(self, con: ibis.BaseBackend, files: tuple[str, ...], schema: pl.Schema) -> ir.Table:
        if not files:
            return self.upload(con, pl.DataFrame(schema=schema))
        from pyspark.sql.pandas.types import from_arrow_schema

        # the schema is given, so Spark does not open every file's footer to infer it
        spark_schema = from_arrow_schema(pl.DataFrame(schema=schema).to_arrow().schema)
        frame = self.session(con).read.schema(spark_schema).parquet(*files)
        return self._view(con, frame, cache=False)

    def keep(self, con: ibis.BaseBackend, expr: ir.Table) -> ir.Table:
        # compiled by hand, so the in-memory tables it joins must be put on Spark first
        con._register_in_memory_tables(expr)
        frame = self.session(con).sql(str(con.compile(expr)))
        return self._view(con, frame, cache=True)

    def upload(self, con: ibis.BaseBackend, frame: pl.DataFrame) -> ir.Table:
        # PySpark 4 takes Arrow directly: types (UTC timestamps, dates) survive, empty or not
        return self._view(con, self.session(con).createDataFrame(frame.to_arrow()), cache=True)


def delta_in_packages(packages: str) -> bool:
    """Whether a ``spark.jars.packages`` value lists delta-spark.

    >>> delta_in_packages("org.apache.hadoop:hadoop-aws:3.4.1,io.delta:delta-spark_2.13:4.0.0")
    True
    >>> delta_in_packages("org.apache.hadoop:hadoop-aws:3.4.1")
    False
    """
    return any(p.strip().startswith(DELTA_PACKAGE) for p in packages.split(","))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
