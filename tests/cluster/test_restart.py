"""A graceful stop and a start on the same data directory keep accounts, characters and positions."""
from __future__ import annotations

from harness import wait_for
from protocol_expect import (EAST, LAST, SOUTH, Player, check_account_replies, check_enter_world, check_join,
                             cross, enter_new, walk)


def play_a_while(cluster) -> tuple[Player, Player]:
    """Alice ends on map 0 off her start tile; Bob ends on map 1, which the other worker owns."""
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=0, gender=1)
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", profession_id=1, present=[alice])
    walk(alice, EAST, 2, observers=[bob])
    walk(alice, SOUTH, 1, observers=[bob])
    walk(bob, EAST, LAST - bob.pos["x"], observers=[alice])
    cross(bob, EAST, "map_east_id", left_behind=[alice], already_there=[])
    walk(bob, EAST, 1)
    return alice, bob


def stop_gracefully(cluster) -> None:
    cluster.stop_all()
    codes = {name: process.returncode for name, process in cluster.processes.items()}
    assert codes == {name: 0 for name in codes}, f"exit codes after SIGTERM: {codes}"


def come_back(cluster, email: str, before: Player, others_in_game: int, present: list[Player]) -> Player:
    """Log in and enter slot 0: the account and the 109 hold the character as it was left."""
    client = cluster.client()
    account_packet = check_account_replies(client.login(email), email, "login")
    stored = account_packet["account"]["players"][0]
    assert stored["pos"] == before.pos, f"{before.name} was saved at {stored['pos']}, left at {before.pos}"
    client.send({"type": 4, "slot_id": 0})
    record, join = check_enter_world(client.enter_world(), account_packet["account_id"], others_in_game)
    for field in ("name", "gender", "profession_id", "sprite", "max_vitals", "vitals", "stats", "inv", "pos"):
        assert record[field] == before.record[field], f"{field}: {record[field]} != {before.record[field]}"
    player = Player(client, account_packet["account_id"], record)
    check_join(join, player, [*present, player])
    return player


def test_stop_after_logout_then_start_keeps_characters_where_they_stood(cluster_factory):
    first = cluster_factory()
    alice, bob = play_a_while(first)
    left_at = {"Alice": dict(alice.pos), "Bob": dict(bob.pos)}
    assert left_at["Alice"] == {"x": 7, "y": 6, "dir": SOUTH, "map_id": 0}
    assert left_at["Bob"] == {"x": 1, "y": 5, "dir": EAST, "map_id": 1}
    alice.client.close()
    bob.client.close()
    wait_for(lambda: first.status()["sessions"] == 0, timeout=5)
    stop_gracefully(first)

    second = cluster_factory(root=first.root)
    assert second.data_dir == first.data_dir
    alice_again = come_back(second, "alice@example.org", alice, others_in_game=0, present=[])
    assert alice_again.pos == left_at["Alice"]
    bob_again = come_back(second, "bob@example.org", bob, others_in_game=1, present=[])
    assert bob_again.pos == left_at["Bob"]
    # a name taken before the restart is still taken
    client = second.client()
    check_account_replies(client.create_account("carol@example.org"), "carol@example.org", "create")
    client.send({"type": 3, "name": "ALICE", "profession_id": 0, "gender": 0})
    refusal = client.recv()
    assert refusal["type"] == 100 and refusal["win"] == "winSelectPlayer" and refusal["message"], refusal


def test_stop_with_players_still_connected_saves_them(cluster_factory):
    first = cluster_factory()
    alice, bob = play_a_while(first)
    stop_gracefully(first)  # the edges go first: every player leaves and is saved

    second = cluster_factory(root=first.root)
    alice_again = come_back(second, "alice@example.org", alice, others_in_game=0, present=[])
    assert alice_again.pos == {"x": 7, "y": 6, "dir": SOUTH, "map_id": 0}
    bob_again = come_back(second, "bob@example.org", bob, others_in_game=1, present=[])
    assert bob_again.pos == {"x": 1, "y": 5, "dir": EAST, "map_id": 1}
