"""Cluster-wide look-ups by character name: whispers, /who and /warpto (PROTOCOL 5.8).

A mixin of ``broker.node.Broker``: only the broker sees every session, so a
player on one worker can reach a player on any other. It uses the broker's
``by_pid``, ``route``, ``dispatch`` and ``send``.
"""
from __future__ import annotations

from cluster import packets, wire

WHISPER_COLOR = "#00ff00"
ERROR_COLOR = "#ff0000"


class Lookups:
    """Finding players by name for the commands that cross maps and workers."""

    def in_game_named(self, name: str):
        wanted = name.strip().lower()
        for session in self.by_pid.values():
            if session.map_id is not None and session.name.lower() == wanted:
                return session
        return None

    def tell(self, pid: int, text: str, color: str) -> None:
        self.on_out(None, [pid], packets.encode(packets.chat(text, packets.CHANNEL_GENERAL, color)))

    def on_whisper(self, node, pid, target_name, text) -> None:
        sender = self.by_pid.get(pid)
        if sender is None:
            return
        target = self.in_game_named(target_name)
        if target is None or sender.name.lower() in target.ignore:
            self.tell(pid, f"{target_name} is not logged on.", ERROR_COLOR)
            return
        self.tell(target.pid, f"{sender.name} >> {text}", WHISPER_COLOR)
        self.tell(pid, f">>{target.name}: {text}", WHISPER_COLOR)

    def on_who(self, node, pid) -> None:
        sender = self.by_pid.get(pid)
        if sender is None or sender.map_id is None:
            return
        players = sorted((s for s in self.by_pid.values() if s.map_id is not None), key=lambda s: s.pid)
        entries = [[s.name, s.level, s.profession_id] for s in players]
        self.dispatch(self.route(sender.map_id), wire.WHO_LIST, pid, entries)

    def on_warpto(self, node, pid, target_name) -> None:
        target = self.in_game_named(target_name)
        if target is None:
            self.tell(pid, f"{target_name} is not logged on.", ERROR_COLOR)
            return
        self.dispatch(self.route(target.map_id), wire.LOCATE, target.pid, pid)

    def on_located(self, node, requester, map_id, x, y) -> None:
        session = self.by_pid.get(requester)
        if session is not None and session.map_id is not None:
            self.dispatch(self.route(session.map_id), wire.WARP, requester, map_id, x, y)
