"""Istio's string match for policy values: ``*`` (any non-empty value), ``*suffix``, ``prefix*``, or exact.

AuthorizationPolicy principals, namespaces, methods and hosts all use it; paths add
templates on top (``preflight.istio.authz``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def value_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return bool(value)
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def is_pattern(value: str) -> bool:
    """Whether a match value has a wildcard (``*``, ``*suffix``, ``prefix*``) rather than naming one value."""
    return value.startswith("*") or value.endswith("*")


class ValuePatterns:
    """Match values compiled once: ``matches(value)`` answers ``any(value_matches(v, value) for v in values)``,
    with the values without a wildcard one set look-up (a rule may list hundreds of principals)."""

    __slots__ = ("_exact", "_patterns")

    def __init__(self, values: Iterable[str]) -> None:
        listed = tuple(values)
        self._patterns = tuple(v for v in listed if is_pattern(v))
        self._exact = frozenset(listed).difference(self._patterns)

    def matches(self, value: str) -> bool:
        return value in self._exact or any(value_matches(pattern, value) for pattern in self._patterns)


class ValueIndex(Generic[T]):
    """Items keyed by a string, found by an Istio match pattern without testing every key.

    ``matching(pattern)`` returns what a scan with ``value_matches(pattern, key)`` over every
    item would return, in the order the items were added: exact patterns are a dictionary
    look-up, ``prefix*`` a range of the sorted keys and ``*suffix`` a range of the sorted
    reversed keys, so a lookup costs the log of the size plus what it finds.
    """

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        self._items: list[T] = []
        self._by_key: dict[str, list[int]] = {}
        for position, (key, item) in enumerate(items):
            self._items.append(item)
            self._by_key.setdefault(key, []).append(position)
        self._keys = sorted(self._by_key)
        self._reversed_keys = sorted(key[::-1] for key in self._by_key)

    def __len__(self) -> int:
        return len(self._items)

    def matching(self, pattern: str) -> list[T]:
        if pattern == "*":
            return self._at(self._positions(key for key in self._by_key if key))
        if pattern.startswith("*"):
            return self.ending_with(pattern[1:])
        if pattern.endswith("*"):
            return self.starting_with(pattern[:-1])
        return self.equal_to(pattern)

    def equal_to(self, key: str) -> list[T]:
        return self._at(self._by_key.get(key, ()))

    def starting_with(self, prefix: str) -> list[T]:
        return self._at(self._positions(_prefixed(self._keys, prefix)))

    def ending_with(self, suffix: str) -> list[T]:
        return self._at(self._positions(key[::-1] for key in _prefixed(self._reversed_keys, suffix[::-1])))

    def suffixes_of(self, value: str) -> list[T]:
        """Items whose key ``value`` ends with (the empty key included)."""
        positions: list[int] = []
        for start in range(len(value) + 1):
            positions.extend(self._by_key.get(value[start:], ()))
        return self._at(sorted(positions))

    def _positions(self, keys: Iterable[str]) -> list[int]:
        return sorted(position for key in keys for position in self._by_key[key])

    def _at(self, positions: Iterable[int]) -> list[T]:
        return [self._items[position] for position in positions]


def _prefixed(sorted_keys: list[str], prefix: str) -> Iterator[str]:
    for index in range(bisect.bisect_left(sorted_keys, prefix), len(sorted_keys)):
        key = sorted_keys[index]
        if not key.startswith(prefix):
            return
        yield key
