"""``game`` helpers of PROTOCOL 6.3 "Inventory and ground items", "NPC information
and changes", "Aggro", "Map flags and queries" and "Profession information"."""
from __future__ import annotations

from cluster import packets, records
from cluster.tiles import STEPS, WARP, player_may_enter
from scripting import checks
from scripting.api_base import BoundMap, public_copy
from workers.rules import items as item_rules
from workers.rules import npcs as npc_rules
from workers.runtime import is_alive, number_or

INVENTORY_FIELDS = ("item_id", "amount", "uses")


def _inventory_getter(field: str):
    def getter(self, playerID, slotID):
        slot = self._inventory_slot(playerID, slotID)
        return int(number_or(slot.get(field), -1)) if slot is not None else -1
    getter.__doc__ = f"The {field} of inventory slot 0..29, or -1."
    return getter


def _inventory_setter(field: str):
    def setter(self, playerID, slotID, value):
        value = self._inventory_value(field, value)
        slot = self._inventory_slot(playerID, slotID)
        if slot is None:
            return
        if field == "item_id" and value == -1:
            slot.update(records.empty_inventory_slot())  # an emptied slot is written {-1, 0, 0}
        else:
            slot[field] = value
        self._player_changed(playerID)
        self._to_player(playerID, packets.inventory_slot(int(playerID), int(slotID), slot))
    setter.__doc__ = (f"Write the {field} of inventory slot 0..29; the owner gets 119."
                      + (" An item id of -1 empties the slot ({-1, 0, 0})." if field == "item_id" else ""))
    return setter


def _item_data_getter(key: str):
    def getter(self, itemID):
        definition = self._item_definition(itemID)
        data = definition.get("data") if definition is not None else None
        return int(number_or(data.get(key), 0)) if isinstance(data, dict) else 0
    getter.__doc__ = f"The item definition's ``data.{key}``; 0 when absent or not an item."
    return getter


def _npc_vital_getter(vital: str):
    def getter(self, slot):
        slot = self._slot(slot)
        return number_or(self._map().npcs[slot]["vitals"].get(vital), -1) if slot is not None else -1
    getter.__doc__ = f"The NPC slot's current {vital}, or -1 for a slot outside 0..19."
    return getter


def _npc_definition_getter(missing, *path):
    def getter(self, slot):
        value = self._npc_definition(slot)
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return missing
            value = value[key]
        return public_copy(value)
    getter.__doc__ = f"The NPC definition's {'.'.join(path)}, or {missing!r} for an empty slot."
    return getter


def _npc_vital_setter(vital: str):
    def setter(self, slot, amount):
        amount = int(checks.number(amount, "amount"))
        npc = self._npc(slot)
        if npc is None:
            return
        npc["vitals"][vital] = amount
        self._map().dirty = True
        self._to_map(self._npc_vitals_packet(int(slot), npc))
    setter.__doc__ = (f"Set an occupied slot's {vital} (floored to an int); the map gets 121. "
                      f"Death is the next event pass's.")
    return setter


def _profession_getter(missing, *path):
    def getter(self, profID):
        self._map()
        value = self._ctx.profession(checks.integer(profID, "profession id"))
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return missing
            value = value[key]
        return public_copy(value)
    getter.__doc__ = f"The profession's {'.'.join(path)}, or {missing!r} for an unknown id."
    return getter


