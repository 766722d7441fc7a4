"""Independent readers of the raw CSV files for golden-value tests (pandas and csv only).

They share no code with the adapters, the tape, the signals or the claims engine. Where the
tape composes a series from several feeds (the catalog's preference), they compose the same
files the same way.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd


def rut(data: Path) -> pd.DataFrame:
    """^RUT: heliar, with alitalbi for the sessions heliar lacks."""
    heliar = pd.read_csv(data / "prices/RUT_daily_heliar.csv", parse_dates=["date"])
    heliar = heliar.rename(columns=str.lower)[["date", "open", "high", "low", "close"]]
    ali = pd.read_csv(data / "prices/RUT_daily_alitalbi.csv", parse_dates=["Date"])
    ali = ali.rename(columns=str.lower)[["date", "open", "high", "low", "close"]]
    ali = ali[~ali.date.isin(heliar.date)]
    return pd.concat([ali, heliar]).sort_values("date").set_index("date")


def gspc(data: Path) -> pd.DataFrame:
    g = pd.read_csv(data / "prices/GSPC_daily.csv", parse_dates=["date"])
    return g.set_index("date")[["open", "high", "low", "close"]]


def close_on_or_before(frame: pd.DataFrame, day: dt.date) -> tuple[pd.Timestamp, float]:
    upto = frame.loc[: pd.Timestamp(day)]
    return upto.index[-1], float(upto.close.iloc[-1])


def french_annual(path: Path, column: str) -> dict[int, float]:
    """One column of the annual block of a Kenneth French factors file."""
    rows, in_annual = {}, False
    header = ["", "Mkt-RF", "SMB", "HML", "RF"]
    with path.open(newline="") as fh:
        for rec in csv.reader(fh):
            if rec and "Annual Factors" in rec[0]:
                in_annual = True
                continue
            if in_annual and len(rec) > 1 and rec[0].strip().isdigit():
                rows[int(rec[0])] = float(rec[header.index(column)])
    return rows
