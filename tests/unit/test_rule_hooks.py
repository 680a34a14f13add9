"""The script hooks the rules call (PROTOCOL 6.2): playermove, chat, joinmap, leavemap, attack, click."""
from __future__ import annotations

from maptools import character, context, received, runtime_with, types

from scripting.hooks import ScriptHooks
from workers.rules import presence
from workers.rules.chat import handle_chat
from workers.rules.movement import handle_move
from workers.rules.scripted import handle_attack, handle_click
from workers.runtime import Effects

PID, OTHER = 1, 2
RECORDER = """
import game
def {function}(*args):
    game.setMapFlag("calls", (game.getMapFlag("calls") or []) + [list(args)])
    return {result}
"""


def with_hook(script, function, result=0):
    ctx = context()
    ctx.hooks = ScriptHooks()
    assert ctx.hooks.update(script, RECORDER.format(function=function, result=result)) is None
    runtime = runtime_with((PID, character("Ann", 3, 3)), (OTHER, character("Bob", 6, 6)))
    return runtime, ctx


def calls(runtime):
    return runtime.flags.get("calls", [])


def test_playermove_gets_the_move_and_an_override_bounces_the_mover():
    runtime, ctx = with_hook("playermove", "playermove", result=1)
    effects = Effects()
    handle_move(runtime, effects, PID, {"type": 6, "x": 3, "y": 3, "dir": 0, "speed": 2}, ctx)
    assert calls(runtime) == [[PID, 3, 3, 0, 2]]
    assert types(received(effects, PID)) == [110] and received(effects, OTHER) == []
    assert runtime.players[PID].record["pos"]["y"] == 3


def test_playermove_returning_0_lets_the_move_happen():
    runtime, ctx = with_hook("playermove", "playermove", result=0)
    effects = Effects()
    handle_move(runtime, effects, PID, {"type": 6, "x": 3, "y": 3, "dir": 0, "speed": 2}, ctx)
    assert runtime.players[PID].record["pos"]["y"] == 4 and types(received(effects, OTHER)) == [115]


def test_handle_chat_override_suppresses_the_map_line_but_commands_never_reach_it():
    runtime, ctx = with_hook("chat", "handleChat", result=1)
    effects = Effects()
    handle_chat(runtime, effects, PID, {"type": 5, "text": "hello"}, ctx)
    assert calls(runtime) == [[PID, "hello"]] and effects.messages == []
    handle_chat(runtime, Effects(), PID, {"type": 5, "text": "'global"}, ctx)
    handle_chat(runtime, Effects(), PID, {"type": 5, "text": "/who"}, ctx)
    assert len(calls(runtime)) == 1


def test_handle_chat_returning_0_broadcasts_as_usual():
    runtime, ctx = with_hook("chat", "handleChat", result=0)
    effects = Effects()
    handle_chat(runtime, effects, PID, {"type": 5, "text": "hello"}, ctx)
    assert [p["text"] for p in received(effects, OTHER)] == ["Ann:hello"]


def test_joinmap_gets_an_int_id():
    runtime, ctx = with_hook("joinmap", "joinmap")
    presence.join(runtime, Effects(), 7, [1, 0], character("Cy", 1, 1), ctx)
    assert calls(runtime) == [[7]] and type(calls(runtime)[0][0]) is int


def test_leavemap_override_keeps_the_player_on_a_map_change():
    runtime, ctx = with_hook("leavemap", "leavemap", result=1)
    effects = Effects()
    assert presence.leave(runtime, effects, PID, 4, ctx) is False
    assert PID in runtime.players and effects.transfers == [] and calls(runtime) == [[PID, 4]]


def test_leavemap_on_disconnect_is_told_minus_one_and_its_override_is_ignored():
    runtime, ctx = with_hook("leavemap", "leavemap", result=1)
    effects = Effects()
    assert presence.disconnect(runtime, effects, PID, ctx) is not None
    assert PID not in runtime.players and calls(runtime) == [[PID, -1]]


def test_attack_calls_handle_attack_with_the_protocols_argument_order():
    runtime, ctx = with_hook("attack", "handleAttack")
    effects = Effects()
    handle_attack(runtime, effects, PID, {"type": 7, "target_id": 3, "target_type": 2, "speed": 500,
                                         "attacking": True}, ctx)
    assert calls(runtime) == [[PID, 2, 3, True]] and effects.messages == []


def test_attack_needs_all_four_fields_and_numbers():
    runtime, ctx = with_hook("attack", "handleAttack")
    for packet in ({"type": 7, "target_id": 3, "target_type": 2, "attacking": True},
                   {"type": 7, "target_id": "3", "target_type": 2, "speed": 1, "attacking": True},
                   {"type": 7, "target_id": 3, "target_type": 2, "speed": 1, "attacking": "yes"}):
        handle_attack(runtime, Effects(), PID, packet, ctx)
    assert calls(runtime) == []


def test_attack_without_a_script_does_nothing():
    runtime = runtime_with((PID, character("Ann", 3, 3)))
    effects = Effects()
    handle_attack(runtime, effects, PID, {"type": 7, "target_id": 0, "target_type": 0, "speed": 0,
                                         "attacking": True}, context())
    assert effects.messages == []


def test_click_calls_handle_click_for_a_tile_of_the_map_only():
    runtime, ctx = with_hook("click", "handleClick")
    handle_click(runtime, Effects(), PID, {"type": 22, "x": 4, "y": 11}, ctx)
    handle_click(runtime, Effects(), PID, {"type": 22, "x": 12, "y": 1}, ctx)
    handle_click(runtime, Effects(), PID, {"type": 22, "x": True, "y": 1}, ctx)
    assert calls(runtime) == [[PID, 4, 11]]
