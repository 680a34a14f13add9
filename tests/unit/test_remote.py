"""workers.rules.remote: the answers to commands that asked the broker or storage (PROTOCOL 5.8)."""
from __future__ import annotations

from maptools import character, context, received, runtime_with, types

from cluster import records
from workers.rules import remote
from workers.runtime import Effects

ALICE, BOB = 1, 2
PROFESSIONS = [{"name": "Warrior"}, {"name": "Archer"}, {"name": ""}]


def two_players():
    return runtime_with((ALICE, character("Alice", 5, 5)), (BOB, character("Bob", 6, 5)))


def test_who_lists_everyone_then_one_line_per_named_profession():
    runtime, effects = two_players(), Effects()
    ctx = context()
    ctx.professions = PROFESSIONS
    entries = [["Alice", 3, 0], ["Bob", 1, 1], ["Cleo", 7, 0], ["Dan", 2, 2]]
    remote.who_list(runtime, effects, ALICE, entries, ctx)
    lines = received(effects, ALICE)
    assert [(p["channel_id"], p["color"]) for p in lines] == [(0, "#ffff00")] * 3
    assert [p["text"] for p in lines] == [
        "4 players Online: Alice [lv 3], Bob [lv 1], Cleo [lv 7], Dan [lv 2]",
        "Warriors: Alice, Cleo", "Archers: Bob"]  # a profession without a name has no line
    assert received(effects, BOB) == []


def test_warp_on_the_same_map_is_a_110_to_the_map_not_silence():
    runtime, effects = two_players(), Effects()
    remote.warp(runtime, effects, ALICE, 0, 2, 9, context())
    pos = runtime.players[ALICE].record["pos"]
    assert (pos["x"], pos["y"], pos["map_id"]) == (2, 9, 0)
    for pid in (ALICE, BOB):
        assert types(received(effects, pid)) == [110]
        assert received(effects, pid)[0]["pos"]["x"] == 2
    assert effects.transfers == []


def test_warp_to_another_map_leaves_this_one():
    runtime, effects = two_players(), Effects()
    remote.warp(runtime, effects, ALICE, 3, 4, 4, context())
    assert ALICE not in runtime.players
    assert [(t.pid, t.to_map, t.record["pos"]["x"], t.record["pos"]["y"]) for t in effects.transfers] == \
        [(ALICE, 3, 4, 4)]
    assert types(received(effects, BOB)) == [111]


def test_warp_off_the_map_is_ignored():
    runtime, effects = two_players(), Effects()
    remote.warp(runtime, effects, ALICE, 0, 12, 3, context())
    assert effects.messages == [] and runtime.players[ALICE].record["pos"]["x"] == 5


def test_locate_answers_with_the_target_position():
    runtime, effects = two_players(), Effects()
    remote.locate(runtime, effects, BOB, ALICE, context())
    assert effects.located == [(ALICE, 0, 6, 5)]
    remote.locate(runtime, Effects(), 99, ALICE, context())  # not here: no answer, no error


def test_copymap_sends_the_other_map_under_this_maps_id_to_the_sender_only():
    runtime, effects = two_players(), Effects()
    other = records.new_map("Elsewhere")
    remote.copy_map(runtime, effects, ALICE, 7, other, context())
    got = received(effects, ALICE)
    assert got[0] == {"type": 106, "map_id": 0, "map": other}
    assert [p["player_id"] for p in got[1:3]] == [ALICE, BOB] and types(got[1:3]) == [110, 110]
    assert (got[3]["type"], got[3]["channel_id"], got[3]["color"]) == (114, 0, "#ff0000")
    assert received(effects, BOB) == []
    assert runtime.record["name"] == "test", "the server's map is unchanged"


def test_copymap_of_a_missing_map_says_so():
    runtime, effects = two_players(), Effects()
    remote.copy_map(runtime, effects, ALICE, 42, None, context())
    got = received(effects, ALICE)
    assert types(got) == [114] and got[0]["color"] == "#ff0000" and "42" in got[0]["text"]


def test_editscript_sends_138_then_the_editor():
    runtime, effects = two_players(), Effects()
    remote.script_text(runtime, effects, ALICE, "attack", "def handleAttack(*a):\n    return 0\n", context())
    assert received(effects, ALICE) == [
        {"type": 138, "name": "attack", "script": "def handleAttack(*a):\n    return 0\n"},
        {"type": 100, "win": "winScriptEditor", "message": ""}]
