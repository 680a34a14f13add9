"""The starter world's two quests, through a real ScriptHooks: "Wolf pelts for Brannoc"
(click script) and "Clear the crypt" (click and mobdeath scripts), their steps, and that
their state lives in the character record (flags and quest_log), so it is saved with it."""
from __future__ import annotations

import json

import pytest
from maptools import received, types
from scripttools import starter_list
from startertools import (ARCHER, ARROW, BOW, BRANNOC, CLERIC, CRYPT, FOREST, GOLD, IRON_SWORD, ITEMS, MAGE, OAK_STAFF,
                          SKELETON, SMITHY, STICK, STORE, TILDA, WARRIOR, WOLF, WOLF_PELT, chat, click, empty_slot,
                          hero, hold, npc, starter_map)

from workers.rules import npcs
from workers.runtime import Effects

HERO, OTHER = 1, 2
SLOT = 0
QUESTS = starter_list("quests")
WOLF_QUEST, CRYPT_QUEST = 0, 1
PELTS, WOLF_EXP = 3, 300
SKELETONS, CRYPT_GOLD, CRYPT_EXP = 2, 100, 500


def test_quests_json_lists_the_two_quests_in_quest_log_order():
    assert [quest["name"] for quest in QUESTS] == ["Wolf pelts for Brannoc", "Clear the crypt"]
    assert all(isinstance(quest["desc"], str) and quest["desc"] for quest in QUESTS)


def test_wolves_drop_wolf_pelts():
    drops = starter_list("npcs")[WOLF]["drop_items"]
    assert any(drop["item_id"] == WOLF_PELT and drop["chance"] > 0 for drop in drops)


def giver(npc_id, me=None):
    """Brannoc in his smithy or Tilda in her store, the hero across the counter."""
    map_id = SMITHY if npc_id == BRANNOC else STORE
    me = me if me is not None else hero("Hero", 5, 4)
    me["data"].setdefault("gift", True)  # Brannoc's gift to newcomers is tested apart
    runtime, ctx = starter_map(map_id, (HERO, me))
    npc(runtime, ctx, SLOT, npc_id, 5, 2)
    return runtime, ctx, me


def talk(runtime, ctx) -> list[dict]:
    return click(runtime, ctx, HERO, 5, 2)


def relogged(record: dict) -> dict:
    """The character as storage gives it back at the next login: the record, as plain JSON."""
    return json.loads(json.dumps(record))


# --- Brannoc's gift to newcomers ---------------------------------------------------------------

@pytest.mark.parametrize("profession, kit", [
    (WARRIOR, [(STICK, 1)]), (ARCHER, [(BOW, 1), (ARROW, 30)]), (MAGE, [(OAK_STAFF, 1)]), (CLERIC, [(OAK_STAFF, 1)])])
def test_a_newcomer_first_gets_a_weapon_for_his_profession_once(profession, kit):
    me = hero("Hero", 5, 4, profession)
    runtime, ctx = starter_map(SMITHY, (HERO, me))
    npc(runtime, ctx, SLOT, BRANNOC, 5, 2)
    got = talk(runtime, ctx)
    assert [(p["inv"]["item_id"], p["inv"]["amount"], p["inv"]["uses"]) for p in got if p["type"] == 119] \
        == [(item, amount, ITEMS[item]["uses"]) for item, amount in kit]
    assert [p["slot_id"] for p in got if p["type"] == 119] == list(range(6, 6 + len(kit)))
    assert "New in town? Take this: " in chat(got)[0][2] and me["data"]["gift"] is True
    assert "quest0" not in me["data"], "the quest comes with the next click"
    assert "Quest accepted" in chat(talk(runtime, ctx))[1][2]
    assert all(p["type"] == 114 for p in talk(runtime, ctx)), "no second gift"


def test_no_gift_into_a_full_bag():
    me = hero("Hero", 5, 4, ARCHER)
    for slot in range(6, 29):
        hold(me, slot, GOLD, 1, 0)
    runtime, ctx = starter_map(SMITHY, (HERO, me))
    npc(runtime, ctx, SLOT, BRANNOC, 5, 2)
    got = talk(runtime, ctx)
    assert types(got) == [114] and "pack is full" in chat(got)[0][2] and "gift" not in me["data"]


# --- Wolf pelts for Brannoc ---------------------------------------------------------------------

