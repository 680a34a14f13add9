"""``odyssey bench --processes N``: whole maps per process, and counters and latencies merged exactly."""
from __future__ import annotations

import math
import random

from fake_edge import FakeWorld, fake_edge

from cluster.bench import command
from cluster.bench.measure import BenchCounters, ErrorKind, LatencyHistogram
from cluster.bench.runner import BenchOptions
from cluster.bench.shards import shard_indices


def nearest_rank_ms(micros: list[int], fraction: float) -> float:
    ordered = sorted(micros)
    return round(ordered[max(1, math.ceil(fraction * len(ordered))) - 1] / 1000.0, 3)


def test_merged_histograms_give_the_percentiles_of_all_samples() -> None:
    rng = random.Random(5)
    parts = [[rng.randrange(50, 90_000) for _ in range(n)] for n in (300, 1, 977)]
    merged = LatencyHistogram()
    for part in parts:
        histogram = LatencyHistogram()
        for micros in part:
            histogram.observe(micros / 1_000_000)
        merged.merge(LatencyHistogram.from_wire(histogram.to_wire()))  # as it crosses the pipe
    every = [micros for part in parts for micros in part]
    assert merged.total == len(every)
    for fraction in (0.5, 0.9, 0.99):
        assert abs(merged.percentile_ms(fraction) - nearest_rank_ms(every, fraction)) <= 0.001
    assert merged.percentile_ms(1.0) == round(max(every) / 1000.0, 3)


def test_slow_latencies_are_kept_at_millisecond_resolution() -> None:
    histogram = LatencyHistogram()
    for seconds in (0.25, 0.2504, 3.0):
        histogram.observe(seconds)
    assert sorted(histogram.counts) == [250_000, 3_000_000] and histogram.counts[250_000] == 2
    assert histogram.percentile_ms(0.5) == 250.0 and histogram.percentile_ms(1.0) == 3000.0


def test_counters_add_up_and_survive_the_pipe() -> None:
    first, second = BenchCounters(moves_sent=3, relays_received=10, busy_retries=1, in_game=2), BenchCounters()
    second.moves_sent, second.relays_expected, second.profession_count = 4, 7, 9
    second.add_error(ErrorKind.CLOSED, "bot 3: gone")
    total = BenchCounters()
    for counters in (first, second):
        total.add(BenchCounters.from_wire(counters.to_wire()))
    assert (total.moves_sent, total.relays_received, total.relays_expected) == (7, 10, 7)
    assert (total.busy_retries, total.in_game, total.profession_count) == (1, 2, 9)
    assert total.errors[ErrorKind.CLOSED] == 1 and total.error_samples == ["closed connections: bot 3: gone"]


def test_shards_hold_whole_start_maps() -> None:
    shards = shard_indices(bots=50, per_map=5, professions=4, processes=3)
    assert sorted(index for shard in shards for index in shard) == list(range(50))
    for shard in shards:
        maps = {(index // 5) % 4 for index in shard}
        others = [index for other in shards if other is not shard for index in other]
        assert not maps & {(index // 5) % 4 for index in others}  # no map is split over processes
    assert shard_indices(bots=3, per_map=10, professions=1, processes=2)[1] == []


def test_two_processes_walk_together_and_merge_into_one_report() -> None:
    world = FakeWorld(professions=4)
    with fake_edge(world) as url:
        options = BenchOptions(url=url, bots=12, per_map=3, seconds=2.0, connect_rate=100.0, chat_every=0,
                               ramp_timeout=20.0, seed=11, processes=2)
        result = command.run(options)
    assert result.errors == 0, result.error_samples
    assert result.processes == 2 and result.bots_in_game == 12
    assert sorted(world.profession_ids) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]  # as one process would place them
    assert result.moves_sent == world.moves > 0 and world.resync_rejects == 0
    # Each of a map's moves reaches its 2 other bots, and every relay was timed by the process that got it.
    assert result.relays_expected == 2 * (result.moves_sent - result.bounces)
    assert 0 < result.relays_received <= result.relays_expected
    assert result.latency_samples == result.relays_received
    assert 0 < result.latency_p50_ms <= result.latency_p99_ms <= result.latency_max_ms
    assert [entry["name"] for entry in result.bench_cpu] == ["bench-1", "bench-2", "coordinator"]
    assert len({entry["pid"] for entry in result.bench_cpu}) == 3
    assert all(entry["cpu_percent"] is not None for entry in result.bench_cpu)
