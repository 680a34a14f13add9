"""Small helpers shared by the fault tests: players, chat lines, moves, node views.

Expectations are computed from PROTOCOL.md: map chat comes back to everyone
on the map (the sender too) as ``114`` with the text ``"<name>:<text>"``
(5.8 row 17), a step is relayed to the others as ``115`` naming the start
tile (5.1.2), and a rejected step is a ``110`` to the mover only.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from websockets.exceptions import ConnectionClosed

from harness import ClusterHarness, GameClient

START_MAP = 0  # every profession of the starter world starts on map 0
# Start tiles of the starter world's professions (professions.json start_pos).
START_TILE = {0: (5, 5), 1: (6, 5), 2: (5, 6), 3: (6, 6)}
SOUTH, WEST, EAST, NORTH = 0, 1, 2, 3
STEP_PAUSE_S = 0.25  # comfortably above game.min_step_interval_ms (100 ms)
CHECKPOINT_INTERVAL_S = 0.25  # harness TEST_CONFIG [checkpoint] interval_ms


def email_of(name: str) -> str:
    return f"{name.lower()}@fault.test"


def enter_game(cluster: ClusterHarness, name: str, profession_id: int = 0, edge: str = "edge-1") -> GameClient:
    """A new account with one character, in the game and past its map join."""
    client = cluster.client(edge)
    replies = client.create_account(email_of(name))
    assert replies[-1]["win"] == "winSelectPlayer", f"account for {name} refused: {replies[-1]}"
    client.create_character(name, profession_id)
    client.name = name
    return client


def chat_text(name: str, text: str) -> str:
    return f"{name}:{text}"


def is_chat(text: str) -> Callable[[dict], bool]:
    return lambda p: p["type"] == 114 and p["text"] == text


def expect(client: GameClient, match: Callable[[dict], bool], what: str, timeout: float = 5.0) -> list[dict]:
    """Packets up to the first match; a closed socket fails with its close code."""
    try:
        return client.recv_until(match, timeout)
    except ConnectionClosed as closed:
        raise AssertionError(f"{getattr(client, 'name', 'client')}'s websocket was closed "
                             f"(code {closed.rcvd.code if closed.rcvd else None}) while waiting for {what}; "
                             f"seen before: {[p['type'] for p in client.seen[-20:]]}") from None
    except AssertionError as missing:
        raise AssertionError(f"{getattr(client, 'name', 'client')}: no {what}: {missing}") from None


def say(client: GameClient, text: str, hearers: tuple = (), timeout: float = 5.0) -> list[dict]:
    """Chat on the map; the sender and every hearer must get the line. The sender's packets return."""
    client.send({"type": 5, "text": text})
    line = chat_text(client.name, text)
    got = expect(client, is_chat(line), f"the echo of {line!r}", timeout)
    for hearer in hearers:
        expect(hearer, is_chat(line), f"{client.name}'s line {line!r}", timeout)
    return got


def step(client: GameClient, x: int, y: int, direction: int, speed: int = 1) -> None:
    client.send({"type": 6, "x": x, "y": y, "dir": direction, "speed": speed})


def relayed_step(mover: GameClient, match_x_y: tuple[int, int] | None = None) -> Callable[[dict], bool]:
    """A 115 relay of a real step (speed != 0) of ``mover``."""
    def match(p: dict) -> bool:
        return (p["type"] == 115 and p["player_id"] == mover.pid and p.get("speed") not in (0, None)
                and (match_x_y is None or (p["x"], p["y"]) == match_x_y))
    return match


def own_spawns(client: GameClient, packets: list[dict]) -> list[dict]:
    """The 110s about the client's own player in ``packets``."""
    return [p for p in packets if p["type"] == 110 and p["player_id"] == client.pid]


def node_pids(view: dict) -> dict[str, tuple[str, int]]:
    return {node["name"]: (node["role"], node["pid"]) for node in view["nodes"]}


def lease_of(view: dict, map_id: int) -> dict | None:
    return next((lease for lease in view["leases"] if lease["map_id"] == map_id), None)


def wait_view(cluster: ClusterHarness, predicate: Callable[[dict], bool], what: str,
              timeout: float = 5.0) -> dict:
    """The first status view (within timeout) that satisfies predicate."""
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        view = cluster.status()
        if predicate(view):
            return view
        time.sleep(0.1)
    raise AssertionError(f"status never showed {what} in {timeout} s; last view: {view}")
