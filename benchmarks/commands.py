"""tapecheck's own commands on the real data (``TAPECHECK_DATA``), each as a whole process.

Wall time and the peak RSS of the command's process, measured by a small wrapper process
(``RUSAGE_CHILDREN`` of a process with one child is that child's peak).

Each command runs first with an empty cache directory (``TAPECHECK_CACHE``: every query shape
compiled by ibis and the XNYS calendar built, as on a new machine), then ``repeat`` times with
what the first run kept (as every later run). ``verify`` is also timed in one process, warm:
the second of two runs, as a notebook re-running it sees (it reads the panels the first run
kept on its tape), and the same with the kept tape forgotten before each run (every panel
folded again; imports done and statements compiled).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - t0
# the wrapper is small, so its one child's ru_maxrss is the command's own peak
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_rss": peak, "code": proc.returncode,
                  "stderr": proc.stderr[-2000:]}))
"""

COMMANDS: list[tuple[str, list[str]]] = [
    ("tapecheck --help", ["--help"]),
    ("tapecheck verify --no-charts", ["verify", "--no-charts"]),
    # A's window is 85 sessions (2025-07-01..2025-10-31): the four-month case
    ("tapecheck infer-date A", ["infer-date", "A"]),
    ("tapecheck infer-date C", ["infer-date", "C"]),
]

# One process, warm: the second of two runs (imports done, statements compiled), each opening
# the store's latest version as the command does.
IN_PROCESS = {
    "verify, in one process, second run": """
from store import EventLog
from analysis.claims.commands import run_verify
def work():
    run_verify(EventLog.open(), None, charts=False)
""",
    "verify, in one process, second run, panels folded again": """
from store import EventLog
from analysis.claims.commands import run_verify
from analysis.tape import Tape
def work():
    Tape.forget_shared()
    run_verify(EventLog.open(), None, charts=False)
""",
    "infer-date A, in one process, second run": """
from store import EventLog
from analysis.tape import Tape
from analysis.claims.commands import _window
from analysis.claims.engine import infer_dates
from analysis.claims.loader import load_articles
(spec,) = load_articles(["A"])
def work():
    infer_dates(spec, Tape(EventLog.open(), cache=True), *_window(None, spec.published.window))
""",
}
SECOND_RUN = """
import json, time
work()
t0 = time.perf_counter()
work()
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def _second_run(script: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", script + SECOND_RUN],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def run_command(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``tapecheck ARGS`` in a new process: its wall time and its own peak RSS."""
    cli = [sys.executable, "-c", "from analysis.cli import main; main()", *args]
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *cli], capture_output=True, text=True, env=env
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    if figures["code"] != 0:
        raise RuntimeError(f"tapecheck {' '.join(args)} failed: {figures['stderr']}")
    return figures


def run_commands(work: Path, data: Path, repeat: int, log: Any = print) -> list[dict[str, Any]]:
    """Ingest the real data into a new store once, then time each command ``repeat`` times."""
    store = work / "real-store"
    shutil.rmtree(store, ignore_errors=True)
    # the ingest and the in-process runs keep their own cache directory: the user's (what it
    # already holds, e.g. today's calendar) must not change a figure
    shared_cache = work / "cache"
    shutil.rmtree(shared_cache, ignore_errors=True)
    env = {
        **os.environ,
        "TAPECHECK_STORE": str(store),
        "TAPECHECK_DATA": str(data),
        "TAPECHECK_CACHE": str(shared_cache),
    }
    rows = []
    ingest = run_command(["ingest"], env)
    rows.append(
        {
            "command": "tapecheck ingest (empty store)",
            "times": [ingest["seconds"]],
            "peak_rss": ingest["peak_rss"],
        }
    )
    for name, args in COMMANDS:
        cache = work / "statement-cache" / "-".join(args)
        shutil.rmtree(cache, ignore_errors=True)
        run_env = {**env, "TAPECHECK_CACHE": str(cache)}
        cold = run_command(args, run_env)
        runs = [run_command(args, run_env) for _ in range(repeat)]
        rows.append(
            {
                "command": f"{name} (empty cache)",
                "times": [cold["seconds"]],
                "peak_rss": cold["peak_rss"],
            }
        )
        rows.append(
            {
                "command": name,
                "times": [r["seconds"] for r in runs],
                "peak_rss": max(r["peak_rss"] for r in runs),
            }
        )
        log(
            f"  {name:<34} first {cold['seconds']:7.3f} s, "
            f"then median {statistics.median(rows[-1]['times']):7.3f} s"
        )
    for name, script in IN_PROCESS.items():
        warm = [_second_run(script, env) for _ in range(repeat)]
        rows.append({"command": name, "times": warm, "peak_rss": None})
        log(f"  {name:<34} median {statistics.median(warm):7.3f} s")
    return rows
