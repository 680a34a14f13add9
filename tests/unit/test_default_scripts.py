"""The starter world's default scripts (storage/starter_world/scripts), loaded into a real
ScriptHooks and driven through the hook calls the rules make (PROTOCOL 6.2)."""
from __future__ import annotations

import random
import time

import pytest
from maptools import character, received, runtime_with, types
from scripttools import STARTER_WORLD, put_npc, world_context

from scripting.hooks import ScriptHooks
from storage.worldfiles import read_scripts
from workers.rules import npcs, projectiles
from workers.rules.stats import max_vitals
from workers.runtime import Effects, PlayerRef

HERO, OTHER = 1, 2
RAT = 0  # its NPC slot; the Rat is NPC 0 of npcs.json
STICK, BOW, CHAIN_MAIL, ARROW = 0, 5, 8, 13  # items.json


@pytest.fixture(autouse=True)
def seeded():
    random.seed(1234)


def world(profession=0, weapon=STICK, uses=20, **map_fields):
    """A hero of ``profession`` at (5, 5) facing south, a Rat in front of him, and the scripts."""
    ctx = world_context()
    hooks = ScriptHooks(budget_ms=1000)
    hooks.sync(read_scripts(STARTER_WORLD))
    assert set(hooks.scripts) == {"attack", "click", "item", "mobai", "mobdeath", "projectile", "playertick"}
    assert hooks.errors == 0
    ctx.hooks = hooks
    base = ctx.professions[profession]
    hero = character("Hero", 5, 5, profession_id=profession)
    hero["max_vitals"] = max_vitals(base["vitals"], hero["stats"])
    hero["vitals"] = dict(hero["max_vitals"])
    if weapon > -1:
        hero["inv"][0] = {"item_id": weapon, "amount": 1, "uses": uses}
    runtime = runtime_with((HERO, hero), (OTHER, character("Other", 0, 0)), map_id=2)
    runtime.record.update(map_fields)
    put_npc(runtime, ctx, RAT, 0, 5, 6, direction=3)
    return runtime, ctx, hero


def call(runtime, ctx, script, function, *args):
    effects = Effects()
    result = ctx.hooks.call(ctx, runtime, effects, script, function, args)
    assert ctx.hooks.errors == 0 and ctx.hooks.timeouts == 0
    return result, effects


def attack(runtime, ctx, hero):
    hero["data"].pop("nextAttack", None)  # the attack cooldown is real time: skip it
    return call(runtime, ctx, "attack", "handleAttack", HERO, 2, RAT, True)[1]


def damage_dealt(effects) -> list:
    """The numbers floated over the rat (132); "MISS" for a miss."""
    return [p["map_text"]["text"] for p in received(effects, OTHER) if p["type"] == 132]


# --- attack: melee --------------------------------------------------------------------------------

def test_a_warrior_with_a_stick_kills_a_rat_and_wears_the_stick():
    runtime, ctx, hero = world()
    rat, hits, swings = runtime.npcs[RAT], [], 0
    strength = ctx.professions[0]["stats"]["str"]
    while rat["vitals"]["hp"] > 0 and swings < 40:
        swings += 1
        before = rat["vitals"]["hp"]
        shown = damage_dealt(attack(runtime, ctx, hero))
        assert len(shown) == 1
        if shown[0] != "MISS":
            hits.append(int(shown[0]))
            assert rat["vitals"]["hp"] == max(before - hits[-1], 0)
    assert rat["vitals"]["hp"] == 0 and rat["npc_id"] == 0, "death is left to the event pass"
    low, high = strength // 2 + ctx.items[STICK]["data"]["min_damage"], strength + ctx.items[STICK]["data"]["max_damage"]
    assert hits and all(low <= hit <= high for hit in hits)
    assert hero["inv"][0] == {"item_id": STICK, "amount": 1, "uses": 20 - len(hits)}
    assert runtime.aggro[RAT] == {HERO: sum(hits)}


def test_a_hit_sends_the_protocols_packets_and_a_119_for_the_wear():
    runtime, ctx, hero = world()
    effects = attack(runtime, ctx, hero)
    while damage_dealt(effects) == ["MISS"]:
        effects = attack(runtime, ctx, hero)
    assert types(received(effects, HERO)) == [121, 132, 114, 123, 116, 119]
    assert types(received(effects, OTHER)) == [121, 132, 123, 116]


