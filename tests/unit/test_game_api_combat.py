"""scripting.api.GameAPI through a real ScriptHooks (PROTOCOL 6.3): the combat helpers,
projectiles, effects, texts and sounds, packet builders and senders, doors."""
from __future__ import annotations

import pytest
from maptools import character, received, runtime_with, types
from scripttools import put_npc, run, world_context

from cluster import packets

ANN, BOB, CAT = 1, 2, 3
MAP_ID = 3
RAT_SLOT = 4


def setup(**map_fields):
    """Ann at (5, 5) facing south; Bob in front of her at (5, 6) facing north; Cat far off."""
    ctx = world_context()
    ann = character("Ann", 5, 5, profession_id=0)
    bob = character("Bob", 5, 6, direction=3, profession_id=1)
    cat = character("Cat", 0, 0)
    runtime = runtime_with((ANN, ann), (BOB, bob), (CAT, cat), map_id=MAP_ID)
    runtime.record.update(map_fields)
    return runtime, ctx, ann, bob


def with_rat(direction=3, **map_fields):
    """The map of ``setup`` with Bob moved away and a Rat in front of Ann."""
    runtime, ctx, ann, bob = setup(**map_fields)
    bob["pos"].update(x=9, y=9)
    put_npc(runtime, ctx, RAT_SLOT, 0, 5, 6, direction)
    return runtime, ctx, ann, runtime.npcs[RAT_SLOT]


def notice(packet, color, text_part):
    assert packet["type"] == 114 and packet["channel_id"] == 4 and packet["temp"] is True
    assert packet["color"] == color and text_part in packet["text"], packet


# --- playerAttack --------------------------------------------------------------------------------

def test_player_attack_on_an_npc():
    runtime, ctx, _, rat = with_rat()
    _, effects, _ = run(runtime, ctx, "game.playerAttack(1, 2, 4, 3.9)")
    assert rat["vitals"]["hp"] == 10 - 3 and runtime.aggro[RAT_SLOT] == {ANN: 3} and runtime.dirty
    mine, theirs = received(effects, ANN), received(effects, CAT)
    assert types(mine) == [121, 132, 114, 123, 116] and types(theirs) == [121, 132, 123, 116]
    assert mine[0] == {"type": 121, "map_id": MAP_ID, "slot_id": RAT_SLOT, "vitals": {"hp": 7, "mp": 0, "sp": 0},
                       "max_vitals": {"hp": 10, "mp": 0, "sp": 0}}
    assert mine[1] == packets.npc_text(MAP_ID, RAT_SLOT, "3", packets.COLOR_RED)
    notice(mine[2], "#ffffff", "You hit a Rat for 3 damage")
    assert "behind" not in mine[2]["text"]
    assert mine[3] == {"type": 123, "sound_id": 1} and mine[4] == {"type": 116, "player_id": ANN, "speed": 1000}


def test_a_hit_from_behind_is_worth_115_percent_floored():
    runtime, ctx, _, rat = with_rat(direction=0)  # the rat faces south, like Ann
    _, effects, _ = run(runtime, ctx, "game.playerAttack(1, 2, 4, 8)")
    assert rat["vitals"]["hp"] == 10 - 9 and runtime.aggro[RAT_SLOT] == {ANN: 9}  # int(8 * 1.15) = 9
    notice(received(effects, ANN)[2], "#ffffff", "Rat from behind for 9 damage")
    _, effects, _ = run(runtime, ctx, "game.playerAttack(1, 2, 4, 1, False, False)")
    assert rat["vitals"]["hp"] == 0 and runtime.aggro[RAT_SLOT] == {ANN: 9}  # no aggro added
    assert types(received(effects, ANN)) == [121, 132, 114]  # no animation


def test_hp_is_floored_at_zero_and_death_is_left_to_the_event_pass():
    runtime, ctx, _, rat = with_rat(direction=0)
    run(runtime, ctx, "game.playerAttack(1, 2, 4, 20)")
    assert rat["vitals"]["hp"] == 0 and rat["npc_id"] == 0 and runtime.aggro[RAT_SLOT] == {ANN: 23}


