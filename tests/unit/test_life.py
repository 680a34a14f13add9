"""workers.rules.life and stats.level_up: death stamp, revive, player ticks, script warps,
level-up (PROTOCOL 5.6, 5.7, 5.9)."""
from __future__ import annotations

from maptools import NOW_MS, character, context, received, runtime_with, types

from scripting.hooks import ScriptHooks
from workers.rules import life
from workers.rules.items import handle_pickup
from workers.rules.stats import exp_to_level_up, level_up
from workers.runtime import EVERYONE, Effects

PID, OTHER = 1, 2


def hooked(ctx, **scripts):
    ctx.hooks = ScriptHooks()
    for name, text in scripts.items():
        assert ctx.hooks.update(name, text) is None
    return ctx


def two_players(hp=10, map_id=2):
    runtime = runtime_with((PID, character("Ann", 3, 3, map_id=map_id)), (OTHER, character("Bob", 4, 4, map_id=map_id)),
                           map_id=map_id)
    runtime.players[PID].record["vitals"]["hp"] = hp
    return runtime


# --- death stamp ------------------------------------------------------------------------
def test_a_player_at_zero_hp_is_stamped_told_and_the_map_hears_the_death_sound():
    runtime, effects, ctx = two_players(hp=0), Effects(), context()
    life.death_stamp(runtime, effects, runtime.players[PID], ctx)
    record = runtime.players[PID].record
    assert record["data"]["dead"] == NOW_MS // 1000
    mine = received(effects, PID)
    assert types(mine) == [114, 123]
    assert mine[0]["channel_id"] == 0 and mine[0]["color"] == "#ff0000"
    assert mine[1] == {"type": 123, "sound_id": 3}
    assert types(received(effects, OTHER)) == [123]
    assert PID in runtime.changed_players


def test_negative_hp_is_dead_too_and_the_stamp_is_set_once():
    runtime, ctx = two_players(hp=-4), context()
    life.death_stamp(runtime, Effects(), runtime.players[PID], ctx)
    again = Effects()
    life.death_stamp(runtime, again, runtime.players[PID], context(now_ms=NOW_MS + 5000))
    assert again.messages == []
    assert runtime.players[PID].record["data"]["dead"] == NOW_MS // 1000


def test_the_stamp_goes_once_hp_is_above_zero():
    runtime = two_players(hp=0)
    runtime.players[PID].record["data"]["dead"] = 5
    runtime.players[PID].record["vitals"]["hp"] = 3
    effects = Effects()
    life.death_stamp(runtime, effects, runtime.players[PID], context())
    assert "dead" not in runtime.players[PID].record["data"] and effects.messages == []


# --- revive ---------------------------------------------------------------------------------
def dead_on(runtime, died_s):
    record = runtime.players[PID].record
    record["vitals"]["hp"] = 0
    record["data"]["dead"] = died_s
    return record


