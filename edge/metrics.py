"""``GET /metrics``: the cluster view as Prometheus metric families.

``ViewCollector`` is a prometheus-client custom collector over one view (the
broker's cluster view, with the serving edge's own live counters in its node
entry; see ``edge.status``). Nothing is registered globally: each answer
renders a fresh ``CollectorRegistry``. Every metric is listed, with its type,
labels and meaning, in README.md ("Status and metrics"); a unit test checks
that the two agree.

Every sample carries ``node`` and ``role``; the metrics below say which roles
export them. Counters are totals since the node started.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

NODE_LABELS = ("node", "role")
Samples = list[tuple[tuple[str, ...], float]]  # (extra label values, value)


class Metric(NamedTuple):
    """One exported metric: how to read its samples from a node entry of the view."""
    name: str  # as exposed; counters end in _total
    kind: str  # "counter", "gauge" or "histogram"
    help: str
    roles: tuple[str, ...]
    samples: Callable[[dict, dict], Samples]  # (node entry, whole view) → samples
    labels: tuple[str, ...] = ()


def stat(*keys: str, scale: float = 1.0) -> Callable[[dict, dict], Samples]:
    """The first of ``keys`` present in the node's stats, as one sample."""
    def read(node: dict, view: dict) -> Samples:
        stats = node.get("stats") or {}
        for key in keys:
            value = stats.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return [((), value * scale)]
        return []
    return read


def stat_by(key: str) -> Callable[[dict, dict], Samples]:
    """A dict in the node's stats (label value → number), one sample per entry."""
    def read(node: dict, view: dict) -> Samples:
        values = (node.get("stats") or {}).get(key)
        if not isinstance(values, dict):
            return []
        return [((str(label),), value) for label, value in sorted(values.items(), key=lambda kv: str(kv[0]))
                if isinstance(value, (int, float))]
    return read


def histogram(key: str) -> Callable[[dict, dict], Samples]:
    """A ``cluster.counters.Histogram`` in wire form, as one sample whose value is the dict."""
    def read(node: dict, view: dict) -> Samples:
        value = (node.get("stats") or {}).get(key)
        return [((), value)] if isinstance(value, dict) and "bounds" in value else []
    return read


def node_info(node: dict, view: dict) -> Samples:
    return [((str(node.get("host", "")), str(node.get("pid", ""))), 1)]


def heartbeat_age(node: dict, view: dict) -> Samples:
    age = node.get("heartbeat_age_s")
    return [((), age)] if isinstance(age, (int, float)) else []


def leases_held(node: dict, view: dict) -> Samples:
    return [((), sum(1 for lease in view.get("leases", []) if lease.get("worker") == node["name"]))]


def oldest_checkpoint(node: dict, view: dict) -> Samples:
    ages = (node.get("stats") or {}).get("checkpoint_age_ms")
    if not isinstance(ages, dict) or not ages:
        return []
    return [((), max(ages.values()) / 1000)]


def served_by_this_edge(read: Callable[[dict, dict], Samples]) -> Callable[[dict, dict], Samples]:
    """Only for the edge that renders the answer (the view says which)."""
    def only_here(node: dict, view: dict) -> Samples:
        return read(node, view) if node["name"] == view.get("served_by") else []
    return only_here


def quarantined_now(node: dict, view: dict) -> Samples:
    return [((), len(view.get("quarantined_scripts") or []))]


def view_up(node: dict, view: dict) -> Samples:
    return [((), 1 if view.get("view_age_ms") is not None else 0)]


def view_age(node: dict, view: dict) -> Samples:
    age = view.get("view_age_ms")
    return [((), age / 1000)] if age is not None else []


ALL = ("broker", "edge", "map", "storage")
SENDERS = ("map", "storage")  # nodes that build client packets

