"""Items (PROTOCOL 5.3): pickup (10), drop (20), use / equip / keys (9), stacking,
item-spawn tiles (type 4) and treasure maps, plus the inventory helpers other
rules and the script API share.

Fixes of the original:
* 8.42: an item with id 0 can be picked up, and a pickup never makes a stack
  over its ``limit``: it fills the matching stacks, then free bag slots (each
  at most ``limit``), and what does not fit stays on the map.
* 8.15, 8.49: drop checks ``slot_id`` and ``amount`` before reading the slot,
  and only the living (hp > 0) drop.
* 8.41: the remainder of a partial drop keeps its ``uses``.
* 8.21: the ``useitem`` override stops equipping for every equipment type.
* 8.44: a key sends 119 and 122 only when its door newly opened.
* 4.2: a used-up key leaves the usual empty slot {-1, 0, 0}.
"""
from __future__ import annotations

from cluster import packets, records
from cluster.tiles import DOOR, ITEM_SPAWN, STEPS
from workers.rules import life
from workers.rules.context import RuleContext, hook_overrides
from workers.runtime import Effects, MapRuntime, PlayerOnMap, is_alive, is_number

STACKABLE_TYPES = (0, 6)
EQUIPMENT_SLOTS = 6  # inventory slots 0..5 are equipment, 6..29 the bag
KEY_TYPE = 8
RING_TYPE = 11  # equipment for slot 5
ITEM_RESPAWN_S = 10  # an item-spawn tile refills this long after its item was taken (5.3.5)


# --- inventory helpers (shared with shops and the script API) ---------------------------

def is_empty_slot(slot) -> bool:
    """An inventory or map-item slot that holds nothing (any negative ``item_id``)."""
    if not isinstance(slot, dict):
        return True
    item_id = slot.get("item_id", -1)
    return type(item_id) is not int or item_id < 0


def new_slot(item_id: int, amount, uses) -> dict:
    """A filled inventory slot."""
    return {"item_id": item_id, "amount": amount, "uses": uses}


def first_free_bag_slot(inventory: list) -> int:
    """The first empty slot with index > 5, or -1."""
    for slot in range(EQUIPMENT_SLOTS, min(len(inventory), records.INVENTORY_SLOTS)):
        if is_empty_slot(inventory[slot]):
            return slot
    return -1


def find_slot(inventory: list, item_id: int) -> int:
    """The first slot (0..29) holding ``item_id``, or -1."""
    for slot, held in enumerate(inventory[:records.INVENTORY_SLOTS]):
        if not is_empty_slot(held) and held["item_id"] == item_id:
            return slot
    return -1


def is_stackable(definition: dict | None) -> bool:
    """Types 0 and 6 stack (4.5)."""
    kind = definition.get("type") if definition else None
    return type(kind) is int and kind in STACKABLE_TYPES


def stack_limit(definition: dict | None) -> int:
    """The most one slot may hold; 0 means no limit (also for a missing or bad value)."""
    limit = definition.get("limit", 0) if definition else 0
    return limit if type(limit) is int and limit > 0 else 0


def max_uses(definition: dict | None) -> int:
    """The item's initial and maximum ``uses`` (5.3.4); 0 when unknown."""
    uses = definition.get("uses", 0) if definition else 0
    return uses if type(uses) is int and uses > 0 else 0


def equipment_slot(item_type) -> int:
    """The slot an equipment type goes in: type - 1 for 1..5, slot 5 for type 11; -1 otherwise."""
    if type(item_type) is not int:
        return -1
    if 1 <= item_type <= 5:
        return item_type - 1
    return 5 if item_type == RING_TYPE else -1


def stow(record: dict, item_id: int, amount, uses, ctx: RuleContext) -> tuple[list[int], int]:
    """Put up to ``amount`` of an item into a character's inventory, as a pickup does.

    A stackable item fills the stacks already holding it (any slot, in order)
    up to its limit, then free bag slots, each at most the limit; anything
    else takes one free bag slot whole. Returns the slots changed, in the
    order they changed, and the amount that did not fit.
    """
    inventory = record["inv"]
    definition = ctx.item(item_id)
    if not is_stackable(definition) or not isinstance(amount, int) or amount <= 0:
        slot = first_free_bag_slot(inventory)
        if slot < 0:
            return [], amount
        inventory[slot] = new_slot(item_id, amount, uses)
        return [slot], 0
    limit = stack_limit(definition)
    changed, left = [], amount
    for slot, held in enumerate(inventory[:records.INVENTORY_SLOTS]):
        held_amount = held.get("amount") if isinstance(held, dict) else None
        if left > 0 and not is_empty_slot(held) and held["item_id"] == item_id and type(held_amount) is int:
            room = left if limit == 0 else min(left, limit - held_amount)
            if room > 0:
                held["amount"] = held_amount + room
                left -= room
                changed.append(slot)
    while left > 0:
        slot = first_free_bag_slot(inventory)
        if slot < 0:
            break
        put = left if limit == 0 else min(left, limit)
        inventory[slot] = new_slot(item_id, put, uses)
        left -= put
        changed.append(slot)
    return changed, left


