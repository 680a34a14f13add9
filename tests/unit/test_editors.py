"""workers.rules.editors: type 12 (save map, PROTOCOL 2.3 and 4.3), its second half
``apply_saved_map``, and the staff check of every editor type (the 2.3 [BUG], 8.5)."""
from __future__ import annotations

import pytest
from editortools import (ITEMS, NPCS, PROFESSIONS, SHOPS, assert_nothing, assert_refused, send,
                         staff_map, starter_map, world_context)
from maptools import character, context, received, runtime_with, types

from cluster import records
from workers.rules.editors import apply_saved_map
from workers.runtime import Effects

ITEM, NPC, SHOP, PROFESSION = ITEMS[0], NPCS[0], SHOPS[0], PROFESSIONS[0]
# One valid packet of each editor type.
VALID = {
    12: lambda: {"type": 12, "map": starter_map(0)},
    13: lambda: {"type": 13, "item_id": 0, "item": dict(ITEM)},
    14: lambda: {"type": 14, "npc_id": 0, "npc": dict(NPC)},
    15: lambda: {"type": 15, "shop_id": 0, "shop": dict(SHOP)},
    18: lambda: {"type": 18, "profession_id": 0, "profession": dict(PROFESSION)},
    26: lambda: {"type": 26, "name": "attack", "script": "def handleAttack(*a):\n    return 0\n"},
}
NEEDED = {12: 1, 13: 1, 14: 1, 15: 1, 18: 1, 26: 4}


# --- the staff check: the sender's own access --------------------------------------------
@pytest.mark.parametrize("packet_type", sorted(VALID))
def test_one_level_below_is_silently_ignored_even_with_staff_last_on_the_map(packet_type):
    runtime = staff_map(NEEDED[packet_type] - 1)  # Bob, access 4, is the last on the list
    assert_nothing(send(runtime, VALID[packet_type]()))


@pytest.mark.parametrize("packet_type", sorted(VALID))
def test_the_needed_level_is_accepted(packet_type):
    effects = send(staff_map(NEEDED[packet_type]), VALID[packet_type]())
    assert effects.messages == [] and len(effects.requests) == 1


@pytest.mark.parametrize("packet_type", sorted(VALID))
def test_a_sender_missing_from_the_map_is_never_judged_by_the_last_player(packet_type):
    assert_nothing(send(staff_map(4), VALID[packet_type](), pid=9))


@pytest.mark.parametrize("access", ["4", 4.0, True, None])
def test_an_access_that_is_not_an_int_counts_as_0(access):
    assert_nothing(send(staff_map(access), VALID[12]()))


# --- type 12: malformed maps -----------------------------------------------------------
def _tile(kind, **data):
    return {"layers": [-1] * 10, "type": kind, "data": data}


def _set(path, value):
    """A change at a key path of the record (``None`` as the value deletes the key)."""
    def change(record):
        *parents, last = path
        target = record
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return change


