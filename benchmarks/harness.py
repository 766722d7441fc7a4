"""Run a case in a fresh process: median wall time of its runs, and the process's peak RSS.

Each case gets its own spawned interpreter, so peak RSS is that case's alone (imports
included) and no engine warms another's caches in memory. Files stay in the OS page cache
between runs: every engine, baselines included, reads warm files after its first run.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import resource
import statistics
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Measurement:
    """What one case measured."""

    case: str
    size: str
    times: list[float]
    peak_rss: int  # bytes
    result: Any = None
    rows: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def workload(self) -> str:
        return self.case.split("/", 1)[0]

    @property
    def engine(self) -> str:
        return self.case.split("/", 1)[1]


def peak_rss() -> int:
    """This process's peak resident set in bytes (Linux ``VmHWM``).

    Not ``ru_maxrss``: Linux carries it across ``exec``, so a spawned child would report at
    least the parent's peak at the time it was forked.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _timed(case: str, params: dict[str, Any], repeat: int) -> tuple[list[float], Any, Any]:
    """Set ``case`` up, then time ``repeat`` runs of it: the times, the last result, the
    context."""
    from benchmarks.cases import CASES

    setup, run = CASES[case]
    ctx = setup(params)
    times, result = [], None
    for i in range(repeat):
        if "before" in ctx:
            ctx["before"](i)
        untimed = ctx["untimed"]() if "untimed" in ctx else 0.0
        t0 = time.perf_counter()
        result = run(ctx, i)
        elapsed = time.perf_counter() - t0
        if "untimed" in ctx:
            elapsed -= ctx["untimed"]() - untimed
        times.append(elapsed)
    return times, result, ctx


class CaseDied(RuntimeError):
    """A case's process ended without a result (killed, most likely for memory)."""


def _child(conn: Any, case: str, params: dict[str, Any], repeat: int) -> None:
    # If memory runs out, the kernel is to kill this case's process, not the suite's
    # (raising one's own score needs no privilege).
    with contextlib.suppress(OSError):
        Path("/proc/self/oom_score_adj").write_text("1000")
    try:
        times, result, ctx = _timed(case, params, repeat)
        peak = peak_rss()
        conn.send(("ok", times, peak, result, ctx.get("rows")))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def run_here(case: str, size: str, params: dict[str, Any], repeat: int = 1) -> Measurement:
    """Run ``case`` in this process (the correctness check in the tests: no RSS figure)."""
    times, result, ctx = _timed(case, params, repeat)
    return Measurement(case, size, times, 0, result, ctx.get("rows"))


def measure(case: str, size: str, params: dict[str, Any], repeat: int = 3) -> Measurement:
    """Run ``case`` ``repeat`` times in one fresh process."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, case, params, repeat))
    proc.start()
    child.close()
    try:
        message = parent.recv()
    except EOFError:  # the process died without a word: killed, most likely out of memory
        proc.join()
        raise CaseDied(
            f"the process exited with code {proc.exitcode}"
            + (" (killed: out of memory, most likely)" if proc.exitcode == -9 else "")
        ) from None
    proc.join()
    if message[0] != "ok":
        raise RuntimeError(f"{case} ({size}) failed:\n{message[1]}")
    _, times, peak, result, rows = message
    return Measurement(case, size, times, peak, result, rows)
