"""workers.rules.items: item-spawn tiles and treasure maps (PROTOCOL 5.3.1, 5.3.5)."""
from __future__ import annotations


import pytest

from cluster import records
from itemtools import (ARROW, SHORT_SWORD, SILVER_RING, STICK, full_bag, inventory, world)
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


def ground(item_id, amount, uses, x=5, y=5) -> dict:
    return {"item_id": item_id, "amount": amount, "uses": uses, "x": x, "y": y}


def map_item_packet(slot_id, item) -> dict:
    return {"type": 112, "map_id": MAP_ID, "slot_id": slot_id, "map_items": item}


def chat_packet(color, temp) -> tuple:
    return (114, 4, color, temp)


def as_notice(packet) -> tuple:
    return (packet["type"], packet["channel_id"], packet["color"], packet["temp"])


# --- treasure maps and item-spawn tiles -------------------------------------------------------

def spawn_pass(runtime, ctx):
    """The event pass over type-4 tiles, in tile order."""
    effects = Effects()
    for x in range(records.MAP_SIZE):
        for y in range(records.MAP_SIZE):
            tile = runtime.tile(x, y)
            if tile["type"] == 4:
                items.spawn_tile(runtime, effects, ctx, x, y, tile)
    return effects


def test_first_spawn_is_immediate_with_amount_zero_as_one_and_full_uses():
    runtime, me = setup()
    set_tile(runtime, 2, 3, 4, item_id=SHORT_SWORD, amount=0)
    effects = spawn_pass(runtime, world())
    placed = ground(SHORT_SWORD, 1, 100, x=2, y=3)  # uses: the definition's 100
    assert received(effects, ME) == [map_item_packet(0, placed)]
    assert received(effects, OTHER) == [map_item_packet(0, placed)]
    assert runtime.items[0] == placed and runtime.item_spawns["2:3"]["slot"] == 0
    assert runtime.dirty


def test_a_present_spawn_does_not_spawn_again():
    runtime, me = setup()
    set_tile(runtime, 2, 3, 4, item_id=ARROW, amount=5)
    spawn_pass(runtime, world())
    effects = spawn_pass(runtime, world(NOW_MS + 60_000))
    assert effects.messages == []
    assert sum(1 for item in runtime.items if item["item_id"] == ARROW) == 1
    assert items.next_spawn_due_ms(runtime) is None


def test_a_taken_spawn_respawns_ten_seconds_later():
    runtime, me = setup(x=2, y=3)
    set_tile(runtime, 2, 3, 4, item_id=ARROW, amount=5)
    spawn_pass(runtime, world())
    taken_at = NOW_MS + 1234
    run(items.handle_pickup, runtime, ctx=world(taken_at))
    assert runtime.item_spawns["2:3"] == {"slot": -1, "respawn_at_s": taken_at / 1000 + items.ITEM_RESPAWN_S}
    assert items.next_spawn_due_ms(runtime) == taken_at + items.ITEM_RESPAWN_S * 1000
    assert spawn_pass(runtime, world(taken_at + items.ITEM_RESPAWN_S * 1000 - 1)).messages == []
    effects = spawn_pass(runtime, world(taken_at + items.ITEM_RESPAWN_S * 1000))
    assert types(received(effects, ME)) == [112]
    assert runtime.items[0] == ground(ARROW, 5, 1, x=2, y=3)


def test_a_partly_taken_spawn_is_still_present():
    inv = full_bag()
    inv[6] = {"item_id": ARROW, "amount": 97, "uses": 1}  # limit 99: room for 2
    runtime, me = setup(inv, x=2, y=3)
    set_tile(runtime, 2, 3, 4, item_id=ARROW, amount=5)
    spawn_pass(runtime, world())
    run(items.handle_pickup, runtime)
    assert runtime.items[0]["amount"] == 3
    assert runtime.item_spawns["2:3"]["slot"] == 0
    assert items.next_spawn_due_ms(runtime) is None


def test_a_spawn_removed_another_way_counts_as_taken():
    runtime, me = setup()
    set_tile(runtime, 2, 3, 4, item_id=ARROW, amount=5)
    spawn_pass(runtime, world())
    runtime.items[0] = records.empty_map_item()  # a script or an editor cleared it
    later = NOW_MS + 3000
    assert spawn_pass(runtime, world(later)).messages == []
    assert items.next_spawn_due_ms(runtime) == later + items.ITEM_RESPAWN_S * 1000


@pytest.mark.parametrize("item_id", [-1, 999, "4", None])
def test_no_spawn_for_no_item_or_an_unknown_one(item_id):
    runtime, me = setup()
    set_tile(runtime, 2, 3, 4, item_id=item_id, amount=1)
    assert spawn_pass(runtime, world()).messages == []
    assert all(item["item_id"] == -1 for item in runtime.items)
    assert items.next_spawn_due_ms(runtime) is None


def test_a_full_map_retries_the_spawn_later_instead_of_polling():
    runtime, me = setup()
    runtime.items = [ground(STICK, 1, 20, x=0, y=0) for _ in range(records.MAP_ITEM_SLOTS)]
    set_tile(runtime, 2, 3, 4, item_id=ARROW, amount=5)
    assert spawn_pass(runtime, world()).messages == []
    assert items.next_spawn_due_ms(runtime) == NOW_MS + items.ITEM_RESPAWN_S * 1000


def test_next_spawn_due_is_the_earliest_waiting_tile():
    runtime, me = setup()
    runtime.item_spawns = {"1:1": {"slot": -1, "respawn_at_s": 2000.5}, "2:2": {"slot": -1, "respawn_at_s": 1000.25},
                           "3:3": {"slot": 7, "respawn_at_s": 10.0}}
    assert items.next_spawn_due_ms(runtime) == 1_000_250
    assert items.next_spawn_due_ms(runtime_with()) is None


def treasure_map(inv=None):
    runtime, me = setup(inv, x=2, y=3, treasure=True)
    runtime.players[OTHER].record["pos"].update(x=2, y=3)
    runtime.players[OTHER].record["inv"] = inventory()
    set_tile(runtime, 2, 3, 4, item_id=SILVER_RING, amount=1)
    spawn_pass(runtime, world())
    return runtime, me


def test_treasure_is_taken_once_per_visit():
    runtime, me = treasure_map()
    first = run(items.handle_pickup, runtime)
    assert types(received(first, ME)) == [112, 119]
    assert runtime.players[ME].flags == {"collected2:3": True}
    later = NOW_MS + items.ITEM_RESPAWN_S * 1000
    spawn_pass(runtime, world(later))
    again = run(items.handle_pickup, runtime, ctx=world(later))
    assert [as_notice(p) for p in received(again, ME)] == [chat_packet("#ff0000", False)]
    assert received(again, OTHER) == []
    assert runtime.items[0]["item_id"] == SILVER_RING and me["inv"][7]["item_id"] == -1
    other = run(items.handle_pickup, runtime, ctx=world(later), pid=OTHER)  # each player has his own flag
    assert types(received(other, OTHER)) == [112, 119]


def test_a_dropped_item_on_a_treasure_tile_is_not_treasure():
    runtime, me = setup(x=2, y=3, treasure=True)
    set_tile(runtime, 2, 3, 4, item_id=-1)
    runtime.items[0] = ground(SHORT_SWORD, 1, 100, x=2, y=3)
    run(items.handle_pickup, runtime)
    assert runtime.players[ME].flags == {}
