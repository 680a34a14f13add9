"""The bench's CPU report: server CPU per node from two /status.json samples, the bench's own, the warnings."""
from __future__ import annotations

import asyncio

from fake_edge import FakeWorld, fake_edge

from cluster.bench import cpu
from cluster.bench.report import format_result
from cluster.bench.runner import BenchOptions, run_bench


def node(role: str, name: str, pid: int, cpu_seconds: float, at_ms: int) -> dict:
    """A node entry shaped as edge/status.py serves it (stats from cluster.counters.process_sample)."""
    return {"role": role, "name": name, "pid": pid, "cpu_percent": None,
            "stats": {"cpu_seconds": cpu_seconds, "rss_bytes": 1 << 20, "at_ms": at_ms}}


BEFORE = {"nodes": [node("broker", "broker", 10, 4.0, 1_000), node("map", "map-1", 11, 2.0, 1_500),
                    node("edge", "edge-1", 12, 1.0, 1_000), node("map", "map-2", 13, 9.0, 1_000)]}
AFTER = {"nodes": [node("broker", "broker", 10, 5.0, 5_000), node("map", "map-1", 11, 5.0, 7_500),
                   node("edge", "edge-1", 12, 1.0, 1_000), node("map", "map-2", 99, 0.5, 5_000),
                   node("storage", "storage", 14, 3.0, 5_000)]}


def test_status_url_is_beside_the_websocket() -> None:
    assert cpu.status_url_for("ws://10.0.0.5:8090/") == "http://10.0.0.5:8090/status.json"
    assert cpu.status_url_for("wss://game.example.org/ws") == "https://game.example.org/status.json"


def test_node_cpu_uses_each_nodes_own_sample_window() -> None:
    by_name = {entry.name: entry for entry in cpu.node_cpu(BEFORE, AFTER)}
    assert by_name["broker"].cpu_percent == 25.0  # 1 s of CPU over 4 s
    assert by_name["map-1"].cpu_percent == 50.0  # 3 s over its own 6 s window
    assert by_name["edge-1"].cpu_percent is None and by_name["edge-1"].note == "no new sample"
    assert by_name["map-2"].cpu_percent is None and "restarted" in by_name["map-2"].note
    assert by_name["storage"].cpu_percent is None and "first sample" in by_name["storage"].note
    assert [entry.role for entry in cpu.node_cpu(BEFORE, AFTER)] == ["broker", "edge", "map", "map", "storage"]
    assert cpu.total_percent(list(by_name.values())) == 75.0
    assert cpu.micros_per(75.0, 4.0, 3000) == 1000.0  # 3 s of CPU over 3000 moves


def test_warnings_name_a_busy_bench_process_and_a_bench_costlier_than_the_server() -> None:
    busy = [cpu.bench_process("bench-1", 1, 9.0, 10.0), cpu.bench_process("bench-2", 2, 1.0, 10.0)]
    found = cpu.warnings(busy, server_percent=50.0)
    assert len(found) == 2 and "bench-1 used 90%" in found[0] and "more CPU (100%) than the server" in found[1]
    assert cpu.warnings(busy[1:], server_percent=50.0) == []


def test_a_run_reports_server_cpu_per_node_from_status_json_and_its_own_cpu() -> None:
    world = FakeWorld(professions=2, status_views=[BEFORE, AFTER])
    with fake_edge(world) as url:
        options = BenchOptions(url=url, bots=4, per_map=2, seconds=1.5, connect_rate=100.0, chat_every=0,
                               ramp_timeout=10.0)
        result = asyncio.run(run_bench(options))
    # Once before the walk, then after it until every node has a newer sample (edge-1 never does here,
    # so the bench reads again until its patience runs out, then reports edge-1 as "no new sample").
    assert world.status_served >= 2
    assert result.status_url == cpu.status_url_for(url) and result.status_error is None
    assert [(entry["name"], entry["cpu_percent"]) for entry in result.server_cpu] == [
        ("broker", 25.0), ("edge-1", None), ("map-1", 50.0), ("map-2", None), ("storage", None)]
    assert result.server_cpu_percent == 75.0
    assert result.server_cpu_us_per_move == round(0.75 * result.seconds_measured * 1e6 / result.moves_sent, 1)
    (own,) = result.bench_cpu
    assert own["name"] == "bench" and own["cpu_percent"] is not None and own["window_seconds"] == 1.5
    assert result.bench_cpu_us_per_bot_second is not None
    text = format_result(result)
    assert "server cpu:          75% of a core in all" in text and "restarted during the walk" in text
    assert "bench cpu:" in text


def test_without_a_status_page_the_run_still_reports_and_says_why() -> None:
    world = FakeWorld(professions=1)  # serves 404 for /status.json
    with fake_edge(world) as url:
        options = BenchOptions(url=url, bots=2, per_map=2, seconds=1.0, connect_rate=100.0, chat_every=0,
                               ramp_timeout=10.0)
        result = asyncio.run(run_bench(options))
    assert result.errors == 0 and result.server_cpu == [] and "404" in result.status_error
    assert "server cpu:          unavailable" in format_result(result)
    skipped = asyncio.run(run_bench(BenchOptions(url=url, bots=1, seconds=1.0, status_url="", ramp_timeout=3.0)))
    assert skipped.status_url is None and skipped.status_error is None
