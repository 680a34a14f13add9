"""The in-game editors (PROTOCOL 2.3): save map (12), item (13), NPC (14), shop (15),
profession (18) and script (26).

Fixes of the original (8.5, 8.24, and the unvalidated saves of 2.3):

* The staff check reads the **sender's own** record (``access`` > 0, or > 3
  for scripts); a sender not on this map, or without the access, gets no
  reply at all, as in the original.
* What the editor sent is checked (``workers.rules.editor_checks``); the
  first problem goes back as one red notice (114, channel 0) and nothing
  else happens.
* Resource ids may append (an id equal to the list's length); negative ids,
  bools and ids past the end are refused.

A valid save only records a request in ``effects.requests`` (the shapes are
in ``EDITOR_REQUEST_KINDS``); storage saves it durably first. A saved map
then comes back to its worker for ``apply_saved_map``; storage itself
announces saved resources and scripts (``storage.editors``).
"""
from __future__ import annotations

from cluster import packets, records
from scripting.sandbox import ScriptError, compile_script
from workers.rules.commands import access_of
from workers.rules.context import RuleContext
from workers.rules.editor_checks import (Malformed, check_map, check_resource, check_resource_id,
                                         check_script)
from workers.runtime import Effects, MapRuntime

STAFF_ACCESS = 1  # "access > 0"
SCRIPT_ACCESS = 4  # "access > 3"

# Requests for the node: kind → the keys of its args dict (as commands.REQUEST_KINDS).
EDITOR_REQUEST_KINDS = {
    "save_map": ("pid", "map_id", "record"),
    "save_resource": ("pid", "kind", "index", "record"),
    "save_script": ("pid", "name", "script"),
}

# Client packet type → (resource kind, the packet's id field, its record field).
RESOURCE_PACKETS = {
    packets.SAVE_ITEM: ("item", "item_id", "item"),
    packets.SAVE_NPC: ("npc", "npc_id", "npc"),
    packets.SAVE_SHOP: ("shop", "shop_id", "shop"),
    packets.SAVE_PROFESSION: ("profession", "profession_id", "profession"),
}
RESOURCE_LABELS = {"item": "Item", "npc": "NPC", "shop": "Shop", "profession": "Profession"}


def _has_access(runtime: MapRuntime, pid: int, minimum: int) -> bool:
    """The sender's own access (fixes 8.5: never another player's)."""
    player = runtime.players.get(pid)
    return player is not None and access_of(player.record) >= minimum


def _refuse(effects: Effects, pid: int, what: str, problem: Malformed) -> None:
    effects.to_player(pid, packets.chat(f"{what} not saved: {problem}", packets.CHANNEL_GENERAL,
                                        packets.COLOR_RED))


# --- type 12: save map ---------------------------------------------------------------------
def handle_save_map(runtime: MapRuntime, effects: Effects, pid: int, packet: dict,
                    ctx: RuleContext) -> None:
    """Check the map's shape, then ask storage to save it over *this* map (the id can't change)."""
    if not _has_access(runtime, pid, STAFF_ACCESS):
        return
    record = packet.get("map")
    try:
        check_map(record, ctx, runtime.map_id)
    except Malformed as problem:
        _refuse(effects, pid, "Map", problem)
        return
    effects.requests.append(("save_map", {"pid": pid, "map_id": runtime.map_id, "record": record}))