@pytest.mark.parametrize("case", ["protected", "dead rat", "empty slot", "no target", "pvp forbidden"])
def test_nothing_to_attack(case):
    runtime, ctx, ann, rat = with_rat(moral=2)
    call = "game.playerAttack(1, 2, 4, 5)"
    if case == "protected":
        runtime.record["protect_npcs"] = True
    elif case == "dead rat":
        rat["vitals"]["hp"] = 0
    elif case == "empty slot":
        call = "game.playerAttack(1, 2, 7, 5)"
    elif case == "no target":
        call = "game.playerAttack(1, -1, -1, 0)"
    else:
        call = "game.playerAttack(1, 1, 2, 5)"
    before = rat["vitals"]["hp"], runtime.players[BOB].record["vitals"]["hp"]
    _, effects, _ = run(runtime, ctx, call)
    assert types(received(effects, ANN)) == [114] and received(effects, CAT) == []
    notice(received(effects, ANN)[0], "#ffffff", "nothing to attack")
    assert (rat["vitals"]["hp"], runtime.players[BOB].record["vitals"]["hp"]) == before
    assert runtime.aggro[RAT_SLOT] == {}


def test_a_dead_attacker_does_nothing():
    runtime, ctx, ann, rat = with_rat()
    ann["vitals"]["hp"] = 0
    _, effects, _ = run(runtime, ctx, "game.playerAttack(1, 2, 4, 5)")
    assert effects.messages == [] and rat["vitals"]["hp"] == 10


def test_player_attack_on_a_player_where_moral_allows():
    runtime, ctx, _, bob = setup(moral=1)
    bob["pos"]["dir"] = 0  # facing Ann's way: a hit from behind
    _, effects, _ = run(runtime, ctx, "game.playerAttack(1, 1, 2, 4)")
    assert bob["vitals"]["hp"] == 10 - 4  # int(4 * 1.15) = 4
    mine, his, others = received(effects, ANN), received(effects, BOB), received(effects, CAT)
    assert types(mine) == [120, 131, 114, 123, 116] and types(his) == [120, 131, 114, 123, 116]
    assert types(others) == [120, 131, 123, 116]
    assert mine[0]["player_id"] == BOB and mine[1] == packets.player_text(MAP_ID, BOB, "4", "#ff0000")
    notice(mine[2], "#ffffff", "You hit Bob from behind for 4 damage")
    notice(his[2], "#ff0000", "Ann hit you from behind for 4 damage")
    assert runtime.aggro == [{} for _ in range(20)]


# --- playerSpellAttack -----------------------------------------------------------------------------

def test_spell_attack_on_an_npc_has_no_back_hit_no_sound_and_names_the_spell():
    runtime, ctx, _, rat = with_rat(direction=0)
    _, effects, _ = run(runtime, ctx, "game.playerSpellAttack(1, 2, 4, 6, 'Fireball', '#ff8800')")
    assert rat["vitals"]["hp"] == 4 and runtime.aggro[RAT_SLOT] == {ANN: 6}
    mine = received(effects, ANN)
    assert types(mine) == [121, 132, 114, 116]
    assert mine[1]["map_text"] == {"text": "6", "color": "#ff8800", "x": 0, "y": 0}
    notice(mine[2], "#ff8800", "Your Fireball hit a Rat for 6 damage")


def test_spell_attack_on_a_player_and_by_a_dead_caster():
    runtime, ctx, ann, bob = setup(moral=0)
    ann["vitals"]["hp"] = 0
    _, effects, _ = run(runtime, ctx, "game.playerSpellAttack(1, 1, 2, 3)")
    assert bob["vitals"]["hp"] == 7
    assert types(received(effects, ANN)) == [120, 131, 114]  # no 116: the caster is dead
    notice(received(effects, BOB)[2], "#00ffff", "Ann hit you for 3 damage")
    _, effects, _ = run(runtime, ctx, "game.playerSpellAttack(1, 2, 9, 3)")
    assert effects.messages == []


# --- healPlayer ------------------------------------------------------------------------------------

