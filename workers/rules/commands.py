"""Chat commands (PROTOCOL 5.8, rows 1 to 16, then the staff moderation commands of
``workers.rules.moderation``); ``workers.rules.chat`` runs row 17.

``run`` walks ``ROWS`` in the table's order. The first row whose trigger
matches *and* whose access the sender has wins; a row the sender lacks the
access for falls through to the later ones and finally to plain map chat,
as in the original.

Fixes of the original (8.10, 8.18, 8.23, 8.51): commands are recognised only
at the start of the (stripped) text and triggers are case-insensitive; the
command word is the first whitespace-separated word, so "/setsprite" alone
is the command with missing arguments, not chat. Arguments are validated,
and bad ones get a red usage notice (channel 0) instead of silence, once the
access check has passed. Integers are ASCII digits within 32 bits (they
end up in records that storage packs). /setcolor takes only CSS hex colours.
/provoke reaches every living NPC.

Rows that need other maps or storage only record a request in
``effects.requests`` as ``(kind, args)``; the worker node carries it out.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cluster import packets
from cluster.moderation import ACCESS as STAFF_ACCESS
from workers.rules import moderation, npcs
from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime, PlayerOnMap

INT_LIMIT = 2**31 - 1
_INT = re.compile(r"[+-]?[0-9]{1,10}")
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

# Requests for the node: kind → the keys of its args dict.
REQUEST_KINDS = {
    "copymap": ("pid", "map_id"),
    "who": ("pid",),
    "warpto": ("pid", "name"),
    "setaccess": ("pid", "access", "name", "level"),
    "editscript": ("pid", "name"),
    "whisper": ("pid", "name", "text"),
    "moderate": ("pid", "access", "by", "action", "text"),
}


def access_of(record: dict) -> int:
    """The player's access level; anything that is not an int counts as 0."""
    access = record.get("access", 0)
    return access if isinstance(access, int) and not isinstance(access, bool) else 0


def parse_int(word: str) -> int | None:
    """A command argument as an int, or None (no "1_000", no Unicode digits, 32 bits)."""
    if not _INT.fullmatch(word):
        return None
    value = int(word)
    return value if -INT_LIMIT - 1 <= value <= INT_LIMIT else None


