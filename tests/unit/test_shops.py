"""workers.rules.shops: trade (11), sell / recycle (31), repair (24) (PROTOCOL 5.4), on the starter world."""
from __future__ import annotations

import copy
import math

import pytest

from itemtools import (ARROW, BRANNOC, GOLD, HEALING_POTION, IRON_SWORD, ITEMS, LEATHER_CAP, SHOPS, SHORT_SWORD,
                       SILVER_RING, STICK, TILDA, full_bag, inventory, slot_packet, world)
from maptools import character, received, runtime_with, types
from workers.rules import shops
from workers.runtime import Effects

ME, OTHER = 1, 2
SWORD_TRADE = 0  # Brannoc: 50 gold → 1 Short Sword
ARROW_TRADE = 2  # Tilda: 15 gold → 20 arrows (limit 99)


def setup(inv=None, shop_id=BRANNOC, hp=10):
    me = character("Me", 5, 5)
    me["vitals"]["hp"] = hp
    me["inv"] = inv if inv is not None else inventory()
    runtime = runtime_with((ME, me), (OTHER, character("Other", 1, 1)))
    if shop_id is not None:
        runtime.record["shop_id"] = shop_id
    return runtime, me


def run(rule, runtime, packet=None, ctx=None, pid=ME):
    effects = Effects()
    rule(runtime, effects, pid, dict(packet or {}), ctx or world())
    return effects


def notices(effects, pid=ME):
    return [(p["type"], p["channel_id"], p["color"]) for p in received(effects, pid)]


def test_the_starter_world_is_what_these_tests_assume():
    assert SHOPS[BRANNOC]["trades"][SWORD_TRADE] == {"take_item_id": GOLD, "take_amount": 50,
                                                      "give_item_id": SHORT_SWORD, "give_amount": 1}
    assert SHOPS[TILDA]["trades"][ARROW_TRADE]["give_item_id"] == ARROW
    assert ITEMS[ARROW]["limit"] == 99 and ITEMS[SHORT_SWORD]["uses"] == 100


# --- trade ----------------------------------------------------------------------------------

def test_a_trade_takes_the_price_and_gives_the_item_with_full_uses():
    runtime, me = setup(inventory(s6=(GOLD, 60, 0)))
    effects = run(shops.handle_trade, runtime, {"slot_id": SWORD_TRADE})
    assert received(effects, ME) == [slot_packet(ME, 7, SHORT_SWORD, 1, 100), slot_packet(ME, 6, GOLD, 10, 0)]
    assert received(effects, OTHER) == []
    assert ME in runtime.changed_players


def test_paying_the_whole_stack_empties_it_and_frees_the_slot():
    runtime, me = setup(inventory(s6=(GOLD, 50, 0), s7=(STICK, 1, 20)))
    effects = run(shops.handle_trade, runtime, {"slot_id": SWORD_TRADE})
    assert received(effects, ME) == [slot_packet(ME, 6, SHORT_SWORD, 1, 100)]  # the freed slot, sent once
    assert shops.take_from_stacks(inventory(s6=(GOLD, 5, 0)), GOLD, 5) == [6]


def test_the_price_may_come_from_several_stacks():  # regression 8.43
    runtime, me = setup(inventory(s6=(STICK, 1, 20), s8=(GOLD, 30, 0), s9=(GOLD, 30, 0)))
    effects = run(shops.handle_trade, runtime, {"slot_id": SWORD_TRADE})
    assert received(effects, ME) == [slot_packet(ME, 7, SHORT_SWORD, 1, 100), slot_packet(ME, 8, -1, 0, 0),
                                     slot_packet(ME, 9, GOLD, 10, 0)]


def test_too_little_in_all_stacks_fails_silently():
    runtime, me = setup(inventory(s6=(GOLD, 20, 0), s9=(GOLD, 29, 0)))
    before = copy.deepcopy(me["inv"])
    assert run(shops.handle_trade, runtime, {"slot_id": SWORD_TRADE}).messages == []
    assert me["inv"] == before and not runtime.changed_players


