"""Movement (PROTOCOL 5.1): type 6, authoritative.

Fixes of the original (8.7, 8.8, 8.19, 8.35, 8.36): the claimed position must
equal the stored one, a step is exactly one tile in ``dir``, values are
range-checked before anything is stored, steps are rate-limited, directional
blocks and door locks hold for players, a same-map warp is a 110 to the
map, and the 115 relay carries only the protocol's fields.
"""
from __future__ import annotations

from cluster import packets, records
from cluster.tiles import DOOR, SPRITE_SWAP, STEPS, TRIGGER, WARP, blocks_entering, blocks_leaving, player_may_enter
from workers.rules import presence
from workers.rules.context import RuleContext, hook_overrides
from workers.runtime import Effects, MapRuntime, PlayerOnMap

EDGE_LINKS = (  # checked in this order (5.1.2 step 7)
    ("map_north_id", lambda x, y: y < 0, lambda x, y: (x, records.MAP_SIZE - 1)),
    ("map_west_id", lambda x, y: x < 0, lambda x, y: (records.MAP_SIZE - 1, y)),
    ("map_east_id", lambda x, y: x >= records.MAP_SIZE, lambda x, y: (0, y)),
    ("map_south_id", lambda x, y: y >= records.MAP_SIZE, lambda x, y: (x, 0)),
)


def _int_field(packet: dict, name: str) -> int | None:
    value = packet.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def bounce(effects: Effects, player: PlayerOnMap) -> None:
    """Resync the mover with its own 110."""
    effects.to_player(player.pid, packets.spawn_player(player.pid, player.record))


def handle_move(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    player = runtime.players.get(pid)
    if player is None:
        return
    x, y, direction = _int_field(packet, "x"), _int_field(packet, "y"), _int_field(packet, "dir")
    speed = packet.get("speed")
    if (x is None or y is None or direction not in STEPS or isinstance(speed, bool)
            or not isinstance(speed, (int, float))):
        bounce(effects, player)
        return
    pos = player.record["pos"]
    if (x, y) != (pos["x"], pos["y"]):
        bounce(effects, player)
        return
    if speed != 0 and not player.may_step(ctx.now_ms, ctx.min_step_interval_ms, ctx.step_burst):
        bounce(effects, player)
        return
    if hook_overrides(ctx, runtime, effects, "playermove", "playermove", pid, x, y, direction, speed):
        bounce(effects, player)  # the script refused the move (5.1.2 step 3)
        return
    pos["dir"] = direction
    runtime.player_changed(pid)
    if speed == 0:
        effects.to(runtime.pids(exclude=pid), packets.player_moved(pid, x, y, direction, speed))
        return
    dx, dy = STEPS[direction]
    _step(runtime, effects, player, x + dx, y + dy, direction, speed, ctx)


def _step(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, to_x: int, to_y: int,
          direction: int, speed, ctx: RuleContext) -> None:
    """A step from the stored tile; the 115 names the start tile, as the client animates from it."""
    pid, record = player.pid, player.record
    pos = record["pos"]
    from_x, from_y = pos["x"], pos["y"]
    relay = packets.player_moved(pid, from_x, from_y, direction, speed)
    if not (0 <= to_x < records.MAP_SIZE and 0 <= to_y < records.MAP_SIZE):
        _cross_edge(runtime, effects, player, to_x, to_y, relay, ctx)
        return
    there = runtime.tile(to_x, to_y)
    kind = there.get("type", 0)
    if kind == WARP:
        _warp(runtime, effects, player, there.get("data", {}), relay, ctx)
        return
    if not _may_step(runtime, record, runtime.tile(from_x, from_y), there, from_x, from_y, to_x, to_y, direction):
        bounce(effects, player)
        return
    effects.to(runtime.pids(exclude=pid), relay)
    player.took_step()
    data = there.get("data", {})
    alive = record["vitals"].get("hp", 0) > 0
    if kind == DOOR and alive and runtime.open_door(to_x, to_y, ctx.now_ms / 1000, ctx.door_seconds):
        effects.to(runtime.pids(), runtime.doors_packet())
    elif kind == TRIGGER and alive and runtime.in_bounds(data.get("x"), data.get("y")):
        cooldown = data.get("cooldown")
        duration = cooldown if isinstance(cooldown, (int, float)) and cooldown > 0 else ctx.door_seconds
        if runtime.open_door(data["x"], data["y"], ctx.now_ms / 1000, duration):
            effects.to(runtime.pids(), runtime.doors_packet())
    pos["x"], pos["y"] = to_x, to_y
    if kind == SPRITE_SWAP:
        _swap_sprite(runtime, effects, player, data.get("sprite", -1))


def _may_step(runtime, record, here, there, from_x, from_y, to_x, to_y, direction) -> bool:
    """Directional blocks and locks on both tiles, then the walkability table (5.1.3)."""
    if record.get("access", 0) > 2:
        return True  # staff walk anywhere inside the map
    door_here, door_there = runtime.door_open_at(from_x, from_y), runtime.door_open_at(to_x, to_y)
    if blocks_leaving(here, direction) and not door_here:
        return False
    if blocks_entering(there, direction) and not door_there:
        return False
    return door_there or player_may_enter(there)


def _cross_edge(runtime, effects, player, to_x, to_y, relay, ctx) -> None:
    for link_key, crossed, landing in EDGE_LINKS:
        if not crossed(to_x, to_y):
            continue
        target = runtime.record.get(link_key, -1)
        if not isinstance(target, int) or target < 0 or target not in ctx.map_ids:
            break
        effects.to(runtime.pids(exclude=player.pid), relay)
        player.took_step()
        pos = player.record["pos"]
        pos["x"], pos["y"] = landing(min(max(to_x, 0), records.MAP_SIZE - 1),
                                     min(max(to_y, 0), records.MAP_SIZE - 1))
        presence.leave(runtime, effects, player.pid, target, ctx)
        return
    bounce(effects, player)


def _warp(runtime, effects, player, data: dict, relay: dict, ctx: RuleContext) -> None:
    target = data.get("map_id", runtime.map_id)
    if not runtime.in_bounds(data.get("x"), data.get("y")) or not isinstance(target, int) or target not in ctx.map_ids:
        bounce(effects, player)
        return
    effects.to(runtime.pids(exclude=player.pid), relay)
    pos = player.record["pos"]
    pos["x"], pos["y"] = data["x"], data["y"]
    if target != runtime.map_id:
        presence.leave(runtime, effects, player.pid, target, ctx)
    else:
        effects.to(runtime.pids(), packets.spawn_player(player.pid, player.record))


def _swap_sprite(runtime, effects, player, sprite) -> None:
    record = player.record
    if isinstance(sprite, int) and sprite > -1 and record.get("swap_sprite", -1) == -1:
        record["swap_sprite"], record["sprite"] = record["sprite"], sprite
    elif sprite == -1 and record.get("swap_sprite", -1) != -1:
        record["sprite"], record["swap_sprite"] = record["swap_sprite"], -1
    else:
        return
    effects.to(runtime.pids(), packets.spawn_player(player.pid, record))
