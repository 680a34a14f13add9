"""workers.rules.items: inventory helpers, pickup (5.3.1) and drop (5.3.2)."""
from __future__ import annotations

import copy

import pytest

from cluster import records
from itemtools import (ARROW, GOLD, HEALING_POTION, HUNTING_BOW, SHORT_SWORD, STICK, ScriptedHooks, full_bag,
                       inventory, slot_packet, world)
from maptools import NOW_MS, character, received, runtime_with, types
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


def ground(item_id, amount, uses, x=5, y=5) -> dict:
    return {"item_id": item_id, "amount": amount, "uses": uses, "x": x, "y": y}


def map_item_packet(slot_id, item) -> dict:
    return {"type": 112, "map_id": MAP_ID, "slot_id": slot_id, "map_items": item}


def chat_packet(color, temp) -> tuple:
    return (114, 4, color, temp)


def as_notice(packet) -> tuple:
    return (packet["type"], packet["channel_id"], packet["color"], packet["temp"])


# --- inventory helpers ----------------------------------------------------------------------

def test_first_free_bag_slot_skips_equipment_and_full_slots():
    inv = inventory(s0=(STICK, 1, 20), s6=(GOLD, 5, 0))
    inv[7] = {"item_id": -1, "amount": -1, "uses": -1}  # the original's used-up-key form is empty too
    assert items.first_free_bag_slot(inv) == 7
    assert items.first_free_bag_slot(full_bag()) == -1
    bag = full_bag()
    bag[1] = records.empty_inventory_slot()
    assert items.first_free_bag_slot(bag) == -1  # an empty equipment slot is not a bag slot


def test_find_slot_is_the_first_holding_slot_of_all_thirty():
    inv = inventory(s3=(GOLD, 1, 0), s9=(GOLD, 4, 0))
    assert items.find_slot(inv, GOLD) == 3
    assert items.find_slot(inv, ARROW) == -1


def test_add_to_bag_stacks_to_the_limit_then_uses_free_slots():
    runtime, me = setup(inventory(s9=(HEALING_POTION, 15, 1)))
    changed = items.add_to_bag(me, HEALING_POTION, 30, 1, world())
    assert changed == [9, 6, 7]
    assert [me["inv"][slot]["amount"] for slot in changed] == [20, 20, 5]


def test_add_to_bag_is_all_or_nothing():
    inv = full_bag()
    inv[6] = {"item_id": HEALING_POTION, "amount": 18, "uses": 1}
    runtime, me = setup(inv)
    before = copy.deepcopy(me["inv"])
    assert items.add_to_bag(me, HEALING_POTION, 5, 1, world()) == []
    assert me["inv"] == before
    assert items.add_to_bag(me, HEALING_POTION, 2, 1, world()) == [6]
    assert me["inv"][6]["amount"] == 20


def test_put_in_free_slot_is_the_script_api_form():
    runtime, me = setup(inventory(s6=(GOLD, 1, 0)))
    assert items.put_in_free_slot(me, SHORT_SWORD, 1, 100) == 7
    assert me["inv"][7] == {"item_id": SHORT_SWORD, "amount": 1, "uses": 100}
    runtime, me = setup(full_bag())
    assert items.put_in_free_slot(me, SHORT_SWORD, 1, 100) == -1


# --- pickup ---------------------------------------------------------------------------------

def test_pickup_with_nothing_on_the_tile_tells_only_the_player():
    runtime, me = setup()
    runtime.items[0] = ground(SHORT_SWORD, 1, 100, x=6, y=5)  # next tile, not here
    effects = run(items.handle_pickup, runtime)
    mine = received(effects, ME)
    assert [as_notice(p) for p in mine] == [chat_packet("#ff0000", True)]
    assert received(effects, OTHER) == []
    assert runtime.items[0]["item_id"] == SHORT_SWORD


def test_pickup_takes_the_item_into_the_first_free_bag_slot():
    runtime, me = setup(inventory(s6=(GOLD, 3, 0)))
    runtime.items[2] = ground(SHORT_SWORD, 1, 57)
    effects = run(items.handle_pickup, runtime)
    cleared = records.empty_map_item()
    assert received(effects, OTHER) == [map_item_packet(2, cleared)]
    assert received(effects, ME) == [map_item_packet(2, cleared), slot_packet(ME, 7, SHORT_SWORD, 1, 57)]
    assert me["inv"][7] == {"item_id": SHORT_SWORD, "amount": 1, "uses": 57}
    assert runtime.items[2]["item_id"] == -1
    assert runtime.dirty and ME in runtime.changed_players


