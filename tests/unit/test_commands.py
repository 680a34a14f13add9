"""workers.rules.commands: the command rows of PROTOCOL 5.8, through the type 5 handler."""
from __future__ import annotations

import pytest
from maptools import character, context, received, runtime_with, types

from cluster import records
from workers.rules import HANDLERS
from workers.runtime import EVERYONE, Effects, MapRuntime

RED, MAGENTA, WHITE = "#ff0000", "#ff00ff", "#ffffff"
ITEMS = [{"name": f"item {i}"} for i in range(5)]


def setup(access: int = 1):
    """Ann (pid 1, the sender, at (3, 4)) and Bob (pid 2) on map 0."""
    return runtime_with((1, character("Ann", 3, 4, access=access)), (2, character("Bob", 5, 5)))


def say(runtime: MapRuntime, text, pid: int = 1, items=ITEMS) -> Effects:
    effects = Effects()
    ctx = context()
    ctx.items = items
    HANDLERS[5](runtime, effects, pid, {"type": 5, "text": text}, ctx)
    return effects


def plain(name: str, text: str) -> dict:
    return {"type": 114, "channel_id": 0, "color": WHITE, "temp": False, "text": f"{name}:{text}"}


def assert_plain_chat(effects: Effects, text: str, name: str = "Ann") -> None:
    assert effects.messages == [((1, 2), plain(name, text))]
    assert effects.requests == []


def assert_usage(effects: Effects, runtime: MapRuntime) -> None:
    """A red notice to the sender only, and nothing else."""
    assert len(effects.messages) == 1
    recipients, packet = effects.messages[0]
    assert recipients == (1,)
    assert (packet["type"], packet["channel_id"], packet["color"]) == (114, 0, RED)
    assert packet["text"]
    assert effects.requests == [] and not runtime.dirty


def living_npc(npc_id: int = 0, hp: int = 10) -> dict:
    slot = records.empty_npc_slot()
    slot.update(npc_id=npc_id, vitals=records.vitals(hp, 0, 0))
    return slot


# --- windows: rows 1, 8 to 11 ----------------------------------------------------------
WINDOWS = [("/editmap", "winMapProperties"), ("/editprofession", "winProfessionEditor"),
           ("/editshop", "winShopEditor"), ("/edititem", "winItemEditor"), ("/editnpc", "winNPCEditor")]


@pytest.mark.parametrize("command, win", WINDOWS)
@pytest.mark.parametrize("access", [1, 2, 3, 4])
def test_editor_commands_open_their_window_for_staff(command, win, access):
    effects = say(setup(access), command)
    assert effects.messages == [((1,), {"type": 100, "win": win, "message": ""})]


@pytest.mark.parametrize("command, win", WINDOWS)
def test_editor_commands_are_plain_chat_at_access_0(command, win):
    assert_plain_chat(say(setup(0), command), command)


@pytest.mark.parametrize("text", ["/EDITMAP", "  /EditMap  ", "/editMap\t"])
def test_bare_commands_are_case_insensitive_and_stripped(text):
    effects = say(setup(1), text)
    assert effects.messages == [((1,), {"type": 100, "win": "winMapProperties", "message": ""})]


@pytest.mark.parametrize("text", ["/editmap now", "/editmaps", "please /editmap", "/edit map"])
def test_bare_commands_need_an_exact_match(text):
    assert_plain_chat(say(setup(4), text), text)


# --- row 3: /setsprite ------------------------------------------------------------------
def test_setsprite_changes_the_sprite_and_shows_the_map():
    runtime = setup(1)
    effects = say(runtime, "/setsprite 7")
    record = runtime.players[1].record
    assert record["sprite"] == 7
    assert types(received(effects, 2)) == [110] and received(effects, 1) == received(effects, 2)
    assert received(effects, 1)[0]["sprite"] == 7 and received(effects, 1)[0]["player_id"] == 1
    assert 1 in runtime.changed_players


@pytest.mark.parametrize("text", ["/setsprite", "/setsprite -1", "/setsprite x", "/setsprite 1 2",
                                  "/setsprite 1.5", "/setsprite 99999999999", "/setsprite ٣"])
