"""Stats, vitals and levelling (PROTOCOL 5.6) and type 8, train a stat (2.3)."""
from __future__ import annotations

import math

from cluster import packets
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime

STATS = ("str", "def", "mag", "spd")  # stat_id 0..3


def max_vitals(base: dict, stats: dict) -> dict:
    """5.6: base (the profession's vitals) plus the trained stats; hp may be fractional."""
    strength, defence = stats.get("str", 0), stats.get("def", 0)
    magic, speed = stats.get("mag", 0), stats.get("spd", 0)
    return {"hp": base.get("hp", 1) + 1.5 * strength + 3 * defence + magic + 2 * speed,
            "mp": base.get("mp", 1) + magic,
            "sp": base.get("sp", 1) + 2 * speed}


def exp_to_level_up(level: int) -> int:
    """5.6: the exp needed to go from ``level`` to the next: floor(1000 × L^(1 + 0.01·L))."""
    return math.floor(1000 * level ** (1 + 0.01 * level))


def reload_packet(pid: int, record: dict) -> dict:
    """109 as sent after training, level-up or access changes: ``data`` is []."""
    return packets.own_character(pid, {**record, "data": []})


def handle_train(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 8: one train point into stat_id; max vitals recalculated; 109 to the player."""
    player = runtime.players.get(pid)
    stat_id = packet.get("stat_id")
    if player is None or type(stat_id) is not int or not 0 <= stat_id < len(STATS):
        return
    record = player.record
    points = record.get("train_points", 0)
    if not isinstance(points, int) or points <= 0:
        return
    record["train_points"] = points - 1
    stats = record.setdefault("stats", {})
    stats[STATS[stat_id]] = stats.get(STATS[stat_id], 0) + 1
    profession_id = record.get("profession_id", 0)
    if 0 <= profession_id < len(ctx.professions):
        record["max_vitals"] = max_vitals(ctx.professions[profession_id].get("vitals", {}), stats)
    runtime.player_changed(pid)
    effects.to_player(pid, reload_packet(pid, record))