def test_pickup_handles_only_the_first_item_on_the_tile():
    runtime, me = setup()
    runtime.items[4] = ground(SHORT_SWORD, 1, 100)
    runtime.items[9] = ground(HUNTING_BOW, 1, 100)
    effects = run(items.handle_pickup, runtime)
    assert [p["slot_id"] for p in received(effects, ME) if p["type"] == 112] == [4]
    assert runtime.items[9]["item_id"] == HUNTING_BOW


def test_item_id_zero_can_be_picked_up():  # regression 8.42
    runtime, me = setup()
    runtime.items[0] = ground(STICK, 1, 20)
    effects = run(items.handle_pickup, runtime)
    assert types(received(effects, ME)) == [112, 119]
    assert me["inv"][6] == {"item_id": STICK, "amount": 1, "uses": 20}
    assert runtime.items[0]["item_id"] == -1


def test_stackable_pickup_merges_into_an_unlimited_stack():
    runtime, me = setup(inventory(s12=(GOLD, 40, 0)))
    runtime.items[0] = ground(GOLD, 25, 0)
    effects = run(items.handle_pickup, runtime)
    assert received(effects, ME)[1:] == [slot_packet(ME, 12, GOLD, 65, 0)]
    assert me["inv"][6]["item_id"] == -1


def test_stacking_past_the_limit_never_overfills_and_leaves_the_rest():  # regression 8.42
    inv = full_bag()
    inv[6] = records.empty_inventory_slot()
    inv[10] = {"item_id": HEALING_POTION, "amount": 15, "uses": 1}  # limit 20
    runtime, me = setup(inv)
    runtime.items[0] = ground(HEALING_POTION, 30, 1)
    effects = run(items.handle_pickup, runtime)
    assert received(effects, ME) == [map_item_packet(0, ground(HEALING_POTION, 5, 1)),
                                     slot_packet(ME, 10, HEALING_POTION, 20, 1),
                                     slot_packet(ME, 6, HEALING_POTION, 20, 1)]
    assert runtime.items[0]["amount"] == 5
    assert all(slot["amount"] <= 20 for slot in me["inv"] if slot["item_id"] == HEALING_POTION)


def test_a_full_stack_does_not_spill_over_its_limit_into_a_free_slot():  # regression 8.42
    runtime, me = setup(inventory(s8=(HEALING_POTION, 20, 1)))
    runtime.items[0] = ground(HEALING_POTION, 45, 1)
    effects = run(items.handle_pickup, runtime)
    assert [(p["slot_id"], p["inv"]["amount"]) for p in received(effects, ME) if p["type"] == 119] == \
        [(6, 20), (7, 20), (9, 5)]
    assert runtime.items[0]["item_id"] == -1


def test_pickup_with_no_room_says_so_and_changes_nothing():
    runtime, me = setup(full_bag())
    runtime.items[0] = ground(SHORT_SWORD, 1, 100)
    before = copy.deepcopy(me["inv"])
    effects = run(items.handle_pickup, runtime)
    assert [as_notice(p) for p in received(effects, ME)] == [chat_packet("#ff0000", True)]
    assert received(effects, OTHER) == []
    assert me["inv"] == before and runtime.items[0]["item_id"] == SHORT_SWORD
    assert not runtime.dirty


@pytest.mark.parametrize("hp", [0, -4])
def test_a_dead_player_revives_instead_of_picking_up(hp):
    runtime, me = setup(hp=hp)
    me["data"]["dead"] = int(NOW_MS / 1000) - 5
    runtime.items[0] = ground(SHORT_SWORD, 1, 100)
    effects = run(items.handle_pickup, runtime)  # the revive point is map 0: a map change
    assert me["vitals"]["hp"] == 1
    assert 112 not in types(received(effects, ME)) and 119 not in types(received(effects, ME))
    assert runtime.items[0]["item_id"] == SHORT_SWORD
    assert me["inv"][6]["item_id"] == -1


def test_a_dead_player_too_soon_after_death_gets_nothing():
    runtime, me = setup(hp=0)
    me["data"]["dead"] = int(NOW_MS / 1000)
    runtime.items[0] = ground(SHORT_SWORD, 1, 100)
    effects = run(items.handle_pickup, runtime)
    assert effects.messages == [] and me["vitals"]["hp"] == 0


