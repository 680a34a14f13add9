"""Stats, vitals and levelling (PROTOCOL 5.6) and type 8, train a stat (2.3)."""
from __future__ import annotations

import math

from cluster import packets
from workers.rules.context import RuleContext, hook_overrides
from workers.runtime import Effects, MapRuntime, number_or

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
    recalculate_max_vitals(record, ctx)
    runtime.player_changed(pid)
    effects.to_player(pid, reload_packet(pid, record))


def recalculate_max_vitals(record: dict, ctx: RuleContext) -> None:
    """5.6 from the profession's base vitals and the trained stats, plus a script's
    ``maxhp`` / ``maxmp`` / ``maxsp`` extras (``setPlayerMaxHP`` and friends)."""
    profession = ctx.profession(record.get("profession_id", 0))
    if profession is None:
        return
    stats = record.get("stats", {})
    vitals = max_vitals(profession.get("vitals", {}), stats)
    for vital in ("hp", "mp", "sp"):
        vitals[vital] += number_or(stats.get(f"max{vital}", 0), 0)
    record["max_vitals"] = vitals


def level_up(runtime: MapRuntime, effects: Effects, player, ctx: RuleContext) -> None:
    """Event pass: at most one level per pass when the exp covers the requirement (5.6).

    The ``levelup`` hook gets the player id and his level (the original passed
    the list index: 8.63; an id is what every helper takes). Max vitals are
    recalculated, which changes nothing unless a script changed the stats
    without doing it; hp is not restored.
    """
    record = player.record
    level, exp = record.get("level", 1), record.get("exp", 0)
    if type(level) is not int or not isinstance(exp, (int, float)) or exp < exp_to_level_up(level):
        return
    if hook_overrides(ctx, runtime, effects, "playerlevel", "levelup", player.pid, level):
        return
    record["exp"] = exp - exp_to_level_up(level)
    record["level"] = level + 1
    record["train_points"] = record.get("train_points", 0) + 2
    recalculate_max_vitals(record, ctx)
    runtime.player_changed(player.pid)
    effects.to_player(player.pid, packets.experience(player.pid, record["exp"]))
    effects.to_player(player.pid, reload_packet(player.pid, record))
    effects.to_everyone(packets.chat(f"{record['name']} has reached level {level + 1}!",
                                     packets.CHANNEL_GENERAL, packets.COLOR_SIENNA))
