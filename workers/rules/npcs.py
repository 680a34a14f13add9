"""NPCs (PROTOCOL 5.5): map-slot and tile spawns, the AI tick, death, exp and drops, aggro.

An NPC slot is the visible ``runtime.npcs[slot]`` (sent in 113), its hidden
``runtime.npc_state[slot]`` (next tick, respawn time, owning spawn tile,
speed modifier, script flags) and its ``runtime.aggro[slot]`` (pid → aggro).
NPC definitions come from ``ctx.npc(npc_id)``; an NPC whose definition has
vanished (an editor shortened the list) is left standing as it is.

Fixes of the original:
* 8.39: a random (map-slot) spawn takes a free tile, and a tile spawn waits
  ``spawn_delay`` after its NPC died (``runtime.npc_spawns``);
* 8.40: every player with aggro > 0 shares the exp (not only > 1), and the
  formula uses true division throughout.

Decisions where the protocol is silent: every spawn (map slot, tile or
script) gives a fresh NPC: speed modifier 0, no script flags, no aggro. Step
times are whole milliseconds (the formula's value, truncated). A target on
the NPC's own tile (path length 1) is attacked without a turn. "More than
1 s behind" compares the previous ``next_tick_ms`` with now.
"""
from __future__ import annotations

import math

from cluster import packets, records
from cluster.tiles import STEPS, wander_may_enter
from workers.rules.context import RuleContext, hook_overrides, run_hook
from workers.rules.pathfinding import WalkGrid, find_path
from workers.runtime import Effects, MapRuntime, is_alive, number_or

GRACE_MS = 50  # an NPC (or a respawn) this close to due is processed now
FIRST_TICK_MS = 600  # a new NPC's first thought
OVERRIDDEN_TICK_MS = 100  # next tick after a mobai hook returned 1
SPAWN_TRIES = 30  # random tiles tried for a map-slot spawn
WANDER_TRIES = 3  # directions tried by a wandering NPC, rotating by +1
ATTACK_MS = 1000  # an adjacent NPC's attack rate, before its speed modifier
MAX_LAG_MS = 1000  # a schedule further behind than this is caught up to 1 s ago (an attack: to now)
CHASE_BASE_MS, RUN_BONUS_MS, MIN_CHASE_MS = 600, 300, 100
WANDER_BASE_MS, MIN_WANDER_MS = 600, 200
EXP_SHARED_BONUS = 1.2  # the exp total when more than one player earned it


# --- small readers: definitions and hidden state may lack a field or hold a bad value ---------
def _field(definition: dict, group: str, key: str) -> float:
    values = definition.get(group)
    return number_or(values.get(key), 0) if isinstance(values, dict) else 0


def _valid_slot(runtime: MapRuntime, slot) -> bool:
    return type(slot) is int and 0 <= slot < len(runtime.npcs)


def _reserved_type(runtime: MapRuntime, slot: int) -> int:
    """The NPC type map slot ``slot`` is reserved for (``spawn_npc_ids``), or -1: free for tile spawns."""
    reserved = runtime.record.get("spawn_npc_ids")
    npc_id = reserved[slot] if isinstance(reserved, list) and slot < len(reserved) else -1
    return npc_id if type(npc_id) is int and npc_id >= 0 else -1


def _to_map(runtime: MapRuntime, effects: Effects, packet: dict) -> None:
    effects.to(runtime.pids(), packet)


# --- aggro (script helpers setAggro / addAggro, /provoke) -------------------------------------
def set_aggro(runtime: MapRuntime, slot: int, pid: int, amount: int) -> None:
    """setAggro (and /provoke): the player's aggro on the NPC in ``slot``; 0 removes the entry (6.3)."""
    if not _valid_slot(runtime, slot) or type(pid) is not int or type(amount) is not int:
        return
    table = runtime.aggro[slot]
    if amount == 0:
        if table.pop(pid, None) is not None:
            runtime.dirty = True
    elif table.get(pid) != amount:
        table[pid] = amount
        runtime.dirty = True


def add_aggro(runtime: MapRuntime, slot: int, pid: int, amount: int) -> None:
    """addAggro: add ``amount`` (may be negative); an entry that falls to 0 or less is removed."""
    if not _valid_slot(runtime, slot) or type(pid) is not int or type(amount) is not int:
        return
    current = runtime.aggro[slot].get(pid, 0)
    set_aggro(runtime, slot, pid, int(number_or(current, 0)) + amount)