METRICS = (
    Metric("odyssey_node_info", "gauge", "A registered node (always 1), with its host and process id.",
           ALL, node_info, ("host", "pid")),
    Metric("odyssey_heartbeat_age_seconds", "gauge", "Seconds since the broker last heard from the node.",
           ALL, heartbeat_age),
    Metric("odyssey_process_cpu_seconds_total", "counter", "CPU time the node's process has used.",
           ALL, stat("cpu_seconds")),
    Metric("odyssey_process_resident_memory_bytes", "gauge", "Resident memory of the node's process.",
           ALL, stat("rss_bytes")),
    Metric("odyssey_sessions", "gauge",
           "Sessions: the broker's session table, an edge's open websockets, storage's logged-in accounts.",
           ("broker", "edge", "storage"), stat("sessions")),
    Metric("odyssey_players_in_game", "gauge", "Players in the game: all (broker), on its maps (map worker).",
           ("broker", "map"), stat("players_in_game", "players")),
    Metric("odyssey_packets_in_total", "counter",
           "Client packets by type: received from players (edge), handled (map worker: game packets; "
           "storage: account packets).", ("edge", "map", "storage"), stat_by("packets_in"), ("type",)),
    Metric("odyssey_packets_out_total", "counter",
           "Client packets built for players, by type, once per payload however many receive it.",
           SENDERS, stat_by("packets_out"), ("type",)),
    Metric("odyssey_frames_out_total", "counter", "Websocket frames written to players (one per recipient).",
           ("edge",), stat("frames_out")),
    Metric("odyssey_bytes_in_total", "counter",
           "Bytes received: websocket payloads from players (edge), ZeroMQ frames from nodes (broker).",
           ("broker", "edge"), stat("bytes_in")),
    Metric("odyssey_bytes_out_total", "counter",
           "Bytes sent: websocket frames to players (edge), ZeroMQ frames to nodes (broker).",
           ("broker", "edge"), stat("bytes_out")),
    Metric("odyssey_rejected_frames_total", "counter",
           "Connections the edge closed for a bad frame, by reason.", ("edge",), stat_by("rejected"),
           ("reason",)),
    Metric("odyssey_packets_routed_total", "counter", "Client packets the broker routed (to storage or a map).",
           ("broker",), stat("packets_routed")),
    Metric("odyssey_routing_latency_seconds", "histogram",
           "Broker time from receiving a frame of client packets to sending what it routed.",
           ("broker",), histogram("routing_seconds")),
    Metric("odyssey_queue_depth", "gauge",
           "Commands the broker holds, by queue: map_unacked (sent to a map's owner, not yet confirmed), "
           "map_waiting (for a lease), storage_waiting (for a storage node).",
           ("broker",), stat_by("queues"), ("queue",)),
    Metric("odyssey_leases", "gauge", "Map leases the worker holds.", ("map",), leases_held),
    Metric("odyssey_maps_loaded", "gauge", "Maps in the worker's memory (leased and loaded).",
           ("map",), stat("maps")),
    Metric("odyssey_lease_grants_total", "counter", "Map leases granted.", ("broker",), stat("lease_grants")),
    Metric("odyssey_lease_releases_total", "counter", "Map leases given back by their worker (idle, reload).",
           ("broker",), stat("lease_releases")),
    Metric("odyssey_lease_expiries_total", "counter",
           "Map leases that ended without a release: their worker died or restarted.",
           ("broker",), stat("lease_expiries")),
    Metric("odyssey_lease_reassignments_total", "counter",
           "Failovers: expired leases of maps with players or queued work, granted again.",
           ("broker",), stat("failovers")),
    Metric("odyssey_checkpoints_sent_total", "counter", "Checkpoints (CKPT) the map worker sent to storage.",
           ("map",), stat("checkpoints_sent")),
    Metric("odyssey_checkpoint_age_seconds", "gauge",
           "Checkpoint lag: the oldest of the worker's maps' time since its state on disk was current.",
           ("map",), oldest_checkpoint),
    Metric("odyssey_checkpoint_writes_total", "counter",
           "Records (map states, players) storage wrote from checkpoints and player saves.",
           ("storage",), stat("checkpoint_writes")),
    Metric("odyssey_checkpoint_refusals_total", "counter",
           "Checkpoints and saves storage refused: their lease epoch was older than the map's.",
           ("storage",), stat("refused_checkpoints")),
    Metric("odyssey_checkpoint_write_seconds", "histogram",
           "Per checkpoint: from the start of the storage turn that received it to its commit on disk.",
           ("storage",), histogram("checkpoint_seconds")),
    Metric("odyssey_storage_commit_seconds", "histogram", "Storage write transactions: the commit (synced).",
           ("storage",), histogram("commit_seconds")),
    Metric("odyssey_storage_corrupt_reads_total", "counter", "Records that failed to decode and were skipped.",
           ("storage",), stat("corrupt_records")),
    Metric("odyssey_script_errors_total", "counter",
           "Script hook calls that raised or returned something other than a number.",
           ("map",), stat("script_errors")),
    Metric("odyssey_script_timeouts_total", "counter", "Script hook calls stopped by scripting.budget_ms.",
           ("map",), stat("script_timeouts")),
    Metric("odyssey_script_quarantines_total", "counter",
           "Scripts the cluster quarantined (disabled on every worker until staff save them again).",
           ("broker",), stat("script_quarantines")),
    Metric("odyssey_scripts_quarantined", "gauge", "Scripts quarantined right now.",
           ("broker",), quarantined_now),
    Metric("odyssey_cluster_view_up", "gauge",
           "1 if this answer has the broker's cluster view, 0 if the broker did not answer (only this "
           "edge's own counters).", ("edge",), served_by_this_edge(view_up)),
    Metric("odyssey_cluster_view_age_seconds", "gauge", "Age of the broker's cluster view in this answer.",
           ("edge",), served_by_this_edge(view_age)),
)


def new_family(metric: Metric):
    labels = [*NODE_LABELS, *metric.labels]
    if metric.kind == "counter":
        return CounterMetricFamily(metric.name, metric.help, labels=labels)
    if metric.kind == "histogram":
        return HistogramMetricFamily(metric.name, metric.help, labels=labels)
    return GaugeMetricFamily(metric.name, metric.help, labels=labels)


def add_sample(family, metric: Metric, labels: list[str], value) -> None:
    if metric.kind != "histogram":
        family.add_metric(labels, value)
        return
    cumulative, buckets = 0, []
    for bound, count in zip([*value["bounds"], float("inf")], value["counts"]):
        cumulative += count
        buckets.append(("+Inf" if bound == float("inf") else repr(float(bound)), cumulative))
    family.add_metric(labels, buckets, value["sum"])


def families(view: dict) -> Iterable:
    """One metric family per entry of ``METRICS``, with a sample per node (and label) that has it."""
    for metric in METRICS:
        family = new_family(metric)
        for node in view.get("nodes", []):
            if node.get("role") not in metric.roles:
                continue
            for extra, value in metric.samples(node, view):
                add_sample(family, metric, [node["name"], node["role"], *extra], value)
        yield family


class ViewCollector:
    """A prometheus-client collector over one cluster view."""

    def __init__(self, view: dict) -> None:
        self.view = view

    def collect(self) -> Iterable:
        return families(self.view)


def render(view: dict) -> tuple[bytes, str]:
    """The Prometheus text exposition of ``view`` and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ViewCollector(view))
    return generate_latest(registry), CONTENT_TYPE_LATEST