def add_to_bag(record: dict, item_id: int, amount: int, uses: int, ctx: RuleContext) -> list[int]:
    """Give a character an item whole, stacking as a pickup does; the slots changed.

    All or nothing: when the whole amount does not fit, the inventory is left
    as it was and the answer is []. The caller marks the player changed and
    sends the 119s.
    """
    inventory = record["inv"]
    before = [dict(slot) if isinstance(slot, dict) else slot for slot in inventory]
    changed, left = stow(record, item_id, amount, uses, ctx)
    if left:
        inventory[:] = before
        return []
    return changed


def put_in_free_slot(record: dict, item_id: int, amount, uses) -> int:
    """``addItemToInventory`` (6.3): the item goes in the first empty slot > 5; the slot or -1."""
    inventory = record["inv"]
    slot = first_free_bag_slot(inventory)
    if slot >= 0:
        inventory[slot] = new_slot(item_id, amount, uses)
    return slot


def _slot_packets(effects: Effects, pid: int, inventory: list, slots: list[int]) -> None:
    """119 for each slot, in order, each once."""
    for slot in dict.fromkeys(slots):
        effects.to_player(pid, packets.inventory_slot(pid, slot, inventory[slot]))


def _map_item_packet(runtime: MapRuntime, slot: int) -> dict:
    return packets.map_item(runtime.map_id, slot, dict(runtime.items[slot]))  # a copy: later changes stay out


def _item_slot_id(packet: dict) -> int | None:
    slot_id = packet.get("slot_id")
    return slot_id if type(slot_id) is int and 0 <= slot_id < records.INVENTORY_SLOTS else None


def _feedback(effects: Effects, pid: int, text: str, temp: bool,
              color: str = packets.COLOR_RED) -> None:
    effects.to_player(pid, packets.chat(text, packets.CHANNEL_COMBAT, color, temp))


# --- pickup (5.3.1) -------------------------------------------------------------------------

