"""Packets whose whole behaviour is a script's (PROTOCOL 2.3): attack (7) and click tile (22).

Without the hook they do nothing and send nothing, as in the original; the
starter world ships an ``attack`` script (scripting's default scripts).
"""
from __future__ import annotations

from workers.rules.context import RuleContext, run_hook
from workers.runtime import Effects, MapRuntime, is_number

ATTACK_FIELDS = ("target_id", "target_type", "speed", "attacking")


def handle_attack(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 7: ``handleAttack(playerID, target_type, target_id, attacking)``; all four fields required."""
    if pid not in runtime.players or any(name not in packet for name in ATTACK_FIELDS):
        return
    target_type, target_id, attacking = packet["target_type"], packet["target_id"], packet["attacking"]
    if not (is_number(target_type) and is_number(target_id) and is_number(packet["speed"])
            and isinstance(attacking, (bool, int))):
        return
    run_hook(ctx, runtime, effects, "attack", "handleAttack", pid, int(target_type), int(target_id), attacking)


def handle_click(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 22: ``handleClick(playerID, x, y)`` for a tile of the map."""
    x, y = packet.get("x"), packet.get("y")
    if pid in runtime.players and runtime.in_bounds(x, y):
        run_hook(ctx, runtime, effects, "click", "handleClick", pid, x, y)
