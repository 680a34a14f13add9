"""/status/history.json on a live cluster (issue 14): it fills with samples over time, counts a
second player as he connects, and serves the charts' scripts from the edge itself."""
from __future__ import annotations

import json
import urllib.error

import pytest

from harness import wait_for

SAMPLE_MS = 300
FAST_HISTORY = f"""
[edge]
history_sample_ms = {SAMPLE_MS}
history_minutes = 1
"""


def history(cluster, since: int | None = None) -> dict:
    return json.loads(cluster.http_get("/status/history.json" + ("" if since is None else f"?since={since}")))


def history_when(cluster, ready, since: int | None = None) -> dict:
    """The history once ``ready(history)`` holds (within 10 s)."""
    def check() -> dict | None:
        answer = history(cluster, since)
        return answer if ready(answer) else None
    return wait_for(check, timeout=10)


def test_the_history_fills_over_time_and_follows_the_sessions(cluster_factory):
    cluster = cluster_factory(extra_config=FAST_HISTORY)
    first = history(cluster)
    assert (first["sample_ms"], first["window_ms"], first["capacity"]) == (SAMPLE_MS, 60_000, 200)
    filled = history_when(cluster, lambda h: len(h["samples"]) >= len(first["samples"]) + 3)
    times = [sample["at_ms"] for sample in filled["samples"]]
    assert times == sorted(times) and len(set(times)) == len(times)
    newest = filled["samples"][-1]
    assert newest["broker_up"] and newest["sessions"] == 0 and newest["nodes"] == 5, newest
    assert newest["failovers"] == 0 and filled["failovers"] == []

    cluster.client().play("one@example.org", "One")
    wait_for(lambda: history(cluster)["samples"][-1]["sessions"] == 1, timeout=10)
    mark = history(cluster)["samples"][-1]["at_ms"]
    cluster.client().play("two@example.org", "Two", profession_id=1)
    later = history_when(cluster, lambda h: h["samples"] and h["samples"][-1]["sessions"] == 2, since=mark)
    assert all(sample["at_ms"] > mark for sample in later["samples"])
    assert later["samples"][-1]["players_in_game"] == 2 and later["samples"][-1]["edge_sessions"] == 2
    # Packets flowed and were routed: the rates and the routing p99 of some sample say so.
    everything = history(cluster)["samples"]
    assert any((s["packets_in_per_s"] or 0) > 0 for s in everything)
    assert any(s["routing_p99_ms"] is not None and s["routing_p99_ms"] > 0 for s in everything)


def test_a_bad_since_is_refused_and_the_charts_scripts_are_served(cluster):
    with pytest.raises(urllib.error.HTTPError) as refused:
        cluster.http_get("/status/history.json?since=yesterday")
    assert refused.value.code == 400
    assert json.loads(cluster.http_get("/healthz"))["ok"]  # the edge is fine
    charts = cluster.http_get("/status/charts.js").decode("utf-8")
    assert 'from "./vendor/uPlot.esm.js"' in charts
    assert b"export { uPlot as default }" in cluster.http_get("/status/vendor/uPlot.esm.js")
    assert b".uplot" in cluster.http_get("/status/vendor/uPlot.min.css")
    with pytest.raises(urllib.error.HTTPError) as missing:
        cluster.http_get("/status/vendor/../../play/index.html")
    assert missing.value.code in (403, 404)
