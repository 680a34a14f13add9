"""A player's life on the map (PROTOCOL 5.7, 5.9): the death stamp, revive,
player ticks and pending script warps.

Fixes of the original: a dead player revives at his map's ``death_map`` when
it names a map of the world, otherwise at the revive point of cluster.toml
(8.38: never a hard-coded map 7); a script warp waits in the player's
``pending_warp`` instead of a negative ``pos.map_id``, so map 0 can be
reached too (6.3 [BUG]).
"""
from __future__ import annotations

from cluster import packets
from workers.rules import presence
from workers.rules.context import RuleContext, has_hook, run_hook
from workers.runtime import Effects, MapRuntime, PlayerOnMap, is_alive, number_or

REVIVE_AFTER_S = 2
PLAYER_TICK_FLOOR_MS = 100  # a passed nextTick counts as due this much later (5.9)


def death_stamp(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, ctx: RuleContext) -> None:
    """Event pass: stamp a player whose hp fell to 0, tell him and the map; unstamp the living."""
    data = player.record.setdefault("data", {})
    if is_alive(player.record):
        if "dead" in data:
            del data["dead"]
            runtime.player_changed(player.pid)
        return
    if "dead" in data:
        return
    data["dead"] = int(ctx.now_s)
    runtime.player_changed(player.pid)
    effects.to_player(player.pid, packets.chat(
        "You have died! Press pick up in 2 seconds to revive, or wait for someone to revive you.",
        packets.CHANNEL_GENERAL, packets.COLOR_RED))
    effects.to(runtime.pids(), packets.sound(packets.SOUND_PLAYER_DEATH))


def try_revive(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, ctx: RuleContext) -> None:
    """Type 10 while dead: 2 s after death, hp 1 and off to the revive point (5.7)."""
    record = player.record
    died_at = record.get("data", {}).get("dead")
    if not isinstance(died_at, (int, float)) or ctx.now_s - died_at < REVIVE_AFTER_S:
        return
    map_id, x, y = revive_point(runtime, ctx)
    record["vitals"]["hp"] = 1
    del record["data"]["dead"]
    runtime.player_changed(player.pid)
    presence.move_to(runtime, effects, player, map_id, x, y, ctx)


def revive_point(runtime: MapRuntime, ctx: RuleContext) -> tuple[int, int, int]:
    death_map = runtime.record.get("death_map") or {}
    map_id = death_map.get("map_id", -1)
    if type(map_id) is int and map_id in ctx.map_ids and runtime.in_bounds(death_map.get("x"), death_map.get("y")):
        return map_id, death_map["x"], death_map["y"]
    return ctx.revive_map_id, ctx.revive_x, ctx.revive_y


def pending_warp(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, ctx: RuleContext) -> None:
    """Event pass: carry out a ``warpCharacter`` to another map."""
    target = player.pending_warp
    if target is None:
        return
    player.pending_warp = None
    if target in ctx.map_ids and target != runtime.map_id:
        presence.leave(runtime, effects, player.pid, target, ctx)


def player_ticks(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Tick part: the ``playertick`` hook for each player whose ``data.nextTick`` has come."""
    if not has_hook(ctx, "playertick", "playertick"):
        return
    for player in list(runtime.players.values()):
        if player.pid in runtime.players and _next_tick(player) <= ctx.now_ms:
            run_hook(ctx, runtime, effects, "playertick", "playertick", player.pid)


def next_player_tick_ms(runtime: MapRuntime, ctx: RuleContext) -> int | None:
    """The earliest player tick, a passed one floored to now + 100 ms; None without the hook."""
    if not runtime.players or not has_hook(ctx, "playertick", "playertick"):
        return None
    earliest = min(_next_tick(player) for player in runtime.players.values())
    return max(earliest, ctx.now_ms + PLAYER_TICK_FLOOR_MS) if earliest <= ctx.now_ms else earliest


def _next_tick(player: PlayerOnMap) -> int:
    value = player.record.get("data", {}).get("nextTick", 0)
    return int(number_or(value, 0))
