"""cluster.moderation (durations, orders, sanctions) and workers.rules.moderation (the staff rows, mutes)."""
from __future__ import annotations

import pytest
from maptools import NOW_MS, character, context, received, runtime_with
from test_commands import assert_plain_chat, say, setup

from cluster import moderation
from cluster.moderation import Order, OrderError, Sanction
from workers.rules import HANDLERS
from workers.rules.moderation import muted_until, set_muted
from workers.runtime import EVERYONE, Effects

HOUR = 3_600_000


# --- durations ----------------------------------------------------------------------------------
@pytest.mark.parametrize("word, ms", [("30m", 30 * 60_000), ("2h", 2 * HOUR), ("7d", 7 * 24 * HOUR),
                                      ("45s", 45_000), ("1w", 7 * 24 * HOUR), ("1h30m", 90 * 60_000),
                                      ("2H", 2 * HOUR)])
def test_durations_parse(word, ms):
    assert moderation.parse_duration(word) == ms


@pytest.mark.parametrize("word", ["", "2", "h", "2x", "0m", "-5m", "1.5h", "two", "5m!", "9999999d", "3650d1s"])
def test_what_is_not_a_duration(word):
    assert moderation.parse_duration(word) is None


@pytest.mark.parametrize("ms, text", [(2 * HOUR, "2h"), (27 * HOUR, "1d 3h"), (45_999, "45s"), (0, "0s"),
                                      (90 * 60_000, "1h 30m"), (15 * 24 * HOUR + 5000, "2w 1d")])
def test_durations_format(ms, text):
    assert moderation.format_duration(ms) == text


def test_time_format():
    assert moderation.format_time(1_700_000_000_000) == "2023-11-14 22:13 UTC"


# --- sanctions --------------------------------------------------------------------------------
def test_a_timed_sanction_ends_by_itself_and_a_permanent_one_does_not():
    timed = Sanction("ban", "Bob", "spam", NOW_MS + HOUR, "Ann (access 2)", NOW_MS)
    assert timed.active(NOW_MS) and timed.active(NOW_MS + HOUR - 1) and not timed.active(NOW_MS + HOUR)
    forever = Sanction("ban", "Bob", "", None, "operator", NOW_MS)
    assert forever.active(NOW_MS + 100 * 365 * 24 * HOUR)


def test_ban_messages_say_the_reason_and_when_it_ends():
    timed = Sanction("ban", "Bob", "spam", 1_700_000_000_000 + 2 * HOUR, "Ann", 1_700_000_000_000)
    assert moderation.ban_message(timed, 1_700_000_000_000) == \
        "This account is banned until 2023-11-15 00:13 UTC (in 2h): spam"
    forever = Sanction("ban", "Bob", "", None, "Ann", 0)
    assert moderation.ban_message(forever, 0) == "This account is banned permanently."


def test_sanctions_round_trip_and_junk_is_refused():
    ban = Sanction("mute", "Bob", "", None, "operator root", NOW_MS)
    assert Sanction.from_wire(ban.to_wire()) == ban
    for junk in (None, [], {"kind": "ban"}, {**ban.to_wire(), "kind": "jail"}, {**ban.to_wire(), "until_ms": "x"},
                 {**ban.to_wire(), "until_ms": True}, {**ban.to_wire(), "name": 3}):
        assert Sanction.from_wire(junk) is None


# --- orders: the words after the command ------------------------------------------------------------
NAMES = {"bob", "john smith", "john"}


def order(action: str, text: str) -> Order:
    return moderation.parse_order(action, text, lambda name: name.lower() in NAMES)


def test_ban_takes_a_name_a_duration_and_a_reason():
    assert order("ban", "Bob 2h spamming the market") == Order("Bob", 2 * HOUR, "spamming the market")
    assert order("ban", "Bob") == Order("Bob", None, "")
    assert order("ban", "Bob being rude") == Order("Bob", None, "being rude")  # no duration: permanent


def test_a_name_with_spaces_is_the_longest_known_one_or_quoted():
    assert order("ban", "John Smith 7d") == Order("John Smith", 7 * 24 * HOUR, "")
    assert order("kick", "john afk") == Order("john", None, "afk")
    assert order("mute", '"Ann Lee" 30m') == Order("Ann Lee", 30 * 60_000, "")
    assert order("kick", "Nobody at all") == Order("Nobody", None, "at all")  # storage: "no character"


