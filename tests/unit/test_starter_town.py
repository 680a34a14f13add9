"""The starter world's "click" script in town: the townsfolk answer a click with a line of
speech, Innkeeper Mara rents a bed, signs show their text. Real ScriptHooks (PROTOCOL 6.2)."""
from __future__ import annotations

import pytest
from maptools import received, types
from startertools import (BRANNOC, GOLD, INN, MARA, MARKET_STREET, SMITHY, STORE, TILDA, TOWN_SQUARE, call, chat,
                          click, empty_slot, hero, hold, npc, starter_map)

HERO, OTHER = 1, 2
SLOT = 0
SPEECH = (1, "#d3d3d3")  # channel and colour of shopkeeper speech (5.4.4)
BED_PRICE = 10
WHERE = {MARA: (INN, (2, 2)), TILDA: (STORE, (5, 2)), BRANNOC: (SMITHY, (5, 2))}  # their spawn tiles


def townsperson(npc_id, at=None, **hero_fields):
    """The NPC on his spawn tile, the hero two tiles south of him (across the counter)."""
    map_id, (x, y) = WHERE[npc_id]
    me = hero("Hero", *(at or (x, y + 2)), **hero_fields)
    me["data"]["gift"] = True  # Brannoc's gift to newcomers: test_starter_quests
    runtime, ctx = starter_map(map_id, (HERO, me), (OTHER, hero("Other", 9, 9)))
    npc(runtime, ctx, SLOT, npc_id, x, y)
    return runtime, ctx, me, (x, y)


def speech(packets) -> list[str]:
    return [text for channel, color, text in chat(packets) if (channel, color) == SPEECH]


def test_the_spawn_tiles_are_where_these_tests_assume():
    for npc_id, (map_id, (x, y)) in WHERE.items():
        tile = starter_map(map_id)[0].tile(x, y)
        assert (tile["type"], tile["data"]["npc_id"]) == (6, npc_id)


@pytest.mark.parametrize("npc_id, name", [(MARA, "Innkeeper Mara"), (TILDA, "Tilda the Merchant"),
                                          (BRANNOC, "Brannoc the Smith")])
def test_a_click_on_a_townsperson_is_answered_with_his_name(npc_id, name):
    runtime, ctx, me, at = townsperson(npc_id)
    got = click(runtime, ctx, HERO, *at)
    lines = speech(got)
    assert len(lines) == 1 and lines[0].startswith(f"{name} says, '") and lines[0].endswith("'")
    assert all(p["type"] == 114 for p in got)


def test_only_the_clicker_hears_the_answer():
    runtime, ctx, me, at = townsperson(MARA)
    _, effects = call(runtime, ctx, "click", "handleClick", HERO, *at)
    assert received(effects, OTHER) == [] and types(received(effects, HERO)) == [114]


def test_from_afar_one_is_told_to_come_closer():
    runtime, ctx, me, at = townsperson(BRANNOC, at=(5, 10))
    assert chat(click(runtime, ctx, HERO, *at)) == [(0, "#d3d3d3", "Come closer to talk to Brannoc the Smith.")]


def test_a_click_on_nothing_does_nothing():
    runtime, ctx, me, _ = townsperson(MARA)
    assert click(runtime, ctx, HERO, 6, 6) == []


# --- the inn ---------------------------------------------------------------------------------------

def tired(gold):
    runtime, ctx, me, at = townsperson(MARA)
    me["vitals"] = {"hp": 3, "mp": 1, "sp": 0}
    if gold:
        hold(me, 6, GOLD, gold, 0)
    return runtime, ctx, me, at


def test_mara_rents_a_bed_for_gold_that_restores_all_vitals():
    runtime, ctx, me, at = tired(25)
    got = click(runtime, ctx, HERO, *at)
    assert me["vitals"] == me["max_vitals"]
    assert me["inv"][6] == {"item_id": GOLD, "amount": 25 - BED_PRICE, "uses": 0}
    assert types(got) == [119, 120, 120, 120, 131, 114]
    assert got[0]["inv"]["amount"] == 25 - BED_PRICE and got[3]["vitals"] == me["max_vitals"]
    assert got[4]["map_text"]["text"] == "Rested"
    assert speech(got) == ["Innkeeper Mara says, 'Sleep well! Breakfast is at dawn.'"]
    assert HERO in runtime.changed_players


def test_the_last_gold_for_a_bed_empties_the_purse_and_gold_over_two_stacks_counts():
    runtime, ctx, me, at = tired(6)
    hold(me, 9, GOLD, 4, 0)
    click(runtime, ctx, HERO, *at)
    assert me["inv"][6] == empty_slot() and me["inv"][9] == empty_slot() and me["vitals"] == me["max_vitals"]


def test_without_enough_gold_there_is_no_bed():
    runtime, ctx, me, at = tired(BED_PRICE - 1)
    got = click(runtime, ctx, HERO, *at)
    assert types(got) == [114] and "10 gold" in speech(got)[0]
    assert me["vitals"]["hp"] == 3 and me["inv"][6]["amount"] == BED_PRICE - 1


def test_the_well_rested_pay_nothing():
    runtime, ctx, me, at = townsperson(MARA)
    hold(me, 6, GOLD, 50, 0)
    got = click(runtime, ctx, HERO, *at)
    assert types(got) == [114] and "well rested" in speech(got)[0] and me["inv"][6]["amount"] == 50


def test_a_bed_does_not_revive_the_dead():
    runtime, ctx, me, at = tired(50)
    me["vitals"]["hp"] = 0
    got = click(runtime, ctx, HERO, *at)
    assert types(got) == [114] and me["vitals"]["hp"] == 0 and me["inv"][6]["amount"] == 50


# --- signs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("map_id, x, y, words", [(TOWN_SQUARE, 7, 8, "Town Square"),
                                                 (MARKET_STREET, 3, 3, "Brannoc's Arms"),
                                                 (MARKET_STREET, 10, 7, "Old Forest")])
def test_a_sign_shows_its_text(map_id, x, y, words):
    runtime, ctx = starter_map(map_id, (HERO, hero("Hero", 5, 5)))
    assert runtime.tile(x, y)["type"] == 1, "a sign stands on a tile nobody walks onto"
    got = chat(click(runtime, ctx, HERO, x, y))
    assert len(got) == 1 and got[0][0] == 0 and got[0][2].startswith("The sign reads: ") and words in got[0][2]


def test_the_same_tile_of_another_map_is_no_sign():
    runtime, ctx = starter_map(INN, (HERO, hero("Hero", 5, 5)))
    assert click(runtime, ctx, HERO, 7, 8) == []
