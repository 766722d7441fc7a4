"""Figures as an article prints them, with the precision the print implies.

"Up 11%" and "up 11.37%" are different claims: the first accepts whatever rounds to 11%, the
second is exact to the hundredth. A :class:`Figure` keeps the value and its *unit*, one step of
its last stated digit, so that the wording rules can build the interval a reader would accept:

- a percentage's unit is its last decimal: ``11%`` -> 1 percentage point, ``0.8%`` -> 0.1 pp,
  ``11.37%`` -> 0.01 pp (percentages are printed to whole points unless decimals are shown);
- a level's unit is its last non-zero digit: ``2,466`` -> 1, ``2,460`` -> 10, ``6,600`` -> 100
  (a round level is a round number);
- a multiple (``2x``, written ``twice`` in the text) has unit 1.

>>> f = Figure.parse("11%")
>>> f.value, f.unit, f.percent
(0.11, 0.01, True)
>>> Figure.parse("2,460").unit, Figure.parse("2,466").unit, Figure.parse("11.37%").unit
(10.0, 1.0, 0.0001)
>>> Figure.parse("-10%").format(-0.1144)
'-11.4%'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Figure"]

_FIGURE = re.compile(r"^(?P<sign>[-+−])?(?P<int>\d{1,3}(,\d{3})*|\d+)(\.(?P<dec>\d+))?(?P<pct>%)?$")


@dataclass(frozen=True)
class Figure:
    """A number as printed: ``value`` (fractions for percentages), ``unit`` (one step of the
    last stated digit, in the same scale), and the ``text`` it was read from."""

    value: float
    unit: float
    percent: bool
    text: str

    @classmethod
    def parse(cls, text: str) -> Figure:
        """Read ``text`` (``11%``, ``-10%``, ``0.8%``, ``2,466``, ``11.37%``)."""
        cleaned = str(text).strip().replace(" ", "")
        match = _FIGURE.match(cleaned)
        if match is None:
            raise ValueError(
                f"{text!r} is not a figure as printed (e.g. 11%, -10%, 0.8%, 2,466, 11.37%)"
            )
        digits = match["int"].replace(",", "")
        decimals = match["dec"] or ""
        number = float(f"{digits}.{decimals}" if decimals else digits)
        if match["sign"] in ("-", "−"):
            number = -number
        percent = match["pct"] is not None
        if decimals:
            unit = 10.0 ** -len(decimals)
        elif percent:
            unit = 1.0
        else:
            trailing = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
            unit = 10.0**trailing
        scale = 0.01 if percent else 1.0
        return cls(
            value=round(number * scale, 12),
            unit=round(unit * scale, 12),
            percent=percent,
            text=str(text).strip(),
        )

    @property
    def decimals(self) -> int:
        """Decimals of the printed figure (in percent for percentages)."""
        step = self.unit * (100 if self.percent else 1)
        return max(0, -math.floor(math.log10(step) + 1e-9))

    def format(self, x: float, extra: int = 1) -> str:
        """``x`` printed like this figure, with ``extra`` more decimals.

        >>> Figure.parse("2,460").format(2458.86, extra=2)
        '2,458.86'
        """
        if not math.isfinite(x):
            return str(x)
        places = self.decimals + extra
        if self.percent:
            return f"{x * 100:.{places}f}%"
        return f"{x:,.{places}f}"
