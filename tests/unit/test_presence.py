"""workers.rules.presence: join (PROTOCOL 5.2.1), leave (5.1.4), disconnect (5.1.5)."""
from __future__ import annotations

from maptools import character, context, received, runtime_with, types
from workers.rules import presence
from workers.rules.chat import handle_chat
from workers.rules.movement import handle_move
from workers.runtime import EVERYONE, Effects

SHOPS = [{"name": "Tilda", "join_say": "Welcome!", "leave_say": "Safe travels!", "trades": []},
         {"name": "Mute", "join_say": "", "leave_say": "", "trades": []},
         {"name": "", "join_say": "Hello", "leave_say": "Bye", "trades": []}]
SHOP_COLOR = "#d3d3d3"


def join(runtime, effects, pid, name, x=3, y=4, direction=1, shops=()):
    record = character(name, x, y, map_id=runtime.map_id, direction=direction)
    presence.join(runtime, effects, pid, [500 + pid, 0], record, context(shops=list(shops)))
    return record


def expected_map_part(runtime):
    """Step 5 of 5.2.1: what the newcomer gets before the player loop."""
    return [106, 112, 122, 126, 113] + ([124] if runtime.record.get("music_id", -1) > -1 else [])


# --- join ---------------------------------------------------------------------------------

def test_join_sequence_order_and_shapes():
    runtime = runtime_with((1, character("Ann", 1, 1, direction=2)), (2, character("Bob", 2, 2, direction=3)),
                           map_id=3)
    runtime.record["music_id"] = 7
    effects = Effects()
    join(runtime, effects, 9, "Cy", x=3, y=4, direction=1)
    mine = received(effects, 9)
    head = len(expected_map_part(runtime))
    assert types(mine[:head]) == [106, 112, 122, 126, 113, 124]
    m106, m112, m122, m126, m113, m124 = mine[:head]
    assert m106["map_id"] == 3 and m106["map"] == runtime.record
    assert m112["map_id"] == 3 and len(m112["map_items"]) == 200 and "slot_id" not in m112
    assert m122["map_id"] == 3 and len(m122["map_doors"]) == 20
    assert m126["map_id"] == 3 and len(m126["map_shots"]) == 50 and "slot_id" not in m126
    assert m113["map_id"] == 3 and len(m113["map_npcs"]) == 20 and "slot_id" not in m113
    assert m124 == {"type": 124, "music_id": 7}
    # Step 6: for each P in list order, including the newcomer:
    # P gets the newcomer's 110; the newcomer gets P's 110, then 115 speed 0 for P.
    loop = mine[head:]
    expected = []
    for pid, x, y, direction in ((1, 1, 1, 2), (2, 2, 2, 3), (9, 3, 4, 1)):
        if pid == 9:
            expected.append((110, 9))  # the newcomer is P: it gets its own 110 as P's recipient
        expected += [(110, pid), (115, pid)]
    assert [(p["type"], p["player_id"]) for p in loop] == expected
    moves = [p for p in loop if p["type"] == 115]
    assert moves[0] == {"type": 115, "player_id": 1, "x": 1, "y": 1, "dir": 2, "speed": 0}
    assert moves[1] == {"type": 115, "player_id": 2, "x": 2, "y": 2, "dir": 3, "speed": 0}
    assert moves[2] == {"type": 115, "player_id": 9, "x": 3, "y": 4, "dir": 1, "speed": 0}
    spawn = loop[-2]
    assert spawn["name"] == "Cy" and spawn["pos"] == {"x": 3, "y": 4, "dir": 1, "map_id": 3}
    # Those already there get exactly the newcomer's 110.
    for pid in (1, 2):
        got = received(effects, pid)
        assert [(p["type"], p["player_id"], p["name"]) for p in got] == [(110, 9, "Cy")]
    assert list(runtime.players) == [1, 2, 9]


def test_no_music_packet_when_music_id_is_minus_one():
    runtime = runtime_with()
    effects = Effects()
    join(runtime, effects, 5, "Solo")
    assert types(received(effects, 5)) == [106, 112, 122, 126, 113, 110, 110, 115]


def test_music_id_zero_is_sent():
    runtime = runtime_with()
    runtime.record["music_id"] = 0
    effects = Effects()
    join(runtime, effects, 5, "Solo")
    assert {"type": 124, "music_id": 0} in received(effects, 5)


def test_several_joiners_in_one_batch_get_their_own_record():
    """8.46: the original gave joiners of one batch each other's data."""
    runtime = runtime_with()
    effects = Effects()
    join(runtime, effects, 11, "First", x=1, y=1)
    join(runtime, effects, 12, "Second", x=8, y=9)
    second = received(effects, 12)
    spawns = {p["player_id"]: p for p in second if p["type"] == 110}
    assert spawns[11]["name"] == "First" and (spawns[11]["pos"]["x"], spawns[11]["pos"]["y"]) == (1, 1)
    assert spawns[12]["name"] == "Second" and (spawns[12]["pos"]["x"], spawns[12]["pos"]["y"]) == (8, 9)
    first_spawns = [p for p in received(effects, 11) if p["type"] == 110]
    assert [(p["player_id"], p["name"]) for p in first_spawns] == [(11, "First"), (11, "First"), (12, "Second")]


def test_shop_greeting_before_the_map():
    runtime = runtime_with()
    runtime.record["shop_id"] = 0
    effects = Effects()
    join(runtime, effects, 5, "Buyer", shops=SHOPS)
    mine = received(effects, 5)
    assert mine[0] == {"type": 114, "channel_id": 1, "color": SHOP_COLOR, "temp": False,
                       "text": "Tilda says, 'Welcome!'"}
    assert types(mine[1:6]) == [106, 112, 122, 126, 113]


