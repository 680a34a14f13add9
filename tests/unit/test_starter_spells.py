"""The starter world's spells: a Mage or Cleric holding a staff casts with the attack key
(type 7 → the "attack" script), a bolt flies as a projectile and hits through the
"projectile" script, a heal mends the player in front or the caster. Real ScriptHooks."""
from __future__ import annotations

from maptools import received, types
from startertools import (ARCANE_BOLT, ARROW, CLERIC, FIELDS, ITEMS, MAGE, MENDING_LIGHT, OAK_STAFF, PROFESSIONS,
                          RAT, WILLOW_STAFF, call, chat, hero, hold, npc, starter_map)

from workers.rules import projectiles
from workers.runtime import Effects, PlayerRef

HERO, OTHER = 1, 2
RAT_SLOT = 0
BOLT_COST = ITEMS[ARCANE_BOLT]["data"]["mp_cost"]
HEAL_COST = ITEMS[MENDING_LIGHT]["data"]["mp_cost"]


def scene(profession=MAGE, staff=OAK_STAFF, other_at=(0, 0), **map_fields):
    """The caster at (5, 5) facing south, a Rat three tiles south, another player."""
    me = hero("Hero", 5, 5, profession)
    hold(me, 0, staff)
    runtime, ctx = starter_map(FIELDS, (HERO, me), (OTHER, hero("Other", *other_at)), **map_fields)
    rat = npc(runtime, ctx, RAT_SLOT, RAT, 5, 8, direction=3)
    rat["vitals"]["hp"] = 1000  # it survives every bolt
    return runtime, ctx, me


def cast(runtime, ctx, me):
    me["data"].pop("nextAttack", None)  # the attack cooldown is real time: skip it
    return call(runtime, ctx, "attack", "handleAttack", HERO, 2, RAT_SLOT, True)[1]


def fly(runtime, ctx, steps=3):
    """Let the shots in flight take ``steps`` steps; what the map received."""
    effects = Effects()
    for _ in range(steps):
        ctx.now_ms += 150
        projectiles.tick(runtime, effects, ctx)
    assert ctx.hooks.errors == 0
    return effects


def bolt_damage(mag_bonus: int, casts: int = 12) -> list[int]:
    """What the bolts of a Mage with ``mag_bonus`` trained magic do to the Rat."""
    runtime, ctx, me = scene()
    me["stats"]["mag"] = mag_bonus
    me["max_vitals"]["mp"] = me["vitals"]["mp"] = 1000
    hits = []
    for _ in range(casts):
        cast(runtime, ctx, me)
        effects = fly(runtime, ctx)
        hits += [int(p["map_text"]["text"]) for p in received(effects, OTHER) if p["type"] == 132]
    assert len(hits) == casts, "a bolt never misses"
    return hits


def test_the_oak_staff_is_a_caster_not_a_bow():
    staff = ITEMS[OAK_STAFF]
    assert staff["data"]["tile_range"] == 0 and staff["data"]["spell"] == ARCANE_BOLT
    assert staff["prof_req_flags"] == (1 << MAGE) | (1 << CLERIC)
    assert ITEMS[WILLOW_STAFF]["data"]["spell"] == MENDING_LIGHT
    assert ITEMS[ARCANE_BOLT]["data"]["tile_range"] > 0 and ITEMS[ARCANE_BOLT]["prof_req_flags"] == 0


def test_a_mage_casts_a_bolt_that_costs_mana_and_flies_as_a_projectile():
    runtime, ctx, me = scene()
    hold(me, 8, ARROW, 10)  # a staff never shoots arrows
    mana = me["vitals"]["mp"]
    effects = cast(runtime, ctx, me)
    shot = runtime.shots[0]
    assert (shot["shooter_type"], shot["shooter_id"], shot["item_id"]) == (1, HERO, ARCANE_BOLT)
    assert me["vitals"]["mp"] == mana - BOLT_COST and me["inv"][8]["amount"] == 10
    assert me["inv"][0]["uses"] == ITEMS[OAK_STAFF]["uses"] - 1, "a cast wears the staff"
    assert types(received(effects, OTHER)) == [126, 116, 120]
    assert types(received(effects, HERO)) == [126, 116, 120, 119]
    assert runtime.shot_state[0]["moves_left"] == ITEMS[ARCANE_BOLT]["data"]["tile_range"]


def test_the_bolt_hits_the_rat_through_the_projectile_script():
    runtime, ctx, me = scene()
    cast(runtime, ctx, me)
    effects = fly(runtime, ctx)
    assert runtime.npcs[RAT_SLOT]["vitals"]["hp"] < 1000 and runtime.aggro[RAT_SLOT][HERO] > 0
    assert runtime.shots[0]["shooter_type"] == 0, "a hit stops the bolt"
    text = next(p for p in received(effects, OTHER) if p["type"] == 132)["map_text"]
    assert text["color"] == "#00ffff"
    line = chat(received(effects, HERO))[0]
    assert line[1] == "#00ffff" and line[2].startswith("Your Arcane Bolt hit a Rat for ")


