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
# # Scorecard: every forecast and analyst call, and how it played out
#
# Calls are recorded in the log as `AnalystCall` events when an article is verified. Each is
# scored from its publication onward on the tape as known now: targets (touched during the
# horizon, met at its end, signed error), levels and breakouts (when, if ever, the condition
# first held), relative calls (A against B), list changes (adds against removes). A horizon
# past the data is `pending`, with its interim result.

# %%
import polars as pl
from IPython.display import display

from analysis.notebook import Workbench, configure_altair
from analysis.tables import styled

configure_altair()
bench = Workbench()
bench.scorecard_table()

# %%
tally = (
    bench.scorecard()
    .group_by("firm", "analyst")
    .agg(
        pl.len().alias("calls"),
        (pl.col("verdict") == "supported").sum().alias("supported"),
        (pl.col("verdict") == "refuted").sum().alias("refuted"),
        (pl.col("verdict") == "pending").sum().alias("pending"),
    )
    .sort("firm")
)
styled(tally, title="Calls by firm and analyst")

# %%
from analysis.claims.calls import record_calls
from analysis.claims.loader import load_articles

record_calls(bench.log, load_articles(None))
recorded = bench.log.events().filter(pl.col("event_type") == "AnalystCall")
styled(
    recorded.select(
        "key", "firm", "analyst", "call_kind", "subjects", "value", "horizon_end", "valid_at"
    ).with_columns(pl.col("subjects").list.join(", ")),
    title="The calls as AnalystCall events in the log",
)

# %% [markdown]
# ## Each call, with the path it was scored on
#
# Click a session on a chart to list the events behind it.

# %%
for view in bench.calls():
    display(view)
    chart = view.explore()
    if chart is not None:
        display(chart)