# --- spawning (5.5.1) -------------------------------------------------------------------------
def spawn_npc(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int, npc_id: int,
              x: int, y: int, direction: int = -1) -> bool:
    """Put a fresh NPC of type ``npc_id`` in ``slot`` at (x, y) and send the map its 113.

    ``direction`` -1 (or any value but 0 to 3) is a random one. False, and
    nothing changes, for a bad slot, an unknown NPC type or a tile off the map.
    """
    definition = ctx.npc(npc_id)
    if definition is None or not _valid_slot(runtime, slot) or not runtime.in_bounds(x, y):
        return False
    if type(direction) is not int or direction not in STEPS:
        direction = ctx.rng.randrange(len(STEPS))
    vitals = definition.get("vitals") if isinstance(definition.get("vitals"), dict) else {}
    runtime.npcs[slot] = {
        "npc_id": npc_id,
        "sprite": int(number_or(definition.get("sprite"), 0)),
        "scale": number_or(definition.get("scale"), 1),
        "vitals": records.vitals(*(number_or(vitals.get(key), 0) for key in ("hp", "mp", "sp"))),
        "pos": records.position(x, y, direction, runtime.map_id),
    }
    state = runtime.npc_state[slot]
    state.update(next_tick_ms=ctx.now_ms + FIRST_TICK_MS, speed_modifier=0, data={}, tile="")
    runtime.aggro[slot] = {}
    runtime.dirty = True
    _to_map(runtime, effects, packets.map_npc(runtime.map_id, slot, runtime.npcs[slot]))
    return True


