"""workers.rules.commands: the rows the node carries out (PROTOCOL 5.8 rows 2, 5, 6, 7, 12, 16).

The map only checks access and arguments and records ``(kind, args)`` in
``effects.requests``; a row the sender lacks the access for is plain chat.
"""
from __future__ import annotations

import pytest
from test_commands import assert_plain_chat, assert_usage, say, setup


def requested(effects):
    assert effects.messages == []
    return effects.requests


# --- row 2: /copymap (access > 0) -------------------------------------------------------
@pytest.mark.parametrize("access", [1, 4])
def test_copymap_requests_the_other_map(access):
    assert requested(say(setup(access), "/copymap 3")) == [("copymap", {"pid": 1, "map_id": 3})]


@pytest.mark.parametrize("text", ["/copymap", "/copymap x", "/copymap 1 2"])
def test_copymap_with_bad_arguments_gets_a_usage_notice(text):
    runtime = setup(1)
    assert_usage(say(runtime, text), runtime)


def test_copymap_at_access_0_is_plain_chat():
    assert_plain_chat(say(setup(0), "/copymap 3"), "/copymap 3")


# --- row 5: /who (any access, exact) --------------------------------------------------
@pytest.mark.parametrize("access", [0, 1, 4])
@pytest.mark.parametrize("text", ["/who", " /WHO ", "/Who"])
def test_who_is_for_everyone(access, text):
    assert requested(say(setup(access), text)) == [("who", {"pid": 1})]


def test_who_with_more_words_is_plain_chat():
    assert_plain_chat(say(setup(4), "/who is there"), "/who is there")


# --- row 6: /warpto (access > 0) ----------------------------------------------------------
@pytest.mark.parametrize("text, name", [("/warpto Bob", "Bob"), ("/WarpTo  Bob Smith ", "Bob Smith"),
                                        ("/warpto\tbob", "bob")])
def test_warpto_requests_the_named_player(text, name):
    assert requested(say(setup(1), text)) == [("warpto", {"pid": 1, "name": name})]


def test_warpto_without_a_name_gets_a_usage_notice():
    runtime = setup(1)
    assert_usage(say(runtime, "/warpto  "), runtime)


def test_warpto_at_access_0_is_plain_chat():
    assert_plain_chat(say(setup(0), "/warpto Bob"), "/warpto Bob")


# --- row 7: /setaccess (access > 3) ---------------------------------------------------------
def test_setaccess_requests_the_change_with_the_senders_level():
    effects = say(setup(4), "/setaccess Bob 2")
    assert requested(effects) == [("setaccess", {"pid": 1, "access": 4, "name": "Bob", "level": 2})]


def test_setaccess_names_may_hold_spaces():
    effects = say(setup(5), "/SETACCESS Bob Smith 0")
    assert requested(effects) == [("setaccess", {"pid": 1, "access": 5, "name": "Bob Smith", "level": 0})]


@pytest.mark.parametrize("text", ["/setaccess", "/setaccess Bob", "/setaccess Bob two", "/setaccess 3"])
def test_setaccess_with_bad_arguments_gets_a_usage_notice(text):
    runtime = setup(4)
    assert_usage(say(runtime, text), runtime)


@pytest.mark.parametrize("access", [0, 1, 2, 3])
def test_setaccess_below_access_4_is_plain_chat(access):
    assert_plain_chat(say(setup(access), "/setaccess Ann 4"), "/setaccess Ann 4")


# --- row 12: /editscript (access > 1) -----------------------------------------------------
@pytest.mark.parametrize("access", [2, 3, 4])
def test_editscript_requests_the_script(access):
    assert requested(say(setup(access), "/editscript attack")) == [("editscript", {"pid": 1, "name": "attack"})]


@pytest.mark.parametrize("text", ["/editscript", "/editscript a b"])
def test_editscript_with_bad_arguments_gets_a_usage_notice(text):
    runtime = setup(2)
    assert_usage(say(runtime, text), runtime)


@pytest.mark.parametrize("access", [0, 1])
def test_editscript_below_access_2_is_plain_chat(access):
    assert_plain_chat(say(setup(access), "/editscript attack"), "/editscript attack")


# --- row 16: whisper (any access) -----------------------------------------------------------
@pytest.mark.parametrize("access", [0, 3])
def test_whisper_requests_delivery(access):
    effects = say(setup(access), "@Bob  meet me  at the inn ")
    assert requested(effects) == [("whisper", {"pid": 1, "name": "Bob", "text": "meet me  at the inn"})]


@pytest.mark.parametrize("text", ["@", "@ Bob hi", "@Bob", "@Bob   "])
def test_whisper_without_a_name_or_message_gets_a_usage_notice(text):
    runtime = setup(0)
    assert_usage(say(runtime, text), runtime)


def test_an_at_sign_inside_the_text_is_plain_chat():
    assert_plain_chat(say(setup(0), "hi @Bob"), "hi @Bob")
