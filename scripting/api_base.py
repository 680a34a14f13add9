"""What every group of ``game`` helpers shares: the map a hook call is bound to,
lookups of players and NPC slots on it, and where packets go.

Scripts cannot reach names starting with ``_``, so all state and every
internal method here is ``_``-prefixed; everything else on the API object is a
helper a script may call.
"""
from __future__ import annotations

import copy

from cluster import packets, records
from scripting import checks
from workers.runtime import PlayerOnMap


class BoundMap:
    """The map, context and effects of the hook call in progress (none between calls)."""

    def __init__(self) -> None:
        self._ctx = self._runtime = self._effects = None

    def _bind(self, ctx, runtime, effects) -> None:
        self._ctx, self._runtime, self._effects = ctx, runtime, effects

    def _release(self) -> None:
        self._ctx = self._runtime = self._effects = None

    # --- the bound map ---------------------------------------------------------------------
    def _map(self):
        if self._runtime is None:
            raise RuntimeError("the game helpers work only inside a hook, not in a script's module body")
        return self._runtime

    def _map_id(self) -> int:
        return self._map().map_id

    def _player(self, player_id, what: str = "player id") -> PlayerOnMap | None:
        """The player with this id on the bound map, or None; a non-int id raises."""
        return self._map().players.get(checks.integer(player_id, what))

    def _record(self, player_id, what: str = "player id") -> dict | None:
        player = self._player(player_id, what)
        return player.record if player is not None else None

    def _slot(self, slot, what: str = "NPC slot") -> int | None:
        """An NPC slot number 0..19, or None when out of range; a non-int raises."""
        slot = checks.integer(slot, what)
        return slot if 0 <= slot < records.NPC_SLOTS else None

    def _npc(self, slot) -> dict | None:
        """An occupied NPC slot (npc_id > -1), alive or not, or None."""
        slot = self._slot(slot)
        if slot is None:
            return None
        npc = self._map().npcs[slot]
        return npc if npc.get("npc_id", -1) > -1 else None

    def _npc_definition(self, slot) -> dict | None:
        npc = self._npc(slot)
        return self._ctx.npc(npc["npc_id"]) if npc is not None else None

    def _npc_name(self, slot) -> str:
        definition = self._npc_definition(slot)
        name = definition.get("name", "") if definition is not None else ""
        return name if isinstance(name, str) else ""

    def _item_definition(self, item_id) -> dict | None:
        self._map()
        return self._ctx.item(checks.integer(item_id, "item id"))

    def _npc_vitals_packet(self, slot: int, npc: dict) -> dict:
        definition = self._ctx.npc(npc.get("npc_id"))
        maximum = definition.get("vitals", {}) if definition is not None else npc["vitals"]
        return packets.npc_vitals(self._map_id(), slot, npc["vitals"], maximum)

    # --- where packets go ------------------------------------------------------------------
    def _to_map(self, packet: dict, exclude: int | None = None) -> None:
        self._effects.to(self._runtime.pids(exclude), packet)

    def _to_player(self, player_id: int, packet: dict) -> None:
        self._effects.to_player(int(player_id), packet)

    def _player_changed(self, player_id: int) -> None:
        self._runtime.player_changed(int(player_id))


def public_copy(value):
    """What a getter hands a script: the value itself when immutable, else a deep copy."""
    return value if isinstance(value, (str, int, float, bool, type(None))) else copy.deepcopy(value)