def test_attacks_faster_than_the_cooldown_do_nothing():
    runtime, ctx, hero = world()
    attack(runtime, ctx, hero)
    hp = runtime.npcs[RAT]["vitals"]["hp"]
    _, effects = call(runtime, ctx, "attack", "handleAttack", HERO, 2, RAT, True)
    assert effects.messages == [] and runtime.npcs[RAT]["vitals"]["hp"] == hp
    assert hero["data"]["nextAttack"] > time.time() * 1000


def test_a_weapon_breaks_at_zero_uses():
    runtime, ctx, hero = world(uses=1)
    effects = attack(runtime, ctx, hero)
    while damage_dealt(effects) == ["MISS"]:
        effects = attack(runtime, ctx, hero)
    assert hero["inv"][0] == {"item_id": -1, "amount": 0, "uses": 0}
    last = received(effects, HERO)[-2:]
    assert types(last) == [119, 114] and "Stick broke" in last[1]["text"]


def test_bare_hands_hit_for_half_to_all_the_strength():
    runtime, ctx, hero = world(weapon=-1)
    runtime.npcs[RAT]["vitals"]["hp"] = 1000
    shown = []
    for _ in range(30):
        shown += damage_dealt(attack(runtime, ctx, hero))
    hits = [int(text) for text in shown if text != "MISS"]
    assert hits and all(2 <= hit <= 5 for hit in hits) and hero["inv"][0]["item_id"] == -1


def test_nothing_in_front_is_nothing_to_attack():
    runtime, ctx, hero = world()
    hero["pos"]["dir"] = 3
    effects = attack(runtime, ctx, hero)
    assert types(received(effects, HERO)) == [114] and "nothing to attack" in received(effects, HERO)[0]["text"]
    assert hero["inv"][0]["uses"] == 20


# --- attack: the bow -------------------------------------------------------------------------------

def archer(arrows=2, **map_fields):
    runtime, ctx, hero = world(profession=1, weapon=BOW, uses=100, **map_fields)
    if arrows:
        hero["inv"][8] = {"item_id": ARROW, "amount": arrows, "uses": 1}
    return runtime, ctx, hero


def test_an_archer_shoots_an_arrow_from_his_bag():
    runtime, ctx, hero = archer()
    effects = attack(runtime, ctx, hero)
    shot = runtime.shots[0]
    assert (shot["shooter_type"], shot["shooter_id"], shot["item_id"]) == (1, HERO, ARROW)
    assert shot["pos"]["dir"] == 0 and (shot["pos"]["x"], shot["pos"]["y"]) == (5, 5)
    assert hero["inv"][8]["amount"] == 1 and hero["inv"][0]["uses"] == 99
    assert types(received(effects, OTHER)) == [126, 116] and types(received(effects, HERO)) == [126, 116, 119, 119]
    assert runtime.npcs[RAT]["vitals"]["hp"] == 10, "the arrow is still in flight"


def test_the_arrow_hits_the_rat_through_the_projectile_script():
    runtime, ctx, hero = archer()
    attack(runtime, ctx, hero)
    ctx.now_ms += 150
    effects = Effects()
    projectiles.tick(runtime, effects, ctx)
    assert ctx.hooks.errors == 0
    assert runtime.npcs[RAT]["vitals"]["hp"] < 10 and runtime.aggro[RAT][HERO] > 0
    assert runtime.shots[0]["shooter_type"] == 0, "a hit stops the shot"


def test_the_last_arrow_empties_its_slot_and_then_there_is_nothing_to_shoot():
    runtime, ctx, hero = archer(arrows=1)
    attack(runtime, ctx, hero)
    assert hero["inv"][8] == {"item_id": -1, "amount": 0, "uses": 0}
    effects = attack(runtime, ctx, hero)
    assert types(received(effects, HERO)) == [114] and "nothing to shoot" in received(effects, HERO)[0]["text"]
    assert runtime.shots[1]["shooter_type"] == 0


# --- mobai --------------------------------------------------------------------------------------------

def rat_attacks(runtime, ctx, times):
    for _ in range(times):
        call(runtime, ctx, "mobai", "genericaiAttack", RAT, HERO)


def test_the_rat_hurts_an_unarmoured_player():
    runtime, ctx, hero = world()
    start = hero["vitals"]["hp"]
    _, effects = call(runtime, ctx, "mobai", "genericaiAttack", RAT, HERO)
    assert types(received(effects, HERO)) in ([120, 117, 131, 114, 123], [131, 114, 123])
    rat_attacks(runtime, ctx, 20)
    strength = ctx.npcs[0]["stats"]["str"]
    assert start - 21 * strength <= hero["vitals"]["hp"] < start


