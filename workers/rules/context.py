"""What a rule may know beyond its map: the time, settings and world lists."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RuleContext:
    """Inputs a rule reads besides the map and the packet."""
    now_ms: int = 0
    min_step_interval_ms: int = 100
    step_burst: int = 2
    door_seconds: float = 10.0
    map_ids: frozenset = field(default_factory=frozenset)
    shops: list = field(default_factory=list)
    items: list = field(default_factory=list)  # item definitions (4.5), indexed by item id
    npcs: list = field(default_factory=list)  # NPC definitions (4.5), indexed by NPC id
    professions: list = field(default_factory=list)  # profession records (4.5), for /who
