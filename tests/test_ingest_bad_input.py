"""Bad input through the CLI: exit 2, a message naming file, line and column, log untouched."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from analysis.cli import main

GOOD = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2025-01-02,10.0,11.0,9.5,10.5,10.4,1000\n"
    "2025-01-03,10.5,11.5,10.0,11.0,10.9,1200\n"
    "2025-01-06,11.0,11.2,10.1,10.2,10.1,900\n"
)
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), " ".join((captured.err + captured.out).split())


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store that already holds one good file, so 'untouched' means something."""
    root = tmp_path / "store"
    good = tmp_path / "TST_daily_unit.csv"
    good.write_text(GOOD)
    code, out = run(["ingest", str(good), "--symbol", "TST", "--store", str(root)], capsys)
    assert code == 0, out
    return root


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


CASES = {
    "truncated": (
        GOOD + "2025-01-07,10.2,10.8,10.0",
        [],
        r"line 5, field 'Close'.*truncated.*4 of 7 fields",
    ),
    "cut-off number": (
        GOOD.replace("\n2025-01-06", "\n2025-01-06", 1) + "2025-01-07,10.2,10.8,10.0,10.5,10.4,1e",
        [],
        r"line 5.*field 'Volume'.*truncated",
    ),
    "text in numeric column": (
        GOOD.replace("2025-01-03,10.5,11.5", "2025-01-03,10.5,abc"),
        [],
        r"line 3.*field 'High'.*'abc' is not a number",
    ),
    "high below low": (
        GOOD.replace("2025-01-03,10.5,11.5,10.0", "2025-01-03,10.5,9.0,10.0"),
        [],
        r"line 3.*field 'High'.*below low",
    ),
    "close above high": (
        GOOD.replace("2025-01-06,11.0,11.2,10.1,10.2", "2025-01-06,11.0,11.2,10.1,12.2"),
        [],
        r"line 4.*field 'Close'.*outside",
    ),
    "open below low": (
        GOOD.replace("2025-01-02,10.0,11.0,9.5", "2025-01-02,9.0,11.0,9.5"),
        [],
        r"line 2.*field 'Open'.*outside",
    ),
    "negative price": (
        GOOD.replace("2025-01-02,10.0,11.0,9.5,10.5,10.4", "2025-01-02,10.0,11.0,9.5,10.5,-1"),
        [],
        r"line 2.*field 'Adj Close'.*not positive",
    ),
    "zero price": (
        HEADER + "2025-01-02,0,0,0,0,0,100\n",
        [],
        r"line 2.*field 'Open'.*not positive",
    ),
    "duplicated session": (
        GOOD + "2025-01-03,10.5,11.5,10.0,11.1,10.9,1200\n",
        [],
        r"line 5.*field 'Close'.*2025-01-03 appears twice.*line 3",
    ),
    "unparseable date": (
        GOOD.replace("2025-01-03,", "03/01/2025,"),
        [],
        r"line 3.*field 'Date'.*not a date",
    ),
    "NaN": (
        GOOD.replace("2025-01-03,10.5,11.5,10.0,11.0", "2025-01-03,10.5,11.5,10.0,nan"),
        [],
        r"line 3.*field 'Close'.*not a finite number",
    ),
    "empty file": ("", [], r"line 1.*empty"),
    "header only": (HEADER, [], r"line 1.*only a header"),
    "wrong adapter": (
        "observation_date,DFF\n2024-01-02,5.33\n",
        ["--adapter", "yahoo"],
        r"line 1.*wrong adapter 'yahoo'.*expected header Date,Open.*observation_date,DFF",
    ),
    "unrecognised format": (
        "when,what\n2024-01-02,5.33\n",
        [],
        r"line 1.*unrecognised format.*expected one of",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_exits_2_names_file_line_field_and_leaves_the_log(
    case: str, tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, extra, pattern = CASES[case]
    path = write(tmp_path, "BAD_daily_unit.csv", text)
    before = fingerprint(store)
    code, out = run(["ingest", str(path), "--symbol", "TST", "--store", str(store), *extra], capsys)
    assert code == 2, out
    assert str(path) in out
    assert re.search(pattern, out), out
    assert fingerprint(store) == before


def test_directory_passed_as_file(tmp_path: Path, store: Path, capsys) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    before = fingerprint(store)
    code, out = run(["ingest", str(folder), "--symbol", "TST", "--store", str(store)], capsys)
    assert code == 2
    assert str(folder) in out and "is a directory" in out
    assert fingerprint(store) == before


def test_path_like_symbol_is_refused(tmp_path: Path, store: Path, capsys) -> None:
    path = write(tmp_path, "OK_daily_unit.csv", GOOD)
    before = fingerprint(store)
    code, out = run(["ingest", str(path), "--symbol", "../x", "--store", str(store)], capsys)
    assert code == 2
    assert "--symbol" in out and "looks like a path" in out
    assert fingerprint(store) == before


def test_unknown_symbol_is_accepted_with_a_warning(tmp_path: Path, store: Path, capsys) -> None:
    path = write(tmp_path, "NEW_daily_unit.csv", GOOD)
    code, out = run(["ingest", str(path), "--symbol", "ZZZZ", "--store", str(store)], capsys)
    assert code == 0
    assert "ZZZZ is not in the catalog" in out
    assert "auto: detected format yahoo" in out


def test_identical_duplicate_rows_warn_and_keep_one(tmp_path: Path, store: Path, capsys) -> None:
    path = write(tmp_path, "DUP_daily_unit.csv", GOOD + GOOD.splitlines()[2] + "\n")
    code, out = run(["ingest", str(path), "--symbol", "DUP", "--store", str(store)], capsys)
    assert code == 0, out
    assert "identical duplicate rows" in out
