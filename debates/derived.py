"""Remembering what a debate derives from its case, once per case object.

Every turn of a debate asks the same pure questions of the same frozen case: its citation
keys, each lens's weighed evidence and scores, its genes' drugs. The answers are kept in the
case's own ``derived`` store, so they live exactly as long as the case: a newly loaded case
(a new evaluation) starts empty, and nothing is shared through a module-level cache.

Cached answers are shared between callers, so they must be immutable (tuples, frozen
dataclasses) or never modified by whoever receives them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar, cast

from debates.case import Case

T = TypeVar("T")
A = TypeVar("A")


def per_case(compute: Callable[[Case], T]) -> Callable[[Case], T]:
    """``compute`` answered once per case object."""

    @wraps(compute)
    def cached(case: Case) -> T:
        store = case.derived
        try:
            return cast(T, store[cached])
        except KeyError:
            value = store[cached] = compute(case)
            return value

    return cached


def per_case_and(compute: Callable[[Case, A], T]) -> Callable[[Case, A], T]:
    """``compute`` answered once per case object and argument object (a lens, say).

    The argument is keyed by identity, since lenses hold mappings and cannot be hashed; the
    store keeps the argument alive with the answer, so its id cannot be reused meanwhile.
    """

    @wraps(compute)
    def cached(case: Case, argument: A) -> T:
        store = case.derived
        key = (cached, id(argument))
        try:
            return cast(T, store[key][1])
        except KeyError:
            value = compute(case, argument)
            store[key] = (argument, value)
            return value

    return cached
