"""The live state of one map (PROTOCOL 4.4) and the effects a rule produces.

Rules (``workers.rules``) take a ``MapRuntime`` and a packet and write what
should happen into an ``Effects``: packets to players, transfers to other
maps, saves. They know nothing of sockets; the worker node turns effects
into wire commands.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cluster import packets, records

EVERYONE = None  # recipients: every player in game, on every worker


@dataclass(slots=True)
class PlayerOnMap:
    """A player standing on this map."""
    pid: int
    char_key: list
    record: dict
    step_credit: float = -1.0  # steps the player may take now (-1: not yet set, i.e. a full burst)
    credit_at_ms: int = 0
    flags: dict = field(default_factory=dict)  # per-visit flags (treasure)


    def may_step(self, now_ms: int, interval_ms: int, burst: int) -> bool:
        """A token bucket: one step per interval on average, ``burst`` at once."""
        if self.step_credit < 0:
            self.step_credit = float(burst)
        else:
            earned = (now_ms - self.credit_at_ms) / max(interval_ms, 1)
            self.step_credit = min(float(burst), self.step_credit + earned)
        self.credit_at_ms = now_ms
        return self.step_credit >= 1.0

    def took_step(self) -> None:
        self.step_credit -= 1.0


@dataclass(slots=True)
class Transfer:
    """A player leaves this map for another."""
    pid: int
    char_key: list
    to_map: int
    record: dict


@dataclass
class Effects:
    """What a rule decided: packets, transfers, saves and closes, in order."""
    messages: list = field(default_factory=list)  # (tuple of pids | EVERYONE, packet dict)
    transfers: list = field(default_factory=list)
    saves: list = field(default_factory=list)  # (PlayerOnMap, final)
    closes: list = field(default_factory=list)
    settings: list = field(default_factory=list)  # (account_id, settings) for storage
    located: list = field(default_factory=list)  # (requester, map_id, x, y) answers to LOCATE
    # (kind, args) for work outside this map, in the shapes of workers.rules.commands.REQUEST_KINDS
    requests: list = field(default_factory=list)

    def to(self, pids, packet: dict) -> None:
        if pids:
            self.messages.append((tuple(pids), packet))

    def to_player(self, pid: int, packet: dict) -> None:
        self.messages.append(((pid,), packet))

    def to_everyone(self, packet: dict) -> None:
        self.messages.append((EVERYONE, packet))


def _runtime_default(name: str, count: int, make) -> Any:
    return field(default_factory=lambda: [make() for _ in range(count)])


@dataclass
class MapRuntime:
    """One map's record, its runtime slots and the players on it."""
    map_id: int
    epoch: int
    record: dict
    items: list = _runtime_default("items", records.MAP_ITEM_SLOTS, records.empty_map_item)
    npcs: list = _runtime_default("npcs", records.NPC_SLOTS, records.empty_npc_slot)
    doors: list = _runtime_default("doors", records.DOOR_SLOTS, records.empty_door)
    door_close_at: list = field(default_factory=lambda: [-1.0] * records.DOOR_SLOTS)  # epoch seconds
    shots: list = _runtime_default("shots", records.SHOT_SLOTS, records.empty_shot)
    aggro: list = _runtime_default("aggro", records.NPC_SLOTS, dict)  # per NPC slot: pid → aggro
    meta: dict = field(default_factory=dict)
    players: dict = field(default_factory=dict)  # pid → PlayerOnMap, in join order
    dirty: bool = False  # the runtime slots changed since the last checkpoint
    changed_players: set = field(default_factory=set)  # pids whose record changed since then
    idle_since_ms: int = 0
    checkpoint_due_ms: int = 0

    def player_changed(self, pid: int) -> None:
        self.changed_players.add(pid)

    # --- persistence -----------------------------------------------------------
    def snapshot(self) -> dict:
        """The runtime part that storage checkpoints."""
        return {"items": self.items, "npcs": self.npcs, "doors": self.doors,
                "door_close_at": self.door_close_at, "shots": self.shots, "aggro": self.aggro,
                "meta": self.meta}

    def restore(self, runtime: dict | None) -> None:
        if not runtime:
            return
        for name in ("items", "npcs", "doors", "door_close_at", "shots", "aggro", "meta"):
            value = runtime.get(name)
            if value is not None and (name == "meta" or len(value) == len(getattr(self, name))):
                setattr(self, name, value)
        if not all(isinstance(table, dict) for table in self.aggro):
            self.aggro = [{} for _ in range(records.NPC_SLOTS)]  # a checkpoint from before aggro

    # --- queries ---------------------------------------------------------------
    def tile(self, x: int, y: int) -> dict:
        return self.record["tiles"][x][y]

    def pids(self, exclude: int | None = None) -> list[int]:
        return [pid for pid in self.players if pid != exclude]

    def door_open_at(self, x: int, y: int) -> bool:
        return any(door["x"] == x and door["y"] == y for door in self.doors)

    # --- doors (PROTOCOL 5.2.2) ------------------------------------------------
    def open_door(self, x: int, y: int, now_s: float, duration_s: float = 10.0) -> bool:
        """Open a door at (x, y); True if it newly opened."""
        if self.door_open_at(x, y):
            return False
        for slot, close_at in enumerate(self.door_close_at):
            if close_at < 0:
                self.doors[slot] = {"x": x, "y": y}
                self.door_close_at[slot] = now_s + duration_s
                self.dirty = True
                return True
        return False

    def close_due_doors(self, now_s: float) -> bool:
        closed = False
        for slot, close_at in enumerate(self.door_close_at):
            if 0 <= close_at <= now_s:
                self.doors[slot] = records.empty_door()
                self.door_close_at[slot] = -1.0
                closed = True
        if closed:
            self.dirty = True
        return closed

    def next_wake_ms(self) -> int | None:
        """The earliest time this map needs attention, or None."""
        pending = [close_at for close_at in self.door_close_at if close_at >= 0]
        return int(min(pending) * 1000) if pending else None

    def doors_packet(self) -> dict:
        return packets.doors(self.map_id, self.doors)
