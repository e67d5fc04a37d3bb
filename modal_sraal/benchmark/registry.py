"""A named registry that tests and users extend without editing globals."""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Generic, Iterator, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to entries (method factories, data sets), read like a mapping.

    Examples
    --------
    >>> reg = Registry("thing", {"a": 1})
    >>> with reg.registered("b", 2):
    ...     sorted(reg)
    ['a', 'b']
    >>> sorted(reg)
    ['a']
    """

    def __init__(self, kind: str, entries: Dict[str, T] = None):
        self.kind = kind
        self._entries: Dict[str, T] = dict(entries or {})

    def register(self, name: str, entry: T, *, replace: bool = False) -> T:
        """Add ``entry`` under ``name`` (an existing name needs ``replace=True``)."""
        if name in self._entries and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered.")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        del self._entries[name]

    @contextlib.contextmanager
    def registered(self, name: str, entry: T) -> Iterator[T]:
        """``entry`` under ``name`` for the ``with`` block only."""
        self.register(name, entry)
        try:
            yield entry
        finally:
            self.unregister(name)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; choose from {sorted(self._entries)}.") from None

    def __contains__(self, name: Any) -> bool:
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self):
        return self._entries.items()