def test_no_greeting_when_a_string_is_empty_or_no_shop():
    for shop_id in (1, 2, -1, 17):
        runtime = runtime_with()
        runtime.record["shop_id"] = shop_id
        effects = Effects()
        join(runtime, effects, 5, "Buyer", shops=SHOPS)
        assert 114 not in types(received(effects, 5)), shop_id


def test_join_puts_an_out_of_map_position_inside():
    runtime = runtime_with(map_id=2)
    effects = Effects()
    record = join(runtime, effects, 5, "Lost", x=40, y=-3)
    assert 0 <= record["pos"]["x"] < 12 and 0 <= record["pos"]["y"] < 12
    assert record["pos"]["map_id"] == 2


# --- leave (5.1.4) -----------------------------------------------------------------------------

def test_leave_sequence_on_a_shop_map():
    runtime = runtime_with((1, character("Ann", 1, 1)), (2, character("Bob", 2, 2)), (3, character("Cy", 3, 3)),
                           map_id=6)
    runtime.record["shop_id"] = 0
    effects = Effects()
    presence.leave(runtime, effects, 2, 4, context(shops=SHOPS))
    for pid in (1, 3):
        assert received(effects, pid) == [{"type": 111, "player_id": 2, "map_id": 6}]
    assert received(effects, 2) == [
        {"type": 114, "channel_id": 1, "color": SHOP_COLOR, "temp": False, "text": "Tilda says, 'Safe travels!'"},
        {"type": 123, "sound_id": 0},
    ]
    [transfer] = effects.transfers
    assert (transfer.pid, transfer.to_map, transfer.char_key) == (2, 4, [102, 0])
    assert transfer.record["pos"]["map_id"] == 4
    assert list(runtime.players) == [1, 3]
    assert [(player.pid, final) for player, final in effects.saves] == [(2, False)]


def test_leave_without_shop_has_no_farewell():
    runtime = runtime_with((1, character("Ann", 1, 1)), (2, character("Bob", 2, 2)))
    effects = Effects()
    presence.leave(runtime, effects, 2, 4, context(shops=SHOPS))
    assert received(effects, 2) == [{"type": 123, "sound_id": 0}]


def test_leaver_gets_no_later_broadcast_from_the_old_map():
    """8.45: the original kept the leaver on the old map's list for the rest of the batch."""
    runtime = runtime_with((1, character("Ann", 5, 5)), (2, character("Bob", 4, 0)))
    runtime.record["map_north_id"] = 3
    effects = Effects()
    ctx = context()
    handle_move(runtime, effects, 2, {"type": 6, "x": 4, "y": 0, "dir": 3, "speed": 1}, ctx)  # walks off north
    assert [t.to_map for t in effects.transfers] == [3]
    mark = len(received(effects, 2))
    handle_chat(runtime, effects, 1, {"type": 5, "text": "anyone?"}, ctx)
    handle_move(runtime, effects, 1, {"type": 6, "x": 5, "y": 5, "dir": 0, "speed": 1}, ctx)
    assert received(effects, 2)[mark:] == []
    assert 2 not in runtime.players


def test_leave_of_an_absent_player_does_nothing():
    runtime = runtime_with((1, character("Ann", 1, 1)))
    effects = Effects()
    presence.leave(runtime, effects, 42, 3, context(shops=SHOPS))
    assert effects.messages == [] and effects.transfers == [] and effects.saves == []


# --- disconnect (5.1.5) ------------------------------------------------------------------------

def test_disconnect_tells_the_map_and_everyone_and_saves():
    runtime = runtime_with((1, character("Ann", 1, 1, map_id=5)), (2, character("Bob", 7, 8, map_id=5)), map_id=5)
    runtime.record["boot_map"] = {"x": 2, "y": 3, "dir": 0, "map_id": 1}
    effects = Effects()
    player = presence.disconnect(runtime, effects, 2, context())
    assert player is not None and player.pid == 2
    assert effects.messages[0] == ((1,), {"type": 111, "player_id": 2, "map_id": 5})
    recipients, notice = effects.messages[1]
    assert recipients is EVERYONE
    assert (notice["type"], notice["channel_id"], notice["color"]) == (114, 0, "#696969")
    assert "Bob" in notice["text"]
    assert len(effects.messages) == 2
    pos = player.record["pos"]
    assert (pos["x"], pos["y"], pos["map_id"]) == (2, 3, 1)
    assert effects.saves == [(player, True)]
    assert effects.transfers == []
    assert list(runtime.players) == [1]


def test_disconnect_without_boot_map_keeps_the_position():
    runtime = runtime_with((2, character("Bob", 7, 8, map_id=5)), map_id=5)
    runtime.record["boot_map"] = {"x": 0, "y": 0, "dir": 0, "map_id": -1}
    effects = Effects()
    player = presence.disconnect(runtime, effects, 2, context())
    pos = player.record["pos"]
    assert (pos["x"], pos["y"], pos["map_id"]) == (7, 8, 5)
    assert effects.saves == [(player, True)]
    # Alone on the map: no 111 to anyone, but the notice still goes to everyone.
    assert [r for r, _ in effects.messages] == [EVERYONE]


def test_boot_map_zero_counts():
    runtime = runtime_with((2, character("Bob", 7, 8, map_id=5)), map_id=5)
    runtime.record["boot_map"] = {"x": 4, "y": 4, "dir": 0, "map_id": 0}
    player = presence.disconnect(runtime, Effects(), 2, context())
    assert player.record["pos"]["map_id"] == 0 and (player.record["pos"]["x"], player.record["pos"]["y"]) == (4, 4)


def test_disconnect_of_an_absent_player():
    runtime = runtime_with()
    effects = Effects()
    assert presence.disconnect(runtime, effects, 3, context()) is None
    assert effects.messages == [] and effects.saves == []
