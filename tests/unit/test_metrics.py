"""/metrics and /status.json from a realistic cluster view: every metric documented in README.md is
exported, nothing undocumented is, and the rates and counters behind them add up."""
from __future__ import annotations

import re
from pathlib import Path

import prometheus_client
import pytest
from brokertools import broker_view, heartbeat, hello, identity
from prometheus_client.parser import text_string_to_metric_families

from broker.node import Broker
from cluster import wire
from cluster.config import Config
from cluster.counters import Histogram, count_type, payload_type
from cluster.link import now_ms
from edge import metrics
from edge.status import Rates, status_view
from workers.node import MapWorker

README = Path(__file__).resolve().parents[2] / "README.md"


def documented() -> dict[str, dict]:
    """The README's metrics table: name → type, labels, roles."""
    section = README.read_text().split("## Status and metrics", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `(odyssey_\w+)` \| (\w+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", line)
        if match:
            name, kind, labels, roles, meaning = match.groups()
            assert meaning.strip(), f"{name} has no meaning in the README"
            rows[name] = {"type": kind, "labels": set(re.findall(r"`(\w+)`", labels)),
                          "roles": {"broker", "edge", "map", "storage"} if roles.strip() == "every node"
                          else {role.strip() for role in roles.split(",")}}
    assert len(rows) >= 20, "the README's metrics table was not found"
    return rows


def edge_stats() -> dict:
    """What ``edge.node.Edge.stats`` reports, with traffic in it."""
    packets_in: dict = {}
    for packet_type in (0, 3, 6, 6, 5, 70000):
        count_type(packets_in, packet_type)
    return {"sessions": 3, "packets_in": {str(k): v for k, v in packets_in.items()}, "frames_out": 40,
            "bytes_in": 900, "bytes_out": 12000, "rejected": {"rate": 1, "not_json": 2}, "broker_connected": True}


@pytest.fixture
def view(storage) -> dict:
    """The broker's view of a cluster that routed, failed over and checkpointed, as an edge serves it."""
    config = Config()
    broker = Broker(config)
    broker.recovering = False
    for role, name in (("storage", "storage"), ("map", "map-1"), ("map", "map-2"), ("edge", "edge-1")):
        hello(broker, role, name)
    for conn, packet_type in ((1, 0), (1, 6), (2, 5)):
        broker.handle_frame(identity("edge-1"), wire.pack([[wire.IN, conn, packet_type, b'{"type":0}']]))
    broker.counters.routing.observe(0.0004)
    route = broker.route(3)
    route.players.add(77)
    broker.grant(route)
    first_owner = route.owner
    broker.forget_node(broker.nodes[first_owner])  # it died: map 3 fails over
    hello(broker, "map", first_owner)

    worker = MapWorker(config, route.owner)
    worker.checkpointed_ms[3] = now_ms() - 250
    count_type(worker.packets_in, 6)
    count_type(worker.packets_out, 115)
    worker.hooks.errors, worker.hooks.timeouts = 2, 1
    storage.packets_in, storage.packets_out = {0: 1}, {100: 2}
    storage.commit_seconds.observe(0.003)
    storage.checkpoint_seconds.observe(0.004)
    for name, stats in ((route.owner, worker.stats()), (first_owner, MapWorker(config, first_owner).stats()),
                        ("storage", storage.stats()), ("edge-1", edge_stats())):
        heartbeat(broker, name, stats)

    cluster_view = broker_view(broker)  # an edge asks over its own link
    own = next(node for node in cluster_view["nodes"] if node["name"] == "edge-1")
    return status_view(cluster_view, 120, own, Rates())


def exported(view: dict) -> dict[str, dict]:
    """What /metrics shows for ``view``: exposed name → type, labels, roles."""
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(metrics.ViewCollector(view))
    text = prometheus_client.generate_latest(registry).decode("utf-8")
    found = {}
    for family in text_string_to_metric_families(text):
        if not family.samples:
            continue
        name = family.name
        if family.type == "counter" and not name.endswith("_total"):
            name += "_total"
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        found[name] = {"type": family.type, "labels": labels,
                       "roles": {sample.labels["role"] for sample in family.samples}}
    return found


def test_every_documented_metric_is_exported_and_nothing_else(view):
    readme, shown = documented(), exported(view)
    assert sorted(set(readme) - set(shown)) == [], "documented in README.md but not exported"
    assert sorted(set(shown) - set(readme)) == [], "exported but not documented in README.md"
    for name, row in readme.items():
        assert shown[name] == row, f"{name}: README says {row}, /metrics has {shown[name]}"


def test_the_collectors_register_nothing_globally(view):
    metrics.render(view)
    assert "odyssey_" not in prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()


def test_the_metrics_carry_the_counts_of_the_view(view):
    text, content_type = metrics.render(view)
    assert content_type.startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text.decode()) for s in family.samples}

    def value(name: str, **labels) -> float:
        return samples[(name, tuple(sorted(labels.items())))]
    assert value("odyssey_packets_in_total", node="edge-1", role="edge", type="6") == 2
    assert value("odyssey_packets_in_total", node="edge-1", role="edge", type="other") == 1
    assert value("odyssey_packets_routed_total", node="broker", role="broker") == 3
    assert value("odyssey_lease_reassignments_total", node="broker", role="broker") == 1
    assert value("odyssey_lease_expiries_total", node="broker", role="broker") == 1
    assert value("odyssey_lease_grants_total", node="broker", role="broker") == 2
    assert value("odyssey_rejected_frames_total", node="edge-1", role="edge", reason="not_json") == 2
    assert value("odyssey_routing_latency_seconds_bucket", node="broker", role="broker", le="0.0005") == 1
    assert value("odyssey_routing_latency_seconds_bucket", node="broker", role="broker", le="0.00025") == 0
    assert value("odyssey_script_errors_total", node=view["leases"][0]["worker"], role="map") == 2
    assert 0.2 <= value("odyssey_checkpoint_age_seconds", node=view["leases"][0]["worker"], role="map") < 5
    assert value("odyssey_cluster_view_age_seconds", node="edge-1", role="edge") == 0.12


