# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Time machine: a series as it was known then, next to how it is known now
#
# Pick a symbol, a valid-time cut (`known_at`) and a recorded-time cut (`recorded_by`, or
# None for everything recorded). The cell tagged `parameters` takes papermill-style
# overrides.

# %% tags=["parameters"]
symbol = "^RUT"
known_at = "2025-09-09T00:00:00+00:00"
recorded_by = None
feed_to_compare = "alitalbi"

# %%
import datetime as dt

import polars as pl

from analysis.notebook import Workbench, configure_altair
from analysis.sources import compare_sources

configure_altair()
bench = Workbench()
cut = dt.datetime.fromisoformat(known_at)
rec = dt.datetime.fromisoformat(recorded_by) if recorded_by else None
machine = bench.time_machine(symbol, cut, rec)
machine

# %% [markdown]
# Sessions by status: `same` as known then, `changed since` (a correction recorded later, or
# another feed preferred since), `recorded later` (valid before the cut but learned after),
# `after the cut` (valid later).

# %%
machine.changes.group_by("status").len().sort("status")

# %%
machine.changes.filter(pl.col("status") != "same").head(12)

# %%
machine.chart(start=cut.date() - dt.timedelta(days=120))

# %% [markdown]
# ## Where the sources of the series disagree
#
# Every download of a series is its own source. A session where they disagree is where a
# verdict could depend on the source: the claims engine recomputes every verdict on each one.

# %%
disagreements = compare_sources(bench.log, symbol)
disagreements.head(12)

# %%
other = bench.tape.bars(cut, rec, symbols=[symbol], source=feed_to_compare).order_by("session")
other.to_polars().select("session", "feed", "close").tail(5)