def test_brannoc_offers_the_quest_and_the_hero_accepts_it():
    runtime, ctx, me = giver(BRANNOC)
    got = talk(runtime, ctx)
    assert [line[:2] for line in chat(got)] == [(1, "#d3d3d3"), (0, "#ffff00")]
    assert "3 Wolf Pelts" in chat(got)[0][2] and chat(got)[1][2] == "Quest accepted: Wolf pelts for Brannoc."
    assert me["data"]["quest0"] == 0 and me["quest_log"][WOLF_QUEST] is False
    assert HERO in runtime.changed_players, "the record is checkpointed"


def test_in_progress_brannoc_counts_the_pelts_in_the_bag():
    me = hero("Hero", 5, 4)
    me["data"]["quest0"] = 0
    hold(me, 7, WOLF_PELT, 2)
    runtime, ctx, me = giver(BRANNOC, me)
    got = talk(runtime, ctx)
    assert types(got) == [114] and "You have 2 of 3 Wolf Pelts." in chat(got)[0][2]
    assert me["inv"][7]["amount"] == 2


def test_three_pelts_are_handed_in_for_an_iron_sword_and_exp():
    me = hero("Hero", 5, 4, exp=40)
    me["data"]["quest0"] = 0
    hold(me, 6, GOLD, 5, 0)
    hold(me, 7, WOLF_PELT, 4)
    runtime, ctx, me = giver(BRANNOC, me)
    got = talk(runtime, ctx)
    assert got[:3] == [
        {"type": 119, "player_id": HERO, "slot_id": 7, "inv": {"item_id": WOLF_PELT, "amount": 1, "uses": 1}},
        {"type": 119, "player_id": HERO, "slot_id": 8,
         "inv": {"item_id": IRON_SWORD, "amount": 1, "uses": ITEMS[IRON_SWORD]["uses"]}},
        {"type": 137, "player_id": HERO, "exp": 40 + WOLF_EXP},
    ]
    assert [line[:2] for line in chat(got)] == [(1, "#d3d3d3"), (0, "#ffff00")] and len(got) == 5
    assert chat(got)[1][2] == "Quest complete: Wolf pelts for Brannoc (+300 exp)."
    assert me["quest_log"][WOLF_QUEST] is True and me["data"]["quest0"] is None and me["exp"] == 340
    again = talk(runtime, ctx)
    assert types(again) == [114] and "treating you well" in chat(again)[0][2]


def test_pelts_over_two_stacks_are_taken_from_both():
    me = hero("Hero", 5, 4)
    me["data"]["quest0"] = 0
    hold(me, 9, WOLF_PELT, 2)
    hold(me, 12, WOLF_PELT, 2)
    runtime, ctx, me = giver(BRANNOC, me)
    talk(runtime, ctx)
    assert me["inv"][9] == empty_slot() and me["inv"][12]["amount"] == 1 and me["inv"][6]["item_id"] == IRON_SWORD


def test_a_full_bag_keeps_the_pelts_until_there_is_room():
    me = hero("Hero", 5, 4)
    me["data"]["quest0"] = 0
    for slot in range(6, 30):
        hold(me, slot, WOLF_PELT if slot == 6 else GOLD, 3, 0)
    runtime, ctx, me = giver(BRANNOC, me)
    got = talk(runtime, ctx)
    assert types(got) == [114] and "Make room" in chat(got)[0][2]
    assert me["inv"][6]["amount"] == 3 and me["quest_log"][WOLF_QUEST] is False


def test_the_accepted_quest_survives_a_relog():
    runtime, ctx, me = giver(BRANNOC)
    talk(runtime, ctx)
    again = relogged(me)
    hold(again, 6, WOLF_PELT, 3)
    runtime, ctx, again = giver(BRANNOC, again)
    got = talk(runtime, ctx)
    assert "Quest complete" in chat(got)[1][2]
    done = relogged(again)
    assert done["quest_log"][WOLF_QUEST] is True
    runtime, ctx, done = giver(BRANNOC, done)
    assert "treating you well" in chat(talk(runtime, ctx))[0][2], "no second reward after a relog"


# --- Clear the crypt ---------------------------------------------------------------------------------

def crypt(*fighters: tuple[int, dict]):
    """The crypt with a Skeleton at (8, 3) that dies now, and the fighters on its aggro list."""
    runtime, ctx = starter_map(CRYPT, *fighters)
    npc(runtime, ctx, SLOT, SKELETON, 8, 3)
    runtime.aggro[SLOT] = {pid: 40 for pid, _ in fighters}
    runtime.npcs[SLOT]["vitals"]["hp"] = 0
    return runtime, ctx


def die(runtime, ctx) -> Effects:
    effects = Effects()
    npcs.deaths(runtime, effects, ctx)  # the event pass: the mobdeath hook, then exp, drops, respawn
    assert ctx.hooks.errors == 0 and runtime.npcs[SLOT]["npc_id"] == -1
    return effects


