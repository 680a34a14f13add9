"""Admission control instead of collapse: a login flood is met at the door.

Hundreds of connections send a login (type 1) with a wrong password at once. Password checks
are bounded by ``storage.account_queue_limit``; past it, and past an address's login rate, the
answer is ``100 winLogin`` "busy" at once. Every connection gets a 100 (busy, or wrong password),
none is closed or left waiting, the queue never grows past its limit, and players already in the
game keep getting each other's moves throughout.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time

from websockets.asyncio.client import connect

from faultkit import EAST, START_TILE, WEST, email_of, enter_game, expect, relayed_step, step

FLOOD = 300
QUEUE_LIMIT = 8
# Slow hashing (the defaults of cluster.toml) on one thread, so the queue fills.
SLOW_HASHING = f"""
[storage]
argon2_time_cost = 3
argon2_memory_kib = 65536
argon2_parallelism = 4
hash_threads = 1
account_queue_limit = {QUEUE_LIMIT}
"""


async def one_login(url: str, email: str) -> dict:
    async with connect(url, open_timeout=20) as ws:
        await ws.send(json.dumps({"type": 1, "email": email, "password": "not the password"}))
        while True:
            packet = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if packet["type"] == 100:
                return packet


async def flood(url: str, email: str) -> list:
    return await asyncio.gather(*(one_login(url, email) for _ in range(FLOOD)), return_exceptions=True)


def test_a_login_flood_gets_answers_and_players_in_game_keep_playing(cluster_factory):
    cluster = cluster_factory(extra_config=SLOW_HASHING)
    alice, bob = enter_game(cluster, "Alice", 0), enter_game(cluster, "Bob", 1)
    queue_seen: list[int] = []
    answers: list = []
    flooder = threading.Thread(target=lambda: answers.extend(asyncio.run(flood(cluster.url(), email_of("Alice")))))
    flooder.start()

    x, y = START_TILE[0]
    moves = 0
    while flooder.is_alive() or moves < 4:
        direction = EAST if moves % 2 == 0 else WEST
        step(alice, x, y, direction)
        expect(bob, relayed_step(alice, (x, y)), f"Alice's step {moves} during the flood", timeout=10)
        x += 1 if direction == EAST else -1
        moves += 1
        storage = next(n for n in cluster.status()["nodes"] if n["role"] == "storage")
        queue_seen.append(storage["stats"].get("account_queue", 0))
        time.sleep(0.2)
    flooder.join()

    failures = [answer for answer in answers if isinstance(answer, BaseException)]
    assert failures == [], f"{len(failures)} connections got no answer: {failures[:3]}"
    assert len(answers) == FLOOD
    assert all(answer["win"] == "winLogin" for answer in answers)
    busy = [a for a in answers if "busy" in a["message"]]
    wrong = [a for a in answers if "incorrect" in a["message"]]
    assert busy and wrong and len(busy) + len(wrong) == FLOOD
    assert max(queue_seen) <= QUEUE_LIMIT
