"""Reset slot, create character and enter the game on a real cluster: every path of
PROTOCOL 2.2.3 to 2.2.5, with their [BUG]s fixed client-visibly (see test_account_paths)."""
from __future__ import annotations

from account_expect import SELECT, answer, check_notice, check_refusal, frames_before_close, login_when_released
from protocol_expect import (PROFESSIONS, SOUTH, Player, check_account, check_account_replies, check_enter_world,
                             check_join, check_joined_notice, check_new_character, enter_new, spawn, step, sync,
                             window)

# Slot ids that are out of 0..2 or not an int. -3, False and 0.0 would name slot 0 if the
# server indexed a list with them, True slot 1, -1 slot 2.
BAD_SLOTS = [3, -1, -3, 10**20, "0", 0.0, 1.5, True, False, None, [0], {"slot_id": 0}]
BAD_NAMES = ["", " ", "A" * 21, "Ann  Lee", " Ann", "Ann ", "Ann\tLee", "Ann\nLee", "<b>Ann</b>", "Ann_Lee",
             "Ann-Lee", "Ann.", "Ann\u00a0Lee", "\u0000", "Ann\u200b"]
BAD_PROFESSIONS = [-1, len(PROFESSIONS), 10**20, "0", 1.0, 1.5, True, None, [0], {"id": 0}]


def create_packet(name: str, profession_id=0, gender=0) -> dict:
    return {"type": 3, "name": name, "profession_id": profession_id, "gender": gender}


def names_of(account_packet: dict) -> list[str]:
    return [character["name"] for character in account_packet["account"]["players"]]


def check_entered(got: list[dict], client, pid: int, present: list[Player]) -> Player:
    """The enter-world and join replies of a logged-in player; ``present``: the others in the
    game, all on his map, in join order. Each of them gets the joined notice and his 110."""
    record, join = check_enter_world(got, pid, others_in_game=len(present))
    player = Player(client, pid, record)
    check_join(join, player, [*present, player])
    for other in present:
        notice, *rest = other.client.recv_until(lambda p: p["type"] == 110)
        check_joined_notice(notice, record["name"])
        assert rest == [spawn(pid, record)], f"{other.name} got {rest}"
    return player


def leave(player: Player, present: list[Player]) -> None:
    """Disconnect; the others on the map get 111 and the "has left" notice (5.1.5)."""
    player.client.close()
    for other in present:
        got = other.client.recv_until(lambda p: p["type"] == 114)
        assert [p["type"] for p in got] == [111, 114], f"{other.name} got {got}"


# --- without a login: 2.2.3 to 2.2.5 close -------------------------------------------------------
def test_character_packets_without_a_login_close_without_any_frame(cluster):
    for packet in ({"type": 2, "slot_id": 0}, {"type": 2}, create_packet("Nobody"), {"type": 3},
                   {"type": 4, "slot_id": 0}, {"type": 4}):
        client = cluster.client()
        client.send(packet)
        assert frames_before_close(client) == [], f"{packet} without a login must close with no frame"


# --- 2.2.3 type 2 ----------------------------------------------------------------------------------
def test_reset_slot_replies_101_then_select_player_and_frees_the_name(cluster):
    zed = enter_new(cluster.client(), "zed@example.org", "Zed")
    leave(zed, [])
    client, login = login_when_released(cluster, "zed@example.org")
    assert names_of(login) == ["Zed", "", ""]
    client.send({"type": 2, "slot_id": 0})
    got = [client.recv(), client.recv(), *client.drain()]
    assert [p["type"] for p in got] == [101, 100], got
    account = check_account(got[0], "zed@example.org")
    assert got[0]["account_id"] == login["account_id"]
    blank = login["account"]["players"][1]
    assert {**account["players"][0], "birthdate": 0} == {**blank, "birthdate": 0}, "slot 0 is not blank"
    assert account["players"][1:] == login["account"]["players"][1:]
    assert got[1] == window(SELECT, "")
    client.send({"type": 2, "slot_id": 2})  # an empty slot: the same two replies
    assert [(p["type"], p.get("win")) for p in (client.recv(), client.recv(), *client.drain())] == \
        [(101, None), (100, SELECT)]
    # the name is free for another account, in any case; Zed's account cannot take it back now
    enter_new(cluster.client(), "yan@example.org", "zED")
    client.send(create_packet("Zed"))
    check_refusal(answer(client), SELECT)
    client.close()
    _, login = login_when_released(cluster, "zed@example.org")
    assert names_of(login) == ["", "", ""], "the reset did not reach the database"


