"""The load behind ``odyssey bench-storage``: a real Storage on a real LMDB, driven like its loop.

See ``cluster.bench.storage`` for what is measured and how to run it.
"""
from __future__ import annotations

import dataclasses
import heapq
import logging
import math
import random
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from cluster import records, wire
from cluster.config import Config
from cluster.link import now_ms
from storage import db
from storage.node import Jobs, Storage
from storage.world import ensure_world
from workers.runtime import MapRuntime

SENDER = "map-1"  # the worker name the broker inserts after the token
EPOCH = 1
MAX_ERROR_SAMPLES = 5
SEED = 20240601


@dataclass(slots=True)
class StorageBenchOptions:
    """Settings of one run; the defaults here are the CLI defaults."""

    players: int = 1000
    maps: int = 100
    seconds: float = 10.0
    rate: float = 1.0  # checkpoints per player (and per map) per second
    turn_ms: float = 50.0
    max: bool = False
    map_state: bool = True  # each map checkpoint carries its runtime snapshot
    data_dir: str | None = None  # None = a temporary directory, removed afterwards
    json: bool = False


@dataclass(slots=True)
class StorageBenchResult:
    """What a run measured; ``to_dict`` is the ``--json`` output."""

    mode: str  # "paced" or "max"
    data_dir: str
    temporary_data_dir: bool
    players: int
    maps: int
    rate: float
    turn_ms: float
    record_bytes: int  # one character record, msgpack
    map_state_bytes: int | None  # one map_state value, msgpack (None: --no-map-state)
    seconds_measured: float
    simulated_seconds: float  # schedule time covered (= seconds_measured when paced and keeping up)
    checkpoints: int  # CKPT commands applied
    player_writes: int
    map_state_writes: int
    writes: int
    offered_writes_per_s: float
    achieved_writes_per_s: float
    player_writes_per_s: float
    achieved_vs_offered: float
    transactions: int
    transactions_per_s: float
    writes_per_txn_mean: float
    writes_per_txn_max: int
    commit_p50_ms: float | None  # txn.commit() alone: the synced commit
    commit_p99_ms: float | None
    commit_max_ms: float | None
    turn_p50_ms: float | None  # decode the frame + apply + commit: until the turn could acknowledge
    turn_p99_ms: float | None
    turn_max_ms: float | None
    delay_p50_ms: float | None  # paced only: a checkpoint's due time → its commit
    delay_p99_ms: float | None
    delay_max_ms: float | None
    cpu_percent: float  # the whole process (getrusage), over the measured time
    storage_cpu_percent: float  # the storage side alone: decode, apply, commit
    refused_checkpoints: int
    errors: int
    error_samples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# --- what the map workers send ----------------------------------------------------