def apply_saved_map(runtime: MapRuntime, effects: Effects, pid: int, record: dict,
                    ctx: RuleContext) -> None:
    """Storage has committed the map saved by ``pid``: put it in play (2.3 type 12).

    The NPC slots are emptied (they respawn by the normal rules), aggro and
    per-player treasure flags are reset, shots are removed, and open doors
    are closed (fixes 8.37: the original forgot their timers, so they stayed
    open for good). Ground items stay, and so does the state of the item-spawn
    tiles that put them there (resetting it would spawn each item twice), and
    the script flags. Players
    keep their positions, even on a tile the new map blocks: movement checks
    only the tile entered, so they can step off, and moving them would be a
    warp nobody asked for.

    To everyone on the map: 106, 124 (if music), every player's 110 in list
    order, 113 full. Then, only if a door was open, 122 (the doors, now all
    closed) and, only if a shot was flying, 126 full, so no client keeps
    showing what the server removed. Last, the editor gets 100 winGame.
    """
    doors_were_open = any(door["x"] != -1 for door in runtime.doors) or any(
        close_at >= 0 for close_at in runtime.door_close_at)
    shots_were_flying = any(shot.get("shooter_type", 0) != 0 for shot in runtime.shots)
    runtime.record = record
    runtime.npcs = [records.empty_npc_slot() for _ in range(records.NPC_SLOTS)]
    runtime.aggro = [{} for _ in range(records.NPC_SLOTS)]
    runtime.doors = [records.empty_door() for _ in range(records.DOOR_SLOTS)]
    runtime.door_close_at = [-1.0] * records.DOOR_SLOTS
    runtime.shots = [records.empty_shot() for _ in range(records.SHOT_SLOTS)]
    # their hidden state goes too: respawn timers, tile ownership, speed modifiers, flags, shot steps
    runtime.npc_state = [records.npc_state() for _ in range(records.NPC_SLOTS)]
    runtime.shot_state = [records.shot_state() for _ in range(records.SHOT_SLOTS)]
    runtime.npc_spawns = {}
    for player in runtime.players.values():
        player.flags.clear()
    runtime.dirty = True

    everyone = runtime.pids()
    map_id = runtime.map_id
    effects.to(everyone, packets.map_data(map_id, record))
    music_id = record.get("music_id", -1)
    if isinstance(music_id, int) and music_id > -1:
        effects.to(everyone, packets.music(music_id))
    for player in runtime.players.values():
        effects.to(everyone, packets.spawn_player(player.pid, player.record))
    effects.to(everyone, packets.map_npcs(map_id, runtime.npcs))
    if doors_were_open:
        effects.to(everyone, runtime.doors_packet())
    if shots_were_flying:
        effects.to(everyone, packets.shots(map_id, runtime.shots))
    if pid in runtime.players:
        effects.to_player(pid, packets.window(packets.WIN_GAME, ""))


# --- types 13, 14, 15, 18: save a resource ---------------------------------------------------
def handle_save_resource(runtime: MapRuntime, effects: Effects, pid: int, packet: dict,
                         ctx: RuleContext) -> None:
    """Check an item, NPC, shop or profession and its id, then ask storage to save it."""
    packet_type = packet.get("type")
    fields = RESOURCE_PACKETS.get(packet_type) if type(packet_type) is int else None
    if fields is None or not _has_access(runtime, pid, STAFF_ACCESS):
        return
    kind, id_field, record_field = fields
    index, record = packet.get(id_field), packet.get(record_field)
    try:
        check_resource_id(kind, index, ctx)
        check_resource(kind, index, record, ctx)
    except Malformed as problem:
        _refuse(effects, pid, RESOURCE_LABELS[kind], problem)
        return
    effects.requests.append(("save_resource", {"pid": pid, "kind": kind, "index": index,
                                               "record": record}))


# --- type 26: save script ------------------------------------------------------------------
def handle_save_script(runtime: MapRuntime, effects: Effects, pid: int, packet: dict,
                       ctx: RuleContext) -> None:
    """Check the script's name, size and syntax, then ask storage to save it.

    A script that does not compile under the sandbox is refused here with one
    red notice naming the line, and the version in play stays active. An empty
    text deletes the script (every worker stops running it).
    """
    if not _has_access(runtime, pid, SCRIPT_ACCESS):
        return
    name, script = packet.get("name"), packet.get("script")
    try:
        check_script(name, script)
        if script.strip():
            compile_script(name, script)
    except Malformed as problem:
        _refuse(effects, pid, "Script", problem)
        return
    except ScriptError as error:
        _refuse(effects, pid, "Script", Malformed(str(error)))
        return
    effects.requests.append(("save_script", {"pid": pid, "name": name, "script": script}))