def _spawn_map_slots(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """5.5.1 A: an empty slot reserved for an NPC type spawns it on a random free tile when due."""
    for slot, npc in enumerate(runtime.npcs):
        npc_id = _reserved_type(runtime, slot)
        if npc_id < 0 or npc.get("npc_id", -1) > -1:
            continue
        if number_or(runtime.npc_state[slot].get("respawn_at_ms"), 0) > ctx.now_ms + GRACE_MS:
            continue
        if ctx.npc(npc_id) is None:
            continue
        tile = _random_spawn_tile(runtime, ctx)
        if tile is not None and spawn_npc(runtime, effects, ctx, slot, npc_id, *tile):
            npc = runtime.npcs[slot]
            _to_map(runtime, effects, packets.npc_moved(runtime.map_id, slot, tile[0], tile[1],
                                                        npc["pos"]["dir"], 0))


def _random_spawn_tile(runtime: MapRuntime, ctx: RuleContext) -> tuple[int, int] | None:
    """The first of up to 30 random tiles that passes the wander column and is free (fixes 8.39)."""
    for _ in range(SPAWN_TRIES):
        x, y = ctx.rng.randrange(records.MAP_SIZE), ctx.rng.randrange(records.MAP_SIZE)
        if wander_may_enter(runtime.tile(x, y)) and not runtime.tile_occupied(x, y):
            return x, y
    return None  # tried again on the next tick


def tile_spawn(runtime: MapRuntime, effects: Effects, ctx: RuleContext, x: int, y: int, tile: dict) -> None:
    """Event pass: a type-6 tile spawns its NPC when it owns none and its respawn time has come (5.5.1 B)."""
    key = f"{x}:{y}"
    if _tile_owns_an_npc(runtime, key):
        return
    if number_or(runtime.npc_spawns.get(key), 0) > ctx.now_ms:
        return  # its last NPC died less than spawn_delay ago (fixes 8.39)
    data = tile.get("data") if isinstance(tile.get("data"), dict) else {}
    npc_id = data.get("npc_id")
    if type(npc_id) is not int or ctx.npc(npc_id) is None:
        return
    for slot, npc in enumerate(runtime.npcs):
        if _reserved_type(runtime, slot) < 0 and npc.get("npc_id", -1) < 0:
            direction = data.get("dir", -1)
            if spawn_npc(runtime, effects, ctx, slot, npc_id, x, y, direction if type(direction) is int else -1):
                runtime.npc_state[slot]["tile"] = key
                runtime.npc_spawns.pop(key, None)
            return


def _tile_owns_an_npc(runtime: MapRuntime, key: str) -> bool:
    """A slot marked as this tile's; a mark left on an emptied slot (a map save) is dropped."""
    for slot, state in enumerate(runtime.npc_state):
        if state.get("tile") == key:
            if runtime.npcs[slot].get("npc_id", -1) > -1:
                return True
            state["tile"] = ""
            runtime.dirty = True
    return False


# --- death (5.5.2) ----------------------------------------------------------------------------
def deaths(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Event pass, first: every NPC with hp <= 0 and npc_id > -1 dies (5.5.2)."""
    for slot, npc in enumerate(runtime.npcs):
        npc_id = npc.get("npc_id", -1)
        if npc_id <= -1 or number_or(npc["vitals"].get("hp"), 0) > 0:
            continue
        if hook_overrides(ctx, runtime, effects, "mobdeath", (f"mobdeath_{npc_id}", "genericdeath"), slot):
            continue  # the corpse stays until the script deals with it
        npc = runtime.npcs[slot]
        if npc.get("npc_id") != npc_id or runtime.npc_alive(slot):
            continue  # the hook revived or replaced it
        definition = ctx.npc(npc_id) or {}  # a vanished type still leaves, with no exp and no loot
        _reward_exp(runtime, effects, slot, definition)
        _clear_corpse(runtime, effects, ctx, slot, definition)
        _drop_loot(runtime, effects, ctx, definition, npc["pos"]["x"], npc["pos"]["y"])


def kill_exp(definition: dict, earners: int) -> int:
    """Each earner's share of the exp for defeating an NPC of ``definition`` (5.5.2, fixes 8.40)."""
    if earners < 1:
        return 0
    speed = _field(definition, "stats", "spd")
    if speed < 0:
        total = -speed  # a fixed reward
    else:
        strength, defence = _field(definition, "stats", "str") * 0.5, _field(definition, "stats", "def")
        max_hp = _field(definition, "vitals", "hp")
        total = math.floor(10 * strength + 10 * defence + max_hp * (strength / 6 + defence / 6))
    if earners > 1:
        total *= EXP_SHARED_BONUS
    return math.floor(total / earners)


def _reward_exp(runtime: MapRuntime, effects: Effects, slot: int, definition: dict) -> None:
    """Every player on the map with aggro > 0 on the NPC gets his share, a 137 and a notice."""
    if not definition:
        return
    aggro = runtime.aggro[slot]
    earners = [pid for pid in runtime.players if number_or(aggro.get(pid), 0) > 0]
    share = kill_exp(definition, len(earners))
    name = definition.get("name") if isinstance(definition.get("name"), str) else ""
    for pid in earners:
        record = runtime.players[pid].record
        record["exp"] = number_or(record.get("exp"), 0) + share
        runtime.player_changed(pid)
        effects.to_player(pid, packets.experience(pid, record["exp"]))
        effects.to_player(pid, packets.chat(f"You gained {share} exp for defeating {name}",
                                            packets.CHANNEL_GENERAL, packets.COLOR_YELLOW, True))


def _clear_corpse(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int, definition: dict) -> None:
    """Empty the slot (hp stays <= 0), start the respawn timers, tell the map (113, sound 2)."""
    state = runtime.npc_state[slot]
    respawn_at = ctx.now_ms + int(max(number_or(definition.get("spawn_delay"), 0), 0) * 1000)
    state.update(data={}, respawn_at_ms=respawn_at)
    runtime.aggro[slot] = {}
    if state.get("tile"):
        runtime.npc_spawns[state["tile"]] = respawn_at
        state["tile"] = ""
    runtime.npcs[slot]["npc_id"] = -1
    runtime.dirty = True
    _to_map(runtime, effects, packets.map_npc(runtime.map_id, slot, runtime.npcs[slot]))
    _to_map(runtime, effects, packets.sound(packets.SOUND_NPC_DEATH))


def _drop_loot(runtime: MapRuntime, effects: Effects, ctx: RuleContext, definition: dict, x: int, y: int) -> None:
    """Each ``drop_items`` entry of a known item drops on the NPC's tile with its chance (percent)."""
    drops = definition.get("drop_items")
    for drop in drops if isinstance(drops, list) else []:
        if not isinstance(drop, dict):
            continue
        item = ctx.item(drop.get("item_id"))
        if item is None or ctx.rng.randint(1, 100) > number_or(drop.get("chance"), 0):
            continue
        amount = drop.get("amount")
        amount = amount if type(amount) is int and amount > 0 else 1
        uses = item.get("uses")
        slot = runtime.place_item(drop["item_id"], amount, uses if type(uses) is int else 0, x, y)
        if slot > -1:
            _to_map(runtime, effects, packets.map_item(runtime.map_id, slot, runtime.items[slot]))


# --- the AI tick (5.5.3) ----------------------------------------------------------------------
def tick(runtime: MapRuntime, effects: Effects, ctx: RuleContext) -> None:
    """Tick part (5.9 step 5): map-slot spawns, then the AI of every living NPC that is due."""
    _spawn_map_slots(runtime, effects, ctx)
    grid = None  # the tile rules for A*, read once for all the searches of this tick
    for slot, npc in enumerate(runtime.npcs):
        if not runtime.npc_alive(slot):
            continue
        if number_or(runtime.npc_state[slot].get("next_tick_ms"), 0) > ctx.now_ms + GRACE_MS:
            continue
        definition = ctx.npc(npc["npc_id"])
        if definition is None:
            continue
        if grid is None and runtime.aggro[slot]:
            grid = WalkGrid.of(runtime)
        _think(runtime, effects, ctx, slot, definition, grid)


def _think(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int, definition: dict,
           grid: WalkGrid | None) -> None:
    """One AI tick: choose a target, ask the script, then chase or wander, and schedule the next."""
    npc_id = runtime.npcs[slot]["npc_id"]
    target, path = _choose_target(runtime, slot, grid)
    state = runtime.npc_state[slot]
    runtime.dirty = True
    if hook_overrides(ctx, runtime, effects, "mobai", (f"mobaiTick_{npc_id}", "genericaiTick"),
                      slot, target, len(path) if path else -1):
        state["next_tick_ms"] = ctx.now_ms + OVERRIDDEN_TICK_MS
        return
    if not runtime.npc_alive(slot) or runtime.npcs[slot]["npc_id"] != npc_id:
        return  # the hook killed or replaced it
    if path is not None and target in runtime.players:
        state["next_tick_ms"] = _chase(runtime, effects, ctx, slot, definition, target, path)
    else:
        state["next_tick_ms"] = _wander(runtime, effects, ctx, slot, definition)


def _choose_target(runtime: MapRuntime, slot: int, grid: WalkGrid | None) -> tuple[int, list | None]:
    """The reachable player with the most aggro and the path to him; else the last one examined, no path."""
    npc_pos = runtime.npcs[slot]["pos"]
    best, examined, target, path = 0, -1, -1, None
    for pid, amount in list(runtime.aggro[slot].items()):
        player = runtime.players.get(pid)
        if number_or(amount, 0) <= best or player is None:
            continue
        if not is_alive(player.record) or number_or(player.record.get("sprite"), 0) <= -1:
            continue  # dead players and sprite -1 are ignored (4.2)
        examined = pid
        pos = player.record["pos"]
        found = find_path(runtime, (npc_pos["x"], npc_pos["y"]), (pos["x"], pos["y"]), grid)
        if found is not None:
            best, target, path = number_or(amount, 0), pid, found
    return (target, path) if path is not None else (examined, None)


def _step_times(definition: dict, speed_modifier: float) -> tuple[int, int]:
    """(chase_ms, wander_ms) of 5.5.3 steps 4 and 5, in whole milliseconds."""
    delay = number_or(definition.get("move_delay"), 100) / 100
    amount = number_or(definition.get("move_amount"), 1)
    running = RUN_BONUS_MS if definition.get("pursue_run") is True else 0
    chase = (CHASE_BASE_MS - running) * delay / max(amount, 1) + speed_modifier
    wander = WANDER_BASE_MS * delay / (amount if amount > 0 else 1) + speed_modifier
    return int(max(chase, MIN_CHASE_MS)), int(max(wander, MIN_WANDER_MS))


def _after(previous: float, now_ms: int, step_ms: int) -> int:
    """The next tick ``step_ms`` after the previous one; from 1 s ago when it lags more than that."""
    return int(previous + step_ms) if now_ms - previous <= MAX_LAG_MS else now_ms - MAX_LAG_MS + step_ms


def _chase(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int, definition: dict,
           target: int, path: list) -> int:
    """Step 4: attack an adjacent target (turning to face him first), else take one step along the path."""
    npc, state = runtime.npcs[slot], runtime.npc_state[slot]
    pos, previous = npc["pos"], number_or(state.get("next_tick_ms"), 0)
    speed_modifier = number_or(state.get("speed_modifier"), 0)
    chase_ms, _ = _step_times(definition, speed_modifier)
    if len(path) <= 2:
        if len(path) == 2:
            _turn(runtime, effects, slot, _direction(path[0], path[1]))
        run_hook(ctx, runtime, effects, "mobai", (f"mobaiAttack_{npc['npc_id']}", "genericaiAttack"), slot, target)
        if ctx.now_ms - previous > MAX_LAG_MS:
            return ctx.now_ms
        return int(previous + ATTACK_MS + speed_modifier)
    next_x, next_y = path[1]
    if (pos["x"], pos["y"]) == path[0] and not runtime.tile_occupied(next_x, next_y):
        _move(runtime, effects, slot, _direction(path[0], path[1]), next_x, next_y, chase_ms)
    return _after(previous, ctx.now_ms, chase_ms)


def _wander(runtime: MapRuntime, effects: Effects, ctx: RuleContext, slot: int, definition: dict) -> int:
    """Step 5: with ``move_chance`` percent, one step in a random direction to a free wander tile."""
    state = runtime.npc_state[slot]
    _, wander_ms = _step_times(definition, number_or(state.get("speed_modifier"), 0))
    if ctx.rng.randint(1, 100) <= number_or(definition.get("move_chance"), 0):
        pos = runtime.npcs[slot]["pos"]
        first = ctx.rng.randrange(len(STEPS))
        for turn in range(WANDER_TRIES):
            direction = (first + turn) % len(STEPS)
            dx, dy = STEPS[direction]
            x, y = pos["x"] + dx, pos["y"] + dy
            # Off the map counts as the NPC's own tile, which is never free.
            if (runtime.in_bounds(x, y) and wander_may_enter(runtime.tile(x, y))
                    and not runtime.tile_occupied(x, y)):
                _move(runtime, effects, slot, direction, x, y, wander_ms)
                break
    return _after(number_or(state.get("next_tick_ms"), 0), ctx.now_ms, wander_ms)


def _direction(here: tuple[int, int], there: tuple[int, int]) -> int:
    step = (there[0] - here[0], there[1] - here[1])
    return next(direction for direction, delta in STEPS.items() if delta == step)


def _turn(runtime: MapRuntime, effects: Effects, slot: int, direction: int) -> None:
    pos = runtime.npcs[slot]["pos"]
    if pos["dir"] != direction:
        pos["dir"] = direction
        _to_map(runtime, effects, packets.npc_moved(runtime.map_id, slot, pos["x"], pos["y"], direction, 0))


def _move(runtime: MapRuntime, effects: Effects, slot: int, direction: int, x: int, y: int, speed: int) -> None:
    """The 118 names the tile the NPC leaves, as the client animates from it."""
    pos = runtime.npcs[slot]["pos"]
    _to_map(runtime, effects, packets.npc_moved(runtime.map_id, slot, pos["x"], pos["y"], direction, speed))
    pos["x"], pos["y"], pos["dir"] = x, y, direction


# --- scheduling -------------------------------------------------------------------------------
def next_due_ms(runtime: MapRuntime, ctx: RuleContext) -> int | None:
    """The earliest AI tick, map-slot respawn or tile respawn of this map (ms), or None."""
    due = []
    for slot, npc in enumerate(runtime.npcs):
        state = runtime.npc_state[slot]
        if runtime.npc_alive(slot) and ctx.npc(npc["npc_id"]) is not None:
            due.append(number_or(state.get("next_tick_ms"), 0) - GRACE_MS)
    for slot, npc in enumerate(runtime.npcs):
        npc_id = _reserved_type(runtime, slot)
        if npc_id >= 0 and npc.get("npc_id", -1) < 0 and ctx.npc(npc_id) is not None:
            due.append(number_or(runtime.npc_state[slot].get("respawn_at_ms"), 0) - GRACE_MS)
    due += [at for at in (number_or(at, 0) for at in runtime.npc_spawns.values()) if at > ctx.now_ms]
    return int(min(due)) if due else None
