"""scripting.api.GameAPI through a real ScriptHooks (PROTOCOL 6.3): players, inventory
and ground items, NPC slots, aggro, map flags and queries, professions, argument checks."""
from __future__ import annotations

import pytest
from maptools import character, received, runtime_with, set_tile, types
from scripttools import put_npc, run, world_context

from scripting.hooks import ScriptHooks
from scripting.returns import NOT_RUN
from workers.rules.stats import max_vitals
from workers.runtime import PlayerRef

ANN, BOB = 1, 2
MAP_ID = 3
WARRIOR = {"str": 5, "def": 4, "mag": 0, "spd": 2}  # professions.json, profession 0


def setup(**map_fields):
    ctx = world_context()
    ann = character("Ann", 5, 5, profession_id=0)
    ann["stats"] = {"str": 2, "def": 1, "mag": 0, "spd": 0}
    bob = character("Bob", 5, 6, direction=3, profession_id=1)
    runtime = runtime_with((ANN, ann), (BOB, bob), map_id=MAP_ID)
    runtime.record.update(map_fields)
    return runtime, ctx, ann, bob


def failed(effects, hooks) -> bool:
    """The hook raised: counted as an error, and every packet it queued was discarded."""
    return hooks.errors == 1 and effects.messages == []


# --- argument checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    "game.getPlayerHP('1')", "game.getPlayerName(True)", "game.getPlayerName(1.0)",
    "game.setPlayerHP(1, 'x')", "game.setPlayerHP(1, float('nan'))", "game.setPlayerHP(1, float('inf'))",
    "game.setPlayerHP(1, True)", "game.getInventorySlotItemID(1, '0')", "game.getNpcHP(None)",
    "game.setPlayerFlag(1, 'f', set())", "game.setPlayerFlag(1, 5, 1)", "game.setMapFlag('f', game)",
    "game.playerAttack(1, 2, 0, -3)", "game.warpCharacter(1, '2', 3)", "game.setPlayerNameColor(1, 'x' * 100)",
    "game.sendToAllOnMap({'type': 99})", "game.sendToAllOnMap('{\"type\": 114}')",
    "game.setInventorySlotItemID(1, 7, 999)", "game.openDoor(2, 2, 0)",
])
def test_a_bad_argument_raises_and_the_hooks_packets_are_discarded(call):
    runtime, ctx, ann, _ = setup()
    before = repr(runtime.players[ANN].record), repr(runtime.flags)
    result, effects, hooks = run(runtime, ctx, f"""
        game.sendToAllOnMap(game.genPlaySound(1))
        return {call}
    """)
    assert result is NOT_RUN and failed(effects, hooks)
    assert (repr(runtime.players[ANN].record), repr(runtime.flags)) == before


def test_a_player_ref_is_taken_as_the_id():
    runtime, ctx, ann, _ = setup()
    result, _, hooks = run(runtime, ctx, "return game.getPlayerLevel(args[0]) + game.getPlayerX(args[0])",
                           PlayerRef(ANN, ann))
    assert result == 1 + 5 and hooks.errors == 0


def test_helpers_outside_a_hook_refuse_and_the_script_is_not_loaded():
    error = ScriptHooks().update("early", "import game\nname = game.getPlayerName(1)\n")
    assert error is not None and "only inside a hook" in error


# --- player information ----------------------------------------------------------------------------

def read(runtime, ctx, expression, *args):
    """The value of ``expression`` in a hook, carried out through a map flag (hooks return numbers)."""
    _, _, hooks = run(runtime, ctx, f"game.setMapFlag('out', {expression})", *args)
    assert hooks.errors == 0
    return runtime.flags["out"]


def test_player_getters():
    runtime, ctx, ann, _ = setup()
    ann.update(level=4, exp=321, train_points=3, access=2, color="#123456")
    ann["vitals"] = {"hp": 7.5, "mp": 2, "sp": 3}
    names = ("Name Level X Y Dir HP MP SP MaxHP MaxMP MaxSP Profession Access Sprite NameColor EXP "
             "TrainPoints Str Def Spd Mag").split()
    got = read(runtime, ctx, "[" + ", ".join(f"game.getPlayer{name}(1)" for name in names) + "]")
    assert got == ["Ann", 4, 5, 5, 0, 7.5, 2, 3, 10, 5, 5, 0, 2, 1, "#123456", 321,
                   3, WARRIOR["str"] + 2, WARRIOR["def"] + 1, WARRIOR["spd"], WARRIOR["mag"]]


