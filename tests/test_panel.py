"""The panel: which bars each view holds (oracle: the events written, counted by hand)."""

from __future__ import annotations

import datetime as dt

import ibis

from analysis.examples import SESSIONS, example_log
from analysis.panel import Panel, View
from analysis.tape import Tape
from store import PriceBar, batch


def _two_symbols():
    log = example_log("^A")
    bars = []
    for session in SESSIONS:
        end = dt.datetime.combine(session, dt.time(21), dt.UTC)
        bars.append(
            PriceBar(
                "^B",
                "demo",
                session,
                end - dt.timedelta(hours=6, minutes=30),
                end,
                50.0,
                51.0,
                49.0,
                50.0,
                "examples",
            )
        )
    log.append(batch(bars), recorded_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    return log


def test_a_view_holds_only_the_symbols_it_reads():
    """A view restricted to ``reads`` holds those symbols' bars and no other's; an unrestricted
    view of the same cut holds every symbol's."""
    cut = dt.datetime(2025, 1, 6, 22, tzinfo=dt.UTC)
    panel = Panel(
        Tape(_two_symbols()),
        [View(cut), View(cut, ("^A", "demo"), frozenset({"^A"}))],
        symbols=["^A", "^B"],
    )
    closed = panel.closed()
    counts = panel.run(closed.group_by("view", "symbol").agg(n=ibis._.count()))
    got = {(r["view"], r["symbol"]): r["n"] for r in counts.iter_rows(named=True)}
    # four sessions (Dec 31, Jan 2, 3, 6) closed by the cut, per symbol held
    assert got == {(0, "^A"): 4, (0, "^B"): 4, (1, "^A"): 4}
    assert (1, "^B") not in panel.coverage()
