"""Admin scripts on a running cluster (PROTOCOL 6): hot reload on every worker, a refused
script keeps the old one, a deleted script stops running; the starter world's scripts play."""
from __future__ import annotations

import time

from test_commands_cluster import two_workers_two_players

SCRIPTED_CHAT = '''import game

def handleChat(playerID, text):
    game.sendToAllOnMap(game.chatMessage("[v%d] " + text, 0, "#123456"))
    return 1
'''


def save_script(client, name: str, text: str) -> list[dict]:
    client.send({"type": 26, "name": name, "script": text})
    return client.recv_until(lambda p: p["type"] in (100, 114))


def line_after_chat(client, text: str) -> dict:
    client.send({"type": 5, "text": text})
    return client.recv_until(lambda p: p["type"] == 114 and text in p["text"], timeout=3)[-1]


def test_a_saved_script_takes_effect_on_every_worker_at_once(cluster):
    alice, bob = two_workers_two_players(cluster)
    assert cluster.cli("admin", "set-access", "Alice", "4").returncode == 0
    alice.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    assert line_after_chat(bob, "plain")["text"] == "Bob:plain"

    saved_at = time.monotonic()
    assert save_script(alice, "chat", SCRIPTED_CHAT % 1)[-1] == {"type": 100, "win": "winGame", "message": ""}
    for client, name in ((alice, "Alice"), (bob, "Bob")):  # map 0 and map 1, two workers
        # Storage pushes the script to every worker as it commits (no polling), so it is in
        # play at once; the generous deadline only keeps a loaded test machine from flaking.
        deadline = saved_at + 5.0
        while True:
            line = line_after_chat(client, f"hi from {name}")
            if line["text"] == f"[v1] hi from {name}":
                break
            assert time.monotonic() < deadline, f"the script never reached {name}'s worker: {line}"
        assert (line["channel_id"], line["color"]) == (0, "#123456")
        print(f"script in play on {name}'s worker {time.monotonic() - saved_at:.3f} s after the save")

    refusal = save_script(alice, "chat", "def handleChat(playerID, text):\n    return (\n")[-1]
    assert refusal["type"] == 114 and refusal["color"] == "#ff0000" and "line" in refusal["text"]
    assert line_after_chat(bob, "still")["text"] == "[v1] still"  # the old version stays active

    assert save_script(alice, "chat", SCRIPTED_CHAT % 2)[-1]["win"] == "winGame"
    time.sleep(0.3)
    assert line_after_chat(bob, "again")["text"] == "[v2] again"

    assert save_script(alice, "chat", "")[-1]["win"] == "winGame"  # an empty text deletes it
    time.sleep(0.3)
    assert line_after_chat(bob, "plain again")["text"] == "Bob:plain again"
    assert line_after_chat(alice, "me too")["text"] == "Alice:me too"
    alice.send({"type": 5, "text": "/editscript chat"})
    assert alice.recv_until(lambda p: p["type"] == 138)[-1] == {"type": 138, "name": "chat", "script": ""}


def test_a_broken_hook_runs_the_default_and_the_worker_goes_on(cluster):
    alice, bob = two_workers_two_players(cluster)
    assert cluster.cli("admin", "set-access", "Alice", "4").returncode == 0
    alice.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    endless = ("import game\n\ndef handleChat(playerID, text):\n"
               "    game.sendToAllOnMap(game.chatMessage('leaked', 0))\n    while True:\n        pass\n")
    assert save_script(alice, "chat", endless)[-1]["win"] == "winGame"
    time.sleep(0.3)
    got = []
    for attempt in range(3):
        bob.send({"type": 5, "text": f"loop {attempt}"})
        got += bob.recv_until(lambda p: p["type"] == 114 and p["text"] == f"Bob:loop {attempt}", timeout=3)
    assert not [p for p in got if p["type"] == 114 and p["text"] == "leaked"]
    assert line_after_chat(alice, "fine")["text"] == "Alice:fine"


def test_a_burst_of_saves_is_answered_each_and_at_most_a_few_are_proven_at_once(cluster):
    """Each save is proven in a process of its own; a burst beyond storage's limit is refused
    with a red line (try again), not queued without end, and every save gets its answer."""
    from storage.editors import MAX_PROVING
    alice, bob = two_workers_two_players(cluster)
    assert cluster.cli("admin", "set-access", "Alice", "4").returncode == 0
    alice.recv_until(lambda p: p["type"] == 100 and p["win"] == "winGame")
    burst = 3 * MAX_PROVING
    for index in range(burst):
        alice.send({"type": 26, "name": f"burst{index}", "script": f"x = {index}\n"})
    answers = []
    while len(answers) < burst:
        answers += [p for p in alice.recv_until(lambda p: p["type"] in (100, 114), timeout=20)
                    if p["type"] == 100 or (p["type"] == 114 and p["text"].startswith("Script burst"))]
    saved = [p for p in answers if p["type"] == 100]
    busy = [p for p in answers if p["type"] == 114]
    assert all("other scripts are being checked" in p["text"] and p["color"] == "#ff0000" for p in busy)
    assert MAX_PROVING <= len(saved) < burst and len(saved) + len(busy) == burst
    # Once the burst is proven, a save goes through again.
    assert save_script(alice, "chat", SCRIPTED_CHAT % 3)[-1] == {"type": 100, "win": "winGame", "message": ""}
    deadline = time.monotonic() + 5.0  # pushed to every worker as storage commits
    while (line := line_after_chat(bob, "after the burst"))["text"] != "[v3] after the burst":
        assert time.monotonic() < deadline, f"the script never reached Bob's worker: {line}"
