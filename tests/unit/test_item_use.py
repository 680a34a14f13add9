"""workers.rules.items: use, equip and keys (PROTOCOL 5.3.3)."""
from __future__ import annotations

import copy

import pytest

from cluster import records
from itemtools import (CRYPT_KEY, GOLD, HEALING_POTION, HUNTING_BOW, SHORT_SWORD, SILVER_RING, STICK, ScriptedHooks,
                       full_bag, inventory, slot_packet, world)
from maptools import NOW_MS, character, received, runtime_with, set_tile, types
from workers.rules import items
from workers.runtime import Effects

ME, OTHER = 1, 2
MAP_ID = 3


def setup(inv=None, x=5, y=5, hp=10, direction=0, profession_id=0, **map_fields):
    me = character("Me", x, y, map_id=MAP_ID, direction=direction, profession_id=profession_id)
    me["vitals"]["hp"] = hp
    me["inv"] = inv if inv is not None else inventory()
    runtime = runtime_with((ME, me), (OTHER, character("Other", 0, 0, map_id=MAP_ID)), map_id=MAP_ID)
    runtime.record.update(map_fields)
    return runtime, me


def run(rule, runtime, packet=None, ctx=None, pid=ME):
    effects = Effects()
    rule(runtime, effects, pid, dict(packet or {}), ctx or world())
    return effects




def chat_packet(color, temp) -> tuple:
    return (114, 4, color, temp)


def as_notice(packet) -> tuple:
    return (packet["type"], packet["channel_id"], packet["color"], packet["temp"])


# --- use / equip ------------------------------------------------------------------------------

def test_equip_swaps_with_what_is_worn():
    runtime, me = setup(inventory(s0=(STICK, 1, 20), s7=(SHORT_SWORD, 1, 90)))
    effects = run(items.handle_use, runtime, {"slot_id": 7})
    assert received(effects, ME) == [slot_packet(ME, 7, STICK, 1, 20), slot_packet(ME, 0, SHORT_SWORD, 1, 90)]
    assert received(effects, OTHER) == []
    assert ME in runtime.changed_players


def test_a_ring_goes_to_slot_five():
    runtime, me = setup(inventory(s12=(SILVER_RING, 1, 50)))
    effects = run(items.handle_use, runtime, {"slot_id": 12})
    assert [p["slot_id"] for p in received(effects, ME)] == [12, 5]
    assert me["inv"][5]["item_id"] == SILVER_RING


def test_using_worn_equipment_unequips_into_the_first_free_bag_slot():
    runtime, me = setup(inventory(s0=(SHORT_SWORD, 1, 90), s6=(GOLD, 1, 0)))
    effects = run(items.handle_use, runtime, {"slot_id": 0})
    assert received(effects, ME) == [slot_packet(ME, 0, -1, 0, 0), slot_packet(ME, 7, SHORT_SWORD, 1, 90)]


def test_unequip_with_a_full_bag_does_nothing_and_sends_nothing():
    inv = full_bag()
    inv[0] = {"item_id": SHORT_SWORD, "amount": 1, "uses": 90}
    runtime, me = setup(inv)
    before = copy.deepcopy(me["inv"])
    effects = run(items.handle_use, runtime, {"slot_id": 0})
    assert effects.messages == [] and me["inv"] == before


def test_the_profession_check_refuses_with_a_cyan_notice():
    hooks = ScriptedHooks({("item", "useitem"): 0})
    runtime, me = setup(inventory(s6=(HUNTING_BOW, 1, 100)), profession_id=0)  # bow flags 2: profession 1
    effects = run(items.handle_use, runtime, {"slot_id": 6}, world(hooks=hooks))
    assert [as_notice(p) for p in received(effects, ME)] == [chat_packet("#00ffff", False)]
    assert hooks.calls == [] and me["inv"][6]["item_id"] == HUNTING_BOW


def test_the_profession_check_uses_the_players_bit():
    runtime, me = setup(inventory(s6=(HUNTING_BOW, 1, 100)), profession_id=1)
    effects = run(items.handle_use, runtime, {"slot_id": 6})
    assert types(received(effects, ME)) == [119, 119]


def test_an_item_with_no_profession_flags_cannot_be_used():
    ctx = world()
    ctx.items[SHORT_SWORD]["prof_req_flags"] = 0
    runtime, me = setup(inventory(s6=(SHORT_SWORD, 1, 100)))
    effects = run(items.handle_use, runtime, {"slot_id": 6}, ctx)
    assert [as_notice(p) for p in received(effects, ME)] == [chat_packet("#00ffff", False)]