def test_player_getters_on_an_unknown_id_return_the_not_found_values():
    runtime, ctx, _, _ = setup()
    names = "Name Level X HP MaxHP Profession Access Sprite NameColor EXP TrainPoints Str MinPAtk".split()
    got = read(runtime, ctx, "[" + ", ".join(f"game.getPlayer{name}(99)" for name in names)
               + ", game.getPlayerFlag(99, 'x'), game.getPlayerID('nobody')]")
    assert got == ["", 0, -1, -1, -1, -1, -1, -1, "", -1, 0, 0, 0, None, -1]


def test_get_player_train_points_needs_no_dummy_argument():  # 8.30
    runtime, ctx, ann, _ = setup()
    ann["train_points"] = 6
    assert read(runtime, ctx, "[game.getPlayerTrainPoints(1), game.getPlayerTrainPoints(1, 0)]") == [6, 6]


def test_get_player_id_is_case_insensitive_and_this_map_only():
    runtime, ctx, _, _ = setup()
    assert read(runtime, ctx, "[game.getPlayerID('bOB'), game.getPlayerID('Ann'), game.getPlayerID('')]") \
        == [BOB, ANN, -1]


def test_player_flags_are_copies():
    runtime, ctx, ann, _ = setup()
    ann["data"]["bag"] = [1, 2]
    run(runtime, ctx, "items = game.getPlayerFlag(1, 'bag')\nitems.append(3)\n"
                      "game.setPlayerFlag(1, 'pair', (4, 5))\nkept = [6]\ngame.setPlayerFlag(1, 'kept', kept)\n"
                      "kept.append(7)")
    assert ann["data"] == {"bag": [1, 2], "pair": [4, 5], "kept": [6]}
    assert ANN in runtime.changed_players


def test_stat_extras_default_to_zero_and_are_stored_with_a_109():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.setPlayerMinPAtk(1, 4)\ngame.setPlayerMaxMDef(1, 9.7)\n"
                                      "return game.getPlayerMinPAtk(1) * 100 + game.getPlayerMaxMDef(1)")
    assert ann["stats"]["pamin"] == 4 and ann["stats"]["mdmax"] == 9
    assert types(received(effects, ANN)) == [109, 109] and received(effects, BOB) == []
    assert run(runtime, ctx, "return game.getPlayerMinRAtk(1)")[0] == 0


# --- player changes --------------------------------------------------------------------------------

def test_set_player_stat_recalculates_max_vitals_then_reloads_the_owner():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.setPlayerStr(1, 10)")
    assert ann["stats"]["str"] == 10
    assert ann["max_vitals"] == max_vitals(ctx.professions[0]["vitals"], ann["stats"])
    mine = received(effects, ANN)
    assert types(mine) == [120, 109] and received(effects, BOB) == []
    assert mine[0]["max_vitals"] == ann["max_vitals"] and mine[1]["player"]["data"] == []


def test_set_train_points_sends_the_owner_a_109():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.setPlayerTrainPoints(1, 5)")
    assert ann["train_points"] == 5 and types(received(effects, ANN)) == [109]


def test_vital_setters_are_unclamped_and_reducers_floor_at_zero_map_gets_120():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.setPlayerHP(1, 55.5)\ngame.setPlayerMP(1, -2)\n"
                                      "game.reducePlayerSP(1, 100)")
    assert ann["vitals"] == {"hp": 55.5, "mp": -2, "sp": 0}
    for pid in (ANN, BOB):
        got = received(effects, pid)
        assert types(got) == [120, 120, 120] and all(p["player_id"] == ANN for p in got)
    assert received(effects, BOB)[0]["vitals"]["hp"] == 55.5
    assert ANN in runtime.changed_players


