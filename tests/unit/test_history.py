"""edge.history: the ring buffer of status samples behind the charts of /status, its settings, and what
a sample of a real broker view holds (rates, routing p99, checkpoint lag, failovers)."""
from __future__ import annotations

import json

import pytest
from brokertools import broker_view, heartbeat, hello

from broker.node import Broker
from cluster import config as cfg
from cluster.config import Config, ConfigError
from cluster.counters import Histogram
from cluster.link import now_ms
from edge.history import (
    MAX_FAILOVER_EVENTS,
    SAMPLE_FIELDS,
    History,
    IntervalHistogram,
    capacity,
    histogram_quantile,
)
from edge.history_web import new_history
from edge.status import Rates, status_view
from workers.node import MapWorker

BOUNDS = [0.001, 0.002, 0.004]  # seconds; a fourth bucket is +Inf


def edge_only(sessions: int = 0, at_ms: int = 1) -> dict:
    """The view an edge serves when the broker did not answer: itself alone."""
    own = {"role": "edge", "name": "edge-1", "host": "h", "pid": 1,
           "stats": {"sessions": sessions, "packets_in": {}, "frames_out": 0, "at_ms": at_ms}}
    return status_view(None, None, own, Rates())


def fake_view(sessions: int, failovers: list | None = None, age_ms: int = 10) -> dict:
    return {**edge_only(), "view_age_ms": age_ms, "sessions": sessions, "players_in_game": sessions,
            "failovers": len(failovers or []), "recent_failovers": failovers or [], "queues": {"a": 1, "b": 2}}


# --- the ring buffer --------------------------------------------------------------------------

def test_the_buffer_holds_the_configured_minutes_and_drops_the_oldest():
    history = History(sample_ms=1000, minutes=1, stale_after_ms=3000)
    assert history.samples.maxlen == capacity(1000, 1) == 60
    for second in range(100):
        history.add(fake_view(sessions=second), at_ms=1_000_000 + second * 1000)
    kept = [sample.sessions for sample in history.samples]
    assert kept == list(range(40, 100))  # the newest 60, oldest first
    assert capacity(5000, 60) == 720 and capacity(7000, 1) == 9 and capacity(600_000, 1) == 2


def test_samples_stay_in_time_order_when_the_clock_steps_back():
    history = History(1000, 1, 3000)
    assert history.add(fake_view(1), at_ms=5000) is not None
    assert history.add(fake_view(2), at_ms=4000) is None
    assert history.add(fake_view(3), at_ms=5000) is None
    history.add(fake_view(4), at_ms=6000)
    assert [(s.at_ms, s.sessions) for s in history.samples] == [(5000, 1), (6000, 4)]


