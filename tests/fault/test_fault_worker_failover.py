"""SIGKILL the map worker that owns a map with players on it (DESIGN "Leases and failure").

Expected: the broker notices the silent worker (lease 750 ms in the test
config), grants the map to the other worker with a higher epoch, which
loads the last checkpoint and re-joins the players; their websockets stay
open, their queued packets are handled, and play checkpointed before the
crash (every 250 ms) is kept.
"""
from __future__ import annotations

import signal
import time

from faultkit import (CHECKPOINT_INTERVAL_S, EAST, SOUTH, START_MAP, START_TILE, STEP_PAUSE_S, email_of, enter_game,
                      expect, is_chat, lease_of, node_pids, own_spawns, relayed_step, say, step, wait_view)


def _walked_south(alice, bob) -> tuple[int, int]:
    """Alice steps one tile south from her start; Bob must see the relay. Returns her new tile."""
    x, y = START_TILE[0]
    step(alice, x, y, SOUTH)
    relay = expect(bob, relayed_step(alice), "the relay of Alice's step")[-1]
    assert (relay["x"], relay["y"], relay["dir"]) == (x, y, SOUTH)  # 115 names the start tile
    return x, y + 1


def _map_join_start(packets: list[dict], map_id: int) -> bool:
    return any(p["type"] == 106 and int(p["map_id"]) == map_id for p in packets)


def test_killed_worker_map_fails_over_and_players_stay(cluster):
    alice = enter_game(cluster, "Alice", profession_id=0)
    bob = enter_game(cluster, "Bob", profession_id=1)
    say(alice, "before the crash", hearers=(bob,))
    owner, epoch = cluster.owner_of(START_MAP)
    assert owner in cluster.worker_names
    survivor = next(name for name in cluster.worker_names if name != owner)
    failovers_before = cluster.status()["failovers"]

    kept_tile = _walked_south(alice, bob)
    time.sleep(4 * CHECKPOINT_INTERVAL_S)  # the step is several checkpoint intervals old
    cluster.kill(owner)

    # Sent at once: it waits in the broker for the new owner (no close, no loss).
    alice.send({"type": 5, "text": "after the crash"})
    alice_got = expect(alice, is_chat("Alice:after the crash"), "the chat echo from the new owner", timeout=5.0)
    bob_got = expect(bob, is_chat("Alice:after the crash"), "Alice's chat after the failover", timeout=5.0)

    view = cluster.status()
    lease = lease_of(view, START_MAP)
    assert lease is not None, f"map {START_MAP} has no lease after the failover: {view['leases']}"
    assert lease["worker"] == survivor, f"map {START_MAP} should have moved to {survivor}: {lease}"
    assert lease["epoch"] > epoch, f"the new lease must carry a higher epoch than {epoch}: {lease}"
    assert lease["players"] == 2
    assert owner not in node_pids(view), f"the killed worker {owner} is still listed: {view['nodes']}"
    assert view["failovers"] > failovers_before

    # A re-join (if any) is a full map join from the last checkpoint: it shows Alice where she stepped.
    for client, got in ((alice, alice_got), (bob, bob_got)):
        if _map_join_start(got, START_MAP):
            assert any(p["type"] == 110 and p["player_id"] == client.pid for p in got), \
                f"{client.name}'s re-join lacks her own 110"
    rejoin_spawns = own_spawns(alice, alice_got)
    for spawn in rejoin_spawns:
        assert (spawn["pos"]["x"], spawn["pos"]["y"]) == kept_tile, f"re-join put Alice at {spawn['pos']}"
        assert int(spawn["pos"]["map_id"]) == START_MAP

    # The step survived: a step from the checkpointed tile is accepted and relayed, not bounced.
    alice.drain(0.2)
    step(alice, *kept_tile, SOUTH)
    relay = expect(bob, relayed_step(alice), "the relay of Alice's step from her checkpointed tile")[-1]
    assert (relay["x"], relay["y"]) == kept_tile
    bounced = own_spawns(alice, alice.drain(0.4))
    assert not bounced, f"Alice's step from {kept_tile} was bounced: {bounced}"

    # And both keep playing on the new owner.
    say(bob, "still here", hearers=(alice,))

    # Leaving after the failover: the new owner says goodbye and saves; the account is free.
    last_tile = (kept_tile[0], kept_tile[1] + 1)
    time.sleep(STEP_PAUSE_S)
    alice.close()
    expect(bob, lambda p: p["type"] == 111 and p["player_id"] == alice.pid, "Alice's 111")
    expect(bob, lambda p: p["type"] == 114 and p["text"].startswith("Alice") and "left" in p["text"],
           "the 'Alice has left' notice")
    again = cluster.client()
    deadline = time.monotonic() + 5.0
    while (reply := again.login(email_of("Alice")))[-1]["win"] != "winSelectPlayer" and time.monotonic() < deadline:
        time.sleep(0.25)
    assert reply[-1]["win"] == "winSelectPlayer", f"Alice's account stayed locked after the failover: {reply[-1]}"
    saved = next(p for p in reply if p["type"] == 101)["account"]["players"][0]["pos"]
    assert (saved["x"], saved["y"]) == last_tile, f"the new owner saved {saved}, Alice left at {last_tile}"