def test_set_player_max_hp_sets_the_max_and_a_recalculation_keeps_it():  # 6.3 [BUG]
    runtime, ctx, ann, _ = setup()
    formula = max_vitals(ctx.professions[0]["vitals"], ann["stats"])["hp"]
    _, effects, _ = run(runtime, ctx, "game.setPlayerMaxHP(1, 50)")
    assert ann["max_vitals"]["hp"] == 50 and ann["stats"]["maxhp"] == 50 - formula
    assert types(received(effects, ANN)) == [109, 120] and types(received(effects, BOB)) == [120]
    assert received(effects, BOB)[0]["max_vitals"]["hp"] == 50
    _, effects, _ = run(runtime, ctx, "game.setPlayerDef(1, 3)\ngame.calculateMaxVitals(1)")
    assert ann["max_vitals"]["hp"] == 50 + 3 * (3 - 1)  # the extra survives, the new def counts
    assert types(received(effects, ANN)) == [120, 109, 120] and received(effects, BOB) == []


def test_set_player_max_mp_and_sp():
    runtime, ctx, ann, _ = setup()
    run(runtime, ctx, "game.setPlayerMaxMP(1, 40)\ngame.setPlayerMaxSP(1, 7)\ngame.calculateMaxVitals(1)")
    assert (ann["max_vitals"]["mp"], ann["max_vitals"]["sp"]) == (40, 7)


def test_sprite_and_colour_go_to_the_map_as_110():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.setPlayerSprite(1, 12)\ngame.setPlayerNameColor(1, '#00ff00')")
    got = received(effects, BOB)
    assert types(got) == [110, 110] and got[0]["sprite"] == 12 and got[1]["color"] == "#00ff00"
    assert (ann["sprite"], ann["color"]) == (12, "#00ff00")


def test_add_player_exp_tells_the_owner_the_new_total():
    runtime, ctx, ann, _ = setup()
    ann["exp"] = 100
    _, effects, _ = run(runtime, ctx, "game.addPlayerEXP(1, 25)")
    assert ann["exp"] == 125
    assert received(effects, ANN) == [{"type": 137, "player_id": ANN, "exp": 125}]
    assert received(effects, BOB) == []


def test_warp_on_this_map_sets_the_position_and_sends_110():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.warpCharacter(1, 2, 3, 1)")
    assert (ann["pos"]["x"], ann["pos"]["y"], ann["pos"]["dir"]) == (2, 3, 1)
    assert types(received(effects, BOB)) == [110] and runtime.players[ANN].pending_warp is None
    run(runtime, ctx, "game.warpCharacter(1, 4, 4, 7)")
    assert ann["pos"]["dir"] == 1, "a dir outside 0..3 is left alone"


def test_warp_to_map_zero_is_pending_and_never_a_negative_map_id():  # 6.3 [BUG]
    runtime, ctx, ann, _ = setup()
    run(runtime, ctx, "game.warpCharacter(1, 2, 3, -1, 0)")
    assert runtime.players[ANN].pending_warp == 0
    assert ann["pos"]["map_id"] == 0 and (ann["pos"]["x"], ann["pos"]["y"]) == (2, 3)


def test_warp_off_the_map_does_nothing():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.warpCharacter(1, 12, 3, 0, 4)")
    assert effects.messages == [] and runtime.players[ANN].pending_warp is None
    assert (ann["pos"]["x"], ann["pos"]["y"]) == (5, 5)


def test_reload_character_is_a_copy_with_data_empty():
    runtime, ctx, ann, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.reloadCharacterPacket(1)")
    reload = received(effects, ANN)[0]
    ann["inv"][0]["item_id"] = 4
    assert reload["type"] == 109 and reload["player_id"] == ANN and reload["player"]["data"] == []
    assert reload["player"]["inv"][0]["item_id"] == -1


# --- inventory and ground items ---------------------------------------------------------------------

