"""The sans-I/O protocol state of one ``odyssey bench`` bot.

``BotSession`` takes decoded server messages and returns the messages the
bot answers with, and picks walking steps; it knows nothing of sockets or
clocks, so ``cluster.bench.bots`` (the shell that owns a websocket) and the
unit tests drive it the same way.
"""
from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import Any

from cluster.bench.measure import ErrorKind  # noqa: F401  (re-exported: the bot's error kinds)
from cluster.packets import CHAT, CREATE_ACCOUNT, CREATE_CHARACTER, MOVE, WIN_LOGIN, WIN_SELECT_PLAYER

# Server → client types the bot reads (PROTOCOL 3).
WINDOW = 100
PROFESSIONS = 102
MAP = 106
OWN_CHARACTER = 109
SPAWN_PLAYER = 110
PLAYER_MOVED = 115

CLIENT_VERSION = "Build 1982 Beta"
MAP_SIZE = 12
# Tiles a player may enter that neither warp nor depend on map state (PROTOCOL 5.1.3).
WALKABLE_TILE_TYPES = frozenset({0, 4, 5, 7, 11, 17})
# Index = dir: 0 south (y+1), 1 west (x-1), 2 east (x+1), 3 north (y-1) (PROTOCOL 0.3).
STEP_OFFSETS = ((0, 1), (-1, 0), (1, 0), (0, -1))
# Admission control answers an account request with a winLogin whose message says so.
BUSY_WORD = "busy"


class BotProtocolError(Exception):
    """The server answered in a way the enter-world sequence does not allow."""


class ServerBusy(Exception):
    """The server refused the pending step for now (admission control): retry it after a back-off."""