def test_bolt_damage_scales_with_magic():
    mag = PROFESSIONS[MAGE]["stats"]["mag"]
    data, staff = ITEMS[ARCANE_BOLT]["data"], ITEMS[OAK_STAFF]["data"]
    weak = bolt_damage(0)
    strong = bolt_damage(40)
    low, high = data["min_damage"] + staff["min_damage"], data["max_damage"] + staff["max_damage"]
    assert all(low + mag // 2 <= hit <= high + mag for hit in weak)
    assert all(low + (mag + 40) // 2 <= hit <= high + mag + 40 for hit in strong)
    assert min(strong) > max(weak)


def test_without_enough_mana_there_is_a_notice_and_no_cast():
    runtime, ctx, me = scene()
    me["vitals"]["mp"] = BOLT_COST - 1
    effects = cast(runtime, ctx, me)
    assert chat(received(effects, HERO)) == [(4, "#ff0000", f"Not enough mana for Arcane Bolt ({BOLT_COST} MP).")]
    assert received(effects, OTHER) == [] and runtime.shots[0]["shooter_type"] == 0
    assert me["vitals"]["mp"] == BOLT_COST - 1 and me["inv"][0]["uses"] == ITEMS[OAK_STAFF]["uses"]


def test_a_bolt_spares_players_in_town_and_hurts_them_where_pvp_is_allowed():
    runtime, ctx, me = scene(moral=2)
    other = runtime.players[OTHER].record
    target = PlayerRef(OTHER, other)
    assert call(runtime, ctx, "projectile", "hitplayer", target, 1, HERO, 0, 0, ARCANE_BOLT, 0)[0] == 0
    assert other["vitals"]["hp"] == other["max_vitals"]["hp"]
    runtime.record["moral"] = 1
    result, effects = call(runtime, ctx, "projectile", "hitplayer", target, 1, HERO, 0, 0, ARCANE_BOLT, 0)
    assert result == 1 and other["vitals"]["hp"] < other["max_vitals"]["hp"]
    assert "Hero's Arcane Bolt hit you" in chat(received(effects, OTHER))[0][2]


# --- the heal ---------------------------------------------------------------------------------------

def cleric(other_at=(0, 0), **map_fields):
    return scene(CLERIC, WILLOW_STAFF, other_at, **map_fields)


def heal_amount(record) -> int:
    return ITEMS[MENDING_LIGHT]["data"]["heal_hp"] + PROFESSIONS[CLERIC]["stats"]["mag"] + record["stats"]["mag"]


def test_a_cleric_heals_himself_when_nobody_stands_in_front():
    runtime, ctx, me = cleric()
    me["vitals"]["hp"] = 3
    mana = me["vitals"]["mp"]
    effects = cast(runtime, ctx, me)
    assert me["vitals"]["hp"] == 3 + heal_amount(me) and me["vitals"]["mp"] == mana - HEAL_COST
    assert types(received(effects, OTHER)) == [131, 120, 120], "the heal's text and vitals, then the mana"
    text = received(effects, OTHER)[0]
    assert text["player_id"] == HERO and text["map_text"]["text"] == f"+{heal_amount(me)}"
    assert text["map_text"]["color"] == "#00ff00"
    assert runtime.shots[0]["shooter_type"] == 0 and me["inv"][0]["uses"] == ITEMS[WILLOW_STAFF]["uses"] - 1


def test_a_cleric_heals_the_player_in_front_of_him():
    runtime, ctx, me = cleric(other_at=(5, 6), moral=2)  # healing works in town too
    me["vitals"]["hp"] = 3
    other = runtime.players[OTHER].record
    other["vitals"]["hp"] = 1
    cast(runtime, ctx, me)
    assert other["vitals"]["hp"] == 1 + heal_amount(me) and me["vitals"]["hp"] == 3


def test_healing_stops_at_the_maximum_and_scales_with_magic():
    runtime, ctx, me = cleric()
    me["stats"]["mag"] = 4
    me["max_vitals"]["hp"] = 100
    me["vitals"]["hp"] = 50
    cast(runtime, ctx, me)
    assert me["vitals"]["hp"] == 50 + heal_amount(me) == 50 + 6 + 5 + 4
    me["vitals"]["hp"] = 99
    cast(runtime, ctx, me)
    assert me["vitals"]["hp"] == 100


def test_a_heal_at_full_health_costs_nothing():
    runtime, ctx, me = cleric(other_at=(5, 6))
    mana = me["vitals"]["mp"]
    effects = cast(runtime, ctx, me)
    assert chat(received(effects, HERO)) == [(4, "#ff0000", "Other is already at full health.")]
    assert me["vitals"]["mp"] == mana and me["inv"][0]["uses"] == ITEMS[WILLOW_STAFF]["uses"]
    me["pos"]["dir"] = 3  # nobody to the north: himself
    assert chat(received(cast(runtime, ctx, me), HERO))[0][2] == "You are already at full health."


def test_a_heal_without_enough_mana_is_a_notice():
    runtime, ctx, me = cleric()
    me["vitals"].update(hp=3, mp=HEAL_COST - 1)
    effects = cast(runtime, ctx, me)
    assert chat(received(effects, HERO)) == [(4, "#ff0000", f"Not enough mana for Mending Light ({HEAL_COST} MP).")]
    assert me["vitals"]["hp"] == 3
