"""workers.rules.chat: plain map chat, the last row of PROTOCOL 5.8."""
from __future__ import annotations

import pytest

from maptools import character, context, received, runtime_with
from workers.rules import HANDLERS
from workers.rules.chat import handle_chat
from workers.runtime import Effects


def setup():
    runtime = runtime_with((1, character("Ann", 1, 1)), (2, character("Bob", 2, 2)), (3, character("Cy", 3, 3)))
    other_map = runtime_with((4, character("Far", 1, 1)), map_id=1)
    return runtime, other_map


def say(runtime, pid, packet):
    effects = Effects()
    handle_chat(runtime, effects, pid, {"type": 5, **packet}, context())
    return effects


def test_chat_goes_to_everyone_on_the_map_including_the_sender():
    runtime, _ = setup()
    effects = say(runtime, 2, {"text": "hello there"})
    line = {"type": 114, "channel_id": 0, "color": "#ffffff", "temp": False, "text": "Bob:hello there"}
    for pid in (1, 2, 3):
        assert received(effects, pid) == [line]
    assert received(effects, 4) == []  # not on this map
    assert effects.transfers == [] and effects.saves == []


def test_text_is_kept_as_typed():
    runtime, _ = setup()
    effects = say(runtime, 1, {"text": "  spaced  out  "})
    assert received(effects, 1)[0]["text"] == "Ann:  spaced  out  "


def test_sender_not_on_the_map_is_ignored():
    runtime, _ = setup()
    assert say(runtime, 99, {"text": "hi"}).messages == []


@pytest.mark.parametrize("packet", [
    {"text": ""},
    {"text": " "},
    {"text": "\t\n  "},
    {},
    {"text": None},
    {"text": 5},
    {"text": ["hi"]},
    {"text": {"a": 1}},
    {"text": True},
])
def test_empty_or_bad_text_is_ignored(packet):
    """8.18: the original crashed on these; we drop them silently and never raise."""
    runtime, _ = setup()
    assert say(runtime, 1, packet).messages == []


def test_chat_is_the_type_5_handler():
    assert HANDLERS[5] is handle_chat