def test_tilda_offers_the_crypt_quest():
    runtime, ctx, me = giver(TILDA)
    got = talk(runtime, ctx)
    assert chat(got)[0][2].startswith("Tilda the Merchant says, '") and "2 Skeletons" in chat(got)[0][2]
    assert chat(got)[1] == (0, "#ffff00", "Quest accepted: Clear the crypt.") and me["data"]["quest1"] == 0


def test_a_skeleton_killed_in_the_crypt_counts_for_its_fighters_on_the_quest():
    me, other = hero("Hero", 8, 4, data={"quest1": 0}), hero("Other", 7, 3)
    runtime, ctx = crypt((HERO, me), (OTHER, other))
    effects = die(runtime, ctx)
    assert me["data"]["quest1"] == 1 and "quest1" not in other["data"], "Other never took the quest"
    mine = received(effects, HERO)
    assert (0, "#ffff00", "Clear the crypt: 1 of 2 Skeletons defeated.") in chat(mine)
    share = npcs.kill_exp(ctx.npc(SKELETON), 2)
    assert {"type": 137, "player_id": HERO, "exp": share} in mine, "the default death still runs (exp shared)"
    assert HERO in runtime.changed_players


def test_the_second_skeleton_sends_the_hero_back_to_tilda_and_more_do_not_count():
    me = hero("Hero", 8, 4, data={"quest1": 1})
    runtime, ctx = crypt((HERO, me))
    effects = die(runtime, ctx)
    assert me["data"]["quest1"] == 2
    assert chat(received(effects, HERO))[-2][2] == ("Clear the crypt: 2 of 2 Skeletons defeated. "
                                                    "Return to Tilda for your pay.")
    runtime, ctx = crypt((HERO, me))
    die(runtime, ctx)
    assert me["data"]["quest1"] == 2


def test_skeletons_elsewhere_and_other_monsters_do_not_count():
    me = hero("Hero", 8, 4, data={"quest1": 0})
    runtime, ctx = starter_map(FOREST, (HERO, me))
    npc(runtime, ctx, SLOT, SKELETON, 8, 3)
    runtime.aggro[SLOT] = {HERO: 40}
    runtime.npcs[SLOT]["vitals"]["hp"] = 0
    die(runtime, ctx)
    runtime, ctx = crypt((HERO, me))
    runtime.npcs[SLOT]["npc_id"] = WOLF
    die(runtime, ctx)
    assert me["data"]["quest1"] == 0


def test_tilda_shows_the_count_then_pays_gold_and_exp():
    me = hero("Hero", 5, 4, data={"quest1": 1})
    runtime, ctx, me = giver(TILDA, me)
    assert "Skeletons defeated: 1 of 2." in chat(talk(runtime, ctx))[0][2]
    me["data"]["quest1"] = SKELETONS
    hold(me, 10, GOLD, 7, 0)
    got = talk(runtime, ctx)
    assert got[:2] == [{"type": 119, "player_id": HERO, "slot_id": 10,
                        "inv": {"item_id": GOLD, "amount": 7 + CRYPT_GOLD, "uses": 0}},
                       {"type": 137, "player_id": HERO, "exp": CRYPT_EXP}]
    assert chat(got)[1][2] == "Quest complete: Clear the crypt (+100 gold, +500 exp)."
    assert me["quest_log"][CRYPT_QUEST] is True and me["data"]["quest1"] is None
    assert "quiet, thanks to you" in chat(talk(runtime, ctx))[0][2]


def test_pay_without_a_purse_goes_to_a_free_bag_slot():
    me = hero("Hero", 5, 4, data={"quest1": SKELETONS})
    runtime, ctx, me = giver(TILDA, me)
    talk(runtime, ctx)
    assert me["inv"][6] == {"item_id": GOLD, "amount": CRYPT_GOLD, "uses": 0}


def test_crypt_progress_survives_a_relog_and_a_worker_failover():
    me = hero("Hero", 8, 4, data={"quest1": 0})
    runtime, ctx = crypt((HERO, me))
    die(runtime, ctx)
    # a failover: another worker takes the map and the player from the last checkpoint (plain JSON)
    moved = relogged(runtime.players[HERO].record)
    runtime, ctx = crypt((HERO, moved))
    die(runtime, ctx)
    back = relogged(moved)
    assert back["data"]["quest1"] == SKELETONS
    runtime, ctx, back = giver(TILDA, back)
    assert "Quest complete" in chat(talk(runtime, ctx))[1][2]
    assert relogged(back)["quest_log"][CRYPT_QUEST] is True
