"""The first row of each partition, in a form the engines can plan as an aggregate.

"The last close on or before a day", "the preferred feed's bar of a session" and "the latest
version of a fact" are all one question: the first row of each group in some order. Written as
``ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) = 1``, DuckDB plans it as a hash aggregate
(``arg_max``/``arg_min``, its ``top_n_window_elimination`` rule) instead of sorting every
partition. ibis numbers rows from 0, so it compiles ``ibis.row_number()`` as
``ROW_NUMBER() OVER (...) - 1``, and DuckDB no longer recognises the pattern: the window then
sorts each partition in full, two to three times slower on a panel of 100,000 bars.

:class:`Ordinal` is the row's 1-based position in its window's order, compiled as a bare
``ROW_NUMBER()``, and :func:`first_rows` filters on ``Ordinal == 1``. It is registered with the
compilers of the engines the tape runs on (DuckDB and Spark SQL); any other engine has no rule
for it and fails loudly rather than computing something else.

Examples
--------
>>> import ibis, polars as pl
>>> t = ibis.memtable(pl.DataFrame({"symbol": ["^A", "^A", "^B"], "session": [1, 2, 1]}))
>>> first_rows(t, [t.symbol], [ibis.desc(t.session)]).order_by("symbol").to_polars().rows()
[('^A', 2), ('^B', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir
from ibis.backends.sql.compilers.duckdb import DuckDBCompiler
from ibis.backends.sql.compilers.pyspark import PySparkCompiler

__all__ = ["Ordinal", "first_rows", "ordinal"]


class Ordinal(ops.Analytic):
    """A row's 1-based position in its window's order (``ROW_NUMBER()`` as SQL defines it).

    Not an ibis ``RankBase``: those are shifted to start at 0 when compiled.
    """

    dtype = dt.int64


def _visit_ordinal(self: Any, op: Ordinal, **kw: Any) -> Any:
    return self.f.row_number()


for _compiler in (DuckDBCompiler, PySparkCompiler):
    _compiler.visit_Ordinal = _visit_ordinal


def ordinal() -> ir.IntegerColumn:
    """A 1-based row number; use it with ``.over(...)``."""
    return Ordinal().to_expr()


def first_rows(t: ir.Table, group_by: Sequence[ir.Value], order_by: Sequence[ir.Value]) -> ir.Table:
    """The first row of each ``group_by`` partition of ``t`` in ``order_by`` (ties: any one).

    Examples
    --------
    >>> import ibis, polars as pl
    >>> t = ibis.memtable(pl.DataFrame({"g": [1, 1, 2], "rank": [2, 1, 5], "v": ["b", "a", "c"]}))
    >>> first_rows(t, [t.g], [t["rank"]]).order_by("g")["v"].to_polars().to_list()
    ['a', 'c']
    """
    # filtering on the window itself (SQL's QUALIFY, or a subquery where an engine lacks it)
    # builds a third of the ibis nodes that a numbered column, a filter and a drop would
    return t.filter(ordinal().over(group_by=list(group_by), order_by=list(order_by)) == 1)