def test_inventory_getters_and_setters():
    runtime, ctx, ann, _ = setup()
    ann["inv"][0] = {"item_id": 4, "amount": 1, "uses": 80}
    assert read(runtime, ctx, "[game.getInventorySlotItemID(1, 0), game.getInventorySlotAmount(1, 0), "
                              "game.getInventorySlotUses(1, 0), game.getInventorySlotItemID(1, 30), "
                              "game.getInventorySlotUses(99, 0), game.getInventorySlotItemID(1, -1)]") \
        == [4, 1, 80, -1, -1, -1]
    _, effects, _ = run(runtime, ctx, "game.setInventorySlotUses(1, 0, 79)")
    assert ann["inv"][0]["uses"] == 79
    assert received(effects, ANN) == [{"type": 119, "player_id": ANN, "slot_id": 0,
                                       "inv": {"item_id": 4, "amount": 1, "uses": 79}}]
    assert received(effects, BOB) == [] and ANN in runtime.changed_players


def test_setting_item_id_minus_one_empties_the_slot():
    runtime, ctx, ann, _ = setup()
    ann["inv"][7] = {"item_id": 13, "amount": 5, "uses": 1}
    _, effects, _ = run(runtime, ctx, "game.setInventorySlotItemID(1, 7, -1)")
    assert ann["inv"][7] == {"item_id": -1, "amount": 0, "uses": 0}
    assert received(effects, ANN)[0]["inv"] == {"item_id": -1, "amount": 0, "uses": 0}


def test_add_item_to_inventory_takes_the_first_empty_bag_slot():
    runtime, ctx, ann, _ = setup()
    ann["inv"][6] = {"item_id": 1, "amount": 3, "uses": 0}
    result, effects, _ = run(runtime, ctx, "return game.addItemToInventory(1, 4, 1, 100)")
    assert result == 7 and ann["inv"][7] == {"item_id": 4, "amount": 1, "uses": 100}
    assert types(received(effects, ANN)) == [119] and received(effects, ANN)[0]["slot_id"] == 7
    assert ann["inv"][0]["item_id"] == -1, "never into an equipment slot"


def test_add_item_to_inventory_full_bag_or_unknown_item_gives_minus_one():
    runtime, ctx, ann, _ = setup()
    result, effects, _ = run(runtime, ctx, "return game.addItemToInventory(1, 999, 1, 1)")
    assert result == -1 and effects.messages == []
    for slot in range(6, 30):
        ann["inv"][slot] = {"item_id": 1, "amount": 1, "uses": 0}
    result, effects, _ = run(runtime, ctx, "return game.addItemToInventory(1, 4, 1, 100)")
    assert result == -1 and effects.messages == []


def test_add_item_to_ground_stores_the_item_and_sends_112():  # 6.3 [BUG]: no ghost item
    runtime, ctx, _, _ = setup()
    runtime.items[0] = {"item_id": 1, "amount": 2, "uses": 0, "x": 0, "y": 0}
    result, effects, _ = run(runtime, ctx, "return game.addItemToGround(4, 1, 100, 3, 4)")
    assert result == 1 and runtime.dirty
    assert runtime.items[1] == {"item_id": 4, "amount": 1, "uses": 100, "x": 3, "y": 4}
    expected = {"type": 112, "map_id": MAP_ID, "slot_id": 1,
                "map_items": {"item_id": 4, "amount": 1, "uses": 100, "x": 3, "y": 4}}
    assert received(effects, ANN) == [expected] and received(effects, BOB) == [expected]


def test_add_item_to_ground_off_the_map_or_full_gives_minus_one():
    runtime, ctx, _, _ = setup()
    assert run(runtime, ctx, "return game.addItemToGround(4, 1, 100, 12, 0)")[0] == -1
    for slot in range(len(runtime.items)):
        runtime.items[slot] = {"item_id": 1, "amount": 1, "uses": 0, "x": 0, "y": 0}
    result, effects, _ = run(runtime, ctx, "return game.addItemToGround(4, 1, 100, 3, 4)")
    assert result == -1 and effects.messages == []