def test_armour_stops_the_rats_bite():
    runtime, ctx, hero = world()
    hero["inv"][1] = {"item_id": CHAIN_MAIL, "amount": 1, "uses": 200}  # protection 3..6, rat str 2
    start = hero["vitals"]["hp"]
    rat_attacks(runtime, ctx, 20)
    assert hero["vitals"]["hp"] == start


def test_an_angry_rat_next_to_the_hero_bites_through_the_ai_tick():
    runtime, ctx, hero = world()
    runtime.aggro[RAT] = {HERO: 5}
    start = hero["vitals"]["hp"]
    for _ in range(10):
        npcs.tick(runtime, Effects(), ctx)
        ctx.now_ms += 1000
    assert ctx.hooks.errors == 0 and hero["vitals"]["hp"] < start


def test_the_tick_hook_leaves_a_peaceful_rat_to_the_default_wander():
    runtime, ctx, _ = world()  # the hero stands next to the Rat (behavior 0)
    result, effects = call(runtime, ctx, "mobai", "genericaiTick", RAT, -1, -1)
    assert result == 0 and effects.messages == [] and runtime.aggro[RAT] == {}


# --- mobdeath -------------------------------------------------------------------------------------------

def test_genericdeath_lets_the_default_death_run():
    runtime, ctx, _ = world()
    runtime.npcs[RAT]["vitals"]["hp"] = 0
    result, effects = call(runtime, ctx, "mobdeath", ("mobdeath_0", "genericdeath"), RAT)
    assert result == 0 and types(received(effects, OTHER)) == [130]


# --- playertick -----------------------------------------------------------------------------------------

def test_playertick_regenerates_a_little_and_moves_next_tick_5_s_on():
    runtime, ctx, hero = world()
    hero["vitals"] = {"hp": 10, "mp": 5, "sp": 15}  # max 30, 5, 15 for a warrior
    before_ms = time.time() * 1000
    _, effects = call(runtime, ctx, "playertick", "playertick", HERO)
    assert hero["vitals"] == {"hp": 10 + 1, "mp": 5, "sp": 15}  # 30 // 20 = 1; mp and sp are full
    assert types(received(effects, OTHER)) == [120]
    assert int(before_ms) + 5000 <= hero["data"]["nextTick"] <= time.time() * 1000 + 5000


def test_playertick_never_goes_above_max_nor_heals_the_dead():
    runtime, ctx, hero = world()
    hero["max_vitals"]["hp"] = 100
    hero["vitals"]["hp"] = 99.5
    call(runtime, ctx, "playertick", "playertick", HERO)
    assert hero["vitals"]["hp"] == 100
    hero["vitals"]["hp"] = 0
    _, effects = call(runtime, ctx, "playertick", "playertick", HERO)
    assert hero["vitals"]["hp"] == 0 and effects.messages == [] and hero["data"]["nextTick"] > 0


# --- projectile -----------------------------------------------------------------------------------------

def test_hitnpc_damages_the_rat_and_stops_the_shot():
    runtime, ctx, hero = archer()
    result, effects = call(runtime, ctx, "projectile", "hitnpc", RAT, 1, HERO, 5, 6, ARROW, 0)
    assert result == 1 and runtime.npcs[RAT]["vitals"]["hp"] < 10
    assert types(received(effects, HERO)) == [121, 132, 114], "no second animation for a shot"
    result, _ = call(runtime, ctx, "projectile", "hitnpc", RAT, 2, 3, 5, 6, ARROW, 0)
    assert result == 0, "an NPC's shot flies past other NPCs"


def test_hitplayer_respects_moral_and_spares_the_shooter():
    runtime, ctx, hero = archer(moral=2)
    other = runtime.players[OTHER].record
    target = PlayerRef(OTHER, other)
    assert call(runtime, ctx, "projectile", "hitplayer", target, 1, HERO, 0, 0, ARROW, 0)[0] == 0  # no PvP
    assert other["vitals"]["hp"] == 10
    runtime.record["moral"] = 0  # the damage helpers allow PvP below 2
    assert call(runtime, ctx, "projectile", "hitplayer", target, 1, HERO, 0, 0, ARROW, 0)[0] == 1
    assert other["vitals"]["hp"] < 10
    assert call(runtime, ctx, "projectile", "hitplayer", PlayerRef(HERO, hero), 1, HERO, 5, 5, ARROW, 0)[0] == 0
    other["vitals"]["hp"] = 10  # the arrow may have killed him
    assert call(runtime, ctx, "projectile", "hitplayer", target, 2, RAT, 0, 0, ARROW, 0)[0] == 1
    assert other["vitals"]["hp"] < 10