def handle_pickup(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 10: take the first item on the player's tile; a dead player revives instead."""
    player = runtime.players.get(pid)
    if player is None:
        return
    if not is_alive(player.record):
        life.try_revive(runtime, effects, player, ctx)
        return
    x, y = player.record["pos"]["x"], player.record["pos"]["y"]
    map_slot = _first_item_at(runtime, x, y) if runtime.in_bounds(x, y) else -1
    if map_slot < 0:
        _feedback(effects, pid, "There is nothing here to pick up.", True)
        return
    spawned = _spawned_here(runtime, x, y, map_slot)
    collected_flag = f"collected{x}:{y}"
    treasure = spawned and runtime.record.get("treasure") is True
    if treasure and player.flags.get(collected_flag):
        _feedback(effects, pid, "You have already picked this up.", False)
        return
    ground = runtime.items[map_slot]
    changed, left = stow(player.record, ground["item_id"], ground.get("amount", 0), ground.get("uses", 0), ctx)
    if not changed:
        _feedback(effects, pid, "You can't carry any more.", True)
        return
    runtime.player_changed(pid)
    if left:
        ground["amount"] = left
    else:
        runtime.items[map_slot] = records.empty_map_item()
    runtime.dirty = True
    effects.to(runtime.pids(), _map_item_packet(runtime, map_slot))
    if spawned and not left:
        _mark_taken(runtime, x, y, ctx)
    if treasure:
        player.flags[collected_flag] = True
    _slot_packets(effects, pid, player.record["inv"], changed)


def _first_item_at(runtime: MapRuntime, x: int, y: int) -> int:
    """The first map-item slot on (x, y) holding an item (id 0 included: fix 8.42), or -1."""
    for slot, item in enumerate(runtime.items):
        if not is_empty_slot(item) and item.get("x") == x and item.get("y") == y:
            return slot
    return -1


def _spawned_here(runtime: MapRuntime, x: int, y: int, map_slot: int) -> bool:
    """The map item in ``map_slot`` is the one the item-spawn tile on (x, y) put there."""
    if runtime.tile(x, y).get("type") != ITEM_SPAWN:
        return False
    state = runtime.item_spawns.get(f"{x}:{y}")
    return isinstance(state, dict) and state.get("slot") == map_slot


def _mark_taken(runtime: MapRuntime, x: int, y: int, ctx: RuleContext) -> None:
    state = runtime.item_spawns[f"{x}:{y}"]
    state["slot"] = -1
    state["respawn_at_s"] = ctx.now_s + ITEM_RESPAWN_S
    runtime.dirty = True


# --- drop (5.3.2) ---------------------------------------------------------------------------

def handle_drop(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 20: put ``amount`` of an inventory slot on the player's tile."""
    player = runtime.players.get(pid)
    slot_id, amount = _item_slot_id(packet), packet.get("amount")
    if player is None or not is_alive(player.record) or slot_id is None:
        return
    if type(amount) is not int or amount <= 0 or not _holds_at_least(player.record, slot_id, amount):
        return
    inventory = player.record["inv"]
    item_id = inventory[slot_id]["item_id"]
    item_type = (ctx.item(item_id) or {}).get("type", -1)
    if hook_overrides(ctx, runtime, effects, "item", "dropItem", pid, item_id, slot_id, amount, item_type):
        return
    if pid not in runtime.players or not _holds_at_least(player.record, slot_id, amount, item_id):
        return  # the hook moved him or changed the slot
    held = inventory[slot_id]
    pos = player.record["pos"]
    map_slot = runtime.place_item(item_id, amount, held.get("uses", 0), pos["x"], pos["y"])
    if map_slot < 0:
        return
    if held["amount"] == amount:
        inventory[slot_id] = records.empty_inventory_slot()
    else:
        held["amount"] -= amount  # the remainder keeps its uses (fix 8.41)
    runtime.player_changed(pid)
    effects.to(runtime.pids(), _map_item_packet(runtime, map_slot))
    _slot_packets(effects, pid, inventory, [slot_id])


def _holds_at_least(record: dict, slot_id: int, amount: int, item_id: int | None = None) -> bool:
    held = record["inv"][slot_id]
    if is_empty_slot(held) or (item_id is not None and held["item_id"] != item_id):
        return False
    held_amount = held.get("amount", 0)
    return type(held_amount) is int and amount <= held_amount


# --- use / equip / keys (5.3.3) -------------------------------------------------------------

def handle_use(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 9: use, equip / unequip, keys."""
    player = runtime.players.get(pid)
    slot_id = _item_slot_id(packet)
    if player is None or slot_id is None or is_empty_slot(player.record["inv"][slot_id]):
        return
    item_id = player.record["inv"][slot_id]["item_id"]
    definition = ctx.item(item_id)
    if definition is None:
        return
    if not may_use(player.record, definition):
        _feedback(effects, pid, "You cannot use this item.", False, packets.COLOR_CYAN)
        return
    item_type = definition.get("type")
    overridden = hook_overrides(ctx, runtime, effects, "item", "useitem", pid, item_id, slot_id, item_type)
    if pid not in runtime.players or not _still_holds(player.record, slot_id, item_id):
        return  # the hook moved him or changed the slot
    if equipment_slot(item_type) >= 0:
        if not overridden:
            _equip(runtime, effects, player, slot_id, item_id, item_type, ctx)
    elif item_type == KEY_TYPE:
        _use_key(runtime, effects, player, slot_id, item_id, ctx)


def may_use(record: dict, definition: dict) -> bool:
    """The profession check: bit ``profession_id`` of ``prof_req_flags`` (flags 0: nobody)."""
    flags, profession_id = definition.get("prof_req_flags", 0), record.get("profession_id", 0)
    if type(flags) is not int or type(profession_id) is not int or profession_id < 0:
        return False
    return (flags >> profession_id) & 1 == 1


def _still_holds(record: dict, slot_id: int, item_id: int) -> bool:
    held = record["inv"][slot_id]
    return not is_empty_slot(held) and held["item_id"] == item_id


def _equip(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, slot_id: int, item_id: int,
           item_type: int, ctx: RuleContext) -> None:
    """Swap the item with its equipment slot, or back into the bag when it is already worn."""
    pid = player.pid
    if hook_overrides(ctx, runtime, effects, "item", "equipitem", pid, item_id, slot_id, item_type):
        return
    inventory = player.record["inv"]
    if pid not in runtime.players or not _still_holds(player.record, slot_id, item_id):
        return
    target = equipment_slot(item_type)
    if target == slot_id:
        target = first_free_bag_slot(inventory)
        if target < 0:
            return  # nowhere to unequip to: nothing changes, nothing is sent
    inventory[slot_id], inventory[target] = inventory[target], inventory[slot_id]
    runtime.player_changed(pid)
    _slot_packets(effects, pid, inventory, [slot_id, target])


def _use_key(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, slot_id: int, item_id: int,
             ctx: RuleContext) -> None:
    """Open the door in front of the player if this is its key; each opening costs one use."""
    pos = player.record["pos"]
    step = STEPS.get(pos.get("dir"))
    if step is None:
        return
    x, y = pos["x"] + step[0], pos["y"] + step[1]
    if not runtime.in_bounds(x, y):
        return
    tile = runtime.tile(x, y)
    data = tile.get("data")
    if tile.get("type") != DOOR or not isinstance(data, dict) or data.get("item_id") != item_id:
        return
    if not runtime.open_door(x, y, ctx.now_s, ctx.door_seconds):
        return  # already open (or no door slot free): nothing happened, nothing is sent (fix 8.44)
    inventory = player.record["inv"]
    uses = inventory[slot_id].get("uses", 0)
    uses = uses - 1 if isinstance(uses, int) else 0
    if uses <= 0:
        inventory[slot_id] = records.empty_inventory_slot()
    else:
        inventory[slot_id]["uses"] = uses
    runtime.player_changed(player.pid)
    _slot_packets(effects, player.pid, inventory, [slot_id])
    effects.to(runtime.pids(), runtime.doors_packet())


# --- item-spawn tiles (5.3.5) ---------------------------------------------------------------

def spawn_tile(runtime: MapRuntime, effects: Effects, ctx: RuleContext, x: int, y: int, tile: dict) -> None:
    """Event pass: a type-4 tile spawns its item when due (5.3.5).

    The first spawn is immediate; after the spawned item is gone from its
    map slot, the tile refills ``ITEM_RESPAWN_S`` later. A map with no free
    item slot retries that much later too, so a full map is not poked in a loop.
    """
    key = f"{x}:{y}"
    data = tile.get("data") if isinstance(tile.get("data"), dict) else {}
    item_id = data.get("item_id", -1)
    definition = ctx.item(item_id) if type(item_id) is int and item_id >= 0 else None
    if definition is None:
        if runtime.item_spawns.pop(key, None) is not None:
            runtime.dirty = True  # nothing to spawn any more: no respawn to wait for
        return
    state = runtime.item_spawns.get(key)
    if not isinstance(state, dict) or not _valid_spawn_state(state):
        state = runtime.item_spawns[key] = records.item_spawn_state()
        runtime.dirty = True
    if state["slot"] >= 0:
        if not _still_on_map(runtime, state["slot"], item_id, x, y):
            _mark_taken(runtime, x, y, ctx)  # taken some other way (a script, a map edit)
        return
    if state["respawn_at_s"] > ctx.now_s:
        return
    amount = data.get("amount", 1)
    amount = amount if type(amount) is int and amount > 0 else 1
    slot = runtime.place_item(item_id, amount, max_uses(definition), x, y)
    if slot < 0:
        state["respawn_at_s"] = ctx.now_s + ITEM_RESPAWN_S
    else:
        state["slot"] = slot
        effects.to(runtime.pids(), _map_item_packet(runtime, slot))
    runtime.dirty = True


def _valid_spawn_state(state: dict) -> bool:
    slot, respawn_at = state.get("slot"), state.get("respawn_at_s")
    return (type(slot) is int and -1 <= slot < records.MAP_ITEM_SLOTS
            and is_number(respawn_at))


def _still_on_map(runtime: MapRuntime, slot: int, item_id: int, x: int, y: int) -> bool:
    item = runtime.items[slot]
    return item.get("item_id") == item_id and item.get("x") == x and item.get("y") == y


def next_spawn_due_ms(runtime: MapRuntime) -> int | None:
    """The earliest time (ms) an item-spawn tile of this map is due to respawn, or None."""
    due = [state["respawn_at_s"] for state in runtime.item_spawns.values()
           if isinstance(state, dict) and _valid_spawn_state(state) and state["slot"] < 0]
    return int(min(due) * 1000) if due else None
