"""Account packets under races, junk and log inspection (PROTOCOL 2.2, 4.1; STYLE: logging).

Races: names and e-mails are unique whatever the letter case, even when two
requests arrive together. Junk: a field of the wrong JSON type gets the
protocol's answer for that packet and state, never silence or a storage
crash. Logs: no password, hash or e-mail address is ever written.
"""
from __future__ import annotations

import re

from account_expect import (LOGIN, SELECT, answer, check_refusal, frames_before_close, login_when_released,
                            outcome)
from protocol_expect import GREY, check_account_replies, check_enter_world, enter_new, sync, window

VERSION = "Build 1982 Beta"
ACCOUNT_REPLY_END = ("winSelectPlayer", "winLogin")


def new_select_client(cluster, email: str):
    """A connection logged in to a new account, at character select; returns (client, pid)."""
    client = cluster.client()
    account_packet = check_account_replies(client.create_account(email), email, "create")
    return client, account_packet["account_id"]


# --- races -------------------------------------------------------------------------------------------
def test_two_sessions_creating_the_same_name_at_once_one_wins(cluster):
    watcher = enter_new(cluster.client(), "watcher@example.org", "Watcher")
    for round_number in range(4):
        name = f"Racer{round_number}"
        first, first_pid = new_select_client(cluster, f"r{round_number}a@example.org")
        second, second_pid = new_select_client(cluster, f"r{round_number}b@example.org")
        first.send({"type": 3, "name": name, "profession_id": 0, "gender": 0})
        second.send({"type": 3, "name": name.swapcase(), "profession_id": 1, "gender": 0})
        heads = {first_pid: first.recv(), second_pid: second.recv()}
        winners = [pid for pid, packet in heads.items() if packet["type"] == 109]
        assert len(winners) == 1, f"round {round_number}: first replies {heads}"
        winner_pid = winners[0]
        if winner_pid == first_pid:
            winner, loser, loser_pid, won_name = first, second, second_pid, name
        else:
            winner, loser, loser_pid, won_name = second, first, first_pid, name.swapcase()
        check_refusal([heads[loser_pid], *loser.drain()], SELECT)
        rest = winner.recv_until(lambda p, pid=winner_pid: p["type"] == 115 and p["player_id"] == pid)
        record, _ = check_enter_world([heads[winner_pid], *rest], winner_pid, others_in_game=1 + round_number)
        assert record["name"] == won_name
        # those in the game hear of the winner once, and never of the loser
        got = watcher.client.recv_until(lambda p, pid=winner_pid: p["type"] == 110 and p["player_id"] == pid)
        notices = [p for p in got if p["type"] == 114 and p["channel_id"] == 1 and p["color"] == GREY]
        assert len(notices) == 1 and won_name in notices[0]["text"], f"round {round_number}: the watcher got {got}"
    assert sync(watcher)[watcher.pid] == []


def test_two_connections_creating_the_same_email_at_once_one_wins(cluster):
    for round_number in range(4):
        emails = (f"Race{round_number}@Example.org", f"race{round_number}@EXAMPLE.ORG")
        passwords = (f"first-{round_number}", f"second-{round_number}")
        clients = [cluster.client(), cluster.client()]
        for client, email, password in zip(clients, emails, passwords):
            client.send({"type": 0, "email": email, "password": password, "version": VERSION})
        replies = [client.recv_until(lambda p: p["type"] == 100 and p["win"] in ACCOUNT_REPLY_END)
                   for client in clients]
        created = [index for index, got in enumerate(replies) if got[-1] == window(SELECT, "")]
        assert len(created) == 1, \
            f"round {round_number}: replies {[[(p['type'], p.get('win')) for p in got] for got in replies]}"
        won = created[0]
        check_account_replies(replies[won], emails[won], "create")
        check_refusal(replies[1 - won] + clients[1 - won].drain(), LOGIN)
        clients[won].close()
        probe = cluster.client()
        check_refusal(probe.login(emails[0], passwords[1 - won]) + probe.drain(), LOGIN)
        login_when_released(cluster, emails[won], passwords[won])


# --- junk ----------------------------------------------------------------------------------------------
NESTED = {"a": [1, {"b": None, "c": [[], {}]}], "$ne": {"$gt": ""}}
LONG_NAME = "A" * 60 * 1024
# (state of the connection, packet, expected): "fresh" = not logged in, "select" = at character
# select. Expected: LOGIN / SELECT = one 100 to that window with a message; "close" = a close, no frame.
JUNK = [
    *[("fresh", {"type": 0, "email": email, "password": "pw", "version": VERSION}, LOGIN)
      for email in (12345, ["a@example.org"], {"a": "b@example.org"}, None, NESTED)],
    ("fresh", {"type": 0, "email": "junk@example.org", "password": 12345, "version": VERSION}, LOGIN),
    ("fresh", {"type": 0, "email": "junk@example.org", "password": NESTED, "version": VERSION}, LOGIN),
    ("fresh", {"type": 0, "email": "junk@example.org", "password": "pw"}, LOGIN),
    ("fresh", {"type": 0, "email": "junk@example.org", "password": "pw", "version": 1982}, LOGIN),
    ("fresh", {"type": 0, "email": NESTED, "password": [NESTED], "version": NESTED}, LOGIN),
    *[("fresh", {"type": 1, "email": email, "password": "pw"}, "close")
      for email in (12345, ["a@example.org"], {"a": "b"}, None, NESTED)],
    ("fresh", {"type": 1, "email": "junk@example.org", "password": 12345}, "close"),
    ("fresh", {"type": 1, "email": "junk@example.org", "password": None}, "close"),
    *[("fresh", {"type": packet_type, "slot_id": NESTED, "name": NESTED}, "close") for packet_type in (2, 3, 4)],
    *[("select", {"type": packet_type, "slot_id": slot}, SELECT)
      for packet_type in (2, 4) for slot in ("1", 1.0, True, 10**30, -(10**30), -1, NESTED)],
    *[("select", {"type": 3, "name": name, "profession_id": 0, "gender": 0}, SELECT)
      for name in ([], ["Ann"], {"n": "Ann"}, 42, None, LONG_NAME, NESTED)],
    *[("select", {"type": 3, "name": "Junk Prof", "profession_id": profession, "gender": 0}, SELECT)
      for profession in ("1", [1], 10**30, NESTED)],
    *[("select", {"type": 3, "name": f"Junk Gender {index}", "profession_id": 0, "gender": gender}, SELECT)
      for index, gender in enumerate(("female", [1], NESTED, 1.5, None))],
]