def test_pickup_by_someone_not_on_the_map_does_nothing():
    runtime, me = setup()
    runtime.items[0] = ground(SHORT_SWORD, 1, 100)
    effects = run(items.handle_pickup, runtime, pid=99)
    assert effects.messages == [] and runtime.items[0]["item_id"] == SHORT_SWORD


# --- drop -----------------------------------------------------------------------------------

def test_drop_a_whole_slot():
    runtime, me = setup(inventory(s8=(SHORT_SWORD, 1, 64)))
    runtime.items[0] = ground(STICK, 1, 20, x=0, y=0)
    effects = run(items.handle_drop, runtime, {"slot_id": 8, "amount": 1})
    placed = ground(SHORT_SWORD, 1, 64)
    assert received(effects, OTHER) == [map_item_packet(1, placed)]
    assert received(effects, ME) == [map_item_packet(1, placed), slot_packet(ME, 8, -1, 0, 0)]
    assert runtime.items[1] == placed and me["inv"][8] == records.empty_inventory_slot()
    assert runtime.dirty and ME in runtime.changed_players


def test_a_partial_drop_keeps_the_remainders_uses():  # regression 8.41
    runtime, me = setup(inventory(s6=(ARROW, 10, 7)))
    effects = run(items.handle_drop, runtime, {"slot_id": 6, "amount": 3})
    assert received(effects, ME) == [map_item_packet(0, ground(ARROW, 3, 7)), slot_packet(ME, 6, ARROW, 7, 7)]


@pytest.mark.parametrize("packet", [
    {"slot_id": 30, "amount": 1}, {"slot_id": -1, "amount": 1}, {"slot_id": "6", "amount": 1},
    {"slot_id": True, "amount": 1}, {"slot_id": 6.0, "amount": 1}, {"amount": 1},
    {"slot_id": 6, "amount": 0}, {"slot_id": 6, "amount": -2}, {"slot_id": 6, "amount": 11},
    {"slot_id": 6, "amount": True}, {"slot_id": 6, "amount": 1.5}, {"slot_id": 6}, {"slot_id": 7, "amount": 1},
])
def test_a_bad_drop_is_ignored_before_the_slot_is_read(packet):  # regression 8.15
    hooks = ScriptedHooks({("item", "dropItem"): 0})
    runtime, me = setup(inventory(s6=(ARROW, 10, 1)))
    before = copy.deepcopy(me["inv"])
    effects = run(items.handle_drop, runtime, packet, world(hooks=hooks))
    assert effects.messages == [] and hooks.calls == []
    assert me["inv"] == before and all(item["item_id"] == -1 for item in runtime.items)


@pytest.mark.parametrize("hp", [0, -1, -0.5])
def test_the_dead_cannot_drop(hp):  # regression 8.49
    runtime, me = setup(inventory(s6=(ARROW, 10, 1)), hp=hp)
    effects = run(items.handle_drop, runtime, {"slot_id": 6, "amount": 1})
    assert effects.messages == [] and me["inv"][6]["amount"] == 10


def test_the_drop_hook_gets_its_arguments_and_may_cancel():
    hooks = ScriptedHooks({("item", "dropItem"): 1})
    runtime, me = setup(inventory(s6=(ARROW, 10, 1)))
    effects = run(items.handle_drop, runtime, {"slot_id": 6, "amount": 4}, world(hooks=hooks))
    assert hooks.calls == [("item", "dropItem", (ME, ARROW, 6, 4, 0))]  # arrows are type 0
    assert effects.messages == [] and me["inv"][6]["amount"] == 10


@pytest.mark.parametrize("answer", ["1", None, 2, [0]])
def test_a_drop_hook_returning_anything_but_0_cancels_the_drop(answer):
    hooks = ScriptedHooks({("item", "dropItem"): answer})
    runtime, me = setup(inventory(s6=(ARROW, 10, 1)))
    effects = run(items.handle_drop, runtime, {"slot_id": 6, "amount": 4}, world(hooks=hooks))
    assert effects.messages == [] and me["inv"][6]["amount"] == 10


def test_a_drop_on_a_full_map_does_nothing_and_says_nothing():
    runtime, me = setup(inventory(s6=(ARROW, 10, 1)))
    runtime.items = [ground(STICK, 1, 20, x=0, y=0) for _ in range(records.MAP_ITEM_SLOTS)]
    effects = run(items.handle_drop, runtime, {"slot_id": 6, "amount": 1})
    assert effects.messages == [] and me["inv"][6]["amount"] == 10
