"""The bots of one bench process: a thin websocket shell per bot and one walker for all of them.

``Bot`` owns one connection (``cluster.bench.transport``) and feeds its
frames to its ``BotSession``; a 115 relay, by far the most frequent frame,
goes straight to the latency ledger. ``Walker`` is the one task that sends
every bot's steps and chat lines from a heap of due times, so a walking bot
costs no task, timer or wake-up of its own. All bots of a process share one
``BenchShared`` and one event loop (no locks), and one ``time.perf_counter``
clock times every move→relay hop.
"""
from __future__ import annotations

import asyncio
import heapq
import random
import ssl
from time import perf_counter

from cluster.bench import transport
from cluster.bench.measure import BenchCounters, ErrorKind, MoveLedger
from cluster.bench.session import PLAYER_MOVED, BotIdentity, BotProtocolError, BotSession, ServerBusy, Stage

STEP_INTERVAL_S = 1.0
# After a stall, never send two steps closer than this (a server may rate-limit).
MIN_STEP_GAP_S = 0.5
# The walker wakes at most this often and sends whatever is due (moves are timed when sent).
WALK_TICK_S = 0.01
CONNECT_TIMEOUT_S = 10.0
# A busy reply is retried after a random pause in this range, doubled per retry of the same bot.
BUSY_BACKOFF_S = (0.2, 1.0)
BUSY_BACKOFF_DOUBLINGS = 3


class BenchShared:
    """What all bots of one bench process share: target, counters, move ledger and phase clock."""

    def __init__(self, url: str, per_map: int, chat_every_s: float, rng: random.Random,
                 backend: str = transport.default_backend(), tls: ssl.SSLContext | None = None) -> None:
        self.url = url
        self.per_map = per_map
        self.chat_every_s = chat_every_s
        self.rng = rng
        self.backend = backend
        self.tls = tls
        self.counters = BenchCounters()
        self.ledger = MoveLedger()
        self.walk_start_at = 0.0
        self.walk_end_at = 0.0
        self.measuring = False  # 115 relays are counted only while True
        self.stopping = False  # closes from now on are ours, not errors

    def start_walking(self, seconds: float) -> None:
        self.walk_start_at = perf_counter()
        self.walk_end_at = self.walk_start_at + seconds
        self.measuring = True


class Bot:
    """One simulated player: its protocol session and its websocket."""

    __slots__ = ("_closed", "_conn", "_shared", "busy_retries", "failed", "moves", "session")

    def __init__(self, identity: BotIdentity, shared: BenchShared) -> None:
        self.session = BotSession(identity, shared.per_map)
        self.failed = False
        self.moves = 0
        self.busy_retries = 0
        self._shared = shared
        self._conn: transport.Connection | None = None
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def in_game(self) -> bool:
        return self.session.stage is Stage.IN_GAME

    async def run(self) -> None:
        """Connect and ask for an account; return once the socket is gone."""
        shared = self._shared
        try:
            self._conn = await transport.connect(shared.backend, shared.url, self, CONNECT_TIMEOUT_S, shared.tls)
        except Exception as exc:  # DNS, refused, timeout, HTTP error: all mean "could not connect"
            self._fail(ErrorKind.CONNECT, f"{type(exc).__name__}: {exc or f'no answer in {CONNECT_TIMEOUT_S:g} s'}")
            return
        if self.failed or shared.stopping:
            self.close()
        else:
            self._send(self.session.hello())
        try:
            await self._closed  # resolved once the backend reports the socket gone
        finally:
            self.close()

    def give_up(self, kind: ErrorKind, detail: str) -> None:
        """Count this bot as failed (e.g. not in game by the ramp timeout) and drop its socket."""
        self._fail(kind, detail)

    def close(self) -> None:
        """Start closing; ``run`` returns when the socket is really gone."""
        if self._conn is not None:
            self._conn.close()
        elif not self._closed.done():
            self._closed.set_result(None)

    # --- frames from the backend --------------------------------------------------------

    def on_text(self, payload: bytes | str) -> None:
        if self.failed:
            return
        try:
            msg = transport.loads(payload)
        except ValueError:
            self._fail(ErrorKind.PROTOCOL, f"non-JSON frame {payload[:40]!r}")
            return
        if type(msg) is not dict:
            self._fail(ErrorKind.PROTOCOL, f"frame is not a JSON object: {payload[:40]!r}")
        elif msg.get("type") == PLAYER_MOVED:
            self._on_relay(msg)
        else:
            self._on_message(msg)

    def on_bad_frame(self, what: str) -> None:
        self._fail(ErrorKind.PROTOCOL, what)

    def on_closed(self, code: int | None) -> None:
        if not self._shared.stopping and not self.failed:
            self._fail(ErrorKind.CLOSED, f"server closed the socket (stage {self.session.stage.value}, code {code})")
        if not self._closed.done():
            self._closed.set_result(None)

    def _on_relay(self, msg: dict) -> None:
        shared = self._shared
        mover_id = msg.get("player_id")
        if not shared.measuring or not msg.get("speed") or mover_id == self.session.player_id:
            return  # speed 0 is a join snapshot, not a move
        now = perf_counter()
        counters = shared.counters
        counters.relays_received += 1
        sent_at = shared.ledger.sent_at(mover_id, msg.get("x"), msg.get("y"), msg.get("dir"))
        if sent_at is not None:
            counters.latency.observe(now - sent_at)

    def _on_message(self, msg: dict) -> None:
        was_in_game = self.in_game
        try:
            replies = self.session.on_message(msg)
        except ServerBusy:
            self._retry_later()
            return
        except BotProtocolError as exc:
            self._fail(ErrorKind.PROTOCOL, f"{exc} (stage {self.session.stage.value})")
            return
        for reply in replies:
            self._send(reply)
        if self.in_game and not was_in_game:
            counters = self._shared.counters
            counters.in_game += 1
            counters.profession_count = max(counters.profession_count, self.session.profession_count)

    def _retry_later(self) -> None:
        """Admission control said busy: ask again after a random, growing pause (not an error)."""
        self._shared.counters.busy_retries += 1
        low, high = BUSY_BACKOFF_S
        delay = self._shared.rng.uniform(low, high) * 2 ** min(self.busy_retries, BUSY_BACKOFF_DOUBLINGS)
        self.busy_retries += 1
        asyncio.get_running_loop().call_later(delay, self._retry)

    def _retry(self) -> None:
        request = self.session.pending_request()
        if request is not None and not self._shared.stopping:
            self._send(request)

    # --- what the walker sends ----------------------------------------------------------

    def step(self) -> None:
        session = self.session
        move = session.next_step(self._shared.rng)
        if move is None or session.player_id is None:
            return
        self._shared.ledger.record(session.player_id, move["x"], move["y"], move["dir"], perf_counter())
        if self._send(move):
            self._shared.counters.moves_sent += 1
            self.moves += 1

    def chat(self) -> None:
        if self._send(self.session.chat_line()):
            self._shared.counters.chats_sent += 1

    def _send(self, msg: dict) -> bool:
        if self._conn is None or self.failed:
            return False
        if self._conn.send(transport.dumps(msg)):
            return True
        if not self._shared.stopping:
            self._fail(ErrorKind.CLOSED, f"socket closed while sending (stage {self.session.stage.value})")
        return False

    def _fail(self, kind: ErrorKind, detail: str) -> None:
        if self.failed:
            return
        self.failed = True
        self._shared.counters.add_error(kind, f"bot {self.session.identity.index}: {detail}")
        self.close()


