"""The live state of one map (PROTOCOL 4.4) and the effects a rule produces.

Rules (``workers.rules``) take a ``MapRuntime`` and a packet and write what
should happen into an ``Effects``: packets to players, transfers to other
maps, saves. They know nothing of sockets; the worker node turns effects
into wire commands.
"""
from __future__ import annotations

import copy
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
    pending_warp: int | None = None  # a script's warpCharacter to this map, done in the event pass


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


class PlayerRef(int):
    """A player id that also reads like his record (``ref["name"]``, ``ref.get("level")``).

    The original passed the ``hitplayer`` hook the player's record instead of
    his id (PROTOCOL 6.2, 8.63). We pass this: every helper takes it as the id,
    and content written for the original that reads the record still works.
    Reads are copies, so a script cannot change the record behind the rules.
    """

    def __new__(cls, pid: int, record: dict) -> "PlayerRef":
        ref = super().__new__(cls, pid)
        ref._record = record
        return ref

    def __getitem__(self, key):
        return copy.deepcopy(self._record[key])

    def get(self, key, default=None):
        return copy.deepcopy(self._record.get(key, default))


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

    def absorb(self, other: "Effects") -> None:
        """Append everything ``other`` decided, in order (a script hook's packets)."""
        for name in ("messages", "transfers", "saves", "closes", "settings", "located", "requests"):
            getattr(self, name).extend(getattr(other, name))


def _runtime_default(name: str, count: int, make) -> Any:
    return field(default_factory=lambda: [make() for _ in range(count)])


def is_number(value) -> bool:
    """An int or a float, not a bool (records come from JSON, scripts and checkpoints)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_or(value, default):
    """``value`` when it is a number (``is_number``), else ``default``."""
    return value if is_number(value) else default


def is_alive(record: dict) -> bool:
    """A player (or NPC slot) record with hp above 0."""
    hp = record.get("vitals", {}).get("hp", 0)
    return isinstance(hp, (int, float)) and hp > 0


# What ``MapRuntime.snapshot`` checkpoints: fixed-length slot lists, then keyed tables.
SLOT_TABLES = ("items", "npcs", "doors", "door_close_at", "shots", "aggro", "npc_state", "shot_state")
KEYED_TABLES = ("meta", "item_spawns", "npc_spawns", "flags")


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
    # Hidden state of PROTOCOL 4.4, checkpointed with the rest.
    npc_state: list = _runtime_default("npc_state", records.NPC_SLOTS, records.npc_state)
    shot_state: list = _runtime_default("shot_state", records.SHOT_SLOTS, records.shot_state)
    item_spawns: dict = field(default_factory=dict)  # "x:y" of a type-4 tile → records.item_spawn_state()
    npc_spawns: dict = field(default_factory=dict)  # "x:y" of a type-6 tile → when it may respawn (ms)
    flags: dict = field(default_factory=dict)  # the map's script flags (getMapFlag / setMapFlag)
    players: dict = field(default_factory=dict)  # pid → PlayerOnMap, in join order
    dirty: bool = False  # the runtime slots changed since the last checkpoint
    changed_players: set = field(default_factory=set)  # pids whose record changed since then
    idle_since_ms: int = 0
    checkpoint_due_ms: int = 0
    tick_due_ms: int = 0  # the earliest time the tick has work (``cycle.next_wake_ms``); 0: now
    spawn_tile_cache: tuple | None = None  # (record, its spawn tiles): see ``cycle.spawn_tiles``

    def player_changed(self, pid: int) -> None:
        self.changed_players.add(pid)

    # --- persistence -----------------------------------------------------------
    def snapshot(self) -> dict:
        """The runtime part that storage checkpoints."""
        return {name: getattr(self, name) for name in SLOT_TABLES + KEYED_TABLES}

    def restore(self, runtime: dict | None) -> None:
        """Take a checkpoint's state; a table of the wrong shape (an older checkpoint) keeps its default."""
        if not runtime:
            return
        for name in SLOT_TABLES:
            value = runtime.get(name)
            if isinstance(value, list) and len(value) == len(getattr(self, name)):
                setattr(self, name, value)
        for name in KEYED_TABLES:
            if isinstance(runtime.get(name), dict):
                setattr(self, name, runtime[name])
        if not all(isinstance(table, dict) for table in self.aggro):
            self.aggro = [{} for _ in range(records.NPC_SLOTS)]  # a checkpoint from before aggro

    # --- queries ---------------------------------------------------------------
    def tile(self, x: int, y: int) -> dict:
        return self.record["tiles"][x][y]

    def pids(self, exclude: int | None = None) -> list[int]:
        return [pid for pid in self.players if pid != exclude]

    def door_open_at(self, x: int, y: int) -> bool:
        for door in self.doors:
            if door["x"] == x and door["y"] == y:
                return True
        return False

    def in_bounds(self, x, y) -> bool:
        return (type(x) is int and type(y) is int
                and 0 <= x < records.MAP_SIZE and 0 <= y < records.MAP_SIZE)

    def npc_alive(self, slot: int) -> bool:
        npc = self.npcs[slot]
        return npc.get("npc_id", -1) > -1 and npc["vitals"].get("hp", 0) > 0

    def npc_at(self, x: int, y: int) -> int:
        """The slot of a living NPC on (x, y), or -1."""
        for slot, npc in enumerate(self.npcs):
            if self.npc_alive(slot) and npc["pos"]["x"] == x and npc["pos"]["y"] == y:
                return slot
        return -1

    def players_at(self, x: int, y: int) -> list[PlayerOnMap]:
        """Players standing on (x, y), dead ones included, in join order."""
        return [p for p in self.players.values() if p.record["pos"]["x"] == x and p.record["pos"]["y"] == y]

    def tile_occupied(self, x: int, y: int) -> bool:
        """A living NPC or a living player stands there (what NPCs need free, 5.5)."""
        return self.npc_at(x, y) > -1 or any(is_alive(p.record) for p in self.players_at(x, y))

    def place_item(self, item_id: int, amount: int, uses: int, x: int, y: int) -> int:
        """Put an item in the first free map-item slot; its slot, or -1 when all 200 are taken."""
        for slot, item in enumerate(self.items):
            if item.get("item_id", -1) < 0:
                self.items[slot] = {"item_id": item_id, "amount": amount, "uses": uses, "x": x, "y": y}
                self.dirty = True
                return slot
        return -1

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
