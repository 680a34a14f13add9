"""Arriving on and leaving a map: join (5.2.1), leave (5.1.4), disconnect (5.1.5)."""
from __future__ import annotations

from cluster import packets, records
from workers.rules.context import RuleContext, hook_overrides, run_hook
from workers.rules.stats import reload_packet
from workers.runtime import Effects, MapRuntime, PlayerOnMap, Transfer


def _clamp_position(runtime: MapRuntime, record: dict) -> None:
    pos = record["pos"]
    pos["map_id"] = runtime.map_id
    for axis in ("x", "y"):
        if not isinstance(pos.get(axis), int) or not 0 <= pos[axis] < records.MAP_SIZE:
            pos[axis] = records.MAP_SIZE // 2
    if pos.get("dir") not in (0, 1, 2, 3):
        pos["dir"] = 0


def _shop_line(runtime: MapRuntime, shops: list, say_key: str) -> dict | None:
    shop_id = runtime.record.get("shop_id", -1)
    if not isinstance(shop_id, int) or not 0 <= shop_id < len(shops):
        return None
    shop = shops[shop_id]
    if not shop.get("name") or not shop.get(say_key):
        return None
    return packets.chat(f"{shop['name']} says, '{shop[say_key]}'", packets.CHANNEL_NOTICE,
                        packets.COLOR_SHOPKEEPER)


def join(runtime: MapRuntime, effects: Effects, pid: int, char_key: list, record: dict,
         ctx: RuleContext) -> None:
    """The map join sequence, with the newcomer's own record (fixes 8.46).

    The ``joinmap`` hook gets the id as an int (the original passed a string: 8.63).
    """
    if pid in runtime.players:
        return  # already here (a re-sent JOIN after a failover)
    _clamp_position(runtime, record)
    newcomer = PlayerOnMap(pid, char_key, record)  # fresh per-visit flags (step 1)
    run_hook(ctx, runtime, effects, "joinmap", "joinmap", pid)
    greeting = _shop_line(runtime, ctx.shops, "join_say")
    if greeting:
        effects.to_player(pid, greeting)
    runtime.players[pid] = newcomer
    runtime.player_changed(pid)
    map_id = runtime.map_id
    effects.to_player(pid, packets.map_data(map_id, runtime.record))
    effects.to_player(pid, packets.map_items(map_id, runtime.items))
    effects.to_player(pid, runtime.doors_packet())
    effects.to_player(pid, packets.shots(map_id, runtime.shots))
    effects.to_player(pid, packets.map_npcs(map_id, runtime.npcs))
    music_id = runtime.record.get("music_id", -1)
    if isinstance(music_id, int) and music_id > -1:
        effects.to_player(pid, packets.music(music_id))
    newcomer_spawn = packets.spawn_player(pid, record)
    effects.to(runtime.pids(exclude=pid), newcomer_spawn)
    for other in runtime.players.values():
        if other.pid == pid:
            effects.to_player(pid, newcomer_spawn)
        effects.to_player(pid, packets.spawn_player(other.pid, other.record))
        pos = other.record["pos"]
        effects.to_player(pid, packets.player_moved(other.pid, pos["x"], pos["y"], pos["dir"], 0))


def leave(runtime: MapRuntime, effects: Effects, pid: int, to_map: int, ctx: RuleContext) -> bool:
    """Leave for another map (5.1.4); the player stops hearing this map at once (fixes 8.45).

    False when he stays: not on this map, or the ``leavemap`` hook returned 1.
    """
    if pid not in runtime.players or hook_overrides(ctx, runtime, effects, "leavemap", "leavemap", pid, to_map):
        return False
    player = runtime.players.pop(pid, None)
    if player is None:
        return False  # the hook moved him already
    runtime.changed_players.discard(pid)
    effects.to(runtime.pids(), packets.despawn_player(pid, runtime.map_id))
    farewell = _shop_line(runtime, ctx.shops, "leave_say")
    if farewell:
        effects.to_player(pid, farewell)
    player.record["pos"]["map_id"] = to_map
    effects.saves.append((player, False))
    effects.to_player(pid, packets.sound(packets.SOUND_MAP_CHANGE))
    effects.transfers.append(Transfer(pid, player.char_key, to_map, player.record))
    return True


def move_to(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, map_id: int, x: int, y: int,
            ctx: RuleContext) -> None:
    """Put a player at (x, y) of ``map_id``: a 110 to the map when it is this one, else a map change
    (5.1.4) — the revive and /warpto. A ``leavemap`` override keeps him where he was."""
    pos = player.record["pos"]
    if map_id == runtime.map_id:
        pos["x"], pos["y"] = x, y
        runtime.player_changed(player.pid)
        effects.to(runtime.pids(), packets.spawn_player(player.pid, player.record))
        return
    previous = (pos["x"], pos["y"])
    pos["x"], pos["y"] = x, y
    if not leave(runtime, effects, player.pid, map_id, ctx):
        pos["x"], pos["y"] = previous  # the leavemap hook kept him here


def disconnect(runtime: MapRuntime, effects: Effects, pid: int, ctx: RuleContext) -> PlayerOnMap | None:
    """The session ended (5.1.5): tell the map and everyone, place at the boot map, save.

    The ``leavemap`` hook hears it with newMap -1; its override is ignored.
    """
    if pid not in runtime.players:
        return None
    run_hook(ctx, runtime, effects, "leavemap", "leavemap", pid, -1)
    player = runtime.players.pop(pid, None)
    if player is None:
        return None
    runtime.changed_players.discard(pid)
    record = player.record
    effects.to(runtime.pids(), packets.despawn_player(pid, runtime.map_id))
    effects.to_everyone(packets.chat(f"{record['name']} has left the game!", packets.CHANNEL_GENERAL,
                                     packets.COLOR_GREY))
    boot = runtime.record.get("boot_map") or {}
    if isinstance(boot.get("map_id"), int) and boot["map_id"] > -1:
        record["pos"].update(x=boot.get("x", 0), y=boot.get("y", 0), map_id=boot["map_id"])
    effects.saves.append((player, True))
    return player


UPDATABLE_FIELDS = {"access": int}


def update_record(runtime: MapRuntime, effects: Effects, pid: int, changes: dict) -> None:
    """Apply an operator's change to a player in play: 109 (a reload), then 100 winGame."""
    player = runtime.players.get(pid)
    if player is None:
        return
    for key, value in changes.items():
        if isinstance(value, UPDATABLE_FIELDS.get(key, ())) and not isinstance(value, bool):
            player.record[key] = value
    runtime.player_changed(pid)
    effects.to_player(pid, reload_packet(pid, player.record))
    effects.to_player(pid, packets.window(packets.WIN_GAME, ""))
