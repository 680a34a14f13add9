"""An edge's /status page, /status.json and /metrics on a real cluster with a player in the game."""
from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from harness import wait_for
from protocol_expect import EAST, enter_new


def status_json(cluster) -> dict:
    return json.loads(cluster.http_get("/status.json"))


def samples(cluster) -> dict[str, list]:
    """Metric samples of /metrics by sample name."""
    text = cluster.http_get("/metrics").decode("utf-8")
    by_name: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            by_name.setdefault(sample.name, []).append(sample)
    return by_name


def value(found: dict, name: str, **labels) -> float | None:
    for sample in found.get(name, []):
        if all(sample.labels.get(key) == wanted for key, wanted in labels.items()):
            return sample.value
    return None


def test_status_json_lists_the_nodes_and_the_lease_of_the_players_map(cluster):
    alice = enter_new(cluster.client(), "alice@example.org", "Alice")
    map_id = alice.pos["map_id"]

    def leased() -> dict | None:
        view = status_json(cluster)
        return view if any(lease["map_id"] == map_id for lease in view["leases"]) else None
    view = wait_for(leased, timeout=10)
    roles = sorted(node["role"] for node in view["nodes"])
    assert roles == ["broker", "edge", "map", "map", "storage"], roles
    for node in view["nodes"]:
        assert {"role", "name", "host", "pid", "heartbeat_age_s", "cpu_percent", "rss_bytes",
                "packets_in_per_s", "packets_out_per_s"} <= set(node), node
        assert node["rss_bytes"] > 0, node
    lease = next(lease for lease in view["leases"] if lease["map_id"] == map_id)
    workers = {node["name"] for node in view["nodes"] if node["role"] == "map"}
    assert lease["worker"] in workers and lease["players"] == 1 and lease["epoch"] > 0, lease
    assert {"next_poke_in_ms", "checkpoint_age_ms", "unacked", "waiting"} <= set(lease), lease
    assert view["sessions"] == 1 and view["players_in_game"] == 1, view
    assert set(view["queues"]) == {"map_unacked", "map_waiting", "storage_waiting"}, view["queues"]
    assert view["served_by"] == "edge-1" and view["view_age_ms"] is not None
    assert isinstance(view["recent_failovers"], list) and "in" in view["packets_per_s"]
    # The rates need two samples of each node: after a few heartbeats CPU % is known.
    wait_for(lambda: all(node["cpu_percent"] is not None for node in status_json(cluster)["nodes"]), timeout=10)


def test_metrics_count_the_session_and_packets_by_type(cluster):
    bob = enter_new(cluster.client(), "bob@example.org", "Bob")
    bob.client.send({"type": 6, "x": bob.pos["x"], "y": bob.pos["y"], "dir": EAST, "speed": 1})
    bob.client.send({"type": 5, "text": "counted"})
    bob.client.recv_until(lambda p: p["type"] == 114 and p["text"] == "Bob:counted")

    found = samples(cluster)
    assert value(found, "odyssey_sessions", node="edge-1", role="edge") == 1
    assert value(found, "odyssey_packets_in_total", node="edge-1", type="6") == 1  # the step
    assert value(found, "odyssey_packets_in_total", node="edge-1", type="5") == 1  # the chat line
    assert value(found, "odyssey_packets_in_total", node="edge-1", type="0") == 1  # the account
    assert value(found, "odyssey_frames_out_total", node="edge-1") >= 3
    assert value(found, "odyssey_bytes_in_total", node="edge-1") > 0
    # Other nodes' counters come with their heartbeats and the edge's cached view.

    def worker_counted() -> dict | None:
        found = samples(cluster)
        ok = (value(found, "odyssey_packets_in_total", role="map", type="5") == 1
              and value(found, "odyssey_packets_out_total", role="map", type="114") >= 1
              and value(found, "odyssey_sessions", node="broker") == 1
              and value(found, "odyssey_packets_in_total", role="storage", type="3") == 1)
        return found if ok else None
    found = wait_for(worker_counted, timeout=10)
    assert value(found, "odyssey_packets_out_total", role="storage", type="100") >= 1
    assert value(found, "odyssey_leases", role="map") is not None
    assert sum(s.value for s in found["odyssey_leases"]) >= 1
    assert value(found, "odyssey_lease_grants_total", node="broker") >= 1
    assert value(found, "odyssey_routing_latency_seconds_count", node="broker") >= 3
    assert value(found, "odyssey_storage_commit_seconds_count", node="storage") >= 1
    assert value(found, "odyssey_cluster_view_up", node="edge-1") == 1
    for role in ("broker", "edge", "map", "storage"):
        assert value(found, "odyssey_process_resident_memory_bytes", role=role) > 0, role


def test_status_page_is_html_that_polls_status_json(cluster):
    page = cluster.http_get("/status").decode("utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "/status.json" in page and "<table" in page and "<th scope=\"col\"" in page
    assert "://" not in page  # nothing from another host (no CDN)
