"""The game API refuses what storage cannot hold (issue 11): a refused value fails the hook
(NOT_RUN), and nothing of it reaches the map or player records."""
from __future__ import annotations

import pytest
from maptools import character, runtime_with
from scripttools import run, world_context

from scripting.returns import NOT_RUN

PID = 1


def setup():
    return runtime_with((PID, character("Ann", 2, 2))), world_context()


@pytest.mark.parametrize("body", [
    "game.setMapFlag('x', 2 ** 70)", "game.setMapFlag('x', -2 ** 63 - 1)", "game.setMapFlag('x', [1, 2 ** 64])",
    "game.setMapFlag('x', {'a': float('nan')})", "game.setMapFlag('x', float('inf'))",
    "game.setMapFlag('x', {1: 2})", "game.setMapFlag('x', 'x' * 100000)",
    "game.setMapFlag('x', [list(range(100))] * 200)",
])
def test_map_flags_storage_cannot_hold_are_refused(body):
    runtime, ctx = setup()
    result, _, hooks = run(runtime, ctx, body + "\nreturn 1")
    assert result is NOT_RUN and "x" not in runtime.flags and hooks.errors == 1


def test_a_deeply_nested_flag_is_refused():
    runtime, ctx = setup()
    result, _, _ = run(runtime, ctx, "v = []\nfor i in range(100):\n    v = [v]\ngame.setMapFlag('x', v)\nreturn 1")
    assert result is NOT_RUN and "x" not in runtime.flags


@pytest.mark.parametrize("body", [
    "game.setPlayerStr(args[0], 2 ** 9000)", "game.setPlayerHP(args[0], 2 ** 64)",
    "game.addPlayerEXP(args[0], 2 ** 63 - 1)\n    game.addPlayerEXP(args[0], 2 ** 63 - 1)",
    "game.setPlayerMinPAtk(args[0], 2 ** 63)", "game.setPlayerFlag(args[0], 'f', 2 ** 80)",
    "game.setPlayerHP(args[0], float('nan'))",
])
def test_player_values_storage_cannot_hold_are_refused(body):
    runtime, ctx = setup()
    before = repr(runtime.players[PID].record)
    result, _, _ = run(runtime, ctx, body.replace("\n    ", "\n") + "\nreturn 1", PID)
    assert result is NOT_RUN
    record = runtime.players[PID].record
    assert all(abs(v) < 2 ** 63 for v in record["stats"].values() if isinstance(v, int))
    assert abs(record.get("exp", 0)) < 2 ** 63 and "f" not in record.get("data", {})
    if "addPlayerEXP" not in body:
        assert repr(record) == before


def test_values_within_range_are_kept():
    runtime, ctx = setup()
    result, _, _ = run(runtime, ctx, "game.setMapFlag('x', {'a': [1, 2.5, 'b', None, True, 2 ** 63 - 1]})\n"
                       "game.setPlayerStr(args[0], 12)\nreturn 1", PID)
    assert result == 1 and runtime.flags["x"] == {"a": [1, 2.5, "b", None, True, 2 ** 63 - 1]}


def test_a_dict_subclass_cannot_forge_a_packet_type():
    runtime, ctx = setup()
    body = ("class Liar(dict):\n    def get(self, key, default=None):\n        return 114\n"
            "packet = Liar()\npacket['type'] = 999\ngame.sendToAllOnMap(packet)\nreturn 1")
    result, effects, _ = run(runtime, ctx, body)
    assert result is NOT_RUN and effects.messages == []


def test_a_dict_subclass_is_copied_to_a_plain_dict():
    runtime, ctx = setup()
    body = ("class Shiny(dict):\n    def items(self):\n        return [('type', 999)]\n"
            "packet = Shiny(type=114, text='hi', channel=0, color='#fff', temp=False)\n"
            "game.sendToAllOnMap(packet)\nreturn 1")
    result, effects, _ = run(runtime, ctx, body)
    assert result == 1
    sent = effects.messages[0][1]
    assert type(sent) is dict and sent["type"] == 114


def test_a_shot_dict_subclass_with_a_lying_get_is_read_as_plain():
    runtime, ctx = setup()
    body = ("class Liar(dict):\n    def get(self, key, default=None):\n        return 'x'\n"
            "shot = Liar(shooter_type=1, shooter_id=1, item_id=1, pos={'x': 1, 'y': 1, 'dir': 0, 'map_id': 0})\n"
            "game.genMapShot(3, shot)\nreturn 1")
    result, effects, _ = run(runtime, ctx, body)
    assert result == 1 and effects.messages and effects.messages[0][1]["type"] == 126
