"""Create account and login on a real cluster: every path of PROTOCOL 2.2.1 and 2.2.2.

Each [BUG] of those sections is fixed the way "How we use this document" asks:
a refusal is a ``100`` with a message in the window the client is on
(``winLogin`` before a login, ``winSelectPlayer`` at character select) or a
``114`` notice in the game; where the original meant to close, the connection
closes with no frame at all. The successful replies are in test_account_flow.
"""
from __future__ import annotations

from account_expect import (LOGIN, SELECT, answer, check_notice, check_refusal, frames_before_close,
                            login_when_released)
from protocol_expect import (SOUTH, check_account_replies, check_enter_world, check_new_character, enter_new, step,
                             sync)

VERSION = "Build 1982 Beta"


def create_packet(email: str, password: str = "secret-pw") -> dict:
    return {"type": 0, "email": email, "password": password, "version": VERSION}


def login_packet(email: str, password: str = "secret-pw") -> dict:
    return {"type": 1, "email": email, "password": password}


def assert_not_logged_in(client) -> None:
    """2.2.5: a character packet from a connection without a login closes it."""
    client.send({"type": 4, "slot_id": 0})
    assert frames_before_close(client) == [], "the connection was logged in"


def assert_no_account(cluster, email: str, password: str = "secret-pw") -> None:
    probe = cluster.client()
    check_refusal(probe.login(email, password) + probe.drain(), LOGIN)


# --- 2.2.1 type 0 ---------------------------------------------------------------------------------
def test_duplicate_email_in_any_case_gets_win_login_and_changes_nothing(cluster):
    first = cluster.client()
    check_account_replies(first.create_account("Ann@Example.org", "first-pw"), "Ann@Example.org", "create")
    for email in ("Ann@Example.org", "ann@example.org", "ANN@EXAMPLE.ORG"):
        client = cluster.client()
        client.send(create_packet(email, "second-pw"))
        check_refusal(answer(client), LOGIN)
        assert_not_logged_in(client)
    first.close()
    assert_no_account(cluster, "ann@example.org", "second-pw")  # the duplicate's password is not its
    login_when_released(cluster, "Ann@Example.org", "first-pw")


def test_create_account_with_a_missing_field_gets_a_message_and_creates_nothing(cluster):
    client = cluster.client()
    full = create_packet("gus@example.org")
    for missing in ("email", "password", "version"):
        client.send({key: value for key, value in full.items() if key != missing})
        check_refusal(answer(client), LOGIN)
    # nothing was created or bound: the same connection now creates the account
    check_account_replies(client.create_account("gus@example.org"), "gus@example.org", "create")


def test_a_session_at_character_select_cannot_log_in_again_or_create_an_account(cluster):
    other = cluster.client()
    check_account_replies(other.create_account("olga@example.org", "olga-pw"), "olga@example.org", "create")
    other.close()
    ann = cluster.client()
    pid = check_account_replies(ann.create_account("ann@example.org"), "ann@example.org", "create")["account_id"]
    for packet in (login_packet("olga@example.org", "olga-pw"), login_packet("ann@example.org"),
                   create_packet("new@example.org"), create_packet("OLGA@example.org")):
        ann.send(packet)
        check_refusal(answer(ann), SELECT)
    # nothing changed: no new account, Olga is not online, Ann's session plays as Ann with her pid
    assert_no_account(cluster, "new@example.org")
    login_when_released(cluster, "olga@example.org", "olga-pw")
    record, _ = check_enter_world(ann.create_character("Ann", 1, 1), pid, others_in_game=0)
    check_new_character(record, "Ann", 1, 1)


def test_a_player_in_the_game_cannot_log_in_again_or_create_an_account(cluster):
    carol = cluster.client()
    check_account_replies(carol.create_account("carol@example.org"), "carol@example.org", "create")
    carol.close()
    alice = enter_new(cluster.client(), "alice@example.org", "Alice", profession_id=1)
    bob = enter_new(cluster.client(), "bob@example.org", "Bob", present=[alice])
    for packet in (login_packet("carol@example.org"), login_packet("bob@example.org"),
                   create_packet("new@example.org"), create_packet("Carol@Example.org")):
        bob.client.send(packet)
        check_notice(answer(bob.client))
    assert sync(bob, [alice]) == {bob.pid: [], alice.pid: []}, "a refused request had side effects"
    view = cluster.status()
    assert view["players_in_game"] == 2 and view["sessions"] == 2, view
    step(bob, SOUTH, [alice])  # still exactly one Bob on the map
    assert_no_account(cluster, "new@example.org")
    login_when_released(cluster, "carol@example.org")


# --- 2.2.2 type 1 ---------------------------------------------------------------------------------
def test_login_with_a_missing_field_closes_without_any_frame(cluster):
    creator = cluster.client()
    check_account_replies(creator.create_account("dan@example.org"), "dan@example.org", "create")
    creator.close()
    for packet in ({"type": 1}, {"type": 1, "email": "dan@example.org"}, {"type": 1, "password": "secret-pw"}):
        client = cluster.client()
        client.send(packet)
        assert frames_before_close(client) == [], f"{packet} must close with no frame (never 'CLOSE')"


def test_login_matches_the_email_in_any_case_and_the_password_exactly(cluster):
    creator = cluster.client()
    check_account_replies(creator.create_account("Dora@Example.org", "Pw-Case"), "Dora@Example.org", "create")
    creator.close()
    for email, password in (("dora@example.org", "pw-case"), ("Dora@Example.org", "Pw-Case "),
                            ("Dora@Example.org", "")):
        client = cluster.client()
        check_refusal(client.login(email, password) + client.drain(), LOGIN)
        assert_not_logged_in(client)
    client, _ = login_when_released(cluster, "Dora@Example.org", "Pw-Case", typed="DORA@EXAMPLE.ORG")
    assert client.drain() == []


def test_login_while_the_account_is_online_at_character_select_gets_win_login(cluster):
    first = cluster.client()
    pid = check_account_replies(first.create_account("eve@example.org"), "eve@example.org", "create")["account_id"]
    for email in ("eve@example.org", "EVE@example.org"):
        second = cluster.client()
        check_refusal(second.login(email) + second.drain(), LOGIN)
        assert_not_logged_in(second)
    # the first session is untouched
    record, _ = check_enter_world(first.create_character("Eve"), pid, others_in_game=0)
    check_new_character(record, "Eve", 0, 0)


def test_player_id_is_a_new_larger_number_for_every_login(cluster):
    first = cluster.client()
    pid_a = check_account_replies(first.create_account("a@example.org"), "a@example.org", "create")["account_id"]
    other = cluster.client()
    pid_b = check_account_replies(other.create_account("b@example.org"), "b@example.org", "create")["account_id"]
    assert pid_b > pid_a
    first.close()  # from character select
    again, account_packet = login_when_released(cluster, "a@example.org")
    pid_a2 = account_packet["account_id"]
    assert pid_a2 > pid_b, f"a new login got {pid_a2}, after {pid_a} and {pid_b}"
    check_enter_world(again.create_character("Abel"), pid_a2, others_in_game=0)
    again.close()  # from the game
    third, account_packet = login_when_released(cluster, "a@example.org")
    pid_a3 = account_packet["account_id"]
    assert pid_a3 > pid_a2, f"the login after leaving the game got {pid_a3}, before it {pid_a2}"
    third.send({"type": 4, "slot_id": 0})
    entered, _ = check_enter_world(third.enter_world(), pid_a3, others_in_game=0)
    assert entered["name"] == "Abel"