def test_junk_in_every_account_field_is_answered_and_storage_survives(cluster):
    storage_pid = storage_pid_of(cluster.status())
    in_game = enter_new(cluster.client(), "healthy@example.org", "Healthy")
    at_select, _ = new_select_client(cluster, "select@example.org")
    wrong = []
    for index, (state, packet, expected) in enumerate(JUNK):
        client = cluster.client() if state == "fresh" else new_select_client(cluster, f"junk{index}@example.org")[0]
        client.send(packet)
        how, frames = outcome(client)
        if expected == "close":
            ok = how == "closed" and frames == []
        else:
            ok = how == "open" and len(frames) == 1 and isinstance(frames[0], dict) \
                and frames[0].get("type") == 100 and frames[0].get("win") == expected \
                and isinstance(frames[0].get("message"), str) and frames[0]["message"].strip() != ""
        if not ok:
            wrong.append(f"{state} {str(packet)[:120]}: want {expected}, got {how} {str(frames)[:200]}")
        # the healthy ones are still served: storage (reset an empty slot) and their map (chat)
        at_select.send({"type": 2, "slot_id": 0})
        assert [(p["type"], p.get("win")) for p in (at_select.recv(), at_select.recv())] == \
            [(101, None), (100, SELECT)], f"storage stopped answering after {str(packet)[:120]}"
        sync(in_game)
    view = cluster.status()
    assert storage_pid_of(view) == storage_pid, f"storage restarted: {view['nodes']}"
    storage_log = cluster.logs["storage"].read_text(errors="replace")
    assert "Traceback" not in storage_log, "a handler crashed:\n" + storage_log[-3000:]
    assert wrong == [], f"{len(wrong)} junk packets got the wrong answer:\n" + "\n".join(wrong)


def storage_pid_of(view: dict) -> int:
    pids = [node["pid"] for node in view["nodes"] if node["role"] == "storage"]
    assert len(pids) == 1, view["nodes"]
    return pids[0]


# --- secrets in logs -------------------------------------------------------------------------------
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def test_no_password_hash_or_email_reaches_any_log(cluster):
    emails = ("Secret.Alice@Example.org", "secret.bob@example.org")
    passwords = ("Pw-3f9c-UNIQUE-alice", "Pw-3f9c-UNIQUE-bob")
    wrong_password = "Pw-3f9c-UNIQUE-wrong"
    alice = cluster.client()
    check_account_replies(alice.create_account(emails[0], passwords[0]), emails[0], "create")
    alice.create_character("Alice")
    bob = cluster.client()
    check_account_replies(bob.create_account(emails[1], passwords[1]), emails[1], "create")
    bob.close()
    for email, password in ((emails[1], wrong_password), (emails[0].upper(), passwords[0]),
                            ("nobody.secret@example.org", wrong_password)):
        client = cluster.client()
        check_refusal(client.login(email, password) + client.drain(), LOGIN)
    duplicate = cluster.client()
    duplicate.send({"type": 0, "email": emails[1].upper(), "password": wrong_password, "version": VERSION})
    check_refusal(answer(duplicate), LOGIN)
    for junk in ({"type": 1, "email": emails[1]}, {"type": 1, "email": [emails[1]], "password": passwords[1]},
                 {"type": 1, "email": emails[1], "password": passwords[1] * 40}):
        client = cluster.client()
        client.send(junk)
        assert frames_before_close(client) == []
    client = cluster.client()
    client.send({"type": 0, "email": {"e": emails[1]}, "password": {"p": passwords[1]}, "version": VERSION})
    check_refusal(answer(client), LOGIN)
    bob, _ = login_when_released(cluster, emails[1], passwords[1])
    bob.create_character("Bob", profession_id=1)
    cluster.stop_all()  # every node has written all it will write
    secrets = [*passwords, wrong_password, "$argon2", *[e.lower() for e in emails], "nobody.secret"]
    for node, path in cluster.logs.items():
        text = path.read_text(errors="replace")
        assert text.strip(), f"{node} wrote no log at all"
        found = [secret for secret in secrets if secret in text.lower() or secret in text]
        assert found == [], f"the {node} log holds {found}"
        assert EMAIL_PATTERN.search(text) is None, f"the {node} log holds {EMAIL_PATTERN.search(text)[0]!r}"
