"""One registry of evaluators keyed by IR class, as ibis dispatches on node type.

Each check class of :mod:`analysis.claims.model` has exactly one evaluator, registered with
:func:`evaluates`; a check without one fails loudly, never silently.

>>> from analysis.claims import model as m
>>> import analysis.claims.engine  # registers every evaluator
>>> evaluator_for(m.PeriodReturn).__name__
'period_return'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from analysis.claims.reading import Reading
from analysis.claims.verdict import Outcome

__all__ = ["EVALUATORS", "Evaluator", "evaluate", "evaluates", "evaluator_for"]

Evaluator = Callable[[Any, Reading], dict[int, Outcome]]
EVALUATORS: dict[type, Evaluator] = {}
E = TypeVar("E", bound=Evaluator)


def evaluates(cls: type) -> Callable[[E], E]:
    """Register the decorated function as the evaluator of check class ``cls``."""

    def register(fn: E) -> E:
        if cls in EVALUATORS:
            raise TypeError(f"{cls.__name__} already has an evaluator ({EVALUATORS[cls].__name__})")
        EVALUATORS[cls] = fn
        return fn

    return register


def evaluator_for(cls: type) -> Evaluator:
    """The evaluator of a check class; a class without one is a bug, reported as such."""
    try:
        return EVALUATORS[cls]
    except KeyError:
        raise NotImplementedError(f"no evaluator is registered for {cls.__name__}") from None


def evaluate(check: object, reading: Reading) -> dict[int, Outcome]:
    """Evaluate ``check`` on every view of ``reading``."""
    return evaluator_for(type(check))(check, reading)
