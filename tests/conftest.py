"""Shared fixtures: small event builders and a byte-level fingerprint of a store."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from store import EventLog, MemoryEventLog
from store.contract import bars_batch, session_bar  # noqa: F401  (shared builders)

UTC = dt.UTC


def tree_fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every file below ``root``: equal fingerprints mean byte-for-byte equal trees."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(params=["delta", "memory"])
def any_log(request: pytest.FixtureRequest, tmp_path: Path) -> EventLog | MemoryEventLog:
    """Every storage adapter, for the contract suite."""
    if request.param == "delta":
        return EventLog.open(tmp_path / "store", create=True)
    return MemoryEventLog()


@pytest.fixture
def delta_log(tmp_path: Path) -> EventLog:
    return EventLog.open(tmp_path / "store", create=True)


REQUIRE_DATA_ENV = "TAPECHECK_REQUIRE_DATA"


def pytest_configure(config: pytest.Config) -> None:
    """Compiled statements and the calendar go to a directory of this run (and its
    subprocesses), never to the user's cache. Set before collection: test modules build
    tables from the calendar when they are imported."""
    import os
    import tempfile

    from store.config import CACHE_ENV

    path = tempfile.mkdtemp(prefix="tapecheck-test-cache-")
    config.stash[_CACHE_KEY] = (path, os.environ.get(CACHE_ENV))
    os.environ[CACHE_ENV] = path


def pytest_unconfigure(config: pytest.Config) -> None:
    import os
    import shutil

    from store.config import CACHE_ENV

    if _CACHE_KEY not in config.stash:
        return
    path, before = config.stash[_CACHE_KEY]
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before
    shutil.rmtree(path, ignore_errors=True)


_CACHE_KEY = pytest.StashKey[tuple[str, "str | None"]]()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real market data (TAPECHECK_DATA); tests that need it skip when it is absent, and
    fail instead when ``TAPECHECK_REQUIRE_DATA=1`` (CI sets it: a green run means they ran)."""
    import os

    from store.config import data_path

    path = data_path()
    if not (path / "prices").is_dir():
        message = f"real data not found at {path} (set TAPECHECK_DATA)"
        if os.environ.get(REQUIRE_DATA_ENV, "") not in ("", "0"):
            pytest.fail(f"{message}; {REQUIRE_DATA_ENV} is set, so this is a failure")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def real_log(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> EventLog:
    """The whole catalog ingested once per test session into a scratch store."""
    from store.ingest.run import ingest_catalog

    log = EventLog.open(tmp_path_factory.mktemp("real") / "store", create=True)
    ingest_catalog(log, data_dir)
    return log


@pytest.fixture(scope="session")
def verified(real_log: EventLog):
    """Every article evaluated once per test session (this also records the specs' calls):
    claim results by id, and article results by article id."""
    from analysis.claims.commands import run_verify

    results = run_verify(real_log, None, charts=False)
    return {c.id: c for r in results for c in r.claims}, {r.spec.id: r for r in results}


@pytest.fixture(scope="session")
def real_tape(real_log: EventLog):
    from analysis.tape import Tape

    return Tape(real_log)


def run_tapecheck(*args: str, store: Path | None = None, timeout: int = 300):
    """Run the ``tapecheck`` CLI in a real subprocess (exit codes and stderr as a user sees
    them); ``store`` becomes ``--store``."""
    import subprocess
    import sys

    extra = ["--store", str(store)] if store is not None else []
    return subprocess.run(
        [sys.executable, "-c", "from analysis.cli import main; main()", *args, *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run only when asked for (``-m browser``, as ``nox -s browser`` does):
    they need Debian's chromium and start JupyterLab."""
    if "browser" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="a real browser: run with nox -s browser")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def tape_fold(
    log: EventLog,
    known_at: dt.datetime | None = None,
    *,
    version: int | None = None,
    streams: list[str] | None = None,
):
    """The tape's own cold fold (``Tape.facts`` folding the log on DuckDB, a version pinned,
    never reading the projection) in the projection's columns, schema and order: what
    ``log.folded`` and the tape's projected reads must equal."""
    import polars as pl

    from analysis.tape import Tape
    from store.projection import CLUSTER, SCHEMA

    tape = Tape(log, version=version, projection=False)
    facts = tape.fold() if known_at is None else tape.facts(known_at)
    if streams is not None:
        facts = facts.filter(facts.stream.isin(streams))
    frame = tape.run(facts.select(*SCHEMA.names()))
    return frame.cast(dict(SCHEMA)).sort(list(CLUSTER)).select(pl.col(SCHEMA.names()))


# -- the Spark parity suite (marker ``spark``; nox -s spark) -----------------------------------


@pytest.fixture(scope="session")
def spark_con():
    """One Spark session (``local[2]``) for the whole test session: starting one takes seconds."""
    from analysis.backends import SparkBackend

    return SparkBackend().connect()


@pytest.fixture(scope="session")
def universe_log(tmp_path_factory: pytest.TempPathFactory) -> EventLog:
    """The seeded synthetic universe (tests/universe.py) in a scratch Delta store."""
    from universe import write_universe

    log = EventLog.open(tmp_path_factory.mktemp("universe") / "store", create=True)
    write_universe(log)
    return log
