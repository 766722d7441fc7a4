"""Fault injection on the input: markup and emoji codes in names, devices and FIFOs, huge
lines and cells, dates out of range, a file that changes between the passes; and streaming
itself: a file read in many windows gives the same events as read whole, with a progress bar
that moves."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from _faults import assert_one_line_error, cli
from rich.console import Console
from rich.progress import Progress

from analysis.cli import one_line
from store import BadInput, EventLog
from store.ingest.formats import read_text_file
from store.ingest.run import ingest_file

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def row(day: dt.date, close: float, volume: int = 1000) -> str:
    return f"{day},{close},{close + 1},{close - 1},{close},{close},{volume}\n"


def prices(n: int, start: dt.date = dt.date(2020, 1, 1)) -> str:
    return HEADER + "".join(row(start + dt.timedelta(days=i), 100 + i % 50) for i in range(n))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


# -- markup, emoji codes and links in names ------------------------------------------------------


def test_markup_in_a_header_is_printed_as_text(tmp_path, store, capsys):
    folder = tmp_path / "[red]x"
    folder.mkdir()
    bad = folder / "BAD_daily_unit.csv"
    bad.write_text("Date,[/bold],[link=https:evil]x\n2025-01-02,1,2\n")
    code, _, err = cli(["ingest", str(bad), "--symbol", "B", "--store", str(store)], capsys)
    assert_one_line_error(code, err, "[/bold]", "[link=https:evil]", "[red]x")
    assert not store.exists()


def test_markup_and_emoji_codes_in_a_file_name_are_printed_as_text(tmp_path, store, capsys):
    folder = tmp_path / ":x: [link=evil]"
    (folder / "[").mkdir(parents=True)
    good = folder / "[" / "bold] Q.csv"  # the path reads ':x: [link=evil]/[/bold] Q.csv'
    good.write_text(prices(5))
    code, out, err = cli(
        ["ingest", str(good), "--symbol", "Q", "--feed", "unit", "--store", str(store)], capsys
    )
    assert code == 0, err
    text = " ".join(out.split())
    assert ":x: [link=evil]/[/bold] Q.csv" in text.replace(" /", "/")
    assert "❌" not in out


@pytest.mark.parametrize(
    ("option", "value"), [("--symbol", "[bold]X"), ("--feed", "[/red]"), ("--symbol", ":x:")]
)
def test_markup_in_options_is_quoted_as_text(tmp_path, store, capsys, option, value):
    good = tmp_path / "GOOD_daily_unit.csv"
    good.write_text(prices(5))
    args = ["ingest", str(good), "--symbol", "G", "--store", str(store), option, value]
    code, _, err = cli(args, capsys)
    assert_one_line_error(code, err, value)
    assert "❌" not in err


# -- devices, FIFOs and other files that never end -------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_before_reading(store, capsys, device):
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    code, _, err = cli(["ingest", device, "--symbol", "D", "--store", str(store)], capsys)
    assert_one_line_error(code, err, device, "character device", "not a regular file")
    assert not store.exists()


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path, store, capsys):
    fifo = tmp_path / "PIPE_daily_unit.csv"
    os.mkfifo(fifo)
    code, _, err = cli(["ingest", str(fifo), "--symbol", "P", "--store", str(store)], capsys)
    assert_one_line_error(code, err, "FIFO", "not a regular file")


def test_symlink_to_a_device_is_refused(tmp_path, store, capsys):
    link = tmp_path / "ZERO_daily_unit.csv"
    link.symlink_to("/dev/zero")
    code, _, err = cli(["ingest", str(link), "--symbol", "Z", "--store", str(store)], capsys)
    assert_one_line_error(code, err, "character device")


def test_a_line_longer_than_a_megabyte_is_refused(tmp_path, store, capsys):
    big = tmp_path / "LONG_daily_unit.csv"
    big.write_text(HEADER + "2025-01-02," + "9" * (3 << 20) + "\n")
    code, _, err = cli(["ingest", str(big), "--symbol", "L", "--store", str(store)], capsys)
    assert_one_line_error(code, err, "line 2", "longer than")


def test_a_huge_cell_is_quoted_short(tmp_path, store, capsys):
    big = tmp_path / "CELL_daily_unit.csv"
    big.write_text(prices(3) + "2025-01-02,1,2,0.5," + "x" * 500_000 + ",1,1\n")
    code, _, err = cli(["ingest", str(big), "--symbol", "C", "--store", str(store)], capsys)
    assert_one_line_error(code, err, "line 5", "Close", "more characters")


def test_binary_file_is_refused(tmp_path, store, capsys):
    junk = tmp_path / "JUNK_daily_unit.csv"
    junk.write_bytes(HEADER.encode() + random.Random(1).randbytes(20_000))
    code, _, err = cli(["ingest", str(junk), "--symbol", "J", "--store", str(store)], capsys)
    assert_one_line_error(code, err, "not UTF-8")


def test_whole_file_adapters_have_a_size_limit(tmp_path):
    fred = tmp_path / "DFF.csv"
    fred.write_text("observation_date,DFF\n" + "2024-01-02,5.33\n" * 100)
    with pytest.raises(BadInput, match="at most 100 bytes"):
        read_text_file(fred, limit=100)


# -- dates out of range, --debug, bugs, long messages --------------------------------------------


@pytest.mark.parametrize("cut", ["9999-12-31", "0001-01-01T00:00:00+05:00", "10000-01-01"])
def test_replay_cut_out_of_range_is_one_line(store, capsys, cut):
    code, _, err = cli(["replay", "^RUT", "--known-at", cut, "--store", str(store)], capsys)
    assert_one_line_error(code, err, "--known-at")


def test_debug_shows_the_traceback(tmp_path, store, capsys):
    code, _, err = cli(
        ["--debug", "ingest", "/dev/zero", "--symbol", "D", "--store", str(store)], capsys
    )
    assert code == 2 and "Traceback" in err
    assert err.strip().splitlines()[-1].startswith("error: /dev/zero")


def test_a_bug_is_one_line_with_exit_1(tmp_path, store, capsys, monkeypatch):
    import store.ingest.commands as commands

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(commands, "print_summary", broken)
    good = tmp_path / "GOOD_daily_unit.csv"
    good.write_text(prices(5))
    code, _, err = cli(["ingest", str(good), "--symbol", "G", "--store", str(store)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "internal error ZeroDivisionError" in err and "--debug" in err


def test_error_lines_are_clipped():
    line = one_line("bad value " + "x" * 5_000_000 + "\nsecond line")
    assert len(line) < 1_100 and "\n" not in line and "more characters" in line


# -- streaming: many windows, same events ------------------------------------------------------


def shuffled_prices(n: int, seed: int) -> tuple[str, pd.DataFrame]:
    """Prices with identical repeats far apart and an out-of-order stretch, and the pandas
    oracle: one row per date, the first occurrence."""
    rng = random.Random(seed)
    lines = [
        row(dt.date(2015, 1, 1) + dt.timedelta(days=i), 50 + rng.random() * 10) for i in range(n)
    ]
    repeats = [lines[i] for i in rng.sample(range(n), 12)]
    lines[n // 3 : n // 3 + 30] = reversed(lines[n // 3 : n // 3 + 30])
    text = HEADER + "".join(lines + repeats)
    oracle = pd.read_csv(io.StringIO(text)).drop_duplicates("Date", keep="first")
    return text, oracle


def test_many_windows_give_the_same_events_as_one(tmp_path):
    text, oracle = shuffled_prices(600, seed=3)
    path = tmp_path / "SHUF_daily_unit.csv"
    path.write_text(text)
    results = {}
    for name, chunk in (("whole", 1 << 22), ("windows", 2_000)):
        log = EventLog.open(tmp_path / name, create=True)
        result = ingest_file(log, path, "SHUF", chunk_bytes=chunk)
        events = log.events().sort("session")
        results[name] = (result.files[0], events)
    whole, windows = results["whole"], results["windows"]
    assert (
        windows[1]
        .drop("recorded_at", "record_hash")
        .equals(whole[1].drop("recorded_at", "record_hash"))
    )
    assert [(w.code, w.count, w.examples) for w in windows[0].warnings] == [
        (w.code, w.count, w.examples) for w in whole[0].warnings
    ]
    codes = {w.code: w.count for w in windows[0].warnings}
    assert codes["duplicate-rows"] == 12 and "unsorted" in codes
    closes = dict(zip(windows[1]["session"].cast(pl.String), windows[1]["close"], strict=True))
    assert closes == dict(zip(oracle["Date"], oracle["Close"], strict=True))


def test_a_clash_across_windows_names_both_lines_and_the_field(tmp_path):
    text = prices(400) + "2020-01-05,104,105,103,104.5,104,1004\n"  # 2020-01-05 is line 6
    path = tmp_path / "CLASH_daily_unit.csv"
    path.write_text(text)
    log = EventLog.open(tmp_path / "s", create=True)
    with pytest.raises(BadInput, match=r"line 402.*'Close'.*2020-01-05 appears twice.*line 6"):
        ingest_file(log, path, "CLASH", chunk_bytes=256)
    assert log.version() == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text + row(dt.date(2021, 1, 1), 77),  # still valid: only its hash tells
        lambda text: text.replace("2020-03-01,", "2020-03-01;"),  # now broken at line 61
    ],
)
def test_a_file_that_changes_between_the_passes_writes_nothing(tmp_path, change):
    path = tmp_path / "MOVING_daily_unit.csv"
    path.write_text(prices(300))

    def open_and_change() -> EventLog:
        path.write_text(change(path.read_text()))
        return EventLog.open(tmp_path / "s", create=True)

    with pytest.raises(BadInput, match="changed while it was being ingested"):
        ingest_file(open_and_change, path, "MOVING", chunk_bytes=512)
    assert EventLog.open(tmp_path / "s").events().height == 0


class Recorder(Progress):
    """A progress display that remembers every position of every task."""

    def __init__(self) -> None:
        super().__init__(console=Console(file=io.StringIO()), disable=True)
        self.seen: dict[str, list[float]] = {}

    def update(self, task_id, **kwargs):  # type: ignore[no-untyped-def]
        super().update(task_id, **kwargs)
        task = self._tasks[task_id]
        self.seen.setdefault(task.description.split()[0], []).append(task.completed)


def test_the_progress_bar_moves_by_bytes(tmp_path):
    path = tmp_path / "PROG_daily_unit.csv"
    path.write_text(prices(2_000))
    progress = Recorder()
    ingest_file(
        EventLog.open(tmp_path / "s", create=True),
        path,
        "PROG",
        chunk_bytes=4096,
        progress=progress,
    )
    size = path.stat().st_size
    for phase in ("checking", "writing"):
        steps = progress.seen[phase]
        assert steps[-1] == size, (phase, steps[-5:])
        assert len(set(steps)) > 10 and steps == sorted(steps), phase


def test_reingesting_a_streamed_file_adds_nothing(tmp_path):
    path = tmp_path / "AGAIN_daily_unit.csv"
    path.write_text(prices(900))
    log = EventLog.open(tmp_path / "s", create=True)
    first = ingest_file(log, path, "AGAIN", chunk_bytes=6_000)
    again = ingest_file(log, path, "AGAIN", chunk_bytes=6_000)
    assert (first.added, again.added, again.skipped) == (900, 0, 900)
    assert log.version() == 1
    assert re.fullmatch(r"yahoo:.*#sha256:[0-9a-f]{16}", log.events()["source"][0])
