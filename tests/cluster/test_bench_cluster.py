"""``odyssey bench`` against a real cluster: a small run whose report adds up."""
from __future__ import annotations

import json

from harness import wait_for

from cluster.bench import transport
from cluster.bench.runner import BenchOptions, run_bench


def test_a_small_bench_run_is_consistent_and_has_cpu_for_every_node(cluster):
    # The edge caches the cluster view: wait until the view it serves lists every node.
    wait_for(lambda: len(json.loads(cluster.http_get("/status.json"))["nodes"]) == 5, timeout=10)
    # The starter world's professions all start on map 0: the 20 bots share one map.
    options = BenchOptions(url=cluster.url(), bots=20, per_map=10, seconds=3.0, connect_rate=50.0,
                           chat_every=2.0, ramp_timeout=60.0, seed=1)
    result = transport.run(run_bench(options))

    assert result.errors == 0, result.error_samples
    assert result.bots_in_game == 20
    assert result.moves_sent > 0 and result.chats_sent > 0
    # Every accepted move goes to the 19 others; relays still in flight after the drain would be missing.
    assert result.relays_expected == 19 * (result.moves_sent - result.bounces)
    assert 0.9 * result.relays_expected <= result.relays_received <= result.relays_expected
    assert result.latency_samples == result.relays_received
    assert 0 < result.latency_p50_ms <= result.latency_p99_ms <= result.latency_max_ms

    assert result.status_url == cluster.http_url("/status.json") and result.status_error is None
    nodes = {node["name"] for node in cluster.status()["nodes"]}
    assert {entry["name"] for entry in result.server_cpu} == nodes == {"broker", "storage", "map-1", "map-2",
                                                                        "edge-1"}
    for entry in result.server_cpu:
        assert entry["cpu_percent"] is not None and entry["cpu_percent"] >= 0, entry
        assert entry["window_seconds"] > 0 and isinstance(entry["pid"], int), entry
    assert result.server_cpu_percent > 0 and result.server_cpu_us_per_move > 0
    (own,) = result.bench_cpu
    assert own["cpu_percent"] is not None and result.bench_cpu_us_per_move > 0