@dataclass(slots=True)
class Said:
    """One command as typed: who said it, on which map, and its words."""
    runtime: MapRuntime
    effects: Effects
    player: PlayerOnMap
    ctx: RuleContext
    text: str  # the whole text, stripped
    words: list  # text.split(); words[0] is the trigger
    rest: str  # the text after the first word, stripped

    @property
    def pid(self) -> int:
        return self.player.pid

    @property
    def access(self) -> int:
        return access_of(self.player.record)

    def notice(self, text: str, color: str = packets.COLOR_RED) -> None:
        self.effects.to_player(self.pid, packets.chat(text, packets.CHANNEL_GENERAL, color))

    def request(self, kind: str, **args) -> None:
        self.effects.requests.append((kind, {"pid": self.pid, **args}))


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the 5.8 table: its trigger words, the access it needs and its action.

    ``match`` is "bare" (the whole text is the trigger), "word" (the first
    word is the trigger, arguments follow) or "prefix" (the text starts with
    the trigger character).
    """
    triggers: tuple
    min_access: int
    action: Callable[[Said], None]
    match: str = "word"

    def matches(self, text: str, first_word: str) -> bool:
        if self.match == "bare":
            return text.lower() in self.triggers
        if self.match == "word":
            return first_word.lower() in self.triggers
        return text.startswith(self.triggers)


def run(runtime: MapRuntime, effects: Effects, player: PlayerOnMap, text: str, ctx: RuleContext) -> bool:
    """Run the first command row that applies; False means "plain chat" (row 17)."""
    stripped = text.strip()
    words = stripped.split()
    if not words:
        return False
    access = access_of(player.record)
    for row in ROWS:
        if row.matches(stripped, words[0]) and access >= row.min_access:
            rest = stripped[len(words[0]):].strip()
            row.action(Said(runtime, effects, player, ctx, stripped, words, rest))
            return True
    return False


# --- rows 1, 8 to 11: editors ---------------------------------------------------
def _open(win: str) -> Callable[[Said], None]:
    def open_window(said: Said) -> None:
        said.effects.to_player(said.pid, packets.window(win, ""))
    return open_window


# --- rows 3 and 4: looks ------------------------------------------------------
def _setsprite(said: Said) -> None:
    sprite = parse_int(said.words[1]) if len(said.words) == 2 else None
    if sprite is None or sprite < 0:
        said.notice("Usage: /setsprite <sprite number, 0 or more>")
        return
    _restyle(said, "sprite", sprite)


def _setcolor(said: Said) -> None:
    if len(said.words) != 2 or not _HEX_COLOR.fullmatch(said.words[1]):
        said.notice("Usage: /setcolor <#rgb or #rrggbb>")
        return
    _restyle(said, "color", said.words[1])


def _restyle(said: Said, key: str, value) -> None:
    """Change how the player looks and show the map (110)."""
    said.player.record[key] = value
    said.runtime.player_changed(said.pid)
    said.effects.to(said.runtime.pids(), packets.spawn_player(said.pid, said.player.record))


# --- row 13: aggro --------------------------------------------------------------
def _provoke(said: Said) -> None:
    value = parse_int(said.words[1]) if len(said.words) == 2 else None
    if value is None:
        said.notice("Usage: /provoke <aggro, 0 to clear>")
        return
    runtime = said.runtime
    for slot in range(len(runtime.npcs)):
        if runtime.npc_alive(slot):  # an NPC without an entry is fine: go on (fixes 8.23)
            npcs.set_aggro(runtime, slot, said.pid, value)


# --- row 14: spawn an item --------------------------------------------------------
def _spawnitem(said: Said) -> None:
    numbers = [parse_int(word) for word in said.words[1:]] if len(said.words) == 4 else [None]
    if None in numbers or not _valid_spawn(said.ctx, *numbers):
        known = f"0 to {len(said.ctx.items) - 1}" if said.ctx.items else "none defined"
        said.notice(f"Usage: /spawnitem <item id, {known}> <uses, 0 or more> <amount, 1 or more>")
        return
    item_id, uses, amount = numbers
    runtime = said.runtime
    pos = said.player.record["pos"]
    slot = runtime.place_item(item_id, amount, uses, pos["x"], pos["y"])
    if slot < 0:
        said.notice("The map is full: no room for another item.", packets.COLOR_MAGENTA)
        return
    said.effects.to(runtime.pids(), packets.map_item(runtime.map_id, slot, runtime.items[slot]))


def _valid_spawn(ctx: RuleContext, item_id: int, uses: int, amount: int) -> bool:
    return 0 <= item_id < len(ctx.items) and uses >= 0 and amount >= 1


# --- row 15: global chat ---------------------------------------------------------
def _global_chat(said: Said) -> None:
    message = said.text[1:]
    if not message.strip():
        return  # a lone apostrophe says nothing
    if moderation.refused_when_muted(said.effects, said.player, said.ctx):
        return
    line = f"{said.player.record['name']}:{message}"
    said.effects.to_everyone(packets.chat(line, packets.CHANNEL_GENERAL, packets.COLOR_MAGENTA))


# --- rows for the node: other maps and storage -------------------------------------
def _copymap(said: Said) -> None:
    map_id = parse_int(said.words[1]) if len(said.words) == 2 else None
    if map_id is None:
        said.notice("Usage: /copymap <map id>")
        return
    said.request("copymap", map_id=map_id)


def _who(said: Said) -> None:
    said.request("who")


def _warpto(said: Said) -> None:
    if not said.rest:
        said.notice("Usage: /warpto <player name>")
        return
    said.request("warpto", name=said.rest)


def _setaccess(said: Said) -> None:
    parts = said.rest.rsplit(None, 1)
    level = parse_int(parts[1]) if len(parts) == 2 else None
    if level is None:
        said.notice("Usage: /setaccess <player name> <level>")
        return
    said.request("setaccess", access=access_of(said.player.record), name=parts[0], level=level)


def _editscript(said: Said) -> None:
    if len(said.words) != 2:
        said.notice("Usage: /editscript <script name>")
        return
    said.request("editscript", name=said.words[1])


def _whisper(said: Said) -> None:
    name = said.words[0][1:]
    if not name or not said.rest:
        said.notice("Usage: @<player name> <message>")
        return
    if moderation.refused_when_muted(said.effects, said.player, said.ctx):
        return
    said.request("whisper", name=name, text=said.rest)


# The 5.8 table, in its order (access "> 0" is min_access 1, and so on).
ROWS: tuple[Row, ...] = (
    Row(("/editmap",), 1, _open(packets.WIN_MAP_PROPERTIES), "bare"),      # 1
    Row(("/copymap",), 1, _copymap),                                        # 2
    Row(("/setsprite",), 1, _setsprite),                                    # 3
    Row(("/setcolor", "/setcolour"), 1, _setcolor),                         # 4
    Row(("/who",), 0, _who, "bare"),                                        # 5
    Row(("/warpto",), 1, _warpto),                                          # 6
    Row(("/setaccess",), 4, _setaccess),                                    # 7
    Row(("/editprofession",), 1, _open(packets.WIN_PROFESSION_EDITOR), "bare"),  # 8
    Row(("/editshop",), 1, _open(packets.WIN_SHOP_EDITOR), "bare"),         # 9
    Row(("/edititem",), 1, _open(packets.WIN_ITEM_EDITOR), "bare"),         # 10
    Row(("/editnpc",), 1, _open(packets.WIN_NPC_EDITOR), "bare"),           # 11
    Row(("/editscript",), 2, _editscript),                                  # 12
    Row(("/provoke",), 1, _provoke),                                        # 13
    Row(("/spawnitem",), 1, _spawnitem),                                    # 14
    Row(("'",), 0, _global_chat, "prefix"),                                 # 15
    Row(("@",), 0, _whisper, "prefix"),                                     # 16
    # Staff moderation (not in the original; workers.rules.moderation, cluster.moderation.ACCESS).
    *(Row((f"/{action}",), level, moderation.command_row(action))
      for action, level in STAFF_ACCESS.items()),
)