def test_a_stackable_grows_the_last_stack_with_room():
    runtime, me = setup(inventory(s6=(GOLD, 15, 0), s8=(ARROW, 10, 1), s12=(ARROW, 10, 1)), shop_id=TILDA)
    effects = run(shops.handle_trade, runtime, {"slot_id": ARROW_TRADE})
    assert received(effects, ME)[0] == slot_packet(ME, 12, ARROW, 30, 1)


def test_the_granted_stack_respects_its_limit():  # regression 8.43
    runtime, me = setup(inventory(s6=(GOLD, 15, 0), s8=(ARROW, 50, 1), s12=(ARROW, 90, 1)), shop_id=TILDA)
    effects = run(shops.handle_trade, runtime, {"slot_id": ARROW_TRADE})
    assert received(effects, ME)[0] == slot_packet(ME, 8, ARROW, 70, 1)  # slot 12 has no room for 20


def test_a_full_stack_starts_a_new_one_in_a_free_bag_slot():
    runtime, me = setup(inventory(s6=(GOLD, 30, 0), s12=(ARROW, 90, 1)), shop_id=TILDA)
    effects = run(shops.handle_trade, runtime, {"slot_id": ARROW_TRADE})
    assert received(effects, ME) == [slot_packet(ME, 7, ARROW, 20, 1), slot_packet(ME, 6, GOLD, 15, 0)]


def test_no_room_for_the_goods_fails_silently():
    inv = full_bag()
    inv[6] = {"item_id": GOLD, "amount": 100, "uses": 0}
    inv[7] = {"item_id": ARROW, "amount": 90, "uses": 1}
    for trade, shop_id in ((SWORD_TRADE, BRANNOC), (ARROW_TRADE, TILDA)):
        runtime, me = setup(copy.deepcopy(inv), shop_id=shop_id)
        before = copy.deepcopy(me["inv"])
        assert run(shops.handle_trade, runtime, {"slot_id": trade}).messages == []
        assert me["inv"] == before


@pytest.mark.parametrize("hp", [0, -3])
def test_the_dead_cannot_trade(hp):
    runtime, me = setup(inventory(s6=(GOLD, 60, 0)), hp=hp)
    assert run(shops.handle_trade, runtime, {"slot_id": SWORD_TRADE}).messages == []
    assert me["inv"][6]["amount"] == 60


@pytest.mark.parametrize("shop_id", [None, -1, 2, "1", True])
def test_no_trade_off_a_shop_map(shop_id):
    runtime, me = setup(inventory(s6=(GOLD, 60, 0)), shop_id=shop_id)
    assert run(shops.handle_trade, runtime, {"slot_id": SWORD_TRADE}).messages == []
    assert me["inv"][6]["amount"] == 60


@pytest.mark.parametrize("packet", [{}, {"slot_id": -1}, {"slot_id": len(SHOPS[BRANNOC]["trades"])},
                                    {"slot_id": "0"}, {"slot_id": False}, {"slot_id": 0.0}])
def test_a_bad_trade_index_is_ignored(packet):
    runtime, me = setup(inventory(s6=(GOLD, 60, 0)))
    assert run(shops.handle_trade, runtime, packet).messages == []
    assert me["inv"][6]["amount"] == 60


def test_a_malformed_trade_record_is_ignored():
    ctx = world()
    ctx.shops[BRANNOC]["trades"][SWORD_TRADE]["take_amount"] = "50"
    ctx.shops[BRANNOC]["trades"][1]["give_item_id"] = 999
    runtime, me = setup(inventory(s6=(GOLD, 60, 0)))
    for index in (SWORD_TRADE, 1):
        assert run(shops.handle_trade, runtime, {"slot_id": index}, ctx).messages == []


# --- sell -----------------------------------------------------------------------------------

