"""One wake-up of a map (PROTOCOL 5.9): the tick, the messages, the event pass, the next poke.

The worker runs ``tick`` when a batch first touches a map, then hands it the
batch's commands, then runs ``event_pass``, and reports ``next_wake_ms`` to
the broker, which pokes the map then (never sooner than 100 ms after the last
poke). So the order of the original holds: tick, then messages, then events.

Fixes of the original (8.55): the next wake-up is computed *after* the
messages, so a shot fired or a door opened by a message is not late; the event
pass also runs after a join. A map without players is not ticked, as in the
original: its NPCs, item spawns and player ticks wait (its doors still close on
time), and when nobody comes back it is checkpointed and released; a player
who returns finds them where the checkpoint left them.
"""
from __future__ import annotations

from cluster.tiles import ITEM_SPAWN, NPC_SPAWN
from workers.rules import items, life, npcs, projectiles, stats
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime


def tick(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """NPC spawns and AI, player ticks, projectiles: what is due now (5.9 step 5)."""
    if not runtime.players:
        return
    npcs.tick(runtime, effects, ctx)
    life.player_ticks(runtime, effects, ctx)
    projectiles.tick(runtime, effects, ctx)


def event_pass(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """NPC deaths, spawn tiles, then every player's level, warp and death stamp, then doors."""
    if runtime.players:
        npcs.deaths(runtime, effects, ctx)
        for x, y, tile in spawn_tiles(runtime):
            if tile["type"] == NPC_SPAWN:
                npcs.tile_spawn(runtime, effects, ctx, x, y, tile)
            else:
                items.spawn_tile(runtime, effects, ctx, x, y, tile)
        for player in list(runtime.players.values()):
            if player.pid not in runtime.players:
                continue  # he left during this pass
            stats.level_up(runtime, effects, player, ctx)
            life.pending_warp(runtime, effects, player, ctx)
            if player.pid in runtime.players:
                life.death_stamp(runtime, effects, player, ctx)
    if runtime.close_due_doors(ctx.now_s):
        effects.to(runtime.pids(), runtime.doors_packet())


def next_wake_ms(runtime: MapRuntime, ctx: RuleContext) -> int | None:
    """The earliest time the map needs attention, or None when nothing is due."""
    due = [runtime.next_wake_ms()]  # doors close even on an empty map
    if runtime.players:
        due += [npcs.next_due_ms(runtime, ctx), projectiles.next_due_ms(runtime),
                items.next_spawn_due_ms(runtime), life.next_player_tick_ms(runtime, ctx)]
    pending = [at for at in due if at is not None]
    return min(pending) if pending else None


def spawn_tiles(runtime: MapRuntime) -> list[tuple[int, int, dict]]:
    """The map's type-4 and type-6 tiles in tile order (x, then y), cached per map record."""
    cached = runtime.spawn_tile_cache
    if cached is not None and cached[0] is runtime.record:
        return cached[1]
    found = [(x, y, tile) for x, column in enumerate(runtime.record["tiles"]) for y, tile in enumerate(column)
             if tile.get("type") in (ITEM_SPAWN, NPC_SPAWN)]
    runtime.spawn_tile_cache = (runtime.record, found)
    return found