class Stage(enum.Enum):
    """Where a bot is in the session lifecycle (PROTOCOL 1)."""

    LOGIN = "login"  # sent type 0, waiting for an empty winSelectPlayer
    CREATE = "create"  # sent type 3, waiting for 109
    JOINING = "joining"  # have 109, waiting for 106 and then the own 110
    IN_GAME = "in game"


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Account and character names of one bot, unique per run tag."""

    index: int
    email: str
    password: str
    name: str

    @classmethod
    def for_bot(cls, run_tag: str, index: int) -> BotIdentity:
        return cls(index, f"bot{run_tag}-{index}@bench.local", f"bench-{run_tag}", f"b{run_tag}{index}")


def walkable_grid(tiles: Any) -> bytes:
    """``grid[x * MAP_SIZE + y]`` is 1 where a bot may step; tiles are read as ``tiles[x][y]``."""
    try:
        return bytes(tiles[x][y].get("type") in WALKABLE_TILE_TYPES for x in range(MAP_SIZE) for y in range(MAP_SIZE))
    except (TypeError, IndexError, KeyError, AttributeError) as exc:
        raise BotProtocolError(f"106 tiles are not a 12x12 array of tiles ({exc})") from None


class BotSession:
    """Sans-I/O protocol state of one bot: server messages in, client messages out."""

    __slots__ = (
        "_walkable",
        "bounces",
        "identity",
        "map_id",
        "per_map",
        "player_id",
        "profession_count",
        "stage",
        "stepped",
        "x",
        "y",
    )

    def __init__(self, identity: BotIdentity, per_map: int) -> None:
        self.identity = identity
        self.per_map = per_map
        self.stage = Stage.LOGIN
        self.profession_count = 0
        self.player_id: int | None = None
        self.map_id: Any = None
        self.x = 0
        self.y = 0
        self.bounces = 0  # own 110s after the first step: steps the server refused
        self.stepped = False
        self._walkable: bytes | None = None

    def hello(self) -> dict:
        """Type 0: create the bot's account (the first message on the socket)."""
        me = self.identity
        return {"type": CREATE_ACCOUNT, "email": me.email, "password": me.password, "version": CLIENT_VERSION}

    def create_character(self) -> dict:
        """Type 3: about ``per_map`` consecutive bots share a profession, hence a start map."""
        profession_id = (self.identity.index // self.per_map) % self.profession_count
        return {"type": CREATE_CHARACTER, "name": self.identity.name, "profession_id": profession_id, "gender": 0}

    def pending_request(self) -> dict | None:
        """The request the server has yet to answer (to retry after a busy reply), if any."""
        if self.stage is Stage.LOGIN:
            return self.hello()
        if self.stage is Stage.CREATE:
            return self.create_character()
        return None

    def chat_line(self) -> dict:
        """Type 5: plain map chat (no leading '/', "'" or '@', so never a command)."""
        return {"type": CHAT, "text": f"hello from {self.identity.name}"}

    def on_message(self, msg: dict) -> list[dict]:
        """Apply one server message; return the messages to send back."""
        handler = self._HANDLERS.get(msg.get("type"))
        return handler(self, msg) if handler else []

    def next_step(self, rng: random.Random) -> dict | None:
        """Type 6 for a random walkable neighbour (assumed to succeed), or None if boxed in."""
        if self.stage is not Stage.IN_GAME or self._walkable is None:
            return None
        for direction in rng.sample(range(4), 4):
            dx, dy = STEP_OFFSETS[direction]
            to_x, to_y = self.x + dx, self.y + dy
            if 0 <= to_x < MAP_SIZE and 0 <= to_y < MAP_SIZE and self._walkable[to_x * MAP_SIZE + to_y]:
                move = {"type": MOVE, "x": self.x, "y": self.y, "dir": direction, "speed": 1}
                self.x, self.y = to_x, to_y
                self.stepped = True
                return move
        return None

    def _on_window(self, msg: dict) -> list[dict]:
        win, text = msg.get("win"), msg.get("message") or ""
        if win == WIN_LOGIN:
            if isinstance(text, str) and BUSY_WORD in text.lower() and self.stage in (Stage.LOGIN, Stage.CREATE):
                raise ServerBusy(text)
            raise BotProtocolError(f"sent back to login: {text!r}")
        if win != WIN_SELECT_PLAYER:
            return []
        if text:
            raise BotProtocolError(f"character select with message {text!r}")
        if self.stage is not Stage.LOGIN:
            return []
        if self.profession_count < 1:
            raise BotProtocolError("no profession list (102) before character select")
        self.stage = Stage.CREATE
        return [self.create_character()]

    def _on_professions(self, msg: dict) -> list[dict]:
        professions = msg.get("profession")
        if "profession_id" not in msg and isinstance(professions, list):  # else a single-entry update
            self.profession_count = len(professions)
        return []

    def _on_own_character(self, msg: dict) -> list[dict]:
        if self.stage is Stage.CREATE:
            player_id, player = msg.get("player_id"), msg.get("player")
            if not isinstance(player_id, int) or not isinstance(player, dict):
                raise BotProtocolError("109 without an int player_id and a player record")
            self.player_id = player_id
            self._set_position(player.get("pos"), "109")
            self.stage = Stage.JOINING
        return []

    def _on_map(self, msg: dict) -> list[dict]:
        if self.stage in (Stage.JOINING, Stage.IN_GAME):
            record = msg.get("map")
            self._walkable = walkable_grid(record.get("tiles") if isinstance(record, dict) else None)
            self.map_id = msg.get("map_id")
        return []

    def _on_player(self, msg: dict) -> list[dict]:
        if self.player_id is None or msg.get("player_id") != self.player_id:
            return []
        # Join, bounce or refresh: the server's position wins over the assumed one.
        self._set_position(msg.get("pos"), "own 110")
        if self.stepped:
            self.bounces += 1  # (the join may repeat the own 110 after the bot is in game)
        elif self.stage is Stage.JOINING and self._walkable is not None:
            self.stage = Stage.IN_GAME
        return []

    def _set_position(self, pos: Any, source: str) -> None:
        x = pos.get("x") if isinstance(pos, dict) else None
        y = pos.get("y") if isinstance(pos, dict) else None
        if not (isinstance(x, int) and isinstance(y, int) and 0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE):
            raise BotProtocolError(f"{source} with a bad pos {pos!r}")
        self.x, self.y = x, y

    _HANDLERS = {
        WINDOW: _on_window,
        PROFESSIONS: _on_professions,
        OWN_CHARACTER: _on_own_character,
        MAP: _on_map,
        SPAWN_PLAYER: _on_player,
    }