def test_the_status_view_has_the_page_s_tables(view):
    assert [node["role"] for node in view["nodes"]] == ["broker", "edge", "map", "map", "storage"]
    lease = view["leases"][0]
    assert lease["map_id"] == 3 and lease["players"] == 1 and lease["checkpoint_age_ms"] >= 250
    failover = view["recent_failovers"][0]
    assert failover["map_id"] == 3 and failover["to"] == lease["worker"] != failover["from"]
    assert view["queues"] == {"map_unacked": 0, "map_waiting": 0, "storage_waiting": 0}
    assert view["served_by"] == "edge-1" and view["view_age_ms"] == 120


def test_rates_come_from_two_samples_of_a_node_and_restart_with_it():
    rates = Rates()

    def sample(at_ms: int, cpu: float, packets: int, frames: int) -> dict:
        return {"role": "edge", "name": "edge-1",
                "stats": {"at_ms": at_ms, "cpu_seconds": cpu, "packets_in": {"6": packets}, "frames_out": frames}}
    rates.add(sample(10_000, 1.0, 100, 1000))
    assert rates.of("edge-1")["cpu_percent"] is None
    rates.add(sample(12_000, 1.5, 300, 1400))
    assert rates.of("edge-1") == {"cpu_percent": 25.0, "packets_in_per_s": 100.0, "packets_out_per_s": 200.0}
    rates.add(sample(12_000, 1.5, 300, 1400))  # the same heartbeat again changes nothing
    assert rates.of("edge-1")["packets_in_per_s"] == 100.0
    rates.add(sample(13_000, 0.1, 5, 5))  # restarted: its totals began again
    assert rates.of("edge-1")["cpu_percent"] is None


def test_a_status_view_without_the_broker_holds_this_edge_alone():
    own = {"role": "edge", "name": "edge-1", "host": "h", "pid": 1, "stats": edge_stats()}
    view = status_view(None, None, own, Rates())
    assert [node["name"] for node in view["nodes"]] == ["edge-1"] and view["view_age_ms"] is None
    shown = exported(view)
    assert shown["odyssey_sessions"]["roles"] == {"edge"}
    text = metrics.render(view)[0].decode()
    assert 'odyssey_cluster_view_up{node="edge-1",role="edge"} 0.0' in text


def test_counters_are_cheap_shapes():
    histogram = Histogram((0.001, 0.01))
    for seconds in (0.0005, 0.001, 0.005, 3.0):
        histogram.observe(seconds)
    assert histogram.to_wire() == {"bounds": [0.001, 0.01], "counts": [2, 1, 1], "count": 4,
                                   "sum": pytest.approx(3.0065)}
    assert payload_type(b'{"type":114,"text":"x"}') == 114
    assert payload_type(b'{"text":"x","type":114}') == -1
    counts: dict = {}
    for packet_type in (5, -1, 256, "6", True):
        count_type(counts, packet_type)
    assert counts == {5: 1, "other": 4}
