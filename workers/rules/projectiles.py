"""Projectiles (PROTOCOL 5.10): 50 shot slots, 150 ms steps, hit checks.

A shot is the visible ``runtime.shots[slot]`` (sent in 126; its ``pos`` keeps
the tile it was fired from, the QUIRK of 4.4 kept) and its hidden
``runtime.shot_state[slot]``: the next step, the steps left and the tile and
direction it is flying along. Only scripts fire shots (``shootProjectile``).

Fixes and decisions:
* the 6.3 [BUG]: the step timer is set when the shot is fired (now + 150 ms);
* the launcher: 5.10 says a player's range comes from "inventory slot 1" when
  it holds another item than the shot; slot 1 holds armour (type 2 goes to
  slot type - 1), while launchers are weapons (type 1, slot 0), so we read the
  weapon slot 0. A launcher without a positive ``tile_range`` (a sword) leaves
  the shot item's own range;
* a shot fired by a player who is not on this map, by an NPC slot out of
  range, from a tile off the map, in a bad direction or with an unknown item
  is not fired (-1);
* catching up: a shot takes every step that is due by now, each 150 ms after
  the previous one, so a late tick does not slow it down (at most 12 steps
  can be due before it leaves the map).
"""
from __future__ import annotations

from cluster import packets, records
from cluster.tiles import STEPS, WALL
from workers.rules.context import RuleContext, has_hook, hook_overrides
from workers.runtime import Effects, MapRuntime, PlayerRef, number_or

SHOOTER_NONE, SHOOTER_PLAYER, SHOOTER_NPC = 0, 1, 2
STEP_MS = packets.SHOT_STEP_MS
WEAPON_SLOT = 0  # a launcher (bow) is a weapon: item type 1 goes to inventory slot 0
HIT_PLAYER, HIT_NPC = 1, 2  # hitgeneric's first argument


def fire(runtime: MapRuntime, effects: Effects, ctx: RuleContext, shooter_type: int, shooter_id: int,
         x: int, y: int, direction: int, item_id: int) -> int:
    """shootProjectile: the shot's slot, or -1 when it cannot fly or all 50 are in flight."""
    if not (_valid_shooter(runtime, shooter_type, shooter_id) and runtime.in_bounds(x, y)
            and type(direction) is int and direction in STEPS and ctx.item(item_id) is not None):
        return -1
    reach = _range(runtime, ctx, shooter_type, shooter_id, item_id)
    slot = next((slot for slot, shot in enumerate(runtime.shots) if shot.get("shooter_type") == SHOOTER_NONE), -1)
    if reach <= 0 or slot < 0:
        return -1
    runtime.shots[slot] = {"shooter_type": shooter_type, "shooter_id": shooter_id, "item_id": item_id,
                           "pos": records.position(x, y, direction, runtime.map_id)}
    runtime.shot_state[slot] = {"next_tick_ms": ctx.now_ms + STEP_MS, "moves_left": reach,
                                "x": x, "y": y, "dir": direction}
    runtime.dirty = True
    pids = runtime.pids()
    effects.to(pids, packets.shot(runtime.map_id, slot, runtime.shots[slot]))
    if shooter_type == SHOOTER_PLAYER:
        effects.to(pids, packets.player_attack(shooter_id))
    else:
        effects.to(pids, packets.npc_attack(runtime.map_id, shooter_id))
    return slot


def _valid_shooter(runtime: MapRuntime, shooter_type, shooter_id) -> bool:
    if type(shooter_id) is not int:
        return False
    if shooter_type == SHOOTER_PLAYER and type(shooter_type) is int:
        return shooter_id in runtime.players
    return shooter_type == SHOOTER_NPC and type(shooter_type) is int and 0 <= shooter_id < len(runtime.npcs)


def _tile_range(item: dict | None) -> int:
    data = item.get("data") if item is not None else None
    reach = data.get("tile_range") if isinstance(data, dict) else None
    return int(number_or(reach, 0))


def _range(runtime: MapRuntime, ctx: RuleContext, shooter_type: int, shooter_id: int, item_id: int) -> int:
    """The shot item's ``tile_range``, or a player's launcher's when he holds another item in slot 0."""
    reach = _tile_range(ctx.item(item_id))
    if shooter_type == SHOOTER_PLAYER:
        inventory = runtime.players[shooter_id].record.get("inv")
        weapon = inventory[WEAPON_SLOT].get("item_id", -1) if isinstance(inventory, list) and inventory else -1
        launcher = _tile_range(ctx.item(weapon)) if weapon != item_id else 0
        if launcher > 0:
            reach = launcher
    return reach


