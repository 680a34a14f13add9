"""A* for NPCs (PROTOCOL 5.5.3 step 2).  (Contract stub.)"""
from __future__ import annotations

from workers.runtime import MapRuntime


def find_path(runtime: MapRuntime, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]] | None:
    """Tiles from start to goal inclusive (length 2 = adjacent), or None."""
    raise NotImplementedError
