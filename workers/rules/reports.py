"""Type 32, the client's own hack-attempt report (PROTOCOL 2.3).

At access 0 the connection is closed (the socket close runs the normal
disconnect) and everyone online is told; staff reports are ignored, as in
the original. The report is only as good as the client that sends it (8.12).
"""
from __future__ import annotations

from cluster import packets
from workers.rules.commands import access_of
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime


def handle_hack_report(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    player = runtime.players.get(pid)
    if player is None or access_of(player.record) > 0:
        return
    effects.closes.append(pid)
    notice = f"{player.record['name']} was disconnected for hacking."
    effects.to_everyone(packets.chat(notice, packets.CHANNEL_GENERAL, packets.COLOR_GREY))
