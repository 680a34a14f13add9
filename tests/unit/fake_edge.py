"""A tiny fake edge that speaks just enough of PROTOCOL.md for ``odyssey bench``'s own tests.

The fake handles type 0 (→ 100 winMessage, 101, 102, 100 winSelectPlayer;
or a busy winLogin for the first ``busy_replies`` requests), type 3 (→ 109,
106, then the 110/115 join exchange of 5.2.1), type 6 (strict resync check,
relay 115 to the rest of the map, bounce with the own 110 on a wall or
warp) and type 5 (→ 114 to the map), and serves prepared ``/status.json``
views. It runs on its own thread and loop, so the bench's own event loop
(as in ``main``) is exercised as is. The bench is the component under test;
this stands in for our edge.

Run this file directly (``python tests/unit/fake_edge.py 8080``) to serve
the fake on a port and point ``python -m cluster.bench`` at it.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketClosedError, WebSocketHandler

MAP_SIZE = 12
NAME_PATTERN = re.compile(r"[A-Za-z0-9]{1,20}")
STEPS = ((0, 1), (-1, 0), (1, 0), (0, -1))
WALL, WARP, ITEM_SPAWN, NPC_SPAWN = 1, 3, 4, 6
BENCH_WALKABLE = {0, ITEM_SPAWN, 5, 7, 11, 17}


def fake_tiles() -> list[list[dict]]:
    """tiles[x][y]: floor with a wall row, a warp and an NPC-spawn tile near the start tile (5, 5)."""
    tiles = [[{"layers": [-1] * 10, "type": 0, "data": {}} for _y in range(MAP_SIZE)] for _x in range(MAP_SIZE)]
    for x in range(2, 10):
        tiles[x][3]["type"] = WALL
    tiles[6][5]["type"] = WARP
    tiles[5][6]["type"] = NPC_SPAWN
    tiles[4][5]["type"] = ITEM_SPAWN
    return tiles


@dataclass
class FakeWorld:
    """State of the fake edge plus what it saw, for the assertions."""

    professions: int = 3
    refuse_names: bool = False
    busy_replies: int = 0  # the first this many account requests are answered "busy"
    busy_sent: int = 0
    status_views: list = field(default_factory=list)  # /status.json answers, in turn (the last one repeats)
    status_served: int = 0
    next_player_id: int = 1
    tiles: list = field(default_factory=fake_tiles)
    maps: dict = field(default_factory=dict)  # map_id -> {player_id: FakeClient}
    clients: set = field(default_factory=set)
    profession_ids: list = field(default_factory=list)
    moves: int = 0
    resync_rejects: int = 0
    bad_steps: int = 0
    chats: list = field(default_factory=list)


class FakeClient(WebSocketHandler):
    """One client socket of the fake edge."""

    def initialize(self, world: FakeWorld) -> None:
        self.world = world
        self.player_id: int | None = None
        self.player: dict | None = None

    def open(self) -> None:
        self.world.clients.add(self)

    def send(self, msg: dict) -> None:
        try:
            self.write_message(json.dumps(msg, separators=(",", ":")))
        except WebSocketClosedError:
            pass  # bots leave together: a 111 may go to one that has just gone

    def spawn(self) -> dict:
        return {"type": 110, "player_id": self.player_id, "name": self.player["name"], "pos": dict(self.player["pos"])}

    def on_message(self, text: str | bytes) -> None:
        msg = json.loads(text)
        kind = msg["type"]
        if kind >= 5 and self.player is None:
            self.close()
        elif kind == 0:
            self.create_account(msg)
        elif kind == 3:
            self.create_character(msg)
        elif kind == 6:
            self.move(msg)
        elif kind == 5:
            self.chat(msg)

    def create_account(self, msg: dict) -> None:
        assert msg["version"] == "Build 1982 Beta" and msg["email"].endswith("@bench.local")
        if self.world.busy_sent < self.world.busy_replies:  # admission control, as the real edge will
            self.world.busy_sent += 1
            self.send({"type": 100, "win": "winLogin", "message": "The server is busy, please try again in a moment"})
            return
        self.player_id = self.world.next_player_id
        self.world.next_player_id += 1
        self.send({"type": 100, "win": "winMessage", "message": "Account created."})
        self.send({"type": 101, "account_id": self.player_id, "account": {"email": msg["email"], "password": ""}})
        self.send({"type": 102, "profession": [{"name": f"p{i}"} for i in range(self.world.professions)]})
        self.send({"type": 100, "win": "winSelectPlayer", "message": ""})

    def create_character(self, msg: dict) -> None:
        if self.world.refuse_names or not NAME_PATTERN.fullmatch(msg["name"]):
            self.send({"type": 100, "win": "winSelectPlayer", "message": "That name is taken."})
            return
        map_id = msg["profession_id"]
        assert 0 <= map_id < self.world.professions and msg["gender"] == 0
        self.world.profession_ids.append(map_id)
        self.player = {"name": msg["name"], "pos": {"x": 5, "y": 5, "dir": 0, "map_id": map_id}}
        self.send({"type": 109, "player_id": self.player_id, "player": self.player})
        self.send({"type": 100, "win": "winGame", "message": ""})
        self.send({"type": 106, "map_id": map_id, "map": {"name": "", "tiles": self.world.tiles}})
        others = self.world.maps.setdefault(map_id, {})
        others[self.player_id] = self
        for other in others.values():  # PROTOCOL 5.2.1 step 6, the newcomer included
            other.send(self.spawn())
            self.send(other.spawn())
            pos = other.player["pos"]
            self.send({"type": 115, "player_id": other.player_id, "x": pos["x"], "y": pos["y"], "dir": 0, "speed": 0})

    def move(self, msg: dict) -> None:
        pos = self.player["pos"]
        self.world.moves += 1
        if (msg["x"], msg["y"]) != (pos["x"], pos["y"]):
            self.world.resync_rejects += 1
            self.send(self.spawn())
            return
        relay = {"type": 115, "player_id": self.player_id, "x": msg["x"], "y": msg["y"], "dir": msg["dir"],
                 "speed": msg["speed"]}
        for other in self.world.maps[pos["map_id"]].values():
            if other is not self:
                other.send(relay)
        dx, dy = STEPS[msg["dir"]]
        to_x, to_y = pos["x"] + dx, pos["y"] + dy
        inside = 0 <= to_x < MAP_SIZE and 0 <= to_y < MAP_SIZE
        if not inside or self.world.tiles[to_x][to_y]["type"] not in BENCH_WALKABLE:
            self.world.bad_steps += 1  # the bench must pick only walkable, non-warp tiles
            self.send(self.spawn())
            return
        pos["x"], pos["y"], pos["dir"] = to_x, to_y, msg["dir"]

    def chat(self, msg: dict) -> None:
        text = msg["text"]
        assert text and text[0] not in "/'@"
        self.world.chats.append(text)
        line = {"type": 114, "channel_id": 0, "color": "#ffffff", "temp": False,
                "text": f"{self.player['name']}:{text}"}
        for other in self.world.maps[self.player["pos"]["map_id"]].values():
            other.send(line)

    def on_close(self) -> None:
        self.world.clients.discard(self)
        if self.player is not None:
            map_id = self.player["pos"]["map_id"]
            self.world.maps[map_id].pop(self.player_id, None)
            for other in self.world.maps[map_id].values():
                other.send({"type": 111, "player_id": self.player_id, "map_id": map_id})


class FakeStatus(RequestHandler):
    """``GET /status.json``: the world's prepared views, one per request."""

    def initialize(self, world: FakeWorld) -> None:
        self.world = world

    def get(self) -> None:
        views = self.world.status_views
        if not views:
            self.send_error(404)
            return
        self.world.status_served += 1
        self.finish(views[min(self.world.status_served, len(views)) - 1])


@contextlib.contextmanager
def fake_edge(world: FakeWorld, port: int = 0) -> Iterator[str]:
    """Serve ``world`` on a loopback port on a background thread; yield its ws:// URL."""
    loop = asyncio.new_event_loop()
    sockets = bind_sockets(port, "127.0.0.1")
    started = threading.Event()
    server_box: list[HTTPServer] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            server = HTTPServer(Application([(r"/", FakeClient, {"world": world}),
                                             (r"/status.json", FakeStatus, {"world": world})]))
            server.add_sockets(sockets)
            server_box.append(server)

        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    def stop() -> None:
        server_box[0].stop()
        for client in list(world.clients):
            client.close()
        loop.call_later(0.2, loop.stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(5)
    try:
        yield f"ws://127.0.0.1:{sockets[0].getsockname()[1]}/"
    finally:
        loop.call_soon_threadsafe(stop)
        thread.join(5)


if __name__ == "__main__":
    with fake_edge(FakeWorld(professions=int(sys.argv[2]) if len(sys.argv) > 2 else 10),
                   port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080) as served_url:
        print(f"fake edge on {served_url}; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