def test_bad_slot_ids_and_empty_slots_get_select_player_with_a_message(cluster):
    sly = enter_new(cluster.client(), "sly@example.org", "Sly")
    leave(sly, [])
    client, login = login_when_released(cluster, "sly@example.org")
    for packet_type in (2, 4):
        for slot in BAD_SLOTS:
            client.send({"type": packet_type, "slot_id": slot})
            check_refusal(answer(client), SELECT)
        client.send({"type": packet_type})
        check_refusal(answer(client), SELECT)
    for empty in (1, 2):  # 2.2.5: an empty slot gets a message instead of silence
        client.send({"type": 4, "slot_id": empty})
        check_refusal(answer(client), SELECT)
    assert cluster.status()["players_in_game"] == 0
    client.send({"type": 4, "slot_id": 0})  # Sly is intact and still enters
    record, _ = check_enter_world(client.enter_world(), login["account_id"], others_in_game=0)
    assert record["name"] == "Sly"


# --- 2.2.4 type 3 ----------------------------------------------------------------------------------
def test_bad_names_and_professions_get_select_player_and_nobody_hears_of_them(cluster):
    watcher = enter_new(cluster.client(), "watcher@example.org", "Watcher")
    client = cluster.client()
    pid = check_account_replies(client.create_account("cand@example.org"), "cand@example.org", "create")["account_id"]
    for name in BAD_NAMES:
        client.send(create_packet(name))
        check_refusal(answer(client), SELECT)
    for profession_id in BAD_PROFESSIONS:
        client.send(create_packet("Valid Name", profession_id))
        check_refusal(answer(client), SELECT)
    client.send({"type": 3, "profession_id": 0, "gender": 0})  # no name
    check_refusal(answer(client), SELECT)
    assert watcher.client.drain() == [], "a refused character was announced"
    assert cluster.status()["players_in_game"] == 1
    # 20 characters with single spaces is a name; gender 1 is stored with the female sprite
    got = client.create_character("Abcdefghij 123456789", profession_id=3, gender=1)
    player = check_entered(got, client, pid, [watcher])
    check_new_character(player.record, "Abcdefghij 123456789", 3, 1)


def test_a_full_account_gets_select_player_on_a_fourth_character(cluster):
    email, names = "full@example.org", ["Una", "Duo", "Tria"]
    client = cluster.client()
    pid = check_account_replies(client.create_account(email), email, "create")["account_id"]
    for index, name in enumerate(names):
        record, _ = check_enter_world(client.create_character(name, profession_id=index), pid, others_in_game=0)
        check_new_character(record, name, index, 0)
        leave(Player(client, pid, record), [])
        client, login = login_when_released(cluster, email)
        pid = login["account_id"]
        assert names_of(login) == names[:index + 1] + [""] * (2 - index)
    client.send(create_packet("Quattro"))
    check_refusal(answer(client), SELECT)
    client.close()
    _, login = login_when_released(cluster, email)
    assert names_of(login) == names
    enter_new(cluster.client(), "free@example.org", "Quattro")  # the refused name was not reserved


# --- 2.2.5 type 4 while in the game -----------------------------------------------------------------
def test_entering_again_while_in_the_game_is_refused_without_side_effects(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=1)
    first = enter_new(cluster.client(), "bob@example.org", "Bob", present=[alice])
    leave(first, [alice])
    client, login = login_when_released(cluster, "bob@example.org")
    bob = check_entered(client.create_character("Bobby", profession_id=2), client, login["account_id"], [alice])
    for slot in (1, 0):  # the character in play, and the other one
        bob.client.send({"type": 4, "slot_id": slot})
        check_notice(answer(bob.client))
    assert sync(bob, [alice]) == {bob.pid: [], alice.pid: []}, "no second 109, join, 110 or joined notice"
    view = cluster.status()
    assert view["players_in_game"] == 2, view
    assert [lease["players"] for lease in view["leases"] if lease["map_id"] == 0] == [2], view["leases"]
    step(bob, SOUTH, [alice])  # Bobby is still the one character in play, and there is one of him
    leave(bob, [alice])
    _, login = login_when_released(cluster, "bob@example.org")
    assert names_of(login) == ["Bob", "Bobby", ""]
    assert login["account"]["players"][1]["pos"] == bob.pos, "Bobby's progress was lost"


def test_account_requests_in_the_game_get_a_notice_not_a_window(cluster):
    """In the game a refusal is a 114: a 100 winSelectPlayer would take the client out of the
    game screen while the server keeps it in the game (see "How we use this document")."""
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=1)
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", present=[alice])
    wrong = []
    for packet in (create_packet("Another"), {"type": 4, "slot_id": 7}, {"type": 4, "slot_id": "x"},
                   {"type": 2, "slot_id": 0}, {"type": 2, "slot_id": 9}):
        bob.client.send(packet)
        got = answer(bob.client)
        if [p["type"] for p in got] != [114]:
            wrong.append(f"{packet} → {got}")
        else:
            check_notice(got)
    assert sync(bob, [alice]) == {bob.pid: [], alice.pid: []}
    assert cluster.status()["players_in_game"] == 2
    leave(bob, [alice])
    _, login = login_when_released(cluster, "bob@example.org")
    assert names_of(login) == ["Bob", "", ""], "a request refused in the game changed the account"
    enter_new(cluster.client(), "another@example.org", "Another", present=[alice])
    assert wrong == [], "in the game, refused with something else than one 114:\n" + "\n".join(wrong)
