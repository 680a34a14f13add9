"""The second half of commands that needed another map or storage (PROTOCOL 5.8).

The first half (in ``commands``) asked the broker or storage; these rules
run when the answer arrives at the map the player stands on.
"""
from __future__ import annotations

from cluster import packets
from workers.rules import presence
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime

RED = "#ff0000"


def who_list(runtime: MapRuntime, effects: Effects, pid: int, entries: list, ctx: RuleContext) -> None:
    """Row 5: "<count> players Online: Name [lv N], ..." then one line per profession."""
    if pid not in runtime.players:
        return
    names = ", ".join(f"{name} [lv {level}]" for name, level, _profession in entries)
    effects.to_player(pid, packets.chat(f"{len(entries)} players Online: {names}", packets.CHANNEL_GENERAL,
                                        packets.COLOR_YELLOW))
    for profession_id, profession in enumerate(ctx.professions):
        members = [name for name, _level, of in entries if of == profession_id]
        title = profession.get("name", "") if isinstance(profession, dict) else ""
        if members and title:
            effects.to_player(pid, packets.chat(f"{title}s: {', '.join(members)}", packets.CHANNEL_GENERAL,
                                                packets.COLOR_YELLOW))


def locate(runtime: MapRuntime, effects: Effects, pid: int, requester: int, ctx: RuleContext) -> None:
    """Row 6, on the target's map: tell the broker where the target stands."""
    player = runtime.players.get(pid)
    if player is not None:
        pos = player.record["pos"]
        effects.located.append((requester, runtime.map_id, pos["x"], pos["y"]))


def warp(runtime: MapRuntime, effects: Effects, pid: int, to_map: int, x: int, y: int, ctx: RuleContext) -> None:
    """Row 6, on the requester's map: same map → a 110 to the map (fixes 8.50); else a map change."""
    player = runtime.players.get(pid)
    if player is None or not runtime.in_bounds(x, y):
        return
    presence.move_to(runtime, effects, player, to_map, x, y, ctx)


def copy_map(runtime: MapRuntime, effects: Effects, pid: int, other_id: int, record: dict | None,
             ctx: RuleContext) -> None:
    """Row 2: the other map's record under this map's id, to the sender only; the server's map is unchanged."""
    if pid not in runtime.players:
        return
    if record is None:
        effects.to_player(pid, packets.chat(f"Map {other_id} could not be loaded.", packets.CHANNEL_GENERAL, RED))
        return
    effects.to_player(pid, packets.map_data(runtime.map_id, record))
    for other in runtime.players.values():
        effects.to_player(pid, packets.spawn_player(other.pid, other.record))
    effects.to_player(pid, packets.chat(f"Map {other_id} was sent only to you; save it to copy it.",
                                        packets.CHANNEL_GENERAL, RED))


def script_text(runtime: MapRuntime, effects: Effects, pid: int, name: str, text: str, ctx: RuleContext) -> None:
    """Row 12: 138 with the script, then the script editor."""
    if pid in runtime.players:
        effects.to_player(pid, packets.script_for_editing(name, text))
        effects.to_player(pid, packets.window(packets.WIN_SCRIPT_EDITOR, ""))