@pytest.mark.parametrize("item_type", [1, 2, 3, 4, 5, 11])
def test_the_useitem_override_stops_every_equipment_type(item_type):  # regression 8.21
    hooks = ScriptedHooks({("item", "useitem"): 1, ("item", "equipitem"): 0})
    ctx = world(hooks=hooks)
    ctx.items[SHORT_SWORD]["type"] = item_type
    runtime, me = setup(inventory(s6=(SHORT_SWORD, 1, 100)))
    effects = run(items.handle_use, runtime, {"slot_id": 6}, ctx)
    assert hooks.calls == [("item", "useitem", (ME, SHORT_SWORD, 6, item_type))]
    assert effects.messages == [] and me["inv"][6]["item_id"] == SHORT_SWORD


def test_the_equipitem_override_stops_the_swap():
    hooks = ScriptedHooks({("item", "useitem"): 0, ("item", "equipitem"): 1})
    runtime, me = setup(inventory(s6=(SHORT_SWORD, 1, 100)))
    effects = run(items.handle_use, runtime, {"slot_id": 6}, world(hooks=hooks))
    assert [call[1] for call in hooks.calls] == ["useitem", "equipitem"]
    assert hooks.calls[1][2] == (ME, SHORT_SWORD, 6, 1)
    assert effects.messages == [] and me["inv"][6]["item_id"] == SHORT_SWORD


def test_other_item_types_only_run_the_hook():
    hooks = ScriptedHooks({("item", "useitem"): 0})
    runtime, me = setup(inventory(s6=(HEALING_POTION, 3, 1)))
    effects = run(items.handle_use, runtime, {"slot_id": 6}, world(hooks=hooks))
    assert hooks.calls == [("item", "useitem", (ME, HEALING_POTION, 6, 6))]
    assert effects.messages == [] and me["inv"][6]["amount"] == 3


@pytest.mark.parametrize("packet", [{"slot_id": 30}, {"slot_id": -1}, {"slot_id": "6"}, {"slot_id": True},
                                    {}, {"slot_id": 7}])
def test_a_bad_or_empty_use_slot_is_ignored(packet):
    hooks = ScriptedHooks({("item", "useitem"): 0})
    runtime, me = setup(inventory(s6=(SHORT_SWORD, 1, 100)))
    effects = run(items.handle_use, runtime, packet, world(hooks=hooks))
    assert effects.messages == [] and hooks.calls == []


# --- keys -----------------------------------------------------------------------------------

def key_setup(uses=3, direction=2, door_key=CRYPT_KEY, kind=9):
    runtime, me = setup(inventory(s9=(CRYPT_KEY, 1, uses)), x=5, y=5, direction=direction)
    set_tile(runtime, 6, 5, kind, item_id=door_key)  # east of the player
    return runtime, me


def test_a_key_opens_the_door_in_front_and_loses_a_use():
    runtime, me = key_setup()
    effects = run(items.handle_use, runtime, {"slot_id": 9})
    doors = [{"x": 6, "y": 5}] + [{"x": -1, "y": -1}] * (records.DOOR_SLOTS - 1)
    assert received(effects, ME) == [slot_packet(ME, 9, CRYPT_KEY, 1, 2),
                                     {"type": 122, "map_id": MAP_ID, "map_doors": doors}]
    assert received(effects, OTHER) == [{"type": 122, "map_id": MAP_ID, "map_doors": doors}]
    assert runtime.door_close_at[0] == NOW_MS / 1000 + 10


def test_a_keys_last_use_empties_its_slot():
    runtime, me = key_setup(uses=1)
    effects = run(items.handle_use, runtime, {"slot_id": 9})
    assert received(effects, ME)[0] == slot_packet(ME, 9, -1, 0, 0)
    assert me["inv"][9] == records.empty_inventory_slot()


def test_a_key_on_an_open_door_sends_nothing_and_keeps_its_use():  # regression 8.44
    runtime, me = key_setup()
    runtime.open_door(6, 5, NOW_MS / 1000)
    effects = run(items.handle_use, runtime, {"slot_id": 9})
    assert effects.messages == [] and me["inv"][9]["uses"] == 3


@pytest.mark.parametrize("direction, door_key, kind", [(0, CRYPT_KEY, 9), (2, GOLD, 9), (2, CRYPT_KEY, 0)])
def test_a_key_without_its_door_in_front_does_nothing(direction, door_key, kind):
    runtime, me = key_setup(direction=direction, door_key=door_key, kind=kind)
    effects = run(items.handle_use, runtime, {"slot_id": 9})
    assert effects.messages == [] and me["inv"][9]["uses"] == 3
    assert not any(door["x"] >= 0 for door in runtime.doors)


def test_a_key_facing_off_the_map_does_nothing():
    runtime, me = setup(inventory(s9=(CRYPT_KEY, 1, 3)), x=11, y=5, direction=2)
    assert run(items.handle_use, runtime, {"slot_id": 9}).messages == []


def test_a_key_works_whatever_useitem_returned():
    hooks = ScriptedHooks({("item", "useitem"): 1})
    runtime, me = key_setup()
    effects = run(items.handle_use, runtime, {"slot_id": 9}, world(hooks=hooks))
    assert types(received(effects, ME)) == [119, 122]
