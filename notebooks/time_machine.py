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
# a revised family (French factors) and a reader who had only what was released by then
revised = "FF3"
revised_series = "FF3:SMB:M"
before_release = "2025-12-31T00:00:00+00:00"
# the Fed's target range, read by someone holding only the December 2025 download
rate_series = "FRED:DFEDTARU"
rate_known_at = "2026-01-31T00:00:00+00:00"

# %%
import datetime as dt

import polars as pl

from analysis.notebook import Workbench, configure_altair
from analysis.sources import compare_sources
from analysis.tables import styled
from store.reference.clock import FAR_FUTURE

configure_altair()
bench = Workbench()
cut = dt.datetime.fromisoformat(known_at)
rec = dt.datetime.fromisoformat(recorded_by) if recorded_by else None
machine = bench.time_machine(symbol, cut, rec)
machine

# %% [markdown]
# Sessions by status: `same` as known then, `revised` (the same feed recorded a new value
# since), `other feed` (another feed is preferred since), `recorded later` (valid before the
# cut but learned after), `after the cut` (valid later).

# %%
styled(machine.counts(), title=f"{symbol}: sessions by status")

# %%
machine.table()

# %%
machine.explore(start=cut.date() - dt.timedelta(days=120))

# %% [markdown]
# ## A real revision: two vintages of the Fama-French factors
#
# French revises the whole history with each CRSP vintage. The store records each vintage at
# its release (see `store/reference/catalog.toml`): values a later vintage leaves unchanged
# stay one fact, and every value it changes becomes a new version of that fact, recorded at
# the later release. Which values changed, when, and by how much:

# %%
revisions = bench.revisions(revised)
revisions

# %%
revisions.table()

# %% [markdown]
# Each point is one revised value; click one to list every version of it (event ids,
# recording times, vintages and source files).

# %%
revisions.explore()

# %% [markdown]
# The same series through the time machine: as read by someone who had recorded only what was
# released by `before_release` (the 202412 vintage), next to how it is known now.

# %%
factor = bench.time_machine(revised_series, FAR_FUTURE, dt.datetime.fromisoformat(before_release))
factor

# %%
factor.table()

# %%
factor.explore(start=dt.date(2015, 1, 1))

# %% [markdown]
# ## Which vintage a check reads
#
# A check reads the values as last recorded. Whether the vintage it read was released after
# the cut is part of its evidence: article B (July 2024) quotes the small-cap premium since
# 1927, and the only annual factors in the store come from the 202412 vintage, released in
# 2025.

# %%
# the check's own evidence: what its evaluation read, not a second reading of the tape
b09 = bench.check("B", "B09")
styled(pl.DataFrame(b09.result.vintages), title="Vintages read by B09, the small-cap premium")

# %% [markdown]
# ## Learned later: the Fed's December 2025 cut
#
# The store holds two FRED downloads of the target range: one made on 2025-12-10, before the
# cut FRED dates 2025-12-11, and one made on 2026-06-05. A reader at the end of January 2026
# who had only the first download did not have the cut: those days were recorded later.

# %%
rates = bench.time_machine(
    rate_series,
    dt.datetime.fromisoformat(rate_known_at),
    dt.datetime.fromisoformat(before_release),
)
rates

# %%
rates.explore(start=dt.date(2025, 6, 1))

# %% [markdown]
# ## Where the sources of the series disagree
#
# Every download of a series is its own source. A session where they disagree is where a
# verdict could depend on the source: the claims engine recomputes every verdict on each one.

# %%
disagreements = compare_sources(bench.log, symbol)
styled(disagreements.head(12), title=f"{symbol}: sessions where the sources disagree")

# %%
other = bench.tape.bars(cut, rec, symbols=[symbol], source=feed_to_compare).order_by("session")
bench.tape.run(other).select("session", "feed", "close").tail(5)