def test_restarted_worker_rejoins_and_serves_new_players(cluster):
    alice = enter_game(cluster, "Alice", profession_id=0)
    owner, epoch = cluster.owner_of(START_MAP)
    old_pid = node_pids(cluster.status())[owner][1]
    cluster.kill(owner)
    view = wait_view(cluster, lambda v: (lease_of(v, START_MAP) or {}).get("worker") not in (None, owner),
                     f"map {START_MAP} leased away from {owner}")
    assert lease_of(view, START_MAP)["epoch"] > epoch
    say(alice, "alone on the survivor")

    cluster.start_node("map", owner)
    view = wait_view(cluster, lambda v: owner in node_pids(v), f"{owner} registered again", timeout=10.0)
    role, new_pid = node_pids(view)[owner]
    assert role == "map" and new_pid != old_pid
    assert new_pid == cluster.processes[owner].pid

    # A new player is served, and hears and is heard on the map that stayed with the survivor.
    carol = enter_game(cluster, "Carol", profession_id=0)
    say(carol, "hello after the restart", hearers=(alice,))
    say(alice, "welcome", hearers=(carol,))

    # Carol walks east off map 0 (row y=5 is floor) onto map 1: the least loaded worker
    # (the restarted one, which leases nothing) gets that lease and runs her join.
    x, y = START_TILE[0]
    while x < 11:
        step(carol, x, y, EAST)
        expect(alice, relayed_step(carol, (x, y)), f"the relay of Carol's step from ({x}, {y})")
        x += 1
        time.sleep(STEP_PAUSE_S)
    step(carol, x, y, EAST)
    got = expect(carol, lambda p: p["type"] == 106, "the map join of map 1")
    assert int(got[-1]["map_id"]) == 1
    expect(carol, lambda p: p["type"] == 115 and p["player_id"] == carol.pid, "the end of her map join")
    expect(alice, lambda p: p["type"] == 111 and p["player_id"] == carol.pid, "Carol's 111 on map 0")
    lease = wait_view(cluster, lambda v: lease_of(v, 1) is not None, "a lease of map 1")
    assert lease_of(lease, 1)["worker"] == owner, f"map 1 should go to the idle restarted {owner}: {lease}"
    say(carol, "on map one")
    # Map chat stays on the map: Alice (map 0) does not hear Carol on map 1.
    assert not [p for p in alice.drain(0.5) if p["type"] == 114 and p["text"] == "Carol:on map one"]


def test_worker_presumed_dead_cannot_overwrite_newer_state(cluster):
    """SIGSTOP (not kill) the owner: it is presumed dead, the map moves on; when it wakes
    up its stale work must neither reach players nor overwrite newer checkpoints (fencing)."""
    alice = enter_game(cluster, "Alice", profession_id=0)
    bob = enter_game(cluster, "Bob", profession_id=1)
    owner, epoch = cluster.owner_of(START_MAP)
    survivor = next(name for name in cluster.worker_names if name != owner)
    frozen = cluster.processes[owner]

    tile = _walked_south(alice, bob)  # (5, 6), checkpointed by the owner
    time.sleep(4 * CHECKPOINT_INTERVAL_S)
    frozen.send_signal(signal.SIGSTOP)
    try:
        # This step reaches the frozen owner too (it is still the owner when sent).
        step(alice, *tile, SOUTH)
        relay = expect(bob, relayed_step(alice), "the step, replayed on the new owner", timeout=5.0)[-1]
        assert (relay["x"], relay["y"]) == tile
        lease = lease_of(cluster.status(), START_MAP)
        assert lease["worker"] == survivor and lease["epoch"] > epoch
        tile = (tile[0], tile[1] + 1)
        time.sleep(STEP_PAUSE_S)
        step(alice, *tile, SOUTH)
        expect(bob, relayed_step(alice, tile), "a second step on the new owner")
        tile = (tile[0], tile[1] + 1)
        time.sleep(4 * CHECKPOINT_INTERVAL_S)  # the new owner checkpoints (5, 8)
    finally:
        frozen.send_signal(signal.SIGCONT)

    # The old owner wakes up, handles its stale step and checkpoints it with its old epoch.
    view = wait_view(cluster, lambda v: owner in node_pids(v), f"{owner} registered again after SIGCONT")
    assert node_pids(view)[owner][1] == frozen.pid
    time.sleep(6 * CHECKPOINT_INTERVAL_S)
    lease = lease_of(cluster.status(), START_MAP)
    assert lease["worker"] == survivor, f"the woken worker took the map back: {lease}"
    stale = [p for p in bob.drain(0.3) if relayed_step(alice)(p)]
    assert not stale, f"the woken worker's stale output reached Bob: {stale}"

    # Make storage's state visible: kill the current owner; the woken worker (the only
    # one left) loads the last checkpoint. It must be the new owner's (5, 8), not (5, 7).
    alice.drain(0.2)
    cluster.kill(survivor)
    alice.send({"type": 5, "text": "where am I"})
    got = expect(alice, is_chat("Alice:where am I"), "the chat echo after the second failover", timeout=6.0)
    spawns = own_spawns(alice, got)
    assert spawns, f"Alice was not re-joined by {owner}: {[p['type'] for p in got]}"
    assert all((s["pos"]["x"], s["pos"]["y"]) == tile for s in spawns), \
        f"the re-join shows {spawns[-1]['pos']}; the newest checkpoint had {tile}"
    assert cluster.owner_of(START_MAP)[0] == owner