def test_setsprite_with_bad_arguments_gets_a_usage_notice(text):
    runtime = setup(1)
    assert_usage(say(runtime, text), runtime)
    assert runtime.players[1].record["sprite"] == 1


def test_setsprite_at_access_0_is_plain_chat():
    runtime = setup(0)
    assert_plain_chat(say(runtime, "/setsprite 7"), "/setsprite 7")
    assert runtime.players[1].record["sprite"] == 1


# --- row 4: /setcolor -------------------------------------------------------------------
@pytest.mark.parametrize("text, color", [("/setcolor #ff0000", "#ff0000"), ("/setcolour #AbC", "#AbC"),
                                         ("/SetColor #00FF7f", "#00FF7f")])
def test_setcolor_accepts_css_hex_colours(text, color):
    runtime = setup(2)
    effects = say(runtime, text)
    assert runtime.players[1].record["color"] == color
    assert [(pids, p["type"], p["color"]) for pids, p in effects.messages] == [((1, 2), 110, color)]


@pytest.mark.parametrize("text", ["/setcolor", "/setcolor red", "/setcolor #ff00", "/setcolor ff0000",
                                  "/setcolor #ggg", "/setcolor #fff #000", "/setcolour <b>"])
def test_setcolor_rejects_anything_else(text):
    runtime = setup(1)
    assert_usage(say(runtime, text), runtime)
    assert runtime.players[1].record["color"] == "#d3d3d3"


def test_setcolor_at_access_0_is_plain_chat():
    assert_plain_chat(say(setup(0), "/setcolor #fff"), "/setcolor #fff")


# --- only at the start ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["hello /setsprite 3", "x /warpto Bob", "I typed /provoke 5",
                                  "see /who", "a 'quote", "mail me@example.com"])
def test_commands_are_recognised_only_at_the_start(text):
    runtime = setup(4)
    assert_plain_chat(say(runtime, text), text)
    assert runtime.players[1].record["sprite"] == 1


def test_unknown_commands_are_plain_chat():
    assert_plain_chat(say(setup(4), "/dance"), "/dance")


# --- row 13: /provoke ------------------------------------------------------------------
def provoke_map():
    runtime = setup(1)
    runtime.npcs[0] = living_npc()
    runtime.npcs[1] = living_npc()
    runtime.npcs[2] = living_npc(hp=0)  # dead
    runtime.npcs[5] = living_npc(npc_id=3)
    return runtime


def test_provoke_sets_the_senders_aggro_on_every_living_npc():
    runtime = provoke_map()
    runtime.aggro[0][2] = 9  # Bob's aggro is left alone
    effects = say(runtime, "/provoke 25")
    assert effects.messages == []
    assert runtime.aggro[0] == {2: 9, 1: 25}
    assert runtime.aggro[1] == {1: 25} and runtime.aggro[5] == {1: 25}
    assert runtime.aggro[2] == {} and runtime.aggro[3] == {}  # dead, empty
    assert runtime.dirty


def test_provoke_0_clears_the_aggro_past_npcs_without_an_entry():
    """8.23: the original stopped at the first NPC without an entry."""
    runtime = provoke_map()
    runtime.aggro[0][1] = 4
    runtime.aggro[5][1] = 6  # slot 1 (living) has no entry between them
    runtime.aggro[5][2] = 3
    say(runtime, "/provoke 0")
    assert runtime.aggro[0] == {} and runtime.aggro[1] == {} and runtime.aggro[5] == {2: 3}
    assert runtime.dirty


def test_provoke_0_with_no_aggro_changes_nothing():
    runtime = provoke_map()
    say(runtime, "/provoke 0")
    assert not runtime.dirty and runtime.aggro == [{}] * records.NPC_SLOTS


def test_provoke_accepts_negative_values():
    runtime = provoke_map()
    say(runtime, "/provoke -3")
    assert runtime.aggro[0] == {1: -3}


@pytest.mark.parametrize("text", ["/provoke", "/provoke x", "/provoke 1 2", "/provoke 3.0"])
def test_provoke_with_bad_arguments_gets_a_usage_notice(text):
    runtime = provoke_map()
    assert_usage(say(runtime, text), runtime)
    assert runtime.aggro == [{}] * records.NPC_SLOTS