def expected_value(item_id, uses):
    item = ITEMS[item_id]
    value = math.floor(item["repair_cost"] * uses / item["uses"])
    return value // 8 if item["type"] == 11 else value


def test_a_sale_pays_the_worn_value_and_opens_win_recycle():
    runtime, me = setup(inventory(s6=(GOLD, 10, 0), s7=(SHORT_SWORD, 1, 50)))
    effects = run(shops.handle_sell, runtime, {"slot_id": 7})
    paid = expected_value(SHORT_SWORD, 50)
    assert paid == 30
    mine = received(effects, ME)
    assert mine[:2] == [slot_packet(ME, 6, GOLD, 10 + paid, 0), slot_packet(ME, 7, -1, 0, 0)]
    assert mine[2]["type"] == 100 and mine[2]["win"] == "winRecycle" and "30" in mine[2]["message"]
    assert len(mine) == 3 and received(effects, OTHER) == []


def test_a_ring_sells_for_an_eighth():
    runtime, me = setup(inventory(s6=(GOLD, 1, 0), s9=(SILVER_RING, 1, 37)), shop_id=TILDA)
    run(shops.handle_sell, runtime, {"slot_id": 9})
    assert me["inv"][6]["amount"] == 1 + expected_value(SILVER_RING, 37) == 1 + 18


def test_the_currency_goes_to_a_free_bag_slot_without_a_stack():
    runtime, me = setup(inventory(s6=(STICK, 1, 20), s9=(SHORT_SWORD, 1, 100)))
    effects = run(shops.handle_sell, runtime, {"slot_id": 9})
    assert types(received(effects, ME)) == [119, 119, 100]
    assert received(effects, ME)[:2] == [slot_packet(ME, 7, GOLD, 60, 0), slot_packet(ME, 9, -1, 0, 0)]


def test_durability_above_the_maximum_is_worth_no_more_than_new():
    runtime, me = setup(inventory(s6=(GOLD, 1, 0), s7=(SHORT_SWORD, 1, 10_000)))
    run(shops.handle_sell, runtime, {"slot_id": 7})
    assert me["inv"][6]["amount"] == 1 + ITEMS[SHORT_SWORD]["repair_cost"]


def test_an_item_worth_nothing_is_refused_with_a_notice():
    runtime, me = setup(inventory(s7=(SHORT_SWORD, 1, 1)))  # floor(60/100 × 1) = 0
    before = copy.deepcopy(me["inv"])
    effects = run(shops.handle_sell, runtime, {"slot_id": 7})
    assert notices(effects) == [(114, 4, "#ff0000")]
    assert me["inv"] == before


def test_no_room_for_the_payment_is_refused_with_a_notice():
    inv = full_bag()
    inv[0] = {"item_id": SHORT_SWORD, "amount": 1, "uses": 100}  # selling from an equipment slot frees no bag slot
    runtime, me = setup(inv)
    before = copy.deepcopy(me["inv"])
    effects = run(shops.handle_sell, runtime, {"slot_id": 0})
    assert notices(effects) == [(114, 4, "#ff0000")]
    assert me["inv"] == before


def test_a_shop_buys_only_what_it_sells():  # 5.4.2 [BUG] / 8.14
    runtime, me = setup(inventory(s7=(SHORT_SWORD, 1, 100)), shop_id=TILDA)
    effects = run(shops.handle_sell, runtime, {"slot_id": 7})
    assert notices(effects) == [(114, 4, "#ff0000")]
    assert me["inv"][7]["item_id"] == SHORT_SWORD


@pytest.mark.parametrize("shop_id", [None, -1, 5])
def test_no_sale_and_no_crash_off_a_shop_map(shop_id):  # regression 8.20
    runtime, me = setup(inventory(s7=(SHORT_SWORD, 1, 100)), shop_id=shop_id)
    assert run(shops.handle_sell, runtime, {"slot_id": 7}).messages == []
    assert me["inv"][7]["item_id"] == SHORT_SWORD


