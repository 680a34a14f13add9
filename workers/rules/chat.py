"""Chat (PROTOCOL 5.8). This module holds plain map chat, the last row of
the command table; the commands join it as they are built."""
from __future__ import annotations

from cluster import packets
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime

MAX_CHAT = 500


def handle_chat(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    player = runtime.players.get(pid)
    text = packet.get("text")
    if player is None or not isinstance(text, str) or not text.strip():
        return  # empty or missing text is ignored (fixes 8.18)
    text = text[:MAX_CHAT]
    line = packets.chat(f"{player.record['name']}:{text}", packets.CHANNEL_GENERAL, packets.COLOR_WHITE)
    effects.to(runtime.pids(), line)