class Walker:
    """Sends every in-game bot's steps (one a second, random phase) and chat lines, from one task."""

    _STEP, _CHAT = 0, 1

    def __init__(self, shared: BenchShared, bots: list[Bot]) -> None:
        self.shared = shared
        self.bots = bots

    def _first_due(self) -> list[tuple[float, int, int]]:
        shared, rng = self.shared, self.shared.rng
        start = shared.walk_start_at
        due = []
        for index, bot in enumerate(self.bots):
            if bot.in_game and not bot.failed:
                due.append((start + rng.random() * STEP_INTERVAL_S, index, self._STEP))
                if shared.chat_every_s > 0:
                    due.append((start + rng.expovariate(1.0 / shared.chat_every_s), index, self._CHAT))
        due = [entry for entry in due if entry[0] < shared.walk_end_at]
        heapq.heapify(due)
        return due

    async def run(self) -> None:
        shared, bots = self.shared, self.bots
        chat_rate = 1.0 / shared.chat_every_s if shared.chat_every_s > 0 else 0.0
        end = shared.walk_end_at
        heap = self._first_due()
        while heap and not shared.stopping:
            now = perf_counter()
            while heap and heap[0][0] <= now:
                due, index, kind = heapq.heappop(heap)
                bot = bots[index]
                if bot.failed:
                    continue
                if kind == self._STEP:
                    bot.step()
                    due = max(due + STEP_INTERVAL_S, now + MIN_STEP_GAP_S)
                else:
                    bot.chat()
                    due += shared.rng.expovariate(chat_rate)
                if due < end:
                    heapq.heappush(heap, (due, index, kind))
            if heap:
                await asyncio.sleep(max(WALK_TICK_S, heap[0][0] - perf_counter()))


def relays_expected(bots: list[Bot]) -> int:
    """Relays the bots should have got: each accepted move, once per other bot on its map still in game."""
    on_map: dict[object, int] = {}
    for bot in bots:
        if bot.in_game and not bot.failed:
            on_map[bot.session.map_id] = on_map.get(bot.session.map_id, 0) + 1
    expected = 0
    for bot in bots:
        if bot.in_game and not bot.failed:
            expected += max(0, bot.moves - bot.session.bounces) * (on_map[bot.session.map_id] - 1)
    return expected