@pytest.mark.parametrize("hp", [0, -2])
def test_the_dead_cannot_sell(hp):  # regression 8.20 / 8.49
    runtime, me = setup(inventory(s7=(SHORT_SWORD, 1, 100)), hp=hp)
    assert run(shops.handle_sell, runtime, {"slot_id": 7}).messages == []
    assert me["inv"][7]["item_id"] == SHORT_SWORD


@pytest.mark.parametrize("packet", [{}, {"slot_id": 30}, {"slot_id": -1}, {"slot_id": "7"}, {"slot_id": True},
                                    {"slot_id": 6}, {"slot_id": 8}, {"slot_id": 9}, {"slot_id": 10}])
def test_what_cannot_be_sold_is_ignored(packet):
    # 6 is empty (8.16: never the last item of the list), 8 gold, 9 a stick (no repair cost), 10 a potion
    inv = inventory(s7=(SHORT_SWORD, 1, 100), s8=(GOLD, 5, 0), s9=(STICK, 1, 20), s10=(HEALING_POTION, 2, 1))
    runtime, me = setup(inv)
    before = copy.deepcopy(me["inv"])
    assert run(shops.handle_sell, runtime, packet).messages == []
    assert me["inv"] == before


# --- repair ---------------------------------------------------------------------------------

def repair_price(item_id, uses):
    item = ITEMS[item_id]
    return math.floor(item["repair_cost"] * (item["uses"] - uses) / item["uses"])


def window(effects):
    last = received(effects, ME)[-1]
    assert last["type"] == 100 and last["win"] == "winRepair"
    return last["message"]


def test_repair_off_a_shop_map_is_one_notice_and_no_window():  # regression 8.14
    runtime, me = setup(inventory(s6=(GOLD, 100, 0), s7=(SHORT_SWORD, 1, 50)), shop_id=None)
    before = copy.deepcopy(me["inv"])
    effects = run(shops.handle_repair, runtime, {"slot_id": 7})
    assert notices(effects) == [(114, 4, "#ff0000")]
    assert me["inv"] == before


def test_repair_one_slot_in_full():
    runtime, me = setup(inventory(s6=(GOLD, 100, 0), s7=(SHORT_SWORD, 1, 50)))
    effects = run(shops.handle_repair, runtime, {"slot_id": 7})
    price = repair_price(SHORT_SWORD, 50)
    assert price == 30
    mine = received(effects, ME)
    assert mine[:2] == [slot_packet(ME, 6, GOLD, 100 - price, 0), slot_packet(ME, 7, SHORT_SWORD, 1, 100)]
    assert len(mine) == 3 and "30" in window(effects)
    assert ME in runtime.changed_players


def test_holding_exactly_the_price_pays_in_full():
    price = repair_price(SHORT_SWORD, 49)  # floor(0.6 × 51) = 30, which buys only 50 uses one by one
    runtime, me = setup(inventory(s6=(GOLD, price, 0), s7=(SHORT_SWORD, 1, 49)))
    effects = run(shops.handle_repair, runtime, {"slot_id": 7})
    assert received(effects, ME)[:2] == [slot_packet(ME, 6, -1, 0, 0), slot_packet(ME, 7, SHORT_SWORD, 1, 100)]


def test_currency_short_of_a_single_use_changes_nothing():
    runtime, me = setup(inventory(s6=(GOLD, 3, 0), s7=(SILVER_RING, 1, 10)), shop_id=TILDA)  # 4 gold a use
    effects = run(shops.handle_repair, runtime, {"slot_id": 7})
    assert types(received(effects, ME)) == [100]
    assert me["inv"][6]["amount"] == 3 and me["inv"][7]["uses"] == 10