def test_provoke_at_access_0_is_plain_chat():
    runtime = provoke_map()
    runtime.players[1].record["access"] = 0
    assert_plain_chat(say(runtime, "/provoke 5"), "/provoke 5")
    assert runtime.aggro == [{}] * records.NPC_SLOTS and not runtime.dirty


def test_aggro_is_checkpointed():
    runtime = provoke_map()
    say(runtime, "/provoke 8")
    restored = MapRuntime(0, 2, records.new_map())
    restored.restore(runtime.snapshot())
    assert restored.aggro[0] == {1: 8} and len(restored.aggro) == records.NPC_SLOTS


def test_a_checkpoint_without_aggro_restores_empty_tables():
    restored = MapRuntime(0, 2, records.new_map())
    restored.restore({"items": [records.empty_map_item() for _ in range(200)]})
    assert restored.aggro == [{}] * records.NPC_SLOTS
    restored.restore({"aggro": [None] * records.NPC_SLOTS})
    assert restored.aggro == [{}] * records.NPC_SLOTS


# --- row 14: /spawnitem ----------------------------------------------------------------
def test_spawnitem_places_the_item_on_the_senders_tile():
    runtime = setup(1)
    runtime.items[0] = {"item_id": 2, "amount": 1, "uses": 0, "x": 0, "y": 0}
    effects = say(runtime, "/spawnitem 4 3 10")
    placed = {"item_id": 4, "amount": 10, "uses": 3, "x": 3, "y": 4}
    assert runtime.items[1] == placed and runtime.dirty
    single = {"type": 112, "map_id": 0, "slot_id": 1, "map_items": placed}
    assert effects.messages == [((1, 2), single)]


def test_spawnitem_on_a_full_map_tells_the_sender():
    runtime = setup(1)
    runtime.items = [{"item_id": 0, "amount": 1, "uses": 0, "x": 0, "y": 0} for _ in range(200)]
    effects = say(runtime, "/spawnitem 1 0 1")
    assert len(effects.messages) == 1
    recipients, packet = effects.messages[0]
    assert recipients == (1,) and (packet["type"], packet["channel_id"], packet["color"]) == (114, 0, MAGENTA)
    assert not runtime.dirty


@pytest.mark.parametrize("text", ["/spawnitem", "/spawnitem 1", "/spawnitem 1 0", "/spawnitem 1 0 1 1",
                                  "/spawnitem 5 0 1", "/spawnitem -1 0 1", "/spawnitem 1 -1 1",
                                  "/spawnitem 1 0 0", "/spawnitem a b c"])
def test_spawnitem_with_bad_arguments_gets_a_usage_notice(text):
    runtime = setup(1)
    assert_usage(say(runtime, text), runtime)
    assert all(item["item_id"] == -1 for item in runtime.items)


def test_spawnitem_without_item_definitions_gets_a_usage_notice():
    runtime = setup(1)
    assert_usage(say(runtime, "/spawnitem 0 0 1", items=[]), runtime)


def test_spawnitem_at_access_0_is_plain_chat():
    runtime = setup(0)
    assert_plain_chat(say(runtime, "/spawnitem 1 0 1"), "/spawnitem 1 0 1")
    assert all(item["item_id"] == -1 for item in runtime.items)


# --- row 15: global chat ---------------------------------------------------------------
@pytest.mark.parametrize("access", [0, 1, 4])
def test_global_chat_goes_to_everyone_online(access):
    effects = say(setup(access), "'hello world")
    line = {"type": 114, "channel_id": 0, "color": MAGENTA, "temp": False, "text": "Ann:hello world"}
    assert effects.messages == [(EVERYONE, line)]


@pytest.mark.parametrize("text", ["'", "'   ", "  '  "])
def test_a_lone_apostrophe_is_ignored(text):
    effects = say(setup(0), text)
    assert effects.messages == [] and effects.requests == []


# --- empty text (8.18) ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, 7, ["/who"], {"text": "/who"}])
def test_empty_or_bad_text_is_ignored(text):
    effects = say(setup(4), text)
    assert effects.messages == [] and effects.requests == []


def test_long_text_is_capped_before_anything_else():
    effects = say(setup(0), "x" * 2000)
    assert received(effects, 1)[0]["text"] == "Ann:" + "x" * 500