def test_kick_takes_no_duration_and_mute_no_reason():
    assert order("kick", "Bob 2h") == Order("Bob", None, "2h")
    with pytest.raises(OrderError, match="/mute"):
        order("mute", "Bob for being loud")
    with pytest.raises(OrderError, match="/unban"):
        order("unban", "Bob 2h")
    with pytest.raises(OrderError):
        order("ban", '"" 2h')


# --- the rows on the map ----------------------------------------------------------------------
COMMANDS = ["/kick Bob afk", "/mute Bob 30m", "/unmute Bob", "/ban Bob 2h spam", "/unban Bob", "/announce hi all"]


@pytest.mark.parametrize("text", COMMANDS)
def test_a_normal_player_gets_plain_chat(text):
    assert_plain_chat(say(setup(0), text), text)


@pytest.mark.parametrize("text", ["/ban Bob 2h spam", "/unban Bob", "/announce hi all"])
def test_ban_and_announce_need_access_2(text):
    assert_plain_chat(say(setup(1), text), text)


@pytest.mark.parametrize("access, text", [(1, "/kick Bob afk"), (1, "/MUTE Bob 30m"), (1, "/unmute Bob"),
                                          (2, "/ban Bob 2h spam"), (4, "/unban Bob"), (2, "/announce hi  all")])
def test_staff_commands_ask_storage(access, text):
    effects = say(setup(access), text)
    assert effects.messages == []
    action, rest = text.split(None, 1)
    assert effects.requests == [("moderate", {"pid": 1, "access": access, "by": "Ann",
                                              "action": action[1:].lower(), "text": rest})]


@pytest.mark.parametrize("text", ["/kick", "/ban  ", "/announce"])
def test_a_staff_command_without_arguments_gets_its_usage(text):
    effects = say(setup(4), text)
    assert effects.requests == []
    assert [(pids, p["color"], p["text"].split()[:2]) for pids, p in effects.messages] == \
        [((1,), "#ff0000", ["Usage:", text.split()[0]])]


# --- mutes on the map --------------------------------------------------------------------------
def muted_setup(until):
    runtime = setup(0)
    runtime.players[1].record["data"]["muted_until_ms"] = until
    return runtime


def notice_only(effects: Effects, expected: str) -> None:
    assert effects.requests == []
    assert [(pids, p["type"], p["color"], p["text"]) for pids, p in effects.messages] == \
        [((1,), 114, "#ff0000", expected)]


@pytest.mark.parametrize("text", ["hello", "'hello everyone", "@Bob psst"])
def test_a_muted_player_is_told_instead_of_heard(text):
    notice_only(say(muted_setup(NOW_MS + 2 * HOUR), text),
                "You are muted for 2h more: nobody can read your chat.")
    notice_only(say(muted_setup(None), text), "You are muted: nobody can read your chat.")


def test_a_muted_player_may_still_use_commands():
    assert say(muted_setup(None), "/who").requests == [("who", {"pid": 1})]


def test_an_expired_mute_lapses_by_itself():
    effects = say(muted_setup(NOW_MS - 1), "'hello")
    assert [(pids, p["text"]) for pids, p in effects.messages] == [(EVERYONE, "Ann:hello")]
    assert muted_until({"data": {"muted_until_ms": NOW_MS}}, NOW_MS) == (False, None)
    assert muted_until({"data": {}}, NOW_MS) == (False, None)
    assert muted_until({"data": {"muted_until_ms": NOW_MS + 1}}, NOW_MS) == (True, NOW_MS + 1)


def test_muted_from_storage_sets_and_clears_the_live_record():
    runtime = runtime_with((1, character("Ann", 3, 4)), (2, character("Bob", 5, 5)))
    effects = Effects()
    set_muted(runtime, effects, 2, True, None, context())
    assert runtime.players[2].record["data"]["muted_until_ms"] is None and 2 in runtime.changed_players
    HANDLERS[5](runtime, effects, 2, {"type": 5, "text": "hi"}, context())
    assert received(effects, 1) == [] and len(received(effects, 2)) == 1
    set_muted(runtime, effects, 2, False, None, context())
    assert "muted_until_ms" not in runtime.players[2].record["data"]
    set_muted(runtime, effects, 99, True, None, context())  # gone meanwhile: nothing happens