MALFORMED = {
    "11 columns": lambda m: m["tiles"].pop(),
    "a column of 11": lambda m: m["tiles"][4].pop(),
    "13 columns": lambda m: m["tiles"].append(m["tiles"][0]),
    "13 layers": _set(("tiles", 2, 3, "layers"), [-1] * 13),
    "a layer that is a string": _set(("tiles", 2, 3, "layers", 0), "1"),
    "a layer below -1": _set(("tiles", 2, 3, "layers", 0), -2),
    "tile type 21": _set(("tiles", 2, 3, "type"), 21),
    "tile type -1": _set(("tiles", 2, 3, "type"), -1),
    "tile type '1'": _set(("tiles", 2, 3, "type"), "1"),
    "tile type true": _set(("tiles", 2, 3, "type"), True),
    "tile without data": _set(("tiles", 2, 3, "data"), None),
    "tile with an extra key": _set(("tiles", 2, 3, "extra"), 1),
    "tile data a list": _set(("tiles", 2, 3, "data"), []),
    "tile not an object": _set(("tiles", 2, 3), [1, 2]),
    "missing music_id": _set(("music_id",), None),
    "missing tiles": _set(("tiles",), None),
    "name a number": _set(("name",), 5),
    "forbid_attack 1": _set(("forbid_attack",), 1),
    "music_id '3'": _set(("music_id",), "3"),
    "music_id -2": _set(("music_id",), -2),
    "shop_id a string": _set(("shop_id",), "0"),
    "shop_id past the shops": _set(("shop_id",), len(SHOPS)),
    "treasure 1": _set(("treasure",), 1),
    "a link to no map": _set(("map_north_id",), 99),
    "a link of -2": _set(("map_west_id",), -2),
    "boot_map to no map": _set(("boot_map", "map_id"), 99),
    "boot_map off the map": _set(("boot_map", "x"), 12),
    "death_map without dir": _set(("death_map", "dir"), None),
    "19 spawn slots": lambda m: m["spawn_npc_ids"].pop(),
    "a spawn NPC past the list": _set(("spawn_npc_ids", 3), len(NPCS)),
    "a spawn NPC of -2": _set(("spawn_npc_ids", 3), -2),
    "a spawn NPC that is a string": _set(("spawn_npc_ids", 3), "1"),
    "a warp to no map": _set(("tiles", 2, 3), _tile(3, map_id=99, x=1, y=1)),
    "a warp off the map": _set(("tiles", 2, 3), _tile(3, map_id=1, x=12, y=1)),
    "an item spawn past the items": _set(("tiles", 2, 3), _tile(4, item_id=len(ITEMS), amount=1)),
    "an item spawn of a negative amount": _set(("tiles", 2, 3), _tile(4, item_id=0, amount=-5)),
    "an NPC spawn past the NPCs": _set(("tiles", 2, 3), _tile(6, npc_id=len(NPCS), dir=0)),
    "an NPC spawn of -1": _set(("tiles", 2, 3), _tile(6, npc_id=-1, dir=0)),
    "a key door for no item": _set(("tiles", 2, 3), _tile(9, item_id=99)),
    "a directional block that is a number": _set(("tiles", 2, 3), _tile(2, block_south=1)),
    "a trigger off the map": _set(("tiles", 2, 3), _tile(10, x=-1, y=0, cooldown=5)),
    "NaN in data": _set(("data", "weight"), float("nan")),
    "infinity in data": _set(("data", "weight"), float("inf")),
    "an int past 2**53": _set(("data", "weight"), 2**60),
    "a lone surrogate in the name": _set(("name",), "bad \ud800 name"),
    "nesting too deep": _set(("data", "deep"), [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_map_gets_one_red_notice_and_nothing_else(name):
    runtime = staff_map(1)
    before = starter_map(0)
    record = starter_map(0)
    MALFORMED[name](record)
    assert_refused(send(runtime, {"type": 12, "map": record}))
    assert runtime.record == before and not runtime.dirty


@pytest.mark.parametrize("packet", [{"type": 12}, {"type": 12, "map": None},
                                    {"type": 12, "map": [1, 2]}, {"type": 12, "map": "map"}])
def test_a_missing_or_non_object_map_is_refused(packet):
    assert_refused(send(staff_map(1), packet))


def test_the_notice_names_the_first_problem():
    record = starter_map(0)
    record["tiles"][2][3]["type"] = 21
    record["tiles"][5][5]["type"] = "1"
    text = assert_refused(send(staff_map(1), {"type": 12, "map": record}))
    assert "(2,3)" in text and "type" in text


# --- type 12: valid maps -----------------------------------------------------------------
def test_a_valid_map_becomes_a_save_request_and_nothing_else():
    runtime = staff_map(1)
    record = starter_map(0)
    effects = send(runtime, {"type": 12, "map": record})
    assert effects.messages == []
    assert effects.requests == [("save_map", {"pid": 1, "map_id": 0, "record": record})]
    assert runtime.record == starter_map(0) and not runtime.dirty  # storage first


def test_the_map_id_is_always_the_senders_map():
    runtime = staff_map(1, map_id=3)
    effects = send(runtime, {"type": 12, "map_id": 5, "map": {**starter_map(0), "map_id": 5}})
    assert [args["map_id"] for _kind, args in effects.requests] == [3]


def test_ids_at_the_edges_of_their_lists_and_optional_keys_are_accepted():
    record = starter_map(0)
    tiles = record["tiles"]
    tiles[1][1] = _tile(4, item_id=len(ITEMS) - 1, amount=0)
    tiles[1][2] = _tile(6, npc_id=len(NPCS) - 1, dir=-1)
    tiles[1][3] = _tile(9, item_id=-1, lock_south=True)
    tiles[1][4] = _tile(3, map_id=0, x=11, y=0)  # a warp on this same map
    tiles[1][5] = _tile(20, note="free data")
    record.update(shop_id=-1, treasure=True, map_south_id=-1, music_id=-1, extra_key="kept")
    record["spawn_npc_ids"][19] = len(NPCS) - 1
    record["boot_map"] = {"x": 11, "y": 11, "dir": 3, "map_id": 8}
    effects = send(staff_map(1), {"type": 12, "map": record})
    assert effects.messages == [] and effects.requests[0][1]["record"] == record


def test_the_senders_own_map_is_a_valid_link_even_when_the_context_lacks_it():
    ctx = world_context()
    ctx.map_ids = frozenset({1})
    record = records.new_map("loop")
    record.update(map_east_id=1, map_south_id=0)
    effects = send(staff_map(1), {"type": 12, "map": record}, ctx=ctx)
    assert effects.messages == [] and len(effects.requests) == 1


# --- apply_saved_map: the second half, once storage has committed -----------------------------
def _busy_map(music_id: int = 4):
    """Map 3 with Ann, Bob (the editor) and Cy; living NPCs, aggro, an open door, a ground item."""
    runtime = runtime_with((1, character("Ann", 1, 1, map_id=3)), (2, character("Bob", 2, 2, map_id=3, access=1)),
                           (3, character("Cy", 6, 6, map_id=3)), map_id=3)
    for slot in (0, 5):
        runtime.npcs[slot] = {**records.empty_npc_slot(), "npc_id": 1, "vitals": records.vitals(9, 0, 0)}
        runtime.aggro[slot] = {1: 3}
    runtime.open_door(4, 4, now_s=1000.0)
    runtime.items[7] = {"item_id": 2, "amount": 1, "uses": 0, "x": 1, "y": 1}
    runtime.players[3].flags["collected1:1"] = True
    record = records.new_map("edited")
    record["music_id"] = music_id
    record["tiles"][6][6] = _tile(1)  # Cy now stands on a wall
    return runtime, record


def test_applying_a_saved_map_sends_the_protocol_order_to_everyone_on_the_map():
    runtime, record = _busy_map()
    effects = Effects()
    apply_saved_map(runtime, effects, 2, record, world_context())
    everyone = [(recipients, packet) for recipients, packet in effects.messages if recipients == (1, 2, 3)]
    assert [(p["type"], p.get("player_id")) for _r, p in everyone] == [
        (106, None), (124, None), (110, 1), (110, 2), (110, 3), (113, None), (122, None)]
    assert effects.messages[-1] == ((2,), {"type": 100, "win": "winGame", "message": ""})
    assert len(effects.messages) == len(everyone) + 1
    m106, m124, *_spawns, m113, m122 = [p for _r, p in everyone]
    assert m106 == {"type": 106, "map_id": 3, "map": record}
    assert m124 == {"type": 124, "music_id": 4}
    assert m113["map_id"] == 3 and "slot_id" not in m113
    assert m113["map_npcs"] == [records.empty_npc_slot() for _ in range(20)]
    assert m122 == {"type": 122, "map_id": 3, "map_doors": [records.empty_door() for _ in range(20)]}
    assert types(received(effects, 1)) == [106, 124, 110, 110, 110, 113, 122]


def test_applying_resets_the_runtime_but_keeps_ground_items_positions_and_the_id():
    runtime, record = _busy_map()
    apply_saved_map(runtime, Effects(), 2, record, world_context())
    assert runtime.record is record and runtime.map_id == 3 and runtime.dirty
    assert runtime.npcs == [records.empty_npc_slot() for _ in range(20)]
    assert runtime.aggro == [{} for _ in range(20)]
    assert runtime.door_close_at == [-1.0] * 20 and not runtime.door_open_at(4, 4)
    assert runtime.next_wake_ms() is None  # no door timer left behind (8.37)
    assert runtime.items[7]["item_id"] == 2
    assert runtime.players[3].flags == {}
    assert runtime.players[3].record["pos"] == {"x": 6, "y": 6, "dir": 0, "map_id": 3}  # on the wall


def test_no_music_no_open_door_and_an_editor_who_left_send_less():
    runtime, record = _busy_map(music_id=-1)
    runtime.close_due_doors(now_s=2000.0)
    effects = Effects()
    apply_saved_map(runtime, effects, 9, record, world_context())
    assert [p["type"] for _r, p in effects.messages] == [106, 110, 110, 110, 113]


def test_flying_shots_are_cleared_and_shown_cleared():
    runtime, record = _busy_map(music_id=-1)
    runtime.shots[4] = {"shooter_type": 1, "shooter_id": 1, "item_id": 3, "pos": records.position(1, 1, 0, 3)}
    effects = Effects()
    apply_saved_map(runtime, effects, 2, record, world_context())
    assert [p["type"] for _r, p in effects.messages] == [106, 110, 110, 110, 113, 122, 126, 100]
    assert runtime.shots == [records.empty_shot() for _ in range(50)]
    assert effects.messages[-2][1]["map_shots"] == runtime.shots


def test_a_saved_map_clears_the_hidden_npc_and_shot_state_too():
    runtime = runtime_with((1, character("Ann", 1, 1)))
    runtime.npc_state[4].update(tile="3:3", respawn_at_ms=99, speed_modifier=50, data={"x": 1})
    runtime.shot_state[2].update(moves_left=3, next_tick_ms=5)
    runtime.npc_spawns["3:3"] = 12345
    runtime.item_spawns["2:2"] = {"slot": 0, "respawn_at_s": 0.0}
    apply_saved_map(runtime, Effects(), 1, records.new_map("new"), context())
    assert runtime.npc_state[4] == records.npc_state() and runtime.shot_state[2] == records.shot_state()
    assert runtime.npc_spawns == {} and runtime.item_spawns == {"2:2": {"slot": 0, "respawn_at_s": 0.0}}
