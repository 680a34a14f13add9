"""JSON nested too deep for the parser is a bad frame like any other: close, log one line, go on."""
from __future__ import annotations


def test_deeply_nested_json_closes_only_that_connection(cluster):
    watcher = cluster.client()
    watcher.play("watcher@example.org", "Watcher")
    pids = {node["name"]: node["pid"] for node in cluster.status()["nodes"]}
    attacker = cluster.client()
    attacker.send_raw("[" * 60000)
    assert attacker.is_closed(3.0)
    nested_in_game = cluster.client()
    nested_in_game.play("nested@example.org", "Nested", profession_id=1)
    nested_in_game.send_raw('{"type": 5, "text": ' + "[" * 30000 + "]" * 30000 + "}")
    watcher.send({"type": 5, "text": "still fine"})
    watcher.recv_until(lambda p: p["type"] == 114 and p["text"] == "Watcher:still fine")
    assert {node["name"]: node["pid"] for node in cluster.status()["nodes"]} == pids