def player_record(pid: int, map_id: int, item_kinds: int, professions: int) -> dict:
    """A character record filled like a real player's: name, position, vitals, 30 inventory slots."""
    record = records.new_character()
    rng = random.Random(pid)
    level = 1 + pid % 40
    record.update(
        name=f"Player{pid:05d}",
        desc="Wanders the starter lands looking for loot and a good fight.",
        sprite=1 + pid % 8,
        gender=pid % 2,
        profession_id=pid % max(1, professions),
        level=level,
        exp=level * 1375 + rng.randrange(1000),
        train_points=rng.randrange(5),
        stats={"str": 3 + level // 3, "def": 2 + level // 4, "mag": level // 5, "spd": 2 + level // 6},
        vitals=records.vitals(20.0 + level * 3.5, 5.0 + level, 15.0 + level * 2),
        max_vitals=records.vitals(20 + level * 4, 5 + level, 15 + level * 2),
        pos=records.position(rng.randrange(records.MAP_SIZE), rng.randrange(records.MAP_SIZE),
                             rng.randrange(4), map_id),
        guild_id=pid % 7 - 1,
        quest_log=[rng.random() < 0.4 for _ in range(10)],
    )
    record["inv"] = [{"item_id": (pid + slot) % max(1, item_kinds), "amount": rng.randrange(1, 250),
                      "uses": rng.randrange(0, 30)} for slot in range(records.INVENTORY_SLOTS)]
    return record


def map_runtime(map_id: int) -> MapRuntime:
    """A map's live state with a few NPCs up and a few items on the floor."""
    runtime = MapRuntime(map_id, EPOCH, records.new_map())
    rng = random.Random(map_id)
    for slot in range(5):
        runtime.npcs[slot] = {"npc_id": slot, "sprite": 10 + slot, "scale": 1,
                              "vitals": records.vitals(12.0, 0.0, 5.0),
                              "pos": records.position(rng.randrange(12), rng.randrange(12), 0, map_id)}
    for slot in range(8):
        runtime.items[slot] = {"item_id": slot + 1, "amount": 1 + slot, "uses": 0,
                               "x": rng.randrange(12), "y": rng.randrange(12)}
    return runtime


@dataclass(slots=True)
class SimMap:
    map_id: int
    due_ms: float
    players: list  # [[pid, char_key, record], ...], mutated in place before each checkpoint
    runtime: MapRuntime


class Schedule:
    """The maps' checkpoint times, as map workers stagger them, and the commands they produce."""

    def __init__(self, options: StorageBenchOptions, item_kinds: int, professions: int) -> None:
        self.interval_ms = 1000.0 / options.rate
        self.map_state = options.map_state
        self.rng = random.Random(SEED)
        self.maps = [SimMap(map_id, (map_id * 7919) % self.interval_ms, [], map_runtime(map_id))
                     for map_id in range(options.maps)]
        for index in range(options.players):  # evenly: map sizes differ by at most one
            sim = self.maps[index % options.maps]
            pid = account_id = index + 1
            sim.players.append([pid, [account_id, 0], player_record(pid, sim.map_id, item_kinds, professions)])
        self.heap = [(sim.due_ms, sim.map_id) for sim in self.maps]
        heapq.heapify(self.heap)

    def due(self, until_ms: float) -> tuple[list[list], list[float], int, int]:
        """CKPT commands due before ``until_ms``; their due times; player and map-state writes."""
        commands: list[list] = []
        due_times: list[float] = []
        player_writes = state_writes = 0
        heap = self.heap
        while heap and heap[0][0] < until_ms:
            due_ms, map_id = heapq.heappop(heap)
            sim = self.maps[map_id]
            commands.append(self.checkpoint(sim))
            due_times.append(due_ms)
            player_writes += len(sim.players)
            state_writes += self.map_state
            heapq.heappush(heap, (due_ms + self.interval_ms, map_id))
        return commands, due_times, player_writes, state_writes

    def checkpoint(self, sim: SimMap) -> list:
        """One map's checkpoint: its players moved and fought a little, its NPCs walked."""
        rng = self.rng
        for _pid, _key, record in sim.players:
            pos = record["pos"]
            pos["x"] = min(records.MAP_SIZE - 1, max(0, pos["x"] + rng.choice((-1, 0, 1))))
            pos["y"] = min(records.MAP_SIZE - 1, max(0, pos["y"] + rng.choice((-1, 0, 1))))
            pos["dir"] = rng.randrange(4)
            record["vitals"]["hp"] = round(rng.uniform(1, record["max_vitals"]["hp"]), 1)
            record["exp"] += rng.randrange(3)
        snapshot = None
        if self.map_state:
            for npc in sim.runtime.npcs[:5]:
                npc["pos"]["x"] = rng.randrange(records.MAP_SIZE)
                npc["pos"]["y"] = rng.randrange(records.MAP_SIZE)
            snapshot = wire.pack_record(sim.runtime.snapshot(), "bench")[0]
        # Packed as a map worker packs them (wire.pack_record): storage stores the bytes.
        players = [[pid, key, wire.pack_record(record, "bench")[0]] for pid, key, record in sim.players]
        return [wire.CKPT, SENDER, sim.map_id, EPOCH, snapshot, players]

    def expected_records(self) -> dict[tuple[int, int], dict]:
        """char_key → the record as last sent (records change only when sent)."""
        return {tuple(key): record for sim in self.maps for _pid, key, record in sim.players}

    def expected_map_states(self) -> dict[int, dict]:
        return {sim.map_id: sim.runtime.snapshot() for sim in self.maps}


# --- the run ---------------------------------------------------------------------------

class ErrorLog(logging.Handler):
    """Counts what storage logs at ERROR or above (a failed command is logged, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append(f"{record.name}: {record.getMessage()}")


def _percentile_ms(ordered_s: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered_s:
        return None
    rank = max(1, math.ceil(fraction * len(ordered_s)))
    return round(ordered_s[rank - 1] * 1000.0, 3)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StorageBench:
    """A storage worker on its own data directory, and the load to drive it with.

    ``run()`` once, read ``store`` / ``schedule`` if you like, then ``close()``
    (which removes a temporary data directory).
    """

    def __init__(self, options: StorageBenchOptions) -> None:
        for name in ("players", "maps"):
            if getattr(options, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("seconds", "rate", "turn_ms"):
            if not getattr(options, name) > 0:
                raise ValueError(f"{name} must be > 0")
        self.options = options
        self.temporary = options.data_dir is None
        path = Path(tempfile.mkdtemp(prefix="odyssey-bench-storage-")) if self.temporary \
            else Path(options.data_dir).resolve()
        self.config = Config()
        self.config.cluster.data_dir = str(path)
        self.store: db.Store | None = None
        self.jobs: Jobs | None = None
        try:
            self.store = db.Store(self.config.data_dir / "lmdb", self.config.storage.map_size_mb)
            db.migrate(self.store)
            ensure_world(self.store, "")
            self.jobs = Jobs(1)
            self.storage = Storage(self.config, self.store, self.jobs)
            self.schedule = Schedule(options, len(self.storage.world.lists["item"]),
                                     len(self.storage.world.professions))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.jobs is not None:
            self.jobs.close()
            self.jobs = None
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.temporary:
            shutil.rmtree(self.config.data_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # One storage turn, as storage.node.run does it; returns (turn s, commit s, committed at).
    def turn(self, frame: bytes) -> tuple[float, float, float]:
        storage, store = self.storage, self.store
        began = time.perf_counter()
        commands = wire.unpack(frame)
        finished = self.jobs.take()
        storage.accounts.expire(now_ms())
        out: list = []
        with store.write() as txn:
            for command in commands:
                storage.dispatch(txn, out, command)
            for continuation, result in finished:
                continuation(txn, out, result)
            applied = time.perf_counter()
        committed = time.perf_counter()
        return committed - began, committed - applied, committed

    def load_maps(self) -> None:
        """One LOAD_MAP per map first, so each map's fence epoch exists."""
        frame = wire.pack([[wire.LOAD_MAP, SENDER, sim.map_id, EPOCH, []] for sim in self.schedule.maps])
        self.turn(frame)

    def run(self) -> StorageBenchResult:
        options, schedule = self.options, self.schedule
        errors = ErrorLog()
        storage_log = logging.getLogger("storage")
        storage_log.addHandler(errors)
        try:
            self.load_maps()
            refused_before = self.storage.refused_checkpoints
            writes_before = self.storage.checkpoint_writes
            turn_s: list[float] = []
            commit_s: list[float] = []
            delay_s: list[float] = []
            per_txn: list[int] = []
            checkpoints = player_writes = state_writes = 0
            storage_cpu = 0.0
            turn_length = options.turn_ms / 1000.0
            start = time.perf_counter()
            end = start + options.seconds
            cpu_start = _cpu_seconds()
            simulated_ms = 0.0
            next_turn = start
            while True:
                if options.max:
                    if time.perf_counter() >= end:
                        break
                    simulated_ms += options.turn_ms
                else:
                    now = time.perf_counter()
                    final = now >= end
                    if not final and now < next_turn:
                        time.sleep(min(next_turn, end) - now)
                        now = time.perf_counter()
                        final = now >= end
                    next_turn = max(next_turn + turn_length, now)
                    # The last turn takes everything due before the end, so a storage
                    # that keeps up applies exactly the offered checkpoints.
                    simulated_ms = options.seconds * 1000.0 if final else (now - start) * 1000.0
                commands, due_times, players, states = schedule.due(simulated_ms)
                if commands:
                    frame = wire.pack(commands)  # the broker's frame: storage decodes it in its turn
                    cpu_before = time.process_time()
                    took, commit, committed = self.turn(frame)
                    storage_cpu += time.process_time() - cpu_before
                    turn_s.append(took)
                    commit_s.append(commit)
                    per_txn.append(players + states)
                    checkpoints += len(commands)
                    player_writes += players
                    state_writes += states
                    if not options.max:
                        delay_s.extend(committed - (start + due / 1000.0) for due in due_times)
                if not options.max and final:
                    break
            elapsed = time.perf_counter() - start
            cpu_used = _cpu_seconds() - cpu_start
        finally:
            storage_log.removeHandler(errors)

        writes = player_writes + state_writes
        applied = self.storage.checkpoint_writes - writes_before
        refused = self.storage.refused_checkpoints - refused_before
        samples = list(errors.samples)
        mismatch = int(applied != writes)
        if mismatch:
            samples.append(f"storage counted {applied} checkpoint writes, the bench sent {writes}")
        offered = (options.players + (options.maps if options.map_state else 0)) * options.rate
        achieved = writes / elapsed
        for values in (turn_s, commit_s, delay_s):
            values.sort()
        first = schedule.maps[0]
        return StorageBenchResult(
            mode="max" if options.max else "paced",
            data_dir=str(self.config.data_dir),
            temporary_data_dir=self.temporary,
            players=options.players,
            maps=options.maps,
            rate=options.rate,
            turn_ms=options.turn_ms,
            record_bytes=len(db.pack(first.players[0][2])) if first.players else 0,
            map_state_bytes=len(db.pack({"epoch": EPOCH, "runtime": first.runtime.snapshot()}))
            if options.map_state else None,
            seconds_measured=round(elapsed, 3),
            simulated_seconds=round(simulated_ms / 1000.0, 3),
            checkpoints=checkpoints,
            player_writes=player_writes,
            map_state_writes=state_writes,
            writes=writes,
            offered_writes_per_s=round(offered, 1),
            achieved_writes_per_s=round(achieved, 1),
            player_writes_per_s=round(player_writes / elapsed, 1),
            achieved_vs_offered=round(achieved / offered, 3),
            transactions=len(per_txn),
            transactions_per_s=round(len(per_txn) / elapsed, 1),
            writes_per_txn_mean=round(writes / len(per_txn), 1) if per_txn else 0.0,
            writes_per_txn_max=max(per_txn, default=0),
            commit_p50_ms=_percentile_ms(commit_s, 0.50),
            commit_p99_ms=_percentile_ms(commit_s, 0.99),
            commit_max_ms=_percentile_ms(commit_s, 1.0),
            turn_p50_ms=_percentile_ms(turn_s, 0.50),
            turn_p99_ms=_percentile_ms(turn_s, 0.99),
            turn_max_ms=_percentile_ms(turn_s, 1.0),
            delay_p50_ms=_percentile_ms(delay_s, 0.50),
            delay_p99_ms=_percentile_ms(delay_s, 0.99),
            delay_max_ms=_percentile_ms(delay_s, 1.0),
            cpu_percent=round(100.0 * cpu_used / elapsed, 1),
            storage_cpu_percent=round(100.0 * storage_cpu / elapsed, 1),
            refused_checkpoints=refused,
            errors=errors.count + refused + mismatch,
            error_samples=samples,
        )


def run_storage_bench(options: StorageBenchOptions) -> StorageBenchResult:
    """One run on a fresh storage worker; a temporary data directory is removed afterwards."""
    with StorageBench(options) as bench:
        return bench.run()


# --- the command ---------------------------------------------------------------------
