"""``tapecheck replay`` on the real store: the cut, the session in progress, CSV, errors."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import run_tapecheck

from analysis.replay import parse_cut
from store import BadInput


def test_replay_during_a_session_marks_it_in_progress(real_log):
    done = run_tapecheck(
        "replay", "^RUT", "--known-at", "2025-10-06T14:00:00-04:00", "-n", "2", store=real_log.root
    )
    assert done.returncode == 0, done.stderr
    assert "2025-10-03" in done.stdout and "2,476.18" in done.stdout
    assert "session 2025-10-06 in progress" in done.stdout


def test_replay_to_csv_is_the_whole_tape_at_the_cut(real_log, tmp_path, data_dir):
    out = tmp_path / "rut.csv"
    done = run_tapecheck(
        "replay",
        "^RUT",
        "--known-at",
        "2025-09-08",
        "--source",
        "alitalbi",
        "--csv",
        str(out),
        store=real_log.root,
    )
    assert done.returncode == 0, done.stderr
    got = pl.read_csv(out)
    raw = pl.read_csv(data_dir / "prices/RUT_daily_alitalbi.csv")
    raw = raw.filter(pl.col("Date") <= "2025-09-08")
    assert got.height == raw.height
    assert got["close"][-1] == pytest.approx(2393.69, abs=0.005)


def test_replay_errors_exit_2(real_log):
    done = run_tapecheck("replay", "NOPE", "--known-at", "2025-01-01", store=real_log.root)
    assert done.returncode == 2 and "nothing known about 'NOPE'" in done.stderr
    done = run_tapecheck("replay", "^RUT", "--known-at", "2025-13-01", store=real_log.root)
    assert done.returncode == 2 and "not an ISO date" in done.stderr


def test_a_naive_datetime_is_refused():
    with pytest.raises(BadInput, match="no UTC offset"):
        parse_cut("2025-10-06T14:00", "--known-at")


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    from store.files import write_atomically

    target = tmp_path / "report.json"
    write_atomically("{}\n", target)
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left
