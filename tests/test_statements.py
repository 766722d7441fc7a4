"""Prepared statements (analysis/statements.py): a query run through a shape compiled for other
constants returns exactly what ibis's own compilation of it returns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import ibis.expr.types as ir
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.statements import Statements, statements, uncached
from store.config import CACHE_ENV

UTC = dt.UTC
SYMBOLS = ["^A", "^B", "^C", "O'Hare"]  # a quote in a constant must bind, not break the SQL
DAYS = [dt.date(2025, 1, 2) + dt.timedelta(days=i) for i in range(30)]
# one cache across the property's examples: most run through a shape compiled for others
SHARED = Statements(stored=False)


@pytest.fixture(scope="module")
def con() -> ibis.BaseBackend:
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


@pytest.fixture(scope="module")
def bars(con: ibis.BaseBackend) -> ir.Table:
    rows = [
        {
            "symbol": s,
            "session": d,
            "valid_at": dt.datetime.combine(d, dt.time(21), tzinfo=UTC),
            "close": 100.0 + 3.7 * i - 11.0 * k + (i % 5) * 0.13,
            "view": k,
        }
        for k, s in enumerate(SYMBOLS)
        for i, d in enumerate(DAYS)
    ]
    return con.create_table("bars", pl.DataFrame(rows), temp=True)


def query(
    t: ir.Table,
    symbols: list[str],
    start: dt.date,
    cut: dt.datetime,
    level: float,
    views: list[int],
    sessions: int,
) -> ir.Table:
    """A query with every kind of constant the claims use: membership, dates, instants,
    levels, a window frame, a selected date, arithmetic on a float."""
    t = t.filter(
        t.symbol.isin(symbols),
        t.session >= start,
        t.valid_at <= cut,
        t.close > level,
        t["view"].isin(views),
    )
    w = ibis.window(group_by="symbol", order_by="session", preceding=sessions - 1, following=0)
    t = t.mutate(
        sma=t.close.mean().over(w),
        prior=t.close.max().over(
            ibis.window(group_by="symbol", order_by="session", rows=(-sessions, -1))
        ),
        since=ibis.literal(start),
        scaled=t.close * 1.1,
        rank=ibis.row_number().over(group_by="symbol", order_by=ibis.desc("session")),
    )
    return t.filter(t["rank"] < sessions).order_by("symbol", "session")


constants = st.fixed_dictionaries(
    {
        "symbols": st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=3, unique=True),
        "start": st.sampled_from(DAYS),
        "cut": st.sampled_from(DAYS).map(
            lambda d: dt.datetime.combine(d, dt.time(20, 59, 59, 999_999), tzinfo=UTC)
        ),
        "level": st.floats(min_value=40.0, max_value=200.0, allow_nan=False),
        "views": st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True),
        "sessions": st.integers(1, 6),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(constants)
def test_prepared_equals_compiled(con: ibis.BaseBackend, bars: ir.Table, c: dict) -> None:
    expr = query(bars, **c)
    assert_frame_equal(SHARED.run(con, expr), con.to_polars(expr))


def test_one_shape_compiles_once(con: ibis.BaseBackend, bars: ir.Table) -> None:
    mine = Statements(stored=False)
    cut = dt.datetime(2025, 1, 20, 21, tzinfo=UTC)
    for symbol, start, level in [
        ("^A", DAYS[3], 90.0),
        ("^B", DAYS[5], 95.5),
        ("^C", DAYS[9], 60.25),
    ]:
        expr = query(bars, [symbol], start, cut, level, [0, 1, 2, 3], 3)
        assert_frame_equal(mine.run(con, expr), con.to_polars(expr))
    assert (mine.compiled, mine.reused) == (1, 2)


def test_tables_are_stand_ins(con: ibis.BaseBackend) -> None:
    """Two tables of one schema share a shape; each query reads its own table."""
    mine = Statements(stored=False)
    one = con.create_table("one", pl.DataFrame({"x": [1, 2, 3]}), temp=True)
    two = con.create_table("two", pl.DataFrame({"x": [10, 20, 30]}), temp=True)
    got = [mine.run(con, t.filter(t.x >= v))["x"].to_list() for t, v in [(one, 2), (two, 20)]]
    assert got == [[2, 3], [20, 30]]
    assert (mine.compiled, mine.reused) == (1, 1)
    mem = ibis.memtable({"x": [7, 8]})
    assert mine.run(con, mem.filter(mem.x > 7))["x"].to_list() == [8]
    # a memtable is registered before it runs (ibis's hooks), also joined to an engine table
    # and in a later query of the same shape
    other = ibis.memtable({"x": [2, 30]})
    for m in (mem, other):
        joined = one.join(m, "x")
        assert_frame_equal(mine.run(con, joined), con.to_polars(joined))
    assert mine.run(con, other.filter(other.x > 7))["x"].to_list() == [30]
    # every shape ran prepared: none was refused (a refused shape would fall back to ibis's
    # own path, which runs the hooks itself, and hide a missing registration)
    assert all(sql is not None for sql, _ in mine._sql.values())


def test_hooks_run_only_for_what_needs_them(con: ibis.BaseBackend, bars: ir.Table) -> None:
    """ibis's pre-execute hooks (each a walk of the whole graph) run for a query that has an
    in-memory table, and not for one that reads engine tables only."""
    from analysis.statements import _bind

    mem = ibis.memtable({"x": [1]})
    assert _bind(mem.filter(mem.x > 0).op(), con).hooked
    assert _bind(bars.join(mem, bars["view"] == mem.x).op(), con).hooked
    assert not _bind(bars.filter(bars.symbol == "^A").op(), con).hooked


def test_a_constant_used_elsewhere_stays_in_the_shape(
    con: ibis.BaseBackend, bars: ir.Table
) -> None:
    """The same constant in a comparison and in a window frame or arithmetic is not a
    parameter (a frame wants a literal, and a float literal is a DECIMAL to DuckDB), so the
    two queries below are different shapes, each right."""
    mine = Statements(stored=False)
    for n in (2, 3):
        w = ibis.window(group_by="symbol", order_by="session", preceding=n, following=0)
        expr = bars.filter(bars["view"] == n).mutate(m=bars.close.sum().over(w), s=bars.close * n)
        assert_frame_equal(mine.run(con, expr), con.to_polars(expr))
    assert mine.compiled == 2


def test_kept_tables_bind_too(con: ibis.BaseBackend, bars: ir.Table) -> None:
    mine = Statements(stored=False)
    kept = mine.create_temp_table(con, "kept_a", bars.filter(bars.symbol == "^A"))
    again = mine.create_temp_table(con, "kept_b", bars.filter(bars.symbol == "^B"))
    assert con.to_polars(kept)["symbol"].unique().to_list() == ["^A"]
    assert con.to_polars(again)["symbol"].unique().to_list() == ["^B"]
    assert (mine.compiled, mine.reused) == (1, 1)


def test_stored_shapes_serve_a_new_process(
    con: ibis.BaseBackend, bars: ir.Table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    expr = query(bars, ["^B"], DAYS[2], dt.datetime(2025, 1, 25, tzinfo=UTC), 50.0, [1], 4)
    first = Statements()
    first.run(con, expr)
    assert (first.compiled, first.loaded) == (1, 0)
    stored = list(tmp_path.rglob("*.sql"))
    assert len(stored) == 1
    second = Statements()  # as a new process would: nothing in memory
    assert_frame_equal(second.run(con, expr), con.to_polars(expr))
    assert (second.compiled, second.loaded) == (0, 1)

    # a damaged file costs a compilation, never a wrong or failed query, and is removed ...
    stored[0].write_text("SELECT nonsense FROM nowhere")
    third = Statements()
    assert_frame_equal(third.run(con, expr), con.to_polars(expr))
    assert not stored[0].exists()
    # ... so the next process compiles the shape and keeps it again
    fourth = Statements()
    assert_frame_equal(fourth.run(con, expr), con.to_polars(expr))
    assert (fourth.compiled, fourth.loaded) == (1, 0)
    assert stored[0].read_text() != "SELECT nonsense FROM nowhere"


def test_off_and_unwritable(
    con: ibis.BaseBackend, bars: ir.Table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expr = bars.filter(bars.symbol == "^C")
    monkeypatch.setenv(CACHE_ENV, "off")
    assert_frame_equal(Statements().run(con, expr), con.to_polars(expr))
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the directory would go
    monkeypatch.setenv(CACHE_ENV, str(blocked))
    assert_frame_equal(Statements().run(con, expr), con.to_polars(expr))


def test_uncached_compiles_the_ordinary_way(con: ibis.BaseBackend, bars: ir.Table) -> None:
    before = statements.compiled + statements.loaded + statements.reused
    with uncached():
        con_result = statements.run(con, bars.filter(bars.symbol == "^A"))
    assert con_result.height == len(DAYS)
    assert statements.compiled + statements.loaded + statements.reused == before


def test_every_verdict_is_the_same_without_prepared_statements(real_log, tmp_path: Path) -> None:
    """The whole claims report, byte for byte, with every query compiled the ordinary way."""
    from analysis.claims.commands import run_verify

    version = real_log.version()
    prepared, ordinary = tmp_path / "prepared.json", tmp_path / "ordinary.json"
    run_verify(real_log, None, version=version, json_path=prepared, charts=False)
    with uncached():
        run_verify(real_log, None, version=version, json_path=ordinary, charts=False)
    assert prepared.read_bytes() == ordinary.read_bytes()


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (dt.datetime(2025, 3, 9, 6, 30, tzinfo=UTC), "timestamp('America/New_York')"),
        (dt.datetime(2025, 3, 9, 6, 30), "timestamp('America/New_York')"),
        (dt.datetime(2025, 3, 9, 6, 30, tzinfo=UTC), "timestamp"),
        (dt.datetime(2025, 3, 9, 6, 30), "timestamp"),
    ],
)
def test_timestamp_constants_bind_the_instant_ibis_compiles(
    con: ibis.BaseBackend, value: dt.datetime, dtype: str
) -> None:
    """Naive and zoned constants of naive and zoned types, across a daylight-saving change."""
    mine = Statements(stored=False)
    t = con.create_table(
        f"instants_{abs(hash((value, dtype)))}",
        pl.DataFrame({"i": list(range(48))}).with_columns(
            at=pl.datetime(2025, 3, 8) + pl.duration(hours=pl.col("i"))
        ),
        temp=True,
    )
    at = t.at.cast(dtype)
    expr = t.filter(at <= ibis.literal(value, type=dtype)).select("i")
    assert_frame_equal(mine.run(con, expr), con.to_polars(expr))


def test_results_convert_as_ibis_converts_them(con: ibis.BaseBackend, bars: ir.Table) -> None:
    """A prepared query's result takes the types ibis's DuckDB backend gives it, a column of
    no type (NULL) included."""
    mine = Statements(stored=False)
    expr = bars.filter(bars.symbol == "^A").mutate(nothing=ibis.null(), day=bars.session)
    assert_frame_equal(mine.run(con, expr), con.to_polars(expr))
