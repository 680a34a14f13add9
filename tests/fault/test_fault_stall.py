"""Busy is not dead, and a node that was taken for dead is re-adopted, never left half-connected.

A node is stalled with SIGSTOP (its loop and its lifeline thread both freeze), longer than the
broker's heartbeat expiry, then continued:

* an edge keeps its players for ``broker.edge_grace_ms``: back within it, they play on; back
  after it, their sockets are closed so their clients log in again (nobody connected-but-dead);
* a map worker loses its maps at once (they fail over); back after the maps moved on, it must drop
  them, so that broker, worker and storage agree on one owner and one epoch per map and every
  later save of the map is accepted.
"""
from __future__ import annotations

import os
import signal
import time

from faultkit import (CHECKPOINT_INTERVAL_S, EAST, START_MAP, START_TILE, STEP_PAUSE_S, WEST, email_of,
                      enter_game, expect, lease_of, relayed_step, say, step, wait_view)

DEAD_AFTER_S = 0.75  # the harness config: heartbeat 250 ms x liveness 3
MARKET_STREET = 1  # east of the Town Square (map 0)


def stop(cluster, name: str) -> int:
    pid = cluster.processes[name].pid
    os.kill(pid, signal.SIGSTOP)
    return pid


def log_of(cluster, name: str) -> str:
    return cluster.logs[name].read_text(errors="replace")


def test_an_edge_stopped_past_its_heartbeats_comes_back_and_its_players_play_on(cluster):
    alice, bob = enter_game(cluster, "Alice", 0), enter_game(cluster, "Bob", 1)
    pid = stop(cluster, "edge-1")
    time.sleep(4 * DEAD_AFTER_S)
    os.kill(pid, signal.SIGCONT)
    assert "holding its 2 sessions" in log_of(cluster, "broker")

    x, y = START_TILE[0]
    step(alice, x, y, EAST)
    expect(bob, relayed_step(alice, (x, y)), "Alice's step after the edge came back", timeout=10)
    say(bob, "we are both still here", hearers=(alice,))
    view = cluster.status()
    assert view["players_in_game"] == 2 and view["sessions"] == 2
    assert "speaks again" in log_of(cluster, "broker")


def test_an_edge_back_after_its_grace_has_its_players_sockets_closed_and_they_log_in_again(cluster_factory):
    cluster = cluster_factory(extra_config="[broker]\nedge_grace_ms = 1000\n")
    alice = enter_game(cluster, "Alice", 0)
    pid = stop(cluster, "edge-1")
    wait_view(cluster, lambda view: view["players_in_game"] == 0, "Alice taken off the game", timeout=10)
    os.kill(pid, signal.SIGCONT)
    assert alice.is_closed(timeout=10), "the broker ended Alice's session: her socket must be closed"

    again = cluster.client()
    got = again.login(email_of("Alice"))
    assert got[-1] == {"type": 100, "win": "winSelectPlayer", "message": ""}
    again.enter(0)
    assert cluster.status()["players_in_game"] == 1


def walk(client, x: int, y: int, direction: int, steps: int) -> tuple[int, int]:
    dx = {EAST: 1, WEST: -1}[direction]
    for _ in range(steps):
        step(client, x, y, direction)
        x += dx
        time.sleep(STEP_PAUSE_S)
    return x, y


def test_a_worker_stalled_across_a_lease_expiry_drops_the_maps_that_moved_and_every_later_save_counts(
        cluster_factory):
    cluster = cluster_factory(extra_config="[lease]\nidle_release_ms = 1000\n")
    alice = enter_game(cluster, "Alice", 0)
    stalled, epoch = cluster.owner_of(START_MAP)
    other = next(name for name in cluster.worker_names if name != stalled)
    pid = stop(cluster, stalled)

    wait_view(cluster, lambda v: (lease_of(v, START_MAP) or {}).get("worker") == other,
              "the Town Square failing over", timeout=10)
    # Alice leaves for Market Street; the Town Square, now empty, is released by its new owner.
    x, y = walk(alice, *START_TILE[0], EAST, 6)
    step(alice, x, y, EAST)
    expect(alice, lambda p: p["type"] == 106 and int(p["map_id"]) == MARKET_STREET, "the join of Market Street")
    wait_view(cluster, lambda v: lease_of(v, START_MAP) is None, "the Town Square released", timeout=10)
    refused_before = storage_refusals(cluster)

    os.kill(pid, signal.SIGCONT)  # it still holds the Town Square at the old epoch, with Alice on it
    wait_view(cluster, lambda v: any(n["name"] == stalled for n in v["nodes"]), f"{stalled} back", timeout=10)
    assert "it drops the map" in log_of(cluster, "broker")

    step(alice, 0, y, WEST)  # back to the Town Square
    expect(alice, lambda p: p["type"] == 106 and int(p["map_id"]) == START_MAP, "the join of the Town Square")
    lease = lease_of(cluster.status(), START_MAP)
    assert lease is not None and lease["epoch"] > epoch
    x, y = walk(alice, 11, y, WEST, 3)
    time.sleep(6 * CHECKPOINT_INTERVAL_S)
    assert storage_refusals(cluster) == refused_before, "a save of the map was refused after the stall"

    alice.close()
    again = cluster.client()
    again.login(email_of("Alice"))
    got = again.enter(0)
    record = next(p for p in got if p["type"] == 109)["player"]
    assert (record["pos"]["map_id"], record["pos"]["x"], record["pos"]["y"]) == (START_MAP, x, y)


def storage_refusals(cluster) -> int:
    storage = next(node for node in cluster.status()["nodes"] if node["role"] == "storage")
    return storage["stats"]["refused_checkpoints"]
