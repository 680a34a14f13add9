"""Power cut right after an acknowledgement (DESIGN "Durability": storage
acknowledges account creation, character creation and deletion only after
the LMDB transaction is committed to disk).

SIGKILL every process the moment the ack arrives (``100 winSelectPlayer``
after type 0 or 2, ``109`` after type 3), start a new cluster on the same
data directory, and log in: everything acknowledged is there.
"""
from __future__ import annotations

import pytest
from faultkit import START_MAP, START_TILE, email_of, expect, say
from harness import ClusterHarness, GameClient

EMPTY_SLOT = ""


@pytest.fixture
def power_cycle(cluster_factory):
    """Cut the power of a cluster and start a new one on its data; all are torn down."""
    reopened: list[tuple[ClusterHarness, list[GameClient]]] = []

    def cycle(cluster: ClusterHarness) -> ClusterHarness:
        cluster.kill_all()
        fresh = cluster.reopen().start()
        clients: list[GameClient] = []
        plain_client = fresh.client

        def client(edge: str = "edge-1") -> GameClient:
            game_client = plain_client(edge)
            clients.append(game_client)
            return game_client
        fresh.client = client
        reopened.append((fresh, clients))
        return fresh

    yield cycle
    for fresh, clients in reopened:
        for game_client in clients:
            game_client.close()
        fresh.stop_all()


def _account(cluster: ClusterHarness, name: str, password: str = "secret-pw") -> tuple[GameClient, dict]:
    """Log in; the client and its account record (101)."""
    client = cluster.client()
    replies = client.login(email_of(name), password)
    assert replies[-1]["win"] == "winSelectPlayer", f"{name} cannot log in after the power cut: {replies[-1]}"
    return client, next(p for p in replies if p["type"] == 101)["account"]


def _create_account_then_cut(cluster: ClusterHarness, name: str, power_cycle) -> ClusterHarness:
    client = cluster.client()
    client.send({"type": 0, "email": email_of(name), "password": "secret-pw", "version": "Build 1982 Beta"})
    ack = client.recv_until(lambda p: p["type"] == 100 and p["win"] in ("winSelectPlayer", "winLogin"))[-1]
    assert ack["win"] == "winSelectPlayer", ack
    return power_cycle(cluster)


def test_acknowledged_accounts_and_characters_survive_a_power_cut(cluster, power_cycle):
    # Round 1: an account and its character; cut at the character's 109.
    alice = cluster.client()
    assert alice.create_account(email_of("Alice"))[-1]["win"] == "winSelectPlayer"
    alice.send({"type": 3, "name": "Alice", "profession_id": 0, "gender": 1})
    own = alice.recv_until(lambda p: p["type"] == 109)[-1]["player"]
    cluster = power_cycle(cluster)

    client, account = _account(cluster, "Alice")
    assert account["players"][0]["name"] == "Alice"
    assert account["players"][0]["sprite"] == own["sprite"]
    assert [slot["name"] for slot in account["players"][1:]] == [EMPTY_SLOT, EMPTY_SLOT]
    entered = client.enter(0)
    player = next(p for p in entered if p["type"] == 109)["player"]
    assert (player["pos"]["x"], player["pos"]["y"], int(player["pos"]["map_id"])) == (*START_TILE[0], START_MAP)
    client.name = "Alice"
    say(client, "I survived the power cut")
    # A second character for the same account, cut at its 109: slot 1.
    client.close()
    client, _ = _account(cluster, "Alice")
    client.send({"type": 3, "name": "Alice Two", "profession_id": 3, "gender": 0})
    expect(client, lambda p: p["type"] == 109, "the 109 of Alice Two")
    cluster = power_cycle(cluster)

    # Round 2: an account alone, cut at its winSelectPlayer.
    cluster = _create_account_then_cut(cluster, "Bob", power_cycle)

    # Round 3: a deleted character (type 2), cut at its winSelectPlayer.
    client, account = _account(cluster, "Alice")
    assert [slot["name"] for slot in account["players"]] == ["Alice", "Alice Two", EMPTY_SLOT]
    client.send({"type": 2, "slot_id": 0})
    replies = client.recv_until(lambda p: p["type"] == 100)
    assert replies[-1]["win"] == "winSelectPlayer"
    cluster = power_cycle(cluster)

    # Everything acknowledged is there.
    client, account = _account(cluster, "Alice")
    assert [slot["name"] for slot in account["players"]] == [EMPTY_SLOT, "Alice Two", EMPTY_SLOT]
    assert account["players"][1]["profession_id"] == 3
    assert (account["players"][1]["pos"]["x"], account["players"][1]["pos"]["y"]) == START_TILE[3]
    client.close()
    _, bob = _account(cluster, "Bob")
    assert [slot["name"] for slot in bob["players"]] == [EMPTY_SLOT] * 3
    assert bob["email"] == email_of("Bob")

    # The password survived as a hash that still refuses a wrong one.
    wrong = cluster.client().login(email_of("Bob"), "not-the-password")[-1]
    assert wrong["win"] == "winLogin"
    # The e-mail and the kept character's name are still taken; the deleted name is free.
    assert cluster.client().create_account(email_of("Bob"))[-1]["win"] == "winLogin"
    carol = cluster.client()
    assert carol.create_account(email_of("Carol"))[-1]["win"] == "winSelectPlayer"
    carol.send({"type": 3, "name": "alice two", "profession_id": 0, "gender": 0})
    taken = carol.recv_until(lambda p: p["type"] == 100)[-1]
    assert taken["win"] == "winSelectPlayer" and taken["message"], f"a kept name was not refused: {taken}"
    carol.send({"type": 3, "name": "Alice", "profession_id": 0, "gender": 0})
    assert carol.recv_until(lambda p: p["type"] in (100, 109))[-1]["type"] == 109
