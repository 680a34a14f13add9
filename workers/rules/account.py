"""Account packets a player sends from the game: type 23, save settings (PROTOCOL 2.3).

The map only passes the settings on; storage validates and keeps them.
No reply (as in the original).
"""
from __future__ import annotations

from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime


def handle_settings(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    player = runtime.players.get(pid)
    settings = packet.get("settings")
    if player is None or not isinstance(settings, dict):
        return  # a missing settings field crashed the original; here it is ignored
    effects.settings.append((player.char_key[0], settings))
