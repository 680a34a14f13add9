"""The starter world's "item" script (useitem): potions, through a real ScriptHooks and the
use rule (PROTOCOL 5.3.3, 6.2)."""
from __future__ import annotations

from maptools import received, types
from startertools import (FIELDS, HEALING_POTION, ITEMS, MAGE, MANA_POTION, SHORT_SWORD, call, chat, empty_slot,
                          hero, hold, starter_map)

from workers.rules import items
from workers.runtime import Effects

HERO, OTHER = 1, 2
POTION_SLOT = 8
HEAL_HP = ITEMS[HEALING_POTION]["data"]["heal_hp"]
HEAL_MP = ITEMS[MANA_POTION]["data"]["heal_mp"]


def scene(potion=HEALING_POTION, amount=3, profession=0, **vitals):
    me = hero("Hero", 5, 5, profession)
    me["vitals"].update(vitals)
    hold(me, POTION_SLOT, potion, amount)
    runtime, ctx = starter_map(FIELDS, (HERO, me), (OTHER, hero("Other", 1, 1)))
    return runtime, ctx, me


def drink(runtime, ctx, potion=HEALING_POTION):
    return call(runtime, ctx, "item", "useitem", HERO, potion, POTION_SLOT, ITEMS[potion]["type"])


def test_the_potions_say_how_much_they_heal():
    assert HEAL_HP > 0 and HEAL_MP > 0
    assert {"heal_hp", "heal_mp"} & set(ITEMS[SHORT_SWORD]["data"]) == set()


def test_a_healing_potion_restores_its_heal_hp_and_one_of_the_stack_is_used():
    runtime, ctx, me = scene(hp=5)
    result, effects = drink(runtime, ctx)
    assert result == 1 and me["vitals"]["hp"] == 5 + HEAL_HP
    assert me["inv"][POTION_SLOT] == {"item_id": HEALING_POTION, "amount": 2, "uses": 1}
    mine = received(effects, HERO)
    assert types(mine) == [120, 131, 119]
    assert mine[0]["vitals"]["hp"] == 5 + HEAL_HP
    assert mine[1]["map_text"] == {"text": f"+{HEAL_HP}", "color": "#00ff00", "x": 0, "y": 0}
    assert mine[2] == {"type": 119, "player_id": HERO, "slot_id": POTION_SLOT,
                       "inv": {"item_id": HEALING_POTION, "amount": 2, "uses": 1}}
    assert types(received(effects, OTHER)) == [120, 131], "the map sees the vitals and the text"


def test_healing_stops_at_the_maximum():
    runtime, ctx, me = scene()
    top = me["max_vitals"]["hp"]
    me["vitals"]["hp"] = top - 2
    _, effects = drink(runtime, ctx)
    assert me["vitals"]["hp"] == top
    assert received(effects, HERO)[1]["map_text"]["text"] == "+2"


def test_at_full_health_a_potion_is_not_used():
    runtime, ctx, me = scene()
    result, effects = drink(runtime, ctx)
    assert result == 1 and me["vitals"] == me["max_vitals"]
    assert chat(received(effects, HERO)) == [(4, "#00ffff", "You are already at full health.")]
    assert types(received(effects, HERO)) == [114] and received(effects, OTHER) == []
    assert me["inv"][POTION_SLOT]["amount"] == 3


def test_a_mana_potion_restores_mana_up_to_the_maximum():
    runtime, ctx, me = scene(MANA_POTION, 1, MAGE, mp=1)
    top = me["max_vitals"]["mp"]
    _, effects = drink(runtime, ctx, MANA_POTION)
    assert me["vitals"]["mp"] == min(top, 1 + HEAL_MP) and me["vitals"]["hp"] == me["max_vitals"]["hp"]
    assert types(received(effects, HERO)) == [120, 131, 119]
    assert received(effects, HERO)[1]["map_text"]["text"] == f"+{min(top, 1 + HEAL_MP) - 1} MP"
    assert me["inv"][POTION_SLOT] == empty_slot(), "the last potion empties its slot"
    assert received(effects, HERO)[2]["inv"] == empty_slot()


def test_at_full_mana_a_mana_potion_is_not_used():
    runtime, ctx, me = scene(MANA_POTION, 2, MAGE, hp=1)
    _, effects = drink(runtime, ctx, MANA_POTION)
    assert chat(received(effects, HERO)) == [(4, "#00ffff", "You are already at full mana.")]
    assert me["vitals"]["hp"] == 1 and me["inv"][POTION_SLOT]["amount"] == 2


def test_a_flask_of_several_doses_loses_one_dose():
    runtime, ctx, me = scene(amount=1, hp=1)
    me["inv"][POTION_SLOT]["uses"] = 3
    drink(runtime, ctx)
    assert me["inv"][POTION_SLOT] == {"item_id": HEALING_POTION, "amount": 1, "uses": 2}


def test_the_dead_cannot_drink():
    runtime, ctx, me = scene(hp=0)
    _, effects = drink(runtime, ctx)
    assert me["vitals"]["hp"] == 0 and me["inv"][POTION_SLOT]["amount"] == 3
    assert types(received(effects, HERO)) == [114]


def test_through_the_use_rule_a_potion_heals_and_a_sword_is_still_equipped():
    runtime, ctx, me = scene(hp=5)
    hold(me, 9, SHORT_SWORD)
    effects = Effects()
    items.handle_use(runtime, effects, HERO, {"type": 9, "slot_id": POTION_SLOT}, ctx)
    assert me["vitals"]["hp"] == 5 + HEAL_HP and me["inv"][POTION_SLOT]["amount"] == 2
    # useitem returns 0 for anything but a potion, so the server's equip runs (6.2 "overrides when")
    effects = Effects()
    items.handle_use(runtime, effects, HERO, {"type": 9, "slot_id": 9}, ctx)
    assert ctx.hooks.errors == 0 and me["inv"][0]["item_id"] == SHORT_SWORD and me["inv"][9] == empty_slot()
    assert [(p["type"], p["slot_id"]) for p in received(effects, HERO)] == [(119, 9), (119, 0)]
