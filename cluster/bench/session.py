"""One simulated client of the ``odyssey bench`` load generator.

``BotSession`` is the sans-I/O part: decoded server messages go in, the
messages the bot answers with come out, and it picks walking steps.
``BenchBot`` is the thin Tornado shell around it that owns one websocket.
All bots of a run live in one event loop and share one ``BenchShared``
(counters, the move ledger and the phase clock), so no locks are needed and
one ``time.perf_counter`` clock times every move→relay hop.
"""
from __future__ import annotations

import asyncio
import collections
import enum
import json
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

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
STEP_INTERVAL_S = 1.0
# After a stall, never send two steps closer than this (a server may rate-limit).
MIN_STEP_GAP_S = 0.5
# Moves remembered per mover, so a relay that arrives late still finds its send time.
RECENT_MOVES_KEPT = 8
CONNECT_TIMEOUT_S = 10.0
MAX_ERROR_SAMPLES = 10
COMPACT_JSON = (",", ":")


class ErrorKind(str, enum.Enum):
    """Why a bot failed; each failed bot counts once, under its first cause."""

    CONNECT = "connect failures"
    PROTOCOL = "protocol errors"
    CLOSED = "closed connections"
    RAMP_TIMEOUT = "ramp timeouts"


class BotProtocolError(Exception):
    """The server answered in a way the enter-world sequence does not allow."""


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


def walkable_grid(tiles: Any) -> list[list[bool]]:
    """``grid[x][y]`` is True where a bot may step; tiles are read as ``tiles[x][y]``."""
    try:
        return [[tiles[x][y].get("type") in WALKABLE_TILE_TYPES for y in range(MAP_SIZE)] for x in range(MAP_SIZE)]
    except (TypeError, IndexError, KeyError, AttributeError) as exc:
        raise BotProtocolError(f"106 tiles are not a 12x12 array of tiles ({exc})") from None


