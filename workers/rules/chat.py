"""Chat (PROTOCOL 5.8): type 5. Commands (rows 1 to 16, ``workers.rules.commands``)
are tried first; what no command takes is plain map chat, row 17."""
from __future__ import annotations

from cluster import packets
from workers.rules import commands, moderation
from workers.rules.context import RuleContext, hook_overrides
from workers.runtime import Effects, MapRuntime, PlayerOnMap

MAX_CHAT = 500


def handle_chat(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    player = runtime.players.get(pid)
    text = packet.get("text")
    if player is None or not isinstance(text, str):
        return  # a missing or non-string text crashed the original (8.18)
    text = text[:MAX_CHAT]
    if not text.strip():
        return  # empty text is ignored (fixes 8.18)
    if commands.run(runtime, effects, player, text, ctx):
        return
    if moderation.refused_when_muted(effects, player, ctx):
        return  # before the chat hook too: a script must not relay a muted player's words
    if not hook_overrides(ctx, runtime, effects, "chat", "handleChat", pid, text):
        say_on_map(runtime, effects, player, text)


def say_on_map(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, text: str) -> None:
    """Row 17: everyone on the map, the sender too, reads "<name>:<text>" as typed."""
    line = packets.chat(f"{player.record['name']}:{text}", packets.CHANNEL_GENERAL, packets.COLOR_WHITE)
    effects.to(runtime.pids(), line)