def tick(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Tick part: every shot takes the steps that are due (5.10)."""
    for slot in _flying(runtime):
        while _in_flight(runtime, slot) and _due_at(runtime.shot_state[slot]) <= ctx.now_ms:
            _step(runtime, effects, ctx, slot)


def _flying(runtime: MapRuntime) -> list[int]:
    """The slots of the shots in flight (one pass over the table: most maps have none)."""
    return [slot for slot, shot in enumerate(runtime.shots) if shot.get("shooter_type", SHOOTER_NONE) != SHOOTER_NONE]


def _in_flight(runtime: MapRuntime, slot: int) -> bool:
    return runtime.shots[slot].get("shooter_type", SHOOTER_NONE) != SHOOTER_NONE


def _due_at(state: dict) -> float:
    """When the shot's next step is due; a value we cannot read makes it due now (and then removed)."""
    due = state.get("next_tick_ms")
    return number_or(due, float("-inf"))


def _step(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int) -> None:
    """One step: the hit check on the next tile, then the move (127) or the end of the shot."""
    state = runtime.shot_state[slot]
    direction, x, y = state.get("dir"), state.get("x"), state.get("y")
    if (type(direction) is not int or direction not in STEPS or not runtime.in_bounds(x, y)
            or type(state.get("moves_left")) is not int or _due_at(state) == float("-inf")):
        _remove(runtime, effects, slot)  # a checkpoint we cannot read
        return
    state["moves_left"] -= 1
    dx, dy = STEPS[direction]
    x, y = x + dx, y + dy
    runtime.dirty = True
    if not runtime.in_bounds(x, y) or _hits(runtime, effects, ctx, slot, x, y) or state["moves_left"] <= 0:
        _remove(runtime, effects, slot)
        return
    if runtime.shot_state[slot] is not state:
        return  # a hook replaced the shot
    state["x"], state["y"] = x, y
    state["next_tick_ms"] += STEP_MS
    effects.to(runtime.pids(), packets.shot_step(runtime.map_id, slot, x, y, direction))


def _hits(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int, x: int, y: int) -> bool:
    """The hit check of 5.10: a ranged-blocking wall, then each player (dead too), then each living NPC."""
    tile = runtime.tile(x, y)
    data = tile.get("data") if isinstance(tile.get("data"), dict) else {}
    if tile.get("type") == WALL and data.get("block_ranged") is True:
        return True
    shot = runtime.shots[slot]
    flight = (shot["shooter_type"], shot["shooter_id"], x, y, shot["item_id"], runtime.shot_state[slot]["dir"])
    for player in runtime.players_at(x, y):
        target = PlayerRef(player.pid, player.record)  # the original passed the record (6.2 QUIRK)
        if _target_hit(ctx, runtime, effects, "hitplayer", HIT_PLAYER, target, flight):
            return True
    for npc_slot in range(len(runtime.npcs)):
        pos = runtime.npcs[npc_slot]["pos"]
        if not runtime.npc_alive(npc_slot) or (pos["x"], pos["y"]) != (x, y):
            continue
        if _target_hit(ctx, runtime, effects, "hitnpc", HIT_NPC, npc_slot, flight):
            return True
    return False


def _target_hit(ctx, runtime, effects, hook: str, kind: int, target, flight: tuple) -> bool:
    """The specific hook (hitplayer / hitnpc) with the target, else hitgeneric(kind, target, ...)."""
    if has_hook(ctx, "projectile", hook):
        return hook_overrides(ctx, runtime, effects, "projectile", hook, target, *flight)
    return hook_overrides(ctx, runtime, effects, "projectile", "hitgeneric", kind, target, *flight)


def _remove(runtime: MapRuntime, effects: Effects, slot: int) -> None:
    runtime.shots[slot] = records.empty_shot()
    runtime.shot_state[slot] = records.shot_state()
    runtime.dirty = True
    effects.to(runtime.pids(), packets.shot(runtime.map_id, slot, runtime.shots[slot]))


def next_due_ms(runtime: MapRuntime) -> int | None:
    """The earliest step of a shot in flight (ms), or None."""
    due = [_due_at(runtime.shot_state[slot]) for slot in _flying(runtime)]
    due = [max(at, 0) for at in due]  # an unreadable one is due at once
    return int(min(due)) if due else None
