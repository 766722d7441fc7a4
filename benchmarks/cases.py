"""Every measured case: an untimed ``setup`` and a timed ``run``, executed in a fresh process.

``setup(params)`` returns a context; ``run(ctx, i)`` is timed, for runs ``i = 0, 1, ...``, and
returns the case's result (compared across engines by the caller). A context may carry an
untimed ``before(i)`` hook (a fresh directory for an append from empty), and an ``untimed()``
counter of the seconds its runs spent reading their input, which is left out of their times.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import appends, engines
from benchmarks.incremental import SignalState

Context = dict[str, Any]


# -- appends ---------------------------------------------------------------------------------


def _append_setup(params: dict[str, Any]) -> Context:
    batches = appends.Batches.of_universe(Path(params["universe"]))
    target = Path(params["target"])
    return {
        "batches": batches,
        "target": target,
        "before": lambda i: appends.scratch(target / f"run-{i}"),
        "untimed": lambda: batches.reading,
        "rows": batches.rows,
    }


def append_tapecheck(ctx: Context, i: int) -> int:
    return appends.tapecheck_append(ctx["batches"], ctx["target"] / f"run-{i}" / "store")


def _raw_setup(params: dict[str, Any]) -> Context:
    ctx = _append_setup(params)
    paths = appends.write_sealed(ctx.pop("batches"), ctx["target"] / "sealed")
    frames = appends.Batches(paths)
    ctx.update(frames=frames, untimed=lambda: frames.reading)
    return ctx


def append_raw(ctx: Context, i: int) -> int:
    return appends.raw_write(ctx["frames"], ctx["target"] / f"run-{i}" / "raw")


def _es_setup(params: dict[str, Any]) -> Context:
    target = Path(params["target"])
    first = sorted(Path(params["universe"]).glob("batch_*.parquet"))[0]
    subset = pl.read_parquet(first, n_rows=appends.ES_SUBSET)
    return {
        "subset": subset,
        "target": target,
        "before": lambda i: appends.scratch(target / f"run-{i}"),
        "rows": subset.height,
    }


def append_eventsourcing(ctx: Context, i: int) -> int:
    return appends.eventsourcing_append(ctx["subset"], ctx["target"] / f"run-{i}" / "es.db")


def _reappend_setup(params: dict[str, Any]) -> Context:
    reverse = (lambda b: b.reverse()) if params.get("reshape") else None
    batches = appends.Batches.of_universe(Path(params["universe"]), reverse)
    return {
        "batches": batches,
        "store": Path(params["store"]),
        "untimed": lambda: batches.reading,
    }


def reappend(ctx: Context, i: int) -> int:
    return appends.reappend(ctx["batches"], ctx["store"])


# -- replay and signals ------------------------------------------------------------------------


def _replay_setup(params: dict[str, Any]) -> Context:
    return dict(params)


def replay_tape(ctx: Context, i: int) -> engines.Signals:
    return engines.tape_signals(Path(ctx["store"]), ctx["cut"])


def replay_projection(ctx: Context, i: int) -> engines.Signals:
    return engines.projection_signals(Path(ctx["store"]), ctx["cut"])


def replay_pandas(ctx: Context, i: int) -> engines.Signals:
    return engines.pandas_signals(ctx["files"], ctx["cut"])


def replay_polars(ctx: Context, i: int) -> engines.Signals:
    return engines.polars_signals(ctx["files"], ctx["cut"])


def replay_duckdb(ctx: Context, i: int) -> engines.Signals:
    return engines.duckdb_signals(ctx["files"], ctx["cut"])


# -- incremental -------------------------------------------------------------------------------


def _incremental_setup(params: dict[str, Any]) -> Context:
    nexts = [pl.read_parquet(p) for p in params["next"]]
    # the state is built cold, once, before any timed run: it is what a live process holds
    return {"nexts": nexts, "state": SignalState(Path(params["store"])), **params}


def incremental(ctx: Context, i: int) -> engines.Signals:
    """Append one more session for every symbol, then bring the signals up to date from the
    new events only."""
    from store import EventLog

    EventLog.open(Path(ctx["store"])).append(ctx["nexts"][i], recorded_at=ctx["recorded"][i])
    ctx["state"].catch_up()
    return ctx["state"].signals()


# -- one symbol at a past cut ------------------------------------------------------------------


def point_projection(ctx: Context, i: int) -> dict[str, object]:
    return engines.point_projection(Path(ctx["store"]), ctx["stream"], ctx["known_at"])


def point_tape(ctx: Context, i: int) -> dict[str, object]:
    return engines.point_tape(Path(ctx["store"]), ctx["symbol"], ctx["known_at"])


def point_duckdb(ctx: Context, i: int) -> dict[str, object]:
    return engines.point_duckdb(ctx["files"], ctx["stream"], ctx["known_at"])


def point_polars(ctx: Context, i: int) -> dict[str, object]:
    return engines.point_polars(ctx["files"], ctx["stream"], ctx["known_at"])


def point_pandas(ctx: Context, i: int) -> dict[str, object]:
    return engines.point_pandas(ctx["files"], ctx["stream"], ctx["known_at"])


Setup = Callable[[dict[str, Any]], Context]
Run = Callable[[Context, int], object]

CASES: dict[str, tuple[Setup, Run]] = {
    "append/tapecheck": (_append_setup, append_tapecheck),
    "append/raw Polars->Delta": (_raw_setup, append_raw),
    "append/eventsourcing+SQLite": (_es_setup, append_eventsourcing),
    "reappend/tapecheck": (_reappend_setup, reappend),
    "replay/tapecheck Tape": (_replay_setup, replay_tape),
    "replay/tapecheck projection": (_replay_setup, replay_projection),
    "replay/pandas": (_replay_setup, replay_pandas),
    "replay/Polars": (_replay_setup, replay_polars),
    "replay/DuckDB SQL": (_replay_setup, replay_duckdb),
    "incremental/tapecheck": (_incremental_setup, incremental),
    "point/tapecheck projection": (_replay_setup, point_projection),
    "point/tapecheck Tape": (_replay_setup, point_tape),
    "point/DuckDB SQL": (_replay_setup, point_duckdb),
    "point/Polars": (_replay_setup, point_polars),
    "point/pandas": (_replay_setup, point_pandas),
}