class BotSession:
    """Sans-I/O protocol state of one bot: server messages in, client messages out."""

    def __init__(self, identity: BotIdentity, per_map: int) -> None:
        self.identity = identity
        self.per_map = per_map
        self.stage = Stage.LOGIN
        self.profession_count = 0
        self.player_id: int | None = None
        self.map_id: Any = None
        self.x = 0
        self.y = 0
        self._walkable: list[list[bool]] | None = None

    def hello(self) -> dict:
        """Type 0: create the bot's account (the first message on the socket)."""
        me = self.identity
        return {"type": CREATE_ACCOUNT, "email": me.email, "password": me.password, "version": CLIENT_VERSION}

    def create_character(self) -> dict:
        """Type 3: about ``per_map`` consecutive bots share a profession, hence a start map."""
        profession_id = (self.identity.index // self.per_map) % self.profession_count
        return {"type": CREATE_CHARACTER, "name": self.identity.name, "profession_id": profession_id, "gender": 0}

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
            if 0 <= to_x < MAP_SIZE and 0 <= to_y < MAP_SIZE and self._walkable[to_x][to_y]:
                move = {"type": MOVE, "x": self.x, "y": self.y, "dir": direction, "speed": 1}
                self.x, self.y = to_x, to_y
                return move
        return None

    def _on_window(self, msg: dict) -> list[dict]:
        win, text = msg.get("win"), msg.get("message") or ""
        if win == WIN_LOGIN:
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
        if self.stage is Stage.JOINING and self._walkable is not None:
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


class MoveLedger:
    """Send times of each bot's recent moves, so whoever receives the 115 relay can time it."""

    def __init__(self) -> None:
        self._recent: dict[int, collections.deque[tuple[Any, Any, Any, float]]] = {}

    def record(self, mover_id: int, x: int, y: int, direction: int, sent_at: float) -> None:
        recent = self._recent.get(mover_id)
        if recent is None:
            recent = self._recent[mover_id] = collections.deque(maxlen=RECENT_MOVES_KEPT)
        recent.append((x, y, direction, sent_at))

    def sent_at(self, mover_id: Any, x: Any, y: Any, direction: Any) -> float | None:
        """The send time of the mover's latest move from (x, y) in ``direction``.

        Falls back to the mover's latest move when none matches (a server may
        relay the destination rather than the start tile).
        """
        recent = self._recent.get(mover_id)
        if not recent:
            return None
        for moved_x, moved_y, moved_dir, sent_at in reversed(recent):
            if moved_x == x and moved_y == y and moved_dir == direction:
                return sent_at
        return recent[-1][3]


@dataclass(slots=True)
class BenchCounters:
    """Tallies of one run, written by every bot."""

    in_game: int = 0
    moves_sent: int = 0
    relays_received: int = 0
    chats_sent: int = 0
    profession_count: int = 0
    latencies_s: list[float] = field(default_factory=list)
    errors: collections.Counter[ErrorKind] = field(default_factory=collections.Counter)
    error_samples: list[str] = field(default_factory=list)

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    def add_error(self, kind: ErrorKind, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(f"{kind.value}: {detail}")


class BenchShared:
    """What all bots of one run share: target, counters, move ledger and phase clock."""

    def __init__(self, url: str, per_map: int, chat_every_s: float, rng: random.Random) -> None:
        self.url = url
        self.per_map = per_map
        self.chat_every_s = chat_every_s
        self.rng = rng
        self.counters = BenchCounters()
        self.ledger = MoveLedger()
        self.walk_started = asyncio.Event()
        self.walk_start_at = 0.0
        self.walk_end_at = 0.0
        self.measuring = False  # 115 relays are counted only while True
        self.stopping = False  # closes from now on are ours, not errors

    def start_walking(self, seconds: float) -> None:
        self.walk_start_at = time.perf_counter()
        self.walk_end_at = self.walk_start_at + seconds
        self.measuring = True
        self.walk_started.set()


class BenchBot:
    """One simulated player: a websocket driven by server frames, plus its walking timer."""

    def __init__(self, identity: BotIdentity, shared: BenchShared) -> None:
        self.session = BotSession(identity, shared.per_map)
        self.failed = False
        self._shared = shared
        self._conn: WebSocketClientConnection | None = None
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def in_game(self) -> bool:
        return self.session.stage is Stage.IN_GAME

    async def run(self) -> None:
        """Connect, enter the world, walk when told; return once the socket is gone."""
        try:
            self._conn = await websocket_connect(
                self._shared.url, connect_timeout=CONNECT_TIMEOUT_S, on_message_callback=self._on_frame
            )
        except Exception as exc:  # DNS, refused, timeout, HTTP error: all mean "could not connect"
            self._fail(ErrorKind.CONNECT, f"{type(exc).__name__}: {exc}")
            return
        if self.failed or self._shared.stopping:
            self.close()
        else:
            self._send(self.session.hello())
        walker = asyncio.create_task(self._walk())
        try:
            await self._closed  # resolved once Tornado reports the socket closed
        finally:
            walker.cancel()
            self.close()

    def give_up(self, kind: ErrorKind, detail: str) -> None:
        """Count this bot as failed (e.g. not in game by the ramp timeout) and drop its socket."""
        self._fail(kind, detail)

    def close(self) -> None:
        """Start the close handshake; ``run`` returns when the socket is really gone."""
        if self._conn is not None:
            self._conn.close()

    def _fail(self, kind: ErrorKind, detail: str) -> None:
        if self.failed:
            return
        self.failed = True
        self._shared.counters.add_error(kind, f"bot {self.session.identity.index}: {detail}")
        self.close()

    def _on_frame(self, frame: str | bytes | None) -> None:
        if frame is None:
            self._on_closed()
        elif not self.failed:
            if isinstance(frame, bytes):
                self._fail(ErrorKind.PROTOCOL, "binary frame (the protocol is text frames only)")
                return
            try:
                msg = json.loads(frame)
            except ValueError:
                self._fail(ErrorKind.PROTOCOL, f"non-JSON frame {frame[:40]!r}")
                return
            if not isinstance(msg, dict):
                self._fail(ErrorKind.PROTOCOL, f"frame is not a JSON object: {frame[:40]!r}")
            elif msg.get("type") == PLAYER_MOVED:  # by far the most frequent frame: keep it short
                self._on_relay(msg)
            else:
                self._on_message(msg)

    def _on_message(self, msg: dict) -> None:
        was_in_game = self.in_game
        try:
            replies = self.session.on_message(msg)
        except BotProtocolError as exc:
            self._fail(ErrorKind.PROTOCOL, f"{exc} (stage {self.session.stage.value})")
            return
        for reply in replies:
            self._send(reply)
        if self.in_game and not was_in_game:
            counters = self._shared.counters
            counters.in_game += 1
            counters.profession_count = max(counters.profession_count, self.session.profession_count)

    def _on_relay(self, msg: dict) -> None:
        shared = self._shared
        mover_id = msg.get("player_id")
        if not shared.measuring or not msg.get("speed") or mover_id == self.session.player_id:
            return  # speed 0 is a join snapshot, not a move
        now = time.perf_counter()
        shared.counters.relays_received += 1
        sent_at = shared.ledger.sent_at(mover_id, msg.get("x"), msg.get("y"), msg.get("dir"))
        if sent_at is not None:
            shared.counters.latencies_s.append(now - sent_at)

    def _on_closed(self) -> None:
        if not self._shared.stopping and not self.failed:
            code = self._conn.close_code if self._conn is not None else None
            self._fail(ErrorKind.CLOSED, f"server closed the socket (stage {self.session.stage.value}, code {code})")
        if not self._closed.done():
            self._closed.set_result(None)

    def _send(self, msg: dict) -> bool:
        if self._conn is None or self.failed:
            return False
        try:
            written = self._conn.write_message(json.dumps(msg, separators=COMPACT_JSON))
        except WebSocketClosedError:
            if not self._shared.stopping:
                self._fail(ErrorKind.CLOSED, f"socket closed while sending (stage {self.session.stage.value})")
            return False
        written.add_done_callback(_ignore_write_error)  # a close is reported by _on_closed
        return True

    async def _walk(self) -> None:
        shared = self._shared
        await shared.walk_started.wait()
        if not self.in_game:
            return
        step_at = shared.walk_start_at + shared.rng.random() * STEP_INTERVAL_S
        chat_at = self._next_chat_at(shared.walk_start_at)
        while not self.failed:
            due = min(step_at, chat_at)
            if due >= shared.walk_end_at:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if chat_at <= step_at:
                if self._send(self.session.chat_line()):
                    shared.counters.chats_sent += 1
                chat_at = self._next_chat_at(chat_at)
            else:
                self._step()
                step_at = max(step_at + STEP_INTERVAL_S, time.perf_counter() + MIN_STEP_GAP_S)

    def _step(self) -> None:
        move = self.session.next_step(self._shared.rng)
        if move is None or self.session.player_id is None:
            return
        self._shared.ledger.record(self.session.player_id, move["x"], move["y"], move["dir"], time.perf_counter())
        if self._send(move):
            self._shared.counters.moves_sent += 1

    def _next_chat_at(self, after: float) -> float:
        if self._shared.chat_every_s <= 0:
            return math.inf
        return after + self._shared.rng.expovariate(1.0 / self._shared.chat_every_s)


def _ignore_write_error(written: asyncio.Future[None]) -> None:
    if not written.cancelled():
        written.exception()