def test_heal_caps_at_max_and_angers_the_npcs_that_hate_the_target():
    runtime, ctx, _, bob = setup()
    bob["vitals"]["hp"] = 4
    put_npc(runtime, ctx, 0, 0, 9, 9)
    put_npc(runtime, ctx, 1, 0, 9, 8)
    runtime.aggro[0] = {BOB: 2}
    runtime.aggro[1] = {CAT: 2}
    _, effects, _ = run(runtime, ctx, "game.healPlayer(1, 2, 10)")
    assert bob["vitals"]["hp"] == 10
    got = received(effects, CAT)
    assert types(got) == [131, 120] and got[0]["map_text"] == {"text": "10", "color": "#00ff00", "x": 0, "y": 0}
    assert runtime.aggro[0] == {BOB: 2, ANN: 8} and runtime.aggro[1] == {CAT: 2}  # floor(1 + 7.5)
    _, effects, _ = run(runtime, ctx, "game.healPlayer(1, 2, 1, 'Bless', False)")
    assert received(effects, CAT)[0]["map_text"]["text"] == "Bless" and runtime.aggro[0][ANN] == 8


def test_the_dead_are_not_healed():
    runtime, ctx, _, bob = setup()
    bob["vitals"]["hp"] = 0
    _, effects, _ = run(runtime, ctx, "game.healPlayer(1, 2, 5)")
    assert effects.messages == [] and bob["vitals"]["hp"] == 0


# --- mobAttack, mobMiss, playerMiss ----------------------------------------------------------------

def test_mob_attack():
    runtime, ctx, ann, _ = with_rat()
    _, effects, _ = run(runtime, ctx, "game.mobAttack(4, 1, 12)")
    assert ann["vitals"]["hp"] == 0
    mine, others = received(effects, ANN), received(effects, CAT)
    assert types(mine) == [120, 117, 131, 114, 123] and types(others) == [120, 117, 131, 123]
    assert mine[1] == {"type": 117, "map_id": MAP_ID, "slot_id": RAT_SLOT, "speed": 1000}
    assert mine[2] == packets.player_text(MAP_ID, ANN, "12", "#ff0000")
    notice(mine[3], "#ff0000", "Rat hit you for 12 damage")
    assert mine[4]["sound_id"] == 1
    _, effects, _ = run(runtime, ctx, "game.mobAttack(4, 1, 3)")
    assert effects.messages == [], "the dead are not hit"


def test_mob_miss_and_player_miss():
    runtime, ctx, _, _ = with_rat()
    _, effects, _ = run(runtime, ctx, "game.mobMiss(4, 1)")
    mine = received(effects, ANN)
    assert types(mine) == [131, 114, 123] and mine[0]["map_text"]["text"] == "MISS"
    notice(mine[1], "#ff0000", "Rat missed you")
    assert mine[2]["sound_id"] == 4 and types(received(effects, CAT)) == [131, 123]
    _, effects, _ = run(runtime, ctx, "game.playerMiss(1, 2)")
    his = received(effects, BOB)
    assert types(his) == [131, 114, 123] and his[0]["player_id"] == BOB
    notice(his[1], "#ff0000", "Ann missed you")
    _, effects, _ = run(runtime, ctx, "game.playerMiss(1, 4, 2)")
    mine = received(effects, ANN)
    assert types(mine) == [132, 114, 123] and mine[0]["slot_id"] == RAT_SLOT
    notice(mine[1], "#ffffff", "You missed the Rat")


# --- projectiles --------------------------------------------------------------------------------------

def test_shoot_projectile_fires_a_shot_and_the_map_gets_126_then_116():
    runtime, ctx, ann, _ = setup()
    ann["inv"][0] = {"item_id": 5, "amount": 1, "uses": 100}
    result, effects, _ = run(runtime, ctx, "return game.shootProjectile(1, 1, 5, 5, 0, 13)")
    assert result == 0 and runtime.shots[0]["shooter_type"] == 1 and runtime.shots[0]["item_id"] == 13
    assert types(received(effects, CAT)) == [126, 116]
    assert run(runtime, ctx, "return game.freeProjectileSlot()")[0] == 1
    assert run(runtime, ctx, "return game.shootProjectile(1, 99, 5, 5, 0, 13)")[0] == -1
    assert run(runtime, ctx, "return game.shootProjectile(1, 1, 5, 5, 4, 13)")[0] == -1
    assert run(runtime, ctx, "return game.shootProjectile(1, 1, 5, 5, 0, 999)")[0] == -1
    _, effects, hooks = run(runtime, ctx, "return game.shootProjectile(3, 1, 5, 5, 0, 13)")
    assert hooks.errors == 1


