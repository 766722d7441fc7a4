"""The yfinance download adapter, offline: a fake ``yfinance`` module returns shaped frames."""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from store.errors import TapecheckError
from store.ingest.yf_download import download_bars, frame_from_yfinance, ingest_download
from store.log import EventLog

FIELDS = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]


def yf_frame(symbol: str, *, multi: bool) -> pd.DataFrame:
    index = pd.DatetimeIndex(["2025-11-26", "2025-11-28", "2025-12-01"], name="Date")
    values = {
        "Adj Close": [2480.0, 2500.5, 2490.25],
        "Close": [2480.0, 2500.5, 2490.25],
        "High": [2490.0, 2505.0, 2500.0],
        "Low": [2470.0, 2480.0, 2485.0],
        "Open": [2475.0, 2482.0, 2499.0],
        "Volume": [4.1e9, 2.0e9, 4.5e9],
    }
    frame = pd.DataFrame(values, index=index)
    if multi:
        frame.columns = pd.MultiIndex.from_product([FIELDS, [symbol]], names=["Price", "Ticker"])
    return frame


def fake_module(frame: pd.DataFrame | None, error: Exception | None = None) -> types.ModuleType:
    module = types.ModuleType("yfinance")
    calls: list[dict[str, object]] = []

    def download(symbol: str, **kwargs: object) -> pd.DataFrame | None:
        calls.append({"symbol": symbol, **kwargs})
        if error is not None:
            raise error
        return frame

    module.download = download  # type: ignore[attr-defined]
    module.calls = calls  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize("multi", [False, True])
def test_frames_of_both_shapes_become_bars(multi: bool) -> None:
    rows = frame_from_yfinance(yf_frame("^RUT", multi=multi), "^RUT")
    assert rows.columns == [
        "line",
        "session",
        "open",
        "high",
        "low",
        "close",
        "adj_close",
        "volume",
    ]
    assert rows.get_column("session").to_list()[1] == dt.date(2025, 11, 28)
    assert rows.get_column("close").to_list() == [2480.0, 2500.5, 2490.25]


def test_download_then_ingest_through_the_fake(monkeypatch, tmp_path: Path) -> None:
    fake = fake_module(yf_frame("^RUT", multi=True))
    monkeypatch.setitem(sys.modules, "yfinance", fake)
    log = EventLog.open(tmp_path / "store", create=True)
    result = ingest_download(log, "^RUT", start=dt.date(2025, 11, 1))
    assert result.added == 3
    assert fake.calls[0]["auto_adjust"] is False  # type: ignore[attr-defined]
    view = log.events().filter(pl.col("stream") == "^RUT@yfinance")
    early = view.filter(pl.col("session") == dt.date(2025, 11, 28))
    assert early.get_column("valid_at")[0] == dt.datetime(2025, 11, 28, 18, tzinfo=dt.UTC)
    assert ingest_download(log, "^RUT", start=dt.date(2025, 11, 1)).added == 0


def test_missing_yfinance_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import fails
    with pytest.raises(TapecheckError, match="pip install yfinance"):
        download_bars("^RUT")


def test_no_network_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", fake_module(None, OSError("no route to host")))
    with pytest.raises(TapecheckError, match="download of \\^RUT failed: no route"):
        download_bars("^RUT")
    monkeypatch.setitem(sys.modules, "yfinance", fake_module(pd.DataFrame()))
    with pytest.raises(TapecheckError, match="no rows"):
        download_bars("^RUT")


def test_cli_download_without_yfinance_exits_2(monkeypatch, tmp_path: Path, capsys) -> None:
    from analysis.cli import main

    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(SystemExit) as info:
        main(["ingest", "--download", "^RUT", "--store", str(tmp_path / "store")])
    assert info.value.code == 2
    assert "yfinance" in capsys.readouterr().err
