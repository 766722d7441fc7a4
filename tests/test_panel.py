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


def test_a_panel_is_built_once_per_tape_and_its_expressions_outlive_it():
    """``Panel.on`` hands the same panel to every reader of the same views on one tape. An
    expression built on a panel keeps working after the panel is gone (pushed out of the
    tape's panels, or never held: ``Panel(...).closed()``), because kept tables live as long
    as the tape's connection."""
    import gc

    from analysis import panel as panel_module

    tape = Tape(_two_symbols())
    cut = dt.datetime(2025, 1, 6, 22, tzinfo=dt.UTC)
    first = Panel.on(tape, [View(cut)], symbols=["^A", "^B"])
    assert Panel.on(tape, [View(cut)], symbols=["^B", "^A"]) is first
    assert Panel.on(tape, [View(cut + dt.timedelta(days=1))], symbols=["^A"]) is not first
    closed = first.closed()
    closes = tape.run(closed)["close"].to_list()
    for k in range(panel_module.PANELS_PER_TAPE):
        Panel.on(tape, [View(cut + dt.timedelta(days=2 + k))], symbols=["^A"])
    assert Panel.on(tape, [View(cut)], symbols=["^A", "^B"]) is not first  # pushed out
    del first
    orphan = Panel(tape, [View(cut)], symbols=["^A", "^B"]).closed()
    gc.collect()
    assert tape.run(closed)["close"].to_list() == closes
    assert sorted(tape.run(orphan)["close"].to_list()) == sorted(closes)


def test_a_second_verify_at_the_same_version_reads_the_kept_panels(real_log, monkeypatch):
    """``verify`` run twice in one process at one store version folds once: the second run
    keeps nothing new on the engine, and its verdicts are the first run's."""
    from analysis.backends import DuckDBBackend
    from analysis.claims.commands import run_verify
    from analysis.claims.report import dumps, report_json

    first = dumps(report_json(run_verify(real_log, ["B"], charts=False), None))
    keeps = []
    original = DuckDBBackend.keep

    def counted(self, con, expr):
        keeps.append(expr)
        return original(self, con, expr)

    monkeypatch.setattr(DuckDBBackend, "keep", counted)
    second = dumps(report_json(run_verify(real_log, ["B"], charts=False), None))
    assert keeps == []
    assert second == first
    # with the kept tape forgotten, the next run folds again, to the same verdicts
    Tape.forget_shared()
    third = dumps(report_json(run_verify(real_log, ["B"], charts=False), None))
    assert keeps != []
    assert third == first


def test_a_store_made_again_at_the_same_path_gets_its_own_shared_tape(tmp_path):
    """Version numbers start again in a store deleted and made again at the same path; the
    shared tape of the old one must not answer for the new one (found in review)."""
    import shutil

    from analysis.panel import Panel, View
    from store import EventLog, batch
    from store.contract import session_bar

    root = tmp_path / "store"
    cut = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)

    def made_with(close: float) -> EventLog:
        log = EventLog.open(root, create=True)
        bar = session_bar(dt.date(2025, 1, 6), close, symbol="^GSPC", feed="yahoo")
        log.append(batch([bar]))
        return log

    def closes(tape: Tape) -> list[float]:
        panel = Panel.on(tape, [View(cut)], symbols=["^GSPC"])
        return tape.run(panel.closed().select("close"))["close"].to_list()

    first = Tape.shared(made_with(100.0))
    assert closes(first) == [100.0]
    shutil.rmtree(root)
    second_log = made_with(200.0)
    second = Tape.shared(second_log)
    assert second.version == first.version and second is not first
    assert closes(second) == [200.0]
    assert Tape.shared(second_log) is second  # and it is shared in turn
