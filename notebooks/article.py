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
# # An article, claim by claim, on the tape as it was known
#
# Set `article_id` below (or let `nox -s notebooks` / papermill inject it) to any article spec
# in `analysis/articles/`: a new spec needs no new notebook. The article's text is in
# `../shared/articles` (never copied here). The notebook states when the article came out,
# replays the tape as it was known at that moment, and takes each claim in turn: wording, rule,
# measured values, verdict and a chart of the evidence. Hover for values, drag or scroll to
# zoom, and click a session to list the events behind it (event ids, feeds, recording times).

# %% tags=["parameters"]
article_id = "A"

# %%
from analysis.notebook import Workbench, configure_altair
from analysis.tables import styled

configure_altair()
bench = Workbench()
article = bench.article(article_id)
article

# %% [markdown]
# ## When was it published?
#
# Articles carry no dates. `tapecheck infer-date ARTICLE` evaluates the anchor claims on every
# session of the spec's window; the candidates are the sessions where all of them hold, and
# the rest of the claims are checked on the recorded date, never used to choose it.

# %%
print(article.publication())

# %% [markdown]
# ## The tape as known at publication
#
# The last closed sessions of the article's main series at the cut: nothing valid later is
# visible. When the article was written during a session, that session is shown separately,
# marked as in progress, and claims about it are checked against its final bar.

# %%
symbol = article.main_symbol()
if symbol is None:
    then = "the article reads no price series"
else:
    then = styled(article.tape_then(symbol), title=f"{symbol}: the last closed sessions")
then

# %%
live = article.session_in_progress(symbol) if symbol else "the article reads no price series"
live if isinstance(live, str) else styled(live, title=f"{symbol}: the session in progress")

# %% [markdown]
# ## The verdicts

# %%
article.verdict_table()

# %% [markdown]
# ## Claim by claim
#
# Each card shows the claim, the rule (with its tolerance), what was measured, the series and
# feeds read, and the verdict recomputed on the series' other sources. The chart under it
# shows the evidence; click a session on it to see every feed's event for that session and
# which one the check read.

# %%
article.walkthrough()

# %% [markdown]
# ## A rewrite, against its original
#
# An article that restates another (`rewrite_of` in its spec) is compared claim by claim.

# %%
bench.rewrite_table(article_id)
