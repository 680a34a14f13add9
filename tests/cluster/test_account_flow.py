"""Accounts, characters and entering the game (PROTOCOL 2.2, 2.2.6, 5.1.5, 5.2.1)."""
from __future__ import annotations

from protocol_expect import (GREY, PROFESSIONS, Player, check_account_replies, check_enter_world,
                             check_join, check_joined_notice, despawn, enter_new, spawn, window)


def test_create_account_replies_in_order_and_never_sends_the_password(cluster):
    client = cluster.client()
    account_packet = check_account_replies(client.create_account("ann@example.org"), "ann@example.org",
                                           "create")
    account = account_packet["account"]
    assert [character["name"] for character in account["players"]] == ["", "", ""]
    assert client.drain() == [], "nothing follows the winSelectPlayer"


def test_two_players_create_characters_and_see_each_other_join(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=0, gender=1)
    assert alice.pos["map_id"] == 0
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", profession_id=1, gender=0, present=[alice])
    assert bob.pid != alice.pid
    assert alice.client.drain() == [] and bob.client.drain() == []
    # a third joins: the count of others is 2 and both earlier players see him in join order
    cleric = enter_new(cluster.client(), "carl@example.org", "Carl", profession_id=3, gender=0,
                       present=[alice, bob])
    assert len({alice.pid, bob.pid, cleric.pid}) == 3
    for player in (alice, bob, cleric):
        assert player.client.drain() == [], f"{player.name} got more than the join"


def test_a_taken_name_is_refused_with_select_player(cluster):
    enter_new(cluster.client(), "first@example.org", "Dana")
    second = cluster.client()
    check_account_replies(second.create_account("second@example.org"), "second@example.org", "create")
    second.send({"type": 3, "name": "dana", "profession_id": 0, "gender": 0})  # case-insensitive
    refusal = second.recv()
    assert refusal["type"] == 100 and refusal["win"] == "winSelectPlayer" and refusal["message"], refusal
    assert second.drain() == []


def test_login_after_disconnect_then_enter_with_the_existing_character(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=2, gender=1)
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", profession_id=1, present=[alice])
    alice.client.close()

    # 5.1.5: the others on the map get 111, then everyone online the "has left" notice
    gone, left = bob.client.recv(), bob.client.recv()
    assert set(gone) == {"type", "player_id", "map_id"} and gone["type"] == 111
    assert str(gone["player_id"]) == str(alice.pid)  # int, or the original's string on disconnect
    assert gone == {**despawn(alice.pid, 0), "player_id": gone["player_id"]}
    assert left["type"] == 114 and left["channel_id"] == 0 and left["color"] == GREY, left
    assert "Alice" in left["text"]

    again = cluster.client()
    replies = again.login("alice@example.org")
    account_packet = check_account_replies(replies, "alice@example.org", "login")
    pid = account_packet["account_id"]
    stored = account_packet["account"]["players"][0]
    assert stored["name"] == "Alice" and stored["gender"] == 1 and stored["profession_id"] == 2
    assert stored["max_vitals"] == PROFESSIONS[2]["vitals"]
    assert [c["name"] for c in account_packet["account"]["players"][1:]] == ["", ""]

    again.send({"type": 4, "slot_id": 0})
    got = again.enter_world()
    record, join = check_enter_world(got, pid, others_in_game=1)
    assert {k: v for k, v in record.items() if k != "data"} == {k: v for k, v in stored.items() if k != "data"}
    assert isinstance(record["data"], dict) and record["data"].get("nextTick") == 0
    back = Player(again, pid, record)
    check_join(join, back, [bob, back])
    notice, *rest = bob.client.recv_until(lambda p: p["type"] == 110)
    check_joined_notice(notice, "Alice")
    assert rest == [spawn(pid, record)]
    assert bob.client.drain() == [] and again.drain() == []


def test_wrong_password_and_unknown_account_go_back_to_login(cluster):
    enter_new(cluster.client(), "eve@example.org", "Eve")
    for email, password in (("eve@example.org", "not-her-password"), ("nobody@example.org", "secret-pw")):
        client = cluster.client()
        replies = client.login(email, password)
        assert len(replies) == 1 and replies[0]["type"] == 100 and replies[0]["win"] == "winLogin", replies
        assert isinstance(replies[0]["message"], str) and replies[0]["message"]
    # the account is in use: refused with winLogin too (2.2.2)
    client = cluster.client()
    replies = client.login("eve@example.org")
    assert replies == [window("winLogin", replies[0]["message"])] and replies[0]["message"]
