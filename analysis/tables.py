"""Display tables for notebooks and their HTML pages (great_tables over Polars frames).

Every table shows its full text: no column is cut and no row is hidden behind an ellipsis
(a notebook that wants fewer rows selects them and says so). A ``verdict`` column is coloured
by verdict, in the same colours as the verdict cards.

>>> import polars as pl
>>> frame = pl.DataFrame({"id": ["A01"], "verdict": ["supported"], "rule": ["at least 3"]})
>>> html = styled(frame, title="Article A").as_raw_html()
>>> "supported" in html and "#1a7f37" in html and "Article A" in html
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import polars as pl
from great_tables import GT, html, loc, style

__all__ = ["VERDICT_COLORS", "VERDICT_FILLS", "card", "styled"]

VERDICT_COLORS = {
    "supported": "#1a7f37",
    "refuted": "#cf222e",
    "consistent_intraday": "#9a6700",
    "not_enough_data": "#8250df",
    "pending": "#0969da",
    "not_checkable": "#57606a",
}
# light tints of the same hues, behind the verdict's text
VERDICT_FILLS = {
    "supported": "#dafbe1",
    "refuted": "#ffebe9",
    "consistent_intraday": "#fff8c5",
    "not_enough_data": "#fbefff",
    "pending": "#ddf4ff",
    "not_checkable": "#f6f8fa",
}
WIDE = ("says", "claim", "measured", "rule", "outcome", "summary", "notes", "source")


def _table_id(frame: pl.DataFrame, title: str | None) -> str:
    # a stable id (great_tables draws a random one), so the same table renders the same HTML
    digest = hashlib.sha256(f"{title}|{frame.columns}|{frame.height}".encode()).hexdigest()
    return "t" + digest[:12]


def styled(
    frame: pl.DataFrame,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    verdict: str = "verdict",
    wide: Sequence[str] = WIDE,
    note: str | None = None,
) -> GT:
    """A display table of ``frame``: every row, every character, verdicts in colour.

    Parameters
    ----------
    frame
        The rows to show (all of them are shown).
    title, subtitle
        The table's heading.
    verdict
        The column coloured by verdict, when present.
    wide
        Columns of running text: they wrap instead of widening the table.
    note
        A source note under the table.
    """
    table = GT(frame, id=_table_id(frame, title))
    if title is not None:
        table = table.tab_header(title=title, subtitle=subtitle)
    if verdict in frame.columns:
        for name in frame.get_column(verdict).drop_nulls().unique().sort().to_list():
            table = table.tab_style(
                style=[
                    style.fill(color=VERDICT_FILLS.get(name, "#f6f8fa")),
                    style.text(color=VERDICT_COLORS.get(name, "#57606a"), weight="bold"),
                ],
                locations=loc.body(columns=verdict, rows=pl.col(verdict) == name),
            )
    text = [c for c in frame.columns if c in wide]
    if text:
        table = table.tab_style(
            style=style.css("white-space: normal; min-width: 14em; max-width: 40em"),
            locations=loc.body(columns=text),
        )
    if note is not None:
        table = table.tab_source_note(note)
    return table.tab_options(
        table_font_size="13px",
        data_row_padding="3px",
        heading_align="left",
        table_margin_left="0px",
    ).opt_row_striping()


def card(title: str, verdict: str, rows: Sequence[tuple[str, str]]) -> GT:
    """A verdict card: a two-column table of what was checked, headed by the verdict.

    >>> html = card("A/A02", "refuted", [("claim", "topped 2,500")]).as_raw_html()
    >>> "A/A02" in html and "refuted" in html and "topped 2,500" in html
    True
    """
    frame = pl.DataFrame(
        {"field": [r[0] for r in rows], "value": [r[1] for r in rows]},
        schema={"field": pl.String, "value": pl.String},
    )
    color = VERDICT_COLORS.get(verdict, "#57606a")
    heading = html(f"<b>{title}</b> <span style='color:{color};font-weight:bold'>{verdict}</span>")
    table = (
        GT(frame, id=_table_id(frame, title))
        .tab_header(title=heading)
        .tab_style(
            style=style.fill(color=VERDICT_FILLS.get(verdict, "#f6f8fa")), locations=loc.title()
        )
        .tab_style(style=style.text(weight="bold"), locations=loc.body(columns="field"))
        .tab_style(
            style=style.css("white-space: normal; max-width: 52em"),
            locations=loc.body(columns="value"),
        )
        .tab_options(
            column_labels_hidden=True,
            table_font_size="13px",
            data_row_padding="2px",
            heading_align="left",
            table_margin_left="0px",
            table_border_left_style="solid",
            table_border_left_width="6px",
            table_border_left_color=color,
        )
    )
    return table