def test_to_wire_gives_the_samples_after_a_time_and_is_json():
    history = History(1000, 1, 3000)
    for at in (1000, 2000, 3000):
        history.add(fake_view(at // 1000), at_ms=at)
    answer = json.loads(json.dumps(history.to_wire(after_ms=1000)))
    assert [s["at_ms"] for s in answer["samples"]] == [2000, 3000]
    assert set(answer["samples"][0]) == set(SAMPLE_FIELDS)
    assert (answer["sample_ms"], answer["window_ms"], answer["capacity"]) == (1000, 60_000, 60)
    assert len(history.to_wire()["samples"]) == 3 and history.to_wire(after_ms=3000)["samples"] == []


def test_without_the_broker_only_this_edges_own_figures_are_kept():
    history = History(1000, 1, stale_after_ms=3000)
    sample = history.add(edge_only(sessions=4), at_ms=1000)
    assert not sample.broker_up and sample.edge_sessions == 4 and sample.nodes == 1
    assert all(getattr(sample, name) is None for name in ("sessions", "players_in_game", "packets_in_per_s",
                                                          "routing_p99_ms", "checkpoint_lag_ms", "failovers"))
    stale = history.add(fake_view(sessions=3, age_ms=3000), at_ms=2000)  # the broker stopped answering
    assert not stale.broker_up and stale.sessions is None
    assert history.add(fake_view(sessions=3, age_ms=2999), at_ms=3000).sessions == 3


# --- failovers --------------------------------------------------------------------------------

def failover(map_id: int, at_ms: int, to: str | None = None) -> dict:
    return {"map_id": map_id, "from": "map-1", "to": to, "at_ms": at_ms, "granted_after_ms": None if to is None else 5}


def test_a_failover_is_kept_once_and_learns_its_new_worker():
    history = History(1000, 1, 3000)
    history.add(fake_view(1, [failover(3, 900)]), at_ms=1000)
    history.add(fake_view(1, [failover(3, 900, to="map-2"), failover(4, 1500)]), at_ms=2000)
    events = history.to_wire()["failovers"]
    assert [(e["map_id"], e["to"]) for e in events] == [(3, "map-2"), (4, None)]


def test_failovers_older_than_the_window_are_forgotten_and_their_number_is_bounded():
    history = History(1000, 1, 3000)
    history.add(fake_view(1, [failover(3, 1000)]), at_ms=1000)
    history.add(fake_view(1, [failover(3, 1000)]), at_ms=61_000)
    assert len(history.failovers) == 1  # exactly one window old
    history.add(fake_view(1, [failover(3, 1000)]), at_ms=61_001)
    assert history.failovers == {}
    many = [failover(map_id, 70_000 + map_id) for map_id in range(MAX_FAILOVER_EVENTS + 10)]
    history.add(fake_view(1, many), at_ms=80_000)
    kept = history.to_wire()["failovers"]
    assert len(kept) == MAX_FAILOVER_EVENTS and kept[0]["map_id"] == 10  # the newest


def test_bad_failover_records_are_skipped():
    history = History(1000, 1, 3000)
    history.add(fake_view(1, ["x", {"map_id": 1}, {"at_ms": "soon"}, failover(2, 900)]), at_ms=1000)
    assert [e["map_id"] for e in history.to_wire()["failovers"]] == [2]


# --- routing latency p99 ----------------------------------------------------------------------

def test_histogram_quantile_interpolates_within_the_bucket():
    assert histogram_quantile(0.99, BOUNDS, [0, 100, 0, 0]) == pytest.approx(0.001 + 0.001 * 99 / 100)
    assert histogram_quantile(0.5, BOUNDS, [50, 50, 0, 0]) == pytest.approx(0.001)
    assert histogram_quantile(0.99, BOUNDS, [90, 0, 10, 0]) == pytest.approx(0.002 + 0.002 * 9 / 10)
    assert histogram_quantile(0.99, BOUNDS, [1, 0, 0, 99]) == 0.004  # in +Inf: the largest finite bound
    assert histogram_quantile(0.99, BOUNDS, [0, 0, 0, 0]) is None


def observed(*seconds: float, histogram: Histogram | None = None) -> Histogram:
    histogram = histogram or Histogram(tuple(BOUNDS))
    for value in seconds:
        histogram.observe(value)
    return histogram


def test_the_p99_is_of_the_frames_routed_since_the_previous_sample():
    interval = IntervalHistogram()
    slow = observed(*[0.003] * 100)
    assert interval.quantile(0.99, slow.to_wire()) is None  # no interval yet
    fast = observed(*[0.0005] * 100, histogram=slow)
    assert interval.quantile(0.99, fast.to_wire()) == pytest.approx(0.00099)  # the slow ones were before
    assert interval.quantile(0.99, fast.to_wire()) is None  # nothing routed since
    assert interval.quantile(0.99, "garbage") is None
    restarted = observed(0.0015)  # fewer counts: the broker started again
    assert interval.quantile(0.99, restarted.to_wire()) == pytest.approx(0.001 + 0.001 * 0.99)


# --- a sample of a real view ------------------------------------------------------------------

def edge_entry(view: dict, sessions: int, frames_out: int, at_ms: int) -> dict:
    own = next(node for node in view["nodes"] if node["name"] == "edge-1")
    stats = {**own["stats"], "sessions": sessions, "packets_in": {"6": frames_out // 2}, "frames_out": frames_out,
             "at_ms": at_ms}
    return {**own, "stats": stats}


def test_a_sample_of_a_broker_view_with_a_failover_and_traffic():
    config = Config()
    broker = Broker(config)
    broker.recovering = False
    for role, name in (("storage", "storage"), ("map", "map-1"), ("map", "map-2"), ("edge", "edge-1")):
        hello(broker, role, name)
    route = broker.route(3)
    route.players.add(77)
    broker.grant(route)
    first_owner = route.owner
    broker.forget_node(broker.nodes[first_owner])  # it died with a player on map 3: a failover
    hello(broker, "map", first_owner)
    worker = MapWorker(config, route.owner)
    worker.checkpointed_ms = {3: now_ms() - 400, 5: now_ms() - 900}
    heartbeat(broker, route.owner, worker.stats())
    heartbeat(broker, "edge-1", {"sessions": 2})

    history, rates = new_history(config), Rates()
    start = now_ms()
    broker.counters.routing.observe(0.0003)
    view = broker_view(broker)
    first = history.add(status_view(view, 5, edge_entry(view, 2, 100, start), rates), at_ms=start)
    for _ in range(99):
        broker.counters.routing.observe(0.003)
    view = broker_view(broker)
    second = history.add(status_view(view, 5, edge_entry(view, 2, 300, start + 5000), rates), at_ms=start + 5000)

    assert first.broker_up and first.routing_p99_ms is None and first.packets_out_per_s is None
    assert (second.sessions, second.failovers, second.nodes, second.edge_sessions) == (0, 1, 5, 2)
    assert second.packets_out_per_s == pytest.approx(200 / 5)  # this edge's frames out over 5 s
    assert second.packets_in_per_s == pytest.approx(100 / 5)
    assert 2.5 < second.routing_p99_ms <= 5  # the 99 slow frames since the first sample
    assert 900 <= second.checkpoint_lag_ms < 2000  # the older of the two maps
    assert second.queued == sum(view["queues"].values())
    [event] = history.to_wire()["failovers"]
    assert (event["map_id"], event["from"], event["to"]) == (3, first_owner, route.owner)


# --- settings ---------------------------------------------------------------------------------

def test_history_settings_have_defaults_and_are_checked(tmp_path):
    assert (Config().edge.history_sample_ms, Config().edge.history_minutes) == (5000, 60)
    path = tmp_path / "cluster.toml"
    for text, key in (("history_sample_ms = 10", "history_sample_ms"), ("history_minutes = 0", "history_minutes"),
                      ("history_sample_ms = 100\nhistory_minutes = 60", "history_minutes")):
        path.write_text(f"[edge]\n{text}\n")
        with pytest.raises(ConfigError, match=key):
            cfg.load(path)
    path.write_text("[edge]\nhistory_sample_ms = 1000\nhistory_minutes = 5\n")
    history = new_history(cfg.load(path))
    assert (history.sample_ms, history.window_ms, history.samples.maxlen) == (1000, 300_000, 300)