def test_item_getters_read_the_definition_data():
    runtime, ctx, _, _ = setup()
    assert read(runtime, ctx, "[game.getItemMinDamage(4), game.getItemMaxDamage(4), game.getItemMinDefense(8), "
                              "game.getItemMaxDefense(8), game.getItemRange(5), game.getItemType(13), "
                              "game.getItemName(13), game.getItemMinDamage(999), game.getItemMaxDamage(-1), "
                              "game.getItemType(999), game.getItemName(999)]") \
        == [3, 6, 3, 6, 6, 0, "Arrow", 0, 0, -1, ""]


# --- NPC information and changes -------------------------------------------------------------------

def test_npc_getters():
    runtime, ctx, _, _ = setup()
    put_npc(runtime, ctx, 2, 0, 7, 8, direction=1)
    runtime.npcs[2]["vitals"]["hp"] = 6
    names = "ID Name X Y Dir HP MP SP MaxHP MaxMP MaxSP Str Def Spd Mag Behavior".split()
    assert read(runtime, ctx, "[" + ", ".join(f"game.getNpc{name}(2)" for name in names) + "]") \
        == [0, "Rat", 7, 8, 1, 6, 0, 0, 10, 0, 0, 2, 1, 1, 0, 0]
    assert read(runtime, ctx, "[game.getNpcID(3), game.getNpcName(3), game.getNpcMaxHP(3), game.getNpcStr(3), "
                              "game.getNpcID(20), game.getNpcHP(-1), game.getNpcX(25)]") \
        == [-1, "", -1, -1, -1, -1, -1]


def test_set_npc_vitals_only_for_an_occupied_slot_map_gets_121():
    runtime, ctx, _, _ = setup()
    put_npc(runtime, ctx, 2, 0, 7, 8)
    _, effects, _ = run(runtime, ctx, "game.setNpcHP(2, 4)\ngame.setNpcHP(3, 4)\ngame.setNpcMP(2, 1.9)")
    assert runtime.npcs[2]["vitals"] == {"hp": 4, "mp": 1, "sp": 0} and runtime.npcs[3]["vitals"]["hp"] == 0
    expected = {"type": 121, "map_id": MAP_ID, "slot_id": 2, "vitals": {"hp": 4, "mp": 0, "sp": 0},
                "max_vitals": {"hp": 10, "mp": 0, "sp": 0}}
    got = received(effects, BOB)
    assert types(got) == [121, 121] and got[0] == expected and runtime.dirty


def test_npc_speed_modifier_and_flags():
    runtime, ctx, _, _ = setup()
    got = read(runtime, ctx, "[game.getNpcSpeedModifier(4), game.getNpcFlag(4, 'x')] + "
                             "[game.setNpcSpeedModifier(4, 250), game.setNpcFlag(4, 'x', [1])] + "
                             "[game.getNpcSpeedModifier(4), game.getNpcFlag(4, 'x'), game.getNpcFlag(40, 'x')]")
    assert got == [0, None, None, None, 250, [1], None]
    assert runtime.npc_state[4]["speed_modifier"] == 250 and runtime.npc_state[4]["data"] == {"x": [1]}


# --- aggro ---------------------------------------------------------------------------------------------

def test_aggro_helpers():
    runtime, ctx, _, _ = setup()
    put_npc(runtime, ctx, 2, 0, 7, 8)
    got = read(runtime, ctx, "[game.setAggro(2, 1, 5), game.addAggro(2, 1, 3), game.addAggro(2, 2, 4), "
                             "game.getAggro(2, 1), game.getAggroList(2), game.getAggroList(2, 6), "
                             "game.setAggro(2, 1, 0), game.getAggroList(2), game.getAggro(2, 1), "
                             "game.getAggroList(25)]")
    assert got == [None, None, None, 8, [[1, 8], [2, 4]], [[1, 8], [2, 4]], None, [[2, 4]], 0, []]
    assert runtime.aggro[2] == {BOB: 4} and runtime.dirty


# --- map flags and queries -------------------------------------------------------------------------------

def test_map_flags():  # 8.30: the getter crashed on a missing flag, the setter wrote the NPC list
    runtime, ctx, _, _ = setup()
    assert read(runtime, ctx, "game.getMapFlag('missing')") is None
    run(runtime, ctx, "game.setMapFlag('wave', [1, 2])")
    assert runtime.flags["wave"] == [1, 2] and runtime.dirty
    assert read(runtime, ctx, "game.getMapFlag('wave') + [game.getMapID()]") == [1, 2, MAP_ID]