def test_pickup_while_dead_revives_at_the_maps_death_map_through_a_map_change():
    runtime = two_players(hp=0)
    runtime.record["death_map"] = {"x": 2, "y": 7, "dir": 0, "map_id": 5}
    record = dead_on(runtime, NOW_MS // 1000 - 2)
    effects = Effects()
    handle_pickup(runtime, effects, PID, {"type": 10}, context())
    assert record["vitals"]["hp"] == 1 and "dead" not in record["data"]
    assert PID not in runtime.players
    assert (record["pos"]["x"], record["pos"]["y"], record["pos"]["map_id"]) == (2, 7, 5)
    assert [t.to_map for t in effects.transfers] == [5]
    assert types(received(effects, OTHER)) == [111]
    assert types(received(effects, PID)) == [123]  # the map-change sound (5.1.4)


def test_revive_is_refused_within_two_seconds():
    runtime = two_players(hp=0)
    record = dead_on(runtime, NOW_MS // 1000 - 1)
    effects = Effects()
    handle_pickup(runtime, effects, PID, {"type": 10}, context())
    assert record["vitals"]["hp"] == 0 and effects.messages == [] and PID in runtime.players


def test_without_a_death_map_the_revive_point_of_the_config_is_used_not_map_7():
    runtime = two_players(hp=0)
    runtime.record["death_map"] = {"x": 2, "y": 7, "dir": 0, "map_id": -1}
    record = dead_on(runtime, 0)
    ctx = context(map_ids=(0, 1, 2, 3))
    ctx.revive_map_id, ctx.revive_x, ctx.revive_y = 3, 9, 10
    effects = Effects()
    handle_pickup(runtime, effects, PID, {"type": 10}, ctx)
    assert [t.to_map for t in effects.transfers] == [3]
    assert (record["pos"]["x"], record["pos"]["y"]) == (9, 10)


def test_a_death_map_naming_no_map_of_the_world_falls_back_to_the_config():
    runtime = two_players(hp=0)
    runtime.record["death_map"] = {"x": 2, "y": 7, "dir": 0, "map_id": 77}
    dead_on(runtime, 0)
    ctx = context(map_ids=(0, 1, 2))
    effects = Effects()
    handle_pickup(runtime, effects, PID, {"type": 10}, ctx)
    assert [t.to_map for t in effects.transfers] == [ctx.revive_map_id]


def test_revive_on_the_same_map_is_a_110_to_the_map():
    runtime = two_players(hp=0, map_id=2)
    runtime.record["death_map"] = {"x": 8, "y": 1, "dir": 0, "map_id": 2}
    record = dead_on(runtime, 0)
    effects = Effects()
    handle_pickup(runtime, effects, PID, {"type": 10}, context())
    assert PID in runtime.players and effects.transfers == []
    assert (record["pos"]["x"], record["pos"]["y"]) == (8, 1)
    spawn = received(effects, OTHER)[-1]
    assert spawn["type"] == 110 and spawn["vitals"]["hp"] == 1 and spawn["pos"]["x"] == 8


def test_a_leavemap_override_keeps_the_reviving_player_where_he_was():
    runtime = two_players(hp=0)
    runtime.record["death_map"] = {"x": 2, "y": 7, "dir": 0, "map_id": 5}
    record = dead_on(runtime, 0)
    ctx = hooked(context(), leavemap="def leavemap(pid, new_map):\n    return 1\n")
    handle_pickup(runtime, Effects(), PID, {"type": 10}, ctx)
    assert PID in runtime.players and (record["pos"]["x"], record["pos"]["y"]) == (3, 3)


# --- script warps and player ticks -----------------------------------------------------------
def test_a_pending_warp_moves_the_player_to_that_map_even_map_0():
    runtime = two_players()
    player = runtime.players[PID]
    player.pending_warp = 0
    effects = Effects()
    life.pending_warp(runtime, effects, player, context())
    assert [t.to_map for t in effects.transfers] == [0] and player.pending_warp is None
    assert player.record["pos"]["map_id"] == 0


def test_a_pending_warp_to_an_unknown_map_is_dropped():
    runtime = two_players()
    player = runtime.players[PID]
    player.pending_warp = 99
    effects = Effects()
    life.pending_warp(runtime, effects, player, context())
    assert effects.transfers == [] and player.pending_warp is None and PID in runtime.players


TICKER = """
import game
def playertick(pid):
    game.setPlayerFlag(pid, "ticks", (game.getPlayerFlag(pid, "ticks") or 0) + 1)
    game.setPlayerFlag(pid, "nextTick", NOW + 5000)
"""


def test_player_ticks_run_the_hook_for_due_players_only():
    runtime = two_players()
    runtime.players[OTHER].record["data"]["nextTick"] = NOW_MS + 3000
    ctx = hooked(context(), playertick=TICKER.replace("NOW", str(NOW_MS)))
    life.player_ticks(runtime, Effects(), ctx)
    assert runtime.players[PID].record["data"]["ticks"] == 1
    assert "ticks" not in runtime.players[OTHER].record["data"]
    assert life.next_player_tick_ms(runtime, ctx) == NOW_MS + 3000


def test_a_passed_next_tick_is_floored_to_now_plus_100_and_none_without_the_hook():
    runtime = two_players()
    ctx = hooked(context(), playertick="def playertick(pid):\n    return 0\n")
    assert life.next_player_tick_ms(runtime, ctx) == NOW_MS + 100
    assert life.next_player_tick_ms(runtime, context()) is None


# --- level-up ---------------------------------------------------------------------------------
def leveller(exp, level=1):
    runtime = two_players()
    record = runtime.players[PID].record
    record.update(exp=exp, level=level, train_points=0)
    ctx = context()
    ctx.professions = [{"name": "Warrior", "vitals": {"hp": 10, "mp": 5, "sp": 5}}]
    return runtime, record, ctx


def test_level_up_takes_the_requirement_gives_train_points_and_tells_in_order():
    runtime, record, ctx = leveller(exp_to_level_up(1) + 250)
    effects = Effects()
    level_up(runtime, effects, runtime.players[PID], ctx)
    assert (record["level"], record["exp"], record["train_points"]) == (2, 250, 2)
    mine = received(effects, PID)
    assert types(mine) == [137, 109, 114]
    assert mine[0] == {"type": 137, "player_id": PID, "exp": 250}
    assert mine[1]["player"]["data"] == [] and mine[1]["player"]["level"] == 2
    notice = mine[2]
    assert (notice["channel_id"], notice["color"]) == (0, "#a0522d") and "Ann" in notice["text"]
    assert effects.messages[-1][0] is EVERYONE


def test_at_most_one_level_per_pass():
    runtime, record, ctx = leveller(exp_to_level_up(1) + exp_to_level_up(2) + 5)
    level_up(runtime, Effects(), runtime.players[PID], ctx)
    assert record["level"] == 2 and record["exp"] == exp_to_level_up(2) + 5
    level_up(runtime, Effects(), runtime.players[PID], ctx)
    assert record["level"] == 3 and record["exp"] == 5


def test_not_enough_exp_is_no_level_up():
    runtime, record, ctx = leveller(exp_to_level_up(1) - 1)
    effects = Effects()
    level_up(runtime, effects, runtime.players[PID], ctx)
    assert record["level"] == 1 and effects.messages == []


def test_the_levelup_hook_gets_the_player_id_and_level_and_can_override():
    runtime, record, ctx = leveller(exp_to_level_up(1))
    hooked(ctx, playerlevel="import game\ndef levelup(pid, level):\n"
                            "    game.setPlayerFlag(pid, 'seen', [pid, level])\n    return 1\n")
    effects = Effects()
    level_up(runtime, effects, runtime.players[PID], ctx)
    assert record["data"]["seen"] == [PID, 1]
    assert record["level"] == 1 and effects.messages == []
