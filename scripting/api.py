"""The ``game`` module offered to scripts (PROTOCOL 6.3). Placeholder: being written."""
from __future__ import annotations


class GameAPI:
    """The helpers of PROTOCOL 6.3, bound to one map for the length of a hook call."""

    def __init__(self) -> None:
        self._ctx = self._runtime = self._effects = None

    def _bind(self, ctx, runtime, effects) -> None:
        self._ctx, self._runtime, self._effects = ctx, runtime, effects

    def _release(self) -> None:
        self._ctx = self._runtime = self._effects = None

    def getMapID(self) -> int:
        return self._runtime.map_id if self._runtime is not None else -1