def test_attack_animation_builders_do_not_send():
    runtime, ctx, _, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.setMapFlag('out', [game.genAttackAnimation(1), "
                                      "game.genMobAttackAnimation(4, 500)])")
    assert effects.messages == []
    assert runtime.flags["out"] == [{"type": 116, "player_id": 1, "speed": 1000},
                                    {"type": 117, "map_id": MAP_ID, "slot_id": 4, "speed": 500}]


# --- effects, text and sound ------------------------------------------------------------------------

def test_effects_and_texts():
    runtime, ctx, _, _ = setup()
    _, effects, _ = run(runtime, ctx, """
        game.createMapEffect(7, 2, 3)
        game.createNPCEffect(4, 8, 1, 1, 250)
        game.createPlayerEffect(2, 9)
        game.createMapMessage(2, 3, 'Hello', '#123456')
        game.createMapMessage(12, 3, 'off the map')
        game.createPersonalMapMessage(1, 4, 4, 'only Ann')
        game.createPlayerMapMessage(2, 'over Bob')
        game.createNPCMapMessage(4, 'over the rat', '#00ff00')
    """)
    assert received(effects, CAT) == [
        packets.map_effect(MAP_ID, 7, 2, 3, 500), packets.npc_effect(MAP_ID, 4, 8, 1, 1, 250),
        packets.player_effect(BOB, 9, 0, 0, 500), packets.tile_text(MAP_ID, "Hello", "#123456", 2, 3),
        packets.player_text(MAP_ID, BOB, "over Bob", "#ffffff"),
        packets.npc_text(MAP_ID, 4, "over the rat", "#00ff00")]
    assert received(effects, ANN)[4] == packets.tile_text(MAP_ID, "only Ann", "#ffffff", 4, 4)
    assert len(received(effects, ANN)) == 7


def test_sound_and_message_builders():
    runtime, ctx, _, _ = setup()
    got = _built(runtime, ctx, "[game.genPlaySound(3), game.genMessage('hi'), "
                               "game.chatMessage('yo', 4, '#ff0000', True), game.genMessage(5)]")
    assert got == [{"type": 123, "sound_id": 3}, packets.chat("hi"), packets.chat("yo", 4, "#ff0000", True),
                   packets.chat("5")]


def _built(runtime, ctx, expression):
    _, effects, hooks = run(runtime, ctx, f"game.setMapFlag('out', {expression})")
    assert hooks.errors == 0 and effects.messages == []
    return runtime.flags["out"]


# --- packet builders and senders -------------------------------------------------------------------------

def test_builders_return_fresh_packets_or_none():
    runtime, ctx, ann, _ = setup()
    put_npc(runtime, ctx, 4, 0, 1, 1)
    ann["inv"][3] = {"item_id": 9, "amount": 1, "uses": 80}
    got = _built(runtime, ctx, "[game.spawnCharacter(1), game.genPlayerVitalMessage(1), game.genMobVitalMessage(4), "
                               "game.genInventoryUpdate(1, 3), game.genExpMessage(1, 99), game.genMapDoors(), "
                               "game.genMapItemUpdate(5, {'item_id': 1, 'amount': 2, 'uses': 0, 'x': 3, 'y': 4}), "
                               "game.spawnCharacter(99), game.genMobVitalMessage(5), game.genInventoryUpdate(1, 30), "
                               "game.genMapItemUpdate(200, {'item_id': 1, 'amount': 2, 'uses': 0, 'x': 3, 'y': 4})]")
    assert got == [packets.spawn_player(ANN, ann), packets.player_vitals(ANN, ann),
                   packets.npc_vitals(MAP_ID, 4, runtime.npcs[4]["vitals"], {"hp": 10, "mp": 0, "sp": 0}),
                   packets.inventory_slot(ANN, 3, ann["inv"][3]), packets.experience(ANN, 99),
                   packets.doors(MAP_ID, runtime.doors),
                   packets.map_item(MAP_ID, 5, {"item_id": 1, "amount": 2, "uses": 0, "x": 3, "y": 4}),
                   None, None, None, None]
    assert runtime.items[5]["item_id"] == -1, "genMapItemUpdate only builds"


def test_a_built_packet_changed_by_the_script_leaves_the_record_alone():
    runtime, ctx, ann, _ = setup()
    run(runtime, ctx, "p = game.spawnCharacter(1)\np['vitals']['hp'] = 999\np['pos']['x'] = 0\n"
                      "d = game.genMapDoors()\nd['map_doors'][0]['x'] = 3")
    assert ann["vitals"]["hp"] == 10 and ann["pos"]["x"] == 5 and runtime.doors[0] == {"x": -1, "y": -1}


def test_gen_map_shot_sends_a_126_to_the_map_only():
    runtime, ctx, _, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.genMapShot(2, {'shooter_type': 1, 'shooter_id': 1, 'item_id': 13, "
                                      "'pos': {'x': 1, 'y': 2, 'dir': 0, 'map_id': 3}})")
    assert received(effects, CAT) == [packets.shot(MAP_ID, 2, {"shooter_type": 1, "shooter_id": 1, "item_id": 13,
                                                               "pos": {"x": 1, "y": 2, "dir": 0, "map_id": 3}})]
    assert runtime.shots[2]["shooter_type"] == 0


def test_senders_check_and_copy_the_packet():
    runtime, ctx, _, _ = setup()
    _, effects, _ = run(runtime, ctx, """
        p = {'type': 130, 'map_id': 3, 'map_text': {'text': 'a', 'color': '#fff', 'x': 1, 'y': 1}, 'extra': (1, 2)}
        game.sendPacketToPlayer(p, 2)
        game.sendToAllOnMap(p, 2)
        game.sendPacketToPlayer(p, 99)
        game.sendToAllOnMap(game.spawnCharacter(99))
        p['map_text']['text'] = 'changed after sending'
    """)
    sent = {"type": 130, "map_id": 3, "map_text": {"text": "a", "color": "#fff", "x": 1, "y": 1}, "extra": [1, 2]}
    assert received(effects, BOB) == [sent] and received(effects, ANN) == [sent]
    assert received(effects, CAT) == [sent] and len(effects.messages) == 2


@pytest.mark.parametrize("packet", ["{'type': 99}", "{'type': 140}", "{'type': True}", "{'text': 'x'}", "[114]",
                                    "{'type': 114, 'text': 'x' * 70000}", "{'type': 114, 'f': float('nan')}",
                                    "{'type': 114, 'f': game}"])
def test_a_packet_that_is_not_a_small_client_packet_is_refused(packet):
    runtime, ctx, _, _ = setup()
    _, effects, hooks = run(runtime, ctx, f"game.sendToAllOnMap(game.genPlaySound(1))\ngame.sendPacketToPlayer({packet}, 1)")
    assert hooks.errors == 1 and effects.messages == []


# --- doors --------------------------------------------------------------------------------------------

def test_open_door_newly_opens_with_its_duration_and_refresh_pushes_the_close_time():
    runtime, ctx, _, _ = setup()
    result, effects, _ = run(runtime, ctx, "return game.openDoor(2, 3, 4)")
    assert result is True and runtime.doors[0] == {"x": 2, "y": 3}
    assert runtime.door_close_at[0] == ctx.now_s + 4
    assert received(effects, CAT) == [packets.doors(MAP_ID, runtime.doors)]
    result, effects, _ = run(runtime, ctx, "return game.openDoor(2, 3)")
    assert result is False and effects.messages == [] and runtime.door_close_at[0] == ctx.now_s + 4
    result, effects, _ = run(runtime, ctx, "return game.openDoor(2, 3, 30, True)")
    assert result is False and effects.messages == [] and runtime.door_close_at[0] == ctx.now_s + 30
    assert run(runtime, ctx, "return game.openDoor(12, 3)")[0] is False
