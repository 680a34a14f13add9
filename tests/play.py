"""A player who walks, fights and trades on a running cluster, for the living-map tests.

``Hero`` wraps a ``GameClient`` and keeps the position the server holds for
him: the server only answers a step it refuses (the mover's own 110), so the
hero assumes a sent step succeeded and corrects himself from any 110 about
himself. Walking onto another map waits for that map's join (106 ... 115).
"""
from __future__ import annotations

import time

from harness import GameClient

STEP_PAUSE_S = 0.13  # above the 100 ms minimum step interval
STEPS = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}
SOUTH, WEST, EAST, NORTH = 0, 1, 2, 3


def direction_to(from_xy: tuple[int, int], to_xy: tuple[int, int]) -> int:
    """The direction of an adjacent tile."""
    delta = (to_xy[0] - from_xy[0], to_xy[1] - from_xy[1])
    return next(d for d, step in STEPS.items() if step == delta)


class Hero:
    """A player in game whose position, map and inventory the test follows."""

    def __init__(self, client: GameClient, joined: list[dict]) -> None:
        self.client = client
        self.pid = client.pid
        me = next(p for p in joined if p["type"] == 109)["player"]
        self.map_id = me["pos"]["map_id"]
        self.x, self.y, self.dir = me["pos"]["x"], me["pos"]["y"], me["pos"]["dir"]
        self.inventory = [dict(slot) for slot in me["inv"]]
        self.seen: list[dict] = []

    def absorb(self, packets: list[dict]) -> list[dict]:
        for packet in packets:
            if packet["type"] == 110 and packet["player_id"] == self.pid:
                pos = packet["pos"]
                self.x, self.y, self.dir = pos["x"], pos["y"], pos["dir"]
            elif packet["type"] == 119 and packet["player_id"] == self.pid:
                self.inventory[packet["slot_id"]] = dict(packet["inv"])
            elif packet["type"] == 106:
                self.map_id = int(packet["map_id"])
        self.seen.extend(packets)
        return packets

    def recv_until(self, match, timeout: float = 5.0) -> list[dict]:
        return self.absorb(self.client.recv_until(match, timeout))

    def drain(self, quiet: float = 0.2) -> list[dict]:
        return self.absorb(self.client.drain(quiet))

    def send(self, packet: dict) -> None:
        self.client.send(packet)

    def say(self, text: str) -> None:
        self.send({"type": 5, "text": text})

    # --- moving ----------------------------------------------------------------------
    def face(self, direction: int) -> None:
        self.send({"type": 6, "x": self.x, "y": self.y, "dir": direction, "speed": 0})
        self.dir = direction

    def step(self, direction: int) -> None:
        """One step; a step over the map's edge waits for the next map's join."""
        self.send({"type": 6, "x": self.x, "y": self.y, "dir": direction, "speed": 1})
        dx, dy = STEPS[direction]
        to_x, to_y = self.x + dx, self.y + dy
        self.dir = direction
        if 0 <= to_x < 12 and 0 <= to_y < 12:
            self.x, self.y = to_x, to_y
            time.sleep(STEP_PAUSE_S)
            self.drain(0.01)
            return
        self.x, self.y = to_x % 12, to_y % 12
        self.arrive()

    def arrive(self, timeout: float = 10.0) -> list[dict]:
        """Wait for a map join: 106, then the 115 that places this hero (and says where)."""
        got = self.recv_until(lambda p: p["type"] == 106, timeout)
        got += self.recv_until(lambda p: p["type"] == 115 and p["player_id"] == self.pid, timeout)
        self.x, self.y, self.dir = got[-1]["x"], got[-1]["y"], got[-1]["dir"]
        return got

    def warp_step(self, direction: int) -> list[dict]:
        """A step onto a warp tile to another map."""
        self.send({"type": 6, "x": self.x, "y": self.y, "dir": direction, "speed": 1})
        return self.arrive()

    def expect(self, match, since: int = 0, timeout: float = 5.0) -> dict:
        """The first packet from ``seen[since:]`` on that matches, waiting for it if need be."""
        for packet in self.seen[since:]:
            if match(packet):
                return packet
        return self.recv_until(match, timeout)[-1]

    def mark(self) -> int:
        return len(self.seen)

    def walk_to(self, x: int, y: int) -> None:
        """Straight lines on this map, first along x, then along y (staff walk through walls)."""
        while self.x != x:
            self.step(EAST if x > self.x else WEST)
        while self.y != y:
            self.step(SOUTH if y > self.y else NORTH)

    # --- items -----------------------------------------------------------------------
    def slot_of(self, item_id: int) -> int:
        return next(slot for slot, held in enumerate(self.inventory) if held["item_id"] == item_id)
