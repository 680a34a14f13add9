"""Moderation shared by the map workers, storage and ``odyssey admin``: who may do what,
durations, and a sanction (a ban or a mute) as stored and shown.

Pure functions and one record type; nothing here touches a socket or the disk.

Access levels (the sender's character ``access``, PROTOCOL 4.2), checked by the map
worker's command table and again by storage:

| command            | access | effect                                                       |
|--------------------|--------|--------------------------------------------------------------|
| /kick NAME [why]   | 1      | disconnect him now (saved as on any logout)                  |
| /mute NAME [dur]   | 1      | his chat (map, global, whispers) gets a notice instead       |
| /unmute NAME       | 1      | lift a mute                                                  |
| /ban NAME [dur] [why] | 2   | his account cannot log in; kicked at once if online          |
| /unban NAME        | 2      | lift a ban                                                   |
| /announce TEXT     | 2      | a line to everyone online, on every worker                   |

A staff member can only sanction characters whose access is *below* his own.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCESS = {"kick": 1, "mute": 1, "unmute": 1, "ban": 2, "unban": 2, "announce": 2}
ACTIONS = tuple(ACCESS)
TIMED = ("ban", "mute")  # the actions that take a duration (none: until lifted)
KINDS = ("ban", "mute")  # what storage keeps

MAX_REASON = 200
MAX_ANNOUNCE = 500
MAX_NAME_WORDS = 4  # character names are at most 20 characters with single spaces (storage.accounts)
MAX_DURATION_MS = 10 * 365 * 86_400_000  # ten years; longer is "permanent"

UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
_DURATION = re.compile(r"(?:[0-9]{1,6}[smhdw])+")
_PART = re.compile(r"([0-9]{1,6})([smhdw])")


def parse_duration(word: str) -> int | None:
    """"30m", "2h", "7d", "1h30m" (s, m, h, d, w; case-insensitive) → milliseconds; None if ``word``
    is not a duration, is zero, or is over ten years."""
    word = word.lower()
    if not _DURATION.fullmatch(word):
        return None
    total = sum(int(amount) * UNIT_MS[unit] for amount, unit in _PART.findall(word))
    return total if 0 < total <= MAX_DURATION_MS else None


def format_duration(ms: int) -> str:
    """Milliseconds as the largest two units: "2h", "1d 3h", "45s" (rounded down to seconds)."""
    parts = []
    rest = max(0, ms) // 1000 * 1000
    for unit in "wdhms":
        amount, rest = divmod(rest, UNIT_MS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts[:2]) or "0s"


def format_time(at_ms: int) -> str:
    """An epoch-ms instant as "2025-01-31 18:00 UTC"."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at_ms / 1000))


@dataclass(slots=True)
class Sanction:
    """A ban or a mute of one account, as storage keeps it (``until_ms`` None: until lifted)."""
    kind: str  # "ban" or "mute"
    name: str  # the character named when it was given
    reason: str
    until_ms: int | None
    by: str  # who gave it: "Alice (access 2)" or "operator root"
    at_ms: int

    def active(self, now_ms: int) -> bool:
        return self.until_ms is None or now_ms < self.until_ms

    def ends(self, now_ms: int) -> str:
        """"until 2025-01-31 18:00 UTC (in 2h)", or "permanently"."""
        if self.until_ms is None:
            return "permanently"
        return f"until {format_time(self.until_ms)} (in {format_duration(self.until_ms - now_ms)})"

    def to_wire(self) -> dict:
        return {"kind": self.kind, "name": self.name, "reason": self.reason, "until_ms": self.until_ms,
                "by": self.by, "at_ms": self.at_ms}

    @classmethod
    def from_wire(cls, value: Any) -> Sanction | None:
        """The stored form back; None if it is not one (a corrupt or foreign value)."""
        if not isinstance(value, dict):
            return None
        until = value.get("until_ms")
        fields = (value.get("kind"), value.get("name"), value.get("reason"), value.get("by"))
        if fields[0] not in KINDS or not all(isinstance(f, str) for f in fields) \
                or not (until is None or type(until) is int) or type(value.get("at_ms")) is not int:
            return None
        return cls(fields[0], fields[1], fields[2], until, fields[3], value["at_ms"])


def ban_message(ban: Sanction, now_ms: int) -> str:
    """The ``100 winLogin`` message of a banned account (at login, or when kicked by the ban)."""
    reason = f": {ban.reason}" if ban.reason else "."
    return f"This account is banned {ban.ends(now_ms)}{reason}"


def kick_message(reason: str) -> str:
    return f"You have been kicked from the game: {reason}" if reason else "You have been kicked from the game."


def mute_notice(until_ms: int | None, now_ms: int) -> str:
    """What a muted player reads instead of his chat being delivered."""
    if until_ms is None:
        return "You are muted: nobody can read your chat."
    return f"You are muted for {format_duration(until_ms - now_ms)} more: nobody can read your chat."


@dataclass(frozen=True, slots=True)
class Order:
    """A moderation command's arguments: the target, a duration (ms, None: until lifted), a reason."""
    name: str
    duration_ms: int | None = None
    reason: str = ""


class OrderError(ValueError):
    """The arguments do not make an order; the message is the usage line."""


USAGE = {
    "kick": "Usage: /kick <player name> [reason]",
    "ban": "Usage: /ban <player name> [duration like 30m, 2h, 7d; none: permanent] [reason]",
    "unban": "Usage: /unban <player name>",
    "mute": "Usage: /mute <player name> [duration like 30m, 2h, 7d; none: until /unmute]",
    "unmute": "Usage: /unmute <player name>",
    "announce": "Usage: /announce <text>",
}


def parse_order(action: str, text: str, is_name: Callable[[str], bool]) -> Order:
    """The arguments typed after a targeted command: the longest run of leading words that
    ``is_name`` knows (up to 4; or a name in double quotes), then a duration if the action takes
    one and the next word is one, then the reason (kick and ban only). Raises OrderError."""
    text = text.strip()
    if text.startswith('"') and '"' in text[1:]:
        name, _, rest = text[1:].partition('"')
        words = rest.split()
    else:
        words = text.split()
        take = next((n for n in range(min(MAX_NAME_WORDS, len(words)), 0, -1)
                     if is_name(" ".join(words[:n]))), 1)
        name, words = " ".join(words[:take]), words[take:]
    if not name.strip():
        raise OrderError(USAGE[action])
    duration = None
    if action in TIMED and words and parse_duration(words[0]) is not None:
        duration = parse_duration(words.pop(0))
    reason = " ".join(words)
    if reason and action not in ("kick", "ban"):
        raise OrderError(USAGE[action])
    return Order(name.strip(), duration, reason[:MAX_REASON])
