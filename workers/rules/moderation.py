"""Moderation on the map: the staff command rows and the mute (sans-I/O).

The rows (/kick, /ban, /unban, /mute, /unmute, /announce; access levels in
``cluster.moderation.ACCESS``) only check the sender's access — a normal player
falls through to plain chat as for every staff command of PROTOCOL 5.8 — and ask
storage (``MODERATE``), which finds the target, checks his level, keeps bans and
mutes and answers the sender. A muted player's record carries
``data.muted_until_ms`` (absent: not muted; None: until lifted); every chat route
(map chat, global chat, whispers) asks ``refused_when_muted`` first.
"""
from __future__ import annotations

from collections.abc import Callable

from cluster import moderation, packets
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime, PlayerOnMap

MUTE_FIELD = "muted_until_ms"


def muted_until(record: dict, now_ms: int) -> tuple[bool, int | None]:
    """(muted now, until when: None = until lifted)."""
    data = record.get("data")
    if not isinstance(data, dict) or MUTE_FIELD not in data:
        return False, None
    until = data[MUTE_FIELD]
    if until is None:
        return True, None
    if type(until) is not int or now_ms >= until:
        return False, None  # expired (or not a time): it lapses by itself
    return True, until


def refused_when_muted(effects: Effects, player: PlayerOnMap, ctx: RuleContext) -> bool:
    """True (and the player told) if he is muted: his chat goes nowhere."""
    muted, until = muted_until(player.record, ctx.now_ms)
    if muted:
        effects.to_player(player.pid, packets.chat(moderation.mute_notice(until, ctx.now_ms),
                                                   packets.CHANNEL_GENERAL, packets.COLOR_RED))
    return muted


def set_muted(runtime: MapRuntime, effects: Effects, pid: int, muted: bool, until_ms: int | None,
              ctx: RuleContext) -> None:
    """MUTED from storage: the live record follows the ``mutes`` database (and is checkpointed)."""
    player = runtime.players.get(pid)
    if player is None:
        return
    data = player.record.get("data")
    if not isinstance(data, dict):
        data = player.record["data"] = {}
    if muted:
        data[MUTE_FIELD] = until_ms
    else:
        data.pop(MUTE_FIELD, None)
    runtime.player_changed(pid)


def command_row(action: str) -> Callable:
    """The action of one staff command row: a usage notice, or a request to storage."""
    def moderate(said) -> None:
        if not said.rest:
            said.notice(moderation.USAGE[action])
            return
        said.request("moderate", access=said.access, by=said.player.record.get("name", ""), action=action,
                     text=said.rest)
    return moderate