def test_too_little_currency_is_a_partial_repair():
    runtime, me = setup(inventory(s6=(GOLD, 10, 0), s7=(SHORT_SWORD, 1, 50)))
    run(shops.handle_repair, runtime, {"slot_id": 7})
    per_use = ITEMS[SHORT_SWORD]["repair_cost"] / ITEMS[SHORT_SWORD]["uses"]  # 0.6
    restored = math.floor(10 / per_use)  # 16
    assert me["inv"][7]["uses"] == 50 + restored == 66
    assert me["inv"][6]["amount"] == 10 - math.floor(per_use * restored) == 1


def test_a_free_repair_sends_only_the_item_slot():
    runtime, me = setup(inventory(s6=(GOLD, 10, 0), s7=(SHORT_SWORD, 1, 99)))  # floor(0.6) = 0
    effects = run(shops.handle_repair, runtime, {"slot_id": 7})
    assert received(effects, ME)[:-1] == [slot_packet(ME, 7, SHORT_SWORD, 1, 100)]


def test_repair_all_skips_empty_slots_and_charges_nothing_for_them():  # regression 8.44 / 5.4.3
    assert ITEMS[-1]["repair_cost"] > 0  # what an empty slot once cost
    runtime, me = setup(inventory(s6=(GOLD, 500, 0)))
    effects = run(shops.handle_repair, runtime)
    assert types(received(effects, ME)) == [100]
    assert window(effects) and me["inv"][6]["amount"] == 500


def test_repair_all_mends_each_worn_item_in_slot_order():
    inv = inventory(s0=(SHORT_SWORD, 1, 40), s6=(GOLD, 500, 0), s8=(IRON_SWORD, 1, 150), s9=(IRON_SWORD, 1, 100))
    runtime, me = setup(inv)
    effects = run(shops.handle_repair, runtime)
    first, second = repair_price(SHORT_SWORD, 40), repair_price(IRON_SWORD, 100)
    assert [(p["type"], p["slot_id"]) for p in received(effects, ME)[:-1]] == [(119, 6), (119, 0), (119, 6), (119, 9)]
    assert me["inv"][6]["amount"] == 500 - first - second
    assert str(first + second) in window(effects)


def test_a_shop_mends_only_what_it_sells():
    runtime, me = setup(inventory(s6=(GOLD, 100, 0), s7=(LEATHER_CAP, 1, 10)))  # Brannoc sells no caps
    effects = run(shops.handle_repair, runtime)
    assert types(received(effects, ME)) == [100]
    assert me["inv"][7]["uses"] == 10
    runtime, me = setup(inventory(s6=(GOLD, 100, 0), s7=(LEATHER_CAP, 1, 10)), shop_id=TILDA)
    assert types(received(run(shops.handle_repair, runtime), ME)) == [119, 119, 100]


def test_nothing_to_do_still_answers_with_the_window():
    runtime, me = setup(inventory(s7=(SHORT_SWORD, 1, 50)))  # no gold
    effects = run(shops.handle_repair, runtime, {"slot_id": 7})
    assert types(received(effects, ME)) == [100]
    assert me["inv"][7]["uses"] == 50 and not runtime.changed_players


@pytest.mark.parametrize("packet", [{"slot_id": 30}, {"slot_id": -1}, {"slot_id": "7"}, {"slot_id": None},
                                    {"slot_id": True}])
def test_a_bad_repair_slot_is_ignored(packet):
    runtime, me = setup(inventory(s6=(GOLD, 100, 0), s7=(SHORT_SWORD, 1, 50)))
    assert run(shops.handle_repair, runtime, packet).messages == []
    assert me["inv"][7]["uses"] == 50


def test_repair_quote_matches_the_formula():
    assert shops.repair_quote(60, 100, 50, 30) == (50, 30)
    assert shops.repair_quote(60, 100, 50, 29) == (48, 28)  # floor(29 / 0.6) = 48, floor(28.8) = 28
    assert shops.repair_quote(60, 100, 50, 0) == (0, 0)
