"""Helpers shared by the map-rule tests: a map, players on it, and what each player received."""
from __future__ import annotations

from cluster import records
from workers.rules.context import RuleContext
from workers.runtime import EVERYONE, Effects, MapRuntime, PlayerOnMap

NOW_MS = 1_700_000_000_000  # a realistic epoch-ms clock


def character(name: str, x: int, y: int, map_id: int = 0, direction: int = 0, **fields) -> dict:
    record = records.new_character()
    record.update(name=name, sprite=1, vitals=records.vitals(10, 5, 5), max_vitals=records.vitals(10, 5, 5))
    record["pos"] = records.position(x, y, direction, map_id)
    record.update(fields)
    return record


def runtime_with(*players: tuple[int, dict], map_id: int = 0, record: dict | None = None) -> MapRuntime:
    runtime = MapRuntime(map_id, 1, record or records.new_map("test"))
    for pid, char in players:
        runtime.players[pid] = PlayerOnMap(pid, [100 + pid, 0], char)
    return runtime


def context(now_ms: int = NOW_MS, map_ids=(0, 1, 2, 3, 4, 5), shops=None) -> RuleContext:
    return RuleContext(now_ms=now_ms, min_step_interval_ms=100, map_ids=frozenset(map_ids),
                       shops=shops or [])


def received(effects: Effects, pid: int) -> list[dict]:
    """The packets one player gets, in order (EVERYONE includes them)."""
    return [packet for pids, packet in effects.messages if pids is EVERYONE or pid in pids]


def types(packets: list[dict]) -> list[int]:
    return [packet["type"] for packet in packets]


def set_tile(runtime: MapRuntime, x: int, y: int, kind: int, /, **data) -> None:
    runtime.record["tiles"][x][y] = {"layers": [-1] * 10, "type": kind, "data": data}