class WorldHelpers(BoundMap):
    """Inventories, ground items, NPC slots, aggro, map flags and queries, professions."""

    # --- internals -------------------------------------------------------------------------
    def _inventory_slot(self, player_id, slot) -> dict | None:
        slot = checks.integer(slot, "inventory slot")
        record = self._record(player_id)
        if record is None or not 0 <= slot < records.INVENTORY_SLOTS:
            return None
        return record["inv"][slot]

    def _inventory_value(self, field: str, value) -> int:
        value = checks.integer(value, field)
        if value < -1:
            raise ValueError(f"{field} must be -1 or more, got {value}")
        if field == "item_id" and value > -1 and self._item_definition(value) is None:
            raise ValueError(f"there is no item {value}")
        return value

    def _new_item(self, item, amount, uses) -> tuple | None:
        """Checked (item_id, amount, uses) of a new item, or None when no such item exists."""
        item, amount, uses = (checks.integer(item, "item id"), checks.integer(amount, "amount"),
                              checks.integer(uses, "uses"))
        if amount < 0 or uses < 0:
            raise ValueError("amount and uses must not be negative")
        return (item, amount, uses) if self._item_definition(item) is not None else None

    def _npc_state(self, slot) -> dict | None:
        slot = self._slot(slot)
        return self._map().npc_state[slot] if slot is not None else None

    def _aggro_table(self, slot) -> dict | None:
        slot = self._slot(slot)
        return self._map().aggro[slot] if slot is not None else None

    def _swing(self, x: int, y: int, direction: int) -> tuple:
        """What a swing from (x, y) towards ``direction`` hits: (2, slot), (1, playerID) or (-1, -1)."""
        runtime = self._map()
        if direction not in STEPS:
            return (-1, -1)
        tx, ty = x + STEPS[direction][0], y + STEPS[direction][1]
        if not runtime.in_bounds(tx, ty) or runtime.record.get("forbid_attack") is True:
            return (-1, -1)
        if runtime.record.get("protect_npcs") is not True:
            slot = runtime.npc_at(tx, ty)
            if slot > -1:
                return (2, slot)
        if runtime.record.get("moral") == 1:
            for player in runtime.players_at(tx, ty):
                if is_alive(player.record):
                    return (1, player.pid)
        return (-1, -1)

    def _square(self, x, y, size) -> tuple:
        return checks.integer(x, "x"), checks.integer(y, "y"), checks.integer(size, "range")

    # --- Inventory and ground items ------------------------------------------------------
    getInventorySlotItemID = _inventory_getter("item_id")
    getInventorySlotAmount = _inventory_getter("amount")
    getInventorySlotUses = _inventory_getter("uses")
    setInventorySlotItemID = _inventory_setter("item_id")
    setInventorySlotAmount = _inventory_setter("amount")
    setInventorySlotUses = _inventory_setter("uses")

    def addItemToInventory(self, playerID, item, amount, uses):
        """Put the item in the first empty bag slot (> 5); the owner gets 119. The slot, or -1."""
        new = self._new_item(item, amount, uses)
        record = self._record(playerID)
        if new is None or record is None:
            return -1
        slot = item_rules.first_free_bag_slot(record["inv"])
        if slot < 0:
            return -1
        record["inv"][slot] = dict(zip(INVENTORY_FIELDS, new))
        self._player_changed(playerID)
        self._to_player(playerID, packets.inventory_slot(int(playerID), slot, record["inv"][slot]))
        return slot

    def addItemToGround(self, item, amount, uses, x, y):
        """Store the item in the first free map-item slot at (x, y); the map gets 112 single.

        The slot, or -1 (no such item, off the map or all 200 slots taken).
        The original only sent the 112 and never stored the item (6.3 [BUG]).
        """
        new = self._new_item(item, amount, uses)
        x, y = checks.integer(x, "x"), checks.integer(y, "y")
        runtime = self._map()
        if new is None or not runtime.in_bounds(x, y):
            return -1
        slot = runtime.place_item(*new, x, y)
        if slot > -1:
            self._to_map(packets.map_item(runtime.map_id, slot, dict(runtime.items[slot])))
        return slot

    getItemMinDamage = _item_data_getter("min_damage")
    getItemMaxDamage = _item_data_getter("max_damage")
    getItemMinDefense = _item_data_getter("min_protection")
    getItemMaxDefense = _item_data_getter("max_protection")
    # Our additions, so scripts need no hard-coded item ids (a bow, its arrows):
    getItemRange = _item_data_getter("tile_range")

    def getItemName(self, itemID):
        """(Addition.) The item definition's name, or ''."""
        definition = self._item_definition(itemID)
        name = definition.get("name", "") if definition is not None else ""
        return name if isinstance(name, str) else ""

    def getItemData(self, itemID, key):
        """(Addition.) A copy of the item definition's ``data[key]`` — content's own fields too
        (the starter world's ``heal_hp``, ``mp_cost``, ``spell``) — or None when absent."""
        key = checks.text(key, "data key", checks.FLAG_NAME_LIMIT)
        definition = self._item_definition(itemID)
        data = definition.get("data") if definition is not None else None
        return public_copy(data.get(key)) if isinstance(data, dict) else None

    def getItemType(self, itemID):
        """(Addition.) The item definition's type (0 and 6 stack, 1..5 and 11 are equipment), or -1."""
        definition = self._item_definition(itemID)
        return int(number_or(definition.get("type"), -1)) if definition is not None else -1

    # --- NPC information and changes --------------------------------------------------------
    def getNpcID(self, slot):
        """The NPC type in the slot, or -1."""
        slot = self._slot(slot)
        return int(number_or(self._map().npcs[slot].get("npc_id"), -1)) if slot is not None else -1

    getNpcName = _npc_definition_getter("", "name")
    getNpcMaxHP = _npc_definition_getter(-1, "vitals", "hp")
    getNpcMaxMP = _npc_definition_getter(-1, "vitals", "mp")
    getNpcMaxSP = _npc_definition_getter(-1, "vitals", "sp")
    getNpcStr = _npc_definition_getter(-1, "stats", "str")
    getNpcDef = _npc_definition_getter(-1, "stats", "def")
    getNpcSpd = _npc_definition_getter(-1, "stats", "spd")
    getNpcMag = _npc_definition_getter(-1, "stats", "mag")
    getNpcBehavior = _npc_definition_getter(-1, "behavior")
    getNpcHP = _npc_vital_getter("hp")
    getNpcMP = _npc_vital_getter("mp")
    getNpcSP = _npc_vital_getter("sp")
    setNpcHP = _npc_vital_setter("hp")
    setNpcMP = _npc_vital_setter("mp")
    setNpcSP = _npc_vital_setter("sp")

    def getNpcX(self, slot):
        return self._npc_position(slot, "x")

    def getNpcY(self, slot):
        return self._npc_position(slot, "y")

    def getNpcDir(self, slot):
        return self._npc_position(slot, "dir")

    def _npc_position(self, slot, key: str):
        slot = self._slot(slot)
        return int(number_or(self._map().npcs[slot]["pos"].get(key), -1)) if slot is not None else -1

    def getNpcSpeedModifier(self, slot):
        """The slot's ms added to its step and attack times (0 by default)."""
        state = self._npc_state(slot)
        return int(number_or(state.get("speed_modifier"), 0)) if state is not None else 0

    def setNpcSpeedModifier(self, slot, amount):
        amount = int(checks.number(amount, "amount"))
        state = self._npc_state(slot)
        if state is not None:
            state["speed_modifier"] = amount
            self._map().dirty = True

    def getNpcFlag(self, slot, name):
        """The slot's script flag (a copy), or None; the flags are cleared on death."""
        name = checks.flag_name(name)
        state = self._npc_state(slot)
        return public_copy(state.get("data", {}).get(name)) if state is not None else None

    def setNpcFlag(self, slot, name, value):
        name, value = checks.flag_name(name), checks.json_copy(value, "a flag value")
        state = self._npc_state(slot)
        if state is not None:
            state.setdefault("data", {})[name] = value
            self._map().dirty = True

    # --- Aggro --------------------------------------------------------------------------------
    def getAggroList(self, slot, minimum=0):
        """[(playerID, aggro)] with aggro > 0. ``minimum`` is accepted and ignored, as in the original."""
        checks.number(minimum, "minimum")
        table = self._aggro_table(slot)
        if table is None:
            return []
        return [(int(pid), int(aggro)) for pid, aggro in table.items()
                if isinstance(aggro, (int, float)) and aggro > 0]

    def getAggro(self, slot, player):
        table = self._aggro_table(slot)
        pid = checks.integer(player, "player id")
        return int(number_or(table.get(pid), 0)) if table is not None else 0

    def setAggro(self, slot, player, amount):
        """Set the player's aggro on the NPC slot; 0 removes the entry."""
        self._change_aggro(npc_rules.set_aggro, slot, player, amount)

    def addAggro(self, slot, player, amount):
        self._change_aggro(npc_rules.add_aggro, slot, player, amount)

    def _change_aggro(self, change, slot, player, amount) -> None:
        pid, amount = checks.integer(player, "player id"), int(checks.number(amount, "amount"))
        slot = self._slot(slot)
        if slot is not None:
            if change is npc_rules.add_aggro:  # the sum is stored: it must fit in 64 bits too
                checks.integer(int(number_or(self._map().aggro[slot].get(pid, 0), 0)) + amount, "aggro")
            change(self._map(), slot, pid, amount)
            self._map().dirty = True

    # --- Map flags and queries --------------------------------------------------------------
    def getMapID(self):
        return self._runtime.map_id if self._runtime is not None else -1

    def getMapMoral(self):
        """(Addition.) The map's ``moral`` (4.3: 1 PvP, 2 and up no PvP: a town); 0 when unset."""
        return int(number_or(self._map().record.get("moral"), 0))

    def getMapFlag(self, name):
        """The map's script flag (a copy), or None when unset (the original crashed: 8.30)."""
        return public_copy(self._map().flags.get(checks.flag_name(name)))

    def setMapFlag(self, name, value):
        """Set a map script flag (JSON values; kept with the map's checkpoint). Fixes 8.30."""
        name, value = checks.flag_name(name), checks.json_copy(value, "a flag value")
        self._map().flags[name] = value
        self._map().dirty = True

    def getPlayersInRange(self, x, y, size):
        """The ids of the players (dead ones too) with |dx| <= size and |dy| <= size."""
        x, y, size = self._square(x, y, size)
        return [pid for pid, player in self._map().players.items()
                if abs(player.record["pos"]["x"] - x) <= size and abs(player.record["pos"]["y"] - y) <= size]

    def getMobsInRange(self, x, y, size):
        """The occupied NPC slots in the same square."""
        x, y, size = self._square(x, y, size)
        return [slot for slot, npc in enumerate(self._map().npcs) if npc.get("npc_id", -1) > -1
                and abs(npc["pos"]["x"] - x) <= size and abs(npc["pos"]["y"] - y) <= size]

    def tileFree(self, x, y):
        """True when (x, y) is on the map, no living NPC or player stands there, and a player
        may walk onto it (5.1.3, or an open door on it); warps are not free (as in the original)."""
        x, y = checks.integer(x, "x"), checks.integer(y, "y")
        runtime = self._map()
        if not runtime.in_bounds(x, y) or runtime.tile_occupied(x, y):
            return False
        tile = runtime.tile(x, y)
        return tile.get("type") != WARP and (player_may_enter(tile) or runtime.door_open_at(x, y))

    def playerSwingFront(self, playerID):
        """The target in front of the player: (2, slot), (1, playerID) or (-1, -1)."""
        record = self._record(playerID)
        if record is None:
            return (-1, -1)
        pos = record["pos"]
        return self._swing(pos["x"], pos["y"], pos["dir"])

    def swingFront(self, x, y, dir):
        """The same search from any tile. A player target gives (1, playerID): the original gave
        his list index (8.63); ids are what every helper takes."""
        return self._swing(checks.integer(x, "x"), checks.integer(y, "y"), checks.integer(dir, "dir"))

    # --- Profession information ----------------------------------------------------------------
    getProfessionStr = _profession_getter(-1, "stats", "str")
    getProfessionDef = _profession_getter(-1, "stats", "def")
    getProfessionMag = _profession_getter(-1, "stats", "mag")
    getProfessionSpd = _profession_getter(-1, "stats", "spd")
    getProfessionHP = _profession_getter(-1, "vitals", "hp")
    getProfessionMP = _profession_getter(-1, "vitals", "mp")
    getProfessionSP = _profession_getter(-1, "vitals", "sp")
    getProfessionName = _profession_getter("", "name")  # the original always crashed (8.30)