def test_players_and_mobs_in_range_are_a_square():
    runtime, ctx, ann, bob = setup()
    bob["vitals"]["hp"] = 0
    put_npc(runtime, ctx, 0, 0, 6, 7)
    put_npc(runtime, ctx, 1, 0, 9, 9)
    assert read(runtime, ctx, "[game.getPlayersInRange(5, 5, 1), game.getPlayersInRange(4, 4, 1), "
                              "game.getPlayersInRange(0, 0, 1), game.getMobsInRange(5, 5, 2), "
                              "game.getMobsInRange(5, 5, 4), game.getPlayersInRange(5, 5, -1)]") \
        == [[ANN, BOB], [ANN], [], [0], [0, 1], []]


def test_tile_free():
    runtime, ctx, _, bob = setup()
    set_tile(runtime, 1, 1, 1)
    set_tile(runtime, 2, 2, 3, map_id=0, x=0, y=0)
    set_tile(runtime, 3, 3, 1)
    runtime.open_door(3, 3, ctx.now_s)
    put_npc(runtime, ctx, 0, 0, 8, 8)
    bob["vitals"]["hp"] = 0  # a dead player does not take the tile
    assert read(runtime, ctx, "[game.tileFree(0, 0), game.tileFree(1, 1), game.tileFree(2, 2), "
                              "game.tileFree(3, 3), game.tileFree(8, 8), game.tileFree(5, 5), "
                              "game.tileFree(5, 6), game.tileFree(12, 0)]") \
        == [True, False, False, True, False, False, True, False]


def test_player_swing_front_finds_the_npc_or_the_player_in_front():
    runtime, ctx, ann, _ = setup(moral=1)  # Ann at (5, 5) faces south: Bob at (5, 6)
    assert read(runtime, ctx, "list(game.playerSwingFront(1))") == [1, BOB]
    put_npc(runtime, ctx, 4, 0, 5, 6)
    assert read(runtime, ctx, "list(game.playerSwingFront(1))") == [2, 4]
    runtime.record["protect_npcs"] = True
    assert read(runtime, ctx, "list(game.playerSwingFront(1))") == [1, BOB]
    runtime.record["moral"] = 0
    assert read(runtime, ctx, "list(game.playerSwingFront(1))") == [-1, -1]
    runtime.record.update(protect_npcs=False, forbid_attack=True)
    assert read(runtime, ctx, "list(game.playerSwingFront(1))") == [-1, -1]
    runtime.record["forbid_attack"] = False
    ann["pos"].update(y=11)
    assert read(runtime, ctx, "list(game.playerSwingFront(1)) + list(game.playerSwingFront(99))") == [-1, -1, -1, -1]


def test_swing_front_gives_the_player_id_not_the_list_index():  # 8.63
    runtime, ctx, _, bob = setup(moral=1)
    bob["pos"].update(x=9, y=9)
    assert read(runtime, ctx, "list(game.swingFront(9, 8, 0)) + list(game.swingFront(9, 8, 5))") \
        == [1, BOB, -1, -1]


# --- professions -----------------------------------------------------------------------------------------

def test_profession_getters_and_name():  # 8.30: getProfessionName always crashed
    runtime, ctx, _, _ = setup()
    names = "Name Str Def Mag Spd HP MP SP".split()
    assert read(runtime, ctx, "[" + ", ".join(f"game.getProfession{name}(1)" for name in names) + "]") \
        == ["Archer", 3, 2, 1, 5, 22, 8, 20]
    assert read(runtime, ctx, "[game.getProfessionName(9), game.getProfessionStr(-1)]") == ["", -1]


def test_numbers_shown_in_texts_are_plain():
    runtime, ctx, _, _ = setup()
    _, effects, _ = run(runtime, ctx, "game.createPlayerMapMessage(1, 12.0)")
    assert received(effects, ANN)[0]["map_text"]["text"] == "12"
