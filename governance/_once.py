"""``once``: a cached property without the lock ``functools.cached_property`` takes on Python 3.11.

The value is computed on the first read and stored in the instance's ``__dict__``, which every later
read finds first. On Python 3.11 ``functools.cached_property`` takes a lock on each first read, which
costs about a microsecond: on objects made once per decision (a decision, its features' inputs) that is
every read. Two threads reading the same attribute at once may both compute it; use it only where the
computation is pure, so that either value is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["once"]

T = TypeVar("T")


class once(Generic[T]):  # noqa: N801 - named like the decorator it replaces
    """Decorate a method of no arguments; its result is computed once per instance, on first read."""

    def __init__(self, function: Callable[[Any], T]) -> None:
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> once[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | once[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value
