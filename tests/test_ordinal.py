"""The first row of each partition (analysis.ordinal) and the preferred feed's fact
(Tape.prefer): against plain-Python oracles, and planned by DuckDB as an aggregate."""

from __future__ import annotations

import datetime as dt

import ibis
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ordinal import first_rows
from analysis.tape import UNRANKED, Tape
from store import MemoryEventLog, batch
from store.contract import session_bar
from store.reference.catalog import load_catalog
from store.reference.clock import FAR_FUTURE

rows_st = st.lists(
    st.tuples(st.sampled_from("abc"), st.integers(0, 2), st.integers(0, 10_000)),
    min_size=1,
    max_size=40,
    unique_by=lambda r: (r[0], r[1], r[2]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_st, st.booleans())
def test_first_rows_is_the_first_of_each_group(rows, descending):
    frame = pl.DataFrame(rows, schema=["g", "h", "k"], orient="row")
    t = ibis.memtable(frame)
    key = ibis.desc(t.k) if descending else t.k
    got = first_rows(t, [t.g, t.h], [key]).to_polars()
    best: dict[tuple[str, int], int] = {}
    for g, h, k in rows:
        old = best.get((g, h))
        if old is None or (k > old if descending else k < old):
            best[(g, h)] = k
    assert sorted(got.rows()) == sorted((g, h, k) for (g, h), k in best.items())


def test_first_rows_is_planned_as_an_aggregate():
    # the reason the module exists: ibis's 0-based row_number() compiles to ROW_NUMBER() - 1,
    # which DuckDB sorts partition by partition; a bare ROW_NUMBER() = 1 becomes arg_max
    con = ibis.duckdb.connect()
    t = con.create_table(
        "bars",
        pl.DataFrame({"symbol": ["^A", "^A", "^B"], "session": [1, 2, 1], "close": [1.0, 2, 3]}),
    )
    sql = ibis.to_sql(first_rows(t, [t.symbol], [ibis.desc(t.session)]), dialect="duckdb")
    assert "ROW_NUMBER() OVER" in sql and "- 1" not in sql
    plan = "\n".join(r[1] for r in con.con.sql("EXPLAIN " + sql).fetchall())
    assert "arg_max" in plan.lower()
    assert "window" not in plan.lower()
    old = t.mutate(_n=ibis.row_number().over(group_by=t.symbol, order_by=ibis.desc(t.session)))
    old_plan = "\n".join(
        r[1] for r in con.con.sql("EXPLAIN " + ibis.to_sql(old.filter(old._n == 0))).fetchall()
    )
    assert "window" in old_plan.lower()  # what it replaced: a sort of every partition


def test_first_rows_compiles_for_spark():
    t = ibis.table({"symbol": "string", "session": "date"}, name="bars")
    sql = ibis.to_sql(first_rows(t, [t.symbol], [ibis.desc(t.session)]), dialect="pyspark")
    assert "ROW_NUMBER() OVER" in sql and "QUALIFY" not in sql.upper()


def test_an_engine_without_a_rule_fails_loudly():
    t = ibis.table({"symbol": "string", "session": "date"}, name="bars")
    with pytest.raises(Exception, match="Ordinal"):
        ibis.to_sql(first_rows(t, [t.symbol], [t.session]), dialect="sqlite")


# -- Tape.prefer: the catalog's first feed, later ones filling, unranked feeds last ----------------

SYMBOL = "^GSPC"
RANKED = load_catalog().entry(SYMBOL).preferred  # type: ignore[union-attr]
FEEDS = (*RANKED, "aaa-unranked", "zzz-unranked")
DAY0 = dt.date(2025, 1, 6)

have_st = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from(FEEDS)),
    min_size=1,
    max_size=30,
    unique=True,
)


def _rank(feed: str) -> tuple[int, str]:
    return (RANKED.index(feed) if feed in RANKED else UNRANKED, feed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(have_st)
def test_the_preferred_feed_wins_each_session(have):
    events = [
        session_bar(DAY0 + dt.timedelta(days=day), 100.0 + i, symbol=SYMBOL, feed=feed)
        for i, (day, feed) in enumerate(have)
    ]
    log = MemoryEventLog()
    log.append(batch(events))
    tape = Tape(log)
    bars = tape.facts(FAR_FUTURE, event_type="PriceBar", entities=[SYMBOL])
    bars = bars.select("symbol", "feed", "session", "close")
    expected: dict[dt.date, str] = {}
    for day, feed in have:
        session = DAY0 + dt.timedelta(days=day)
        if session not in expected or _rank(feed) < _rank(expected[session]):
            expected[session] = feed
    for one_per_feed in (True, False):
        got = tape.run(
            tape.prefer(bars, "symbol", "session", adjusted=False, one_per_feed=one_per_feed)
        )
        assert dict(zip(got["session"], got["feed"], strict=True)) == expected
        assert got.height == len(expected)
