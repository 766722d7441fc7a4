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
# # Article A: small caps on pace for a third record close
#
# The article's text is in `../shared/articles` (never copied here); its claims are encoded in
# `analysis/articles/A_*.yaml`. This notebook states when the article came out, replays the
# tape as it was known at that moment, and takes each claim in turn: wording, rule, measured
# values, verdict and a chart of the evidence. Hover for values; drag or scroll to zoom.

# %%
from analysis.notebook import Workbench, configure_altair

configure_altair()
bench = Workbench()
article = bench.article("A")

# %% [markdown]
# ## When was it published?
#
# Articles carry no dates. `tapecheck infer-date A` evaluates the anchor claims on every
# session of the spec's window; the candidates are the sessions where all of them hold, and
# the rest of the claims are checked on the recorded date, never used to choose it.

# %%
print(article.publication())

# %% [markdown]
# ## The tape as known at publication
#
# The last closed sessions of ^RUT at the cut: nothing valid later is visible.
# The article was written during Monday's session: that session is shown separately,
# marked as in progress, and claims about it are checked against its final bar.

# %%
article.tape_then("^RUT")

# %%
article.session_in_progress("^RUT")

# %% [markdown]
# ## The verdicts

# %%
article.verdicts()

# %% [markdown]
# ## Claim by claim
#
# Each card shows the claim, the rule (with its tolerance), what was measured, the series and
# feeds read, and the verdict recomputed on the series' other sources. The chart under it
# shows the evidence: the claimed level, the dates the check found, the session's range for
# statements about the session in progress.

# %%
article.walkthrough()
