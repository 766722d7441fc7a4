"""Judging helpers shared by every evaluator: the rule a claim names, the interval it
accepts at the precision of the printed figure, and how measured values are printed."""

from __future__ import annotations

from collections.abc import Callable

from analysis.claims import model as m
from analysis.claims.wording import Interval
from analysis.claims.wording import rule as wording_rule

__all__ = ["accepts", "count", "describe", "holds", "level", "percent", "show"]


def _unit(check: m._Check) -> float | None:
    figure = check.figure
    return figure.unit if figure is not None else None


def percent(x: float) -> str:
    """A return as people print it: +11.49%."""
    return f"{x:+.2%}"


def level(x: float) -> str:
    """An index or price level: 2,501.92."""
    return f"{x:,.2f}"


def count(x: float) -> str:
    """A number of sessions, records or ranks: 3."""
    return f"{x:.0f}"


def show(check: m._Check, default: Callable[[float], str] = percent) -> Callable[[float], str]:
    """How the measured value is printed: at the precision of the claim's figure (one more
    decimal), else ``default``."""
    figure = check.figure
    if figure is None:
        return default
    return lambda x: figure.format(x) if not figure.percent else _signed(figure.format(x))


def _signed(text: str) -> str:
    return text if text.startswith("-") else f"+{text}"


def describe(check: m._Check, default_rule: str, fmt: Callable[[float], str] = percent) -> str:
    return wording_rule(check.rule or default_rule).describe(
        check.value, check.tolerance, _unit(check), fmt=_plain(show(check, fmt))
    )


def _plain(fmt: Callable[[float], str]) -> Callable[[float], str]:
    # intervals read better without a plus sign on every bound
    return lambda x: fmt(x).lstrip("+")


def accepts(check: m._Check, default_rule: str) -> Interval:
    return wording_rule(check.rule or default_rule).interval(
        check.value, check.tolerance, _unit(check)
    )


def holds(check: m._Check, default_rule: str, measured: float) -> bool:
    return accepts(check, default_rule).contains(measured)
