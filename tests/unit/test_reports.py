"""workers.rules.reports: type 32, the hack-attempt report (PROTOCOL 2.3)."""
from __future__ import annotations

import pytest
from maptools import character, context, runtime_with

from workers.rules import HANDLERS
from workers.rules.reports import handle_hack_report
from workers.runtime import EVERYONE, Effects


def report(access: int, pid: int = 1) -> Effects:
    runtime = runtime_with((1, character("Ann", 1, 1, access=access)), (2, character("Bob", 2, 2)))
    effects = Effects()
    HANDLERS[32](runtime, effects, pid, {"type": 32}, context())
    return effects


def test_a_player_at_access_0_is_disconnected_and_everyone_is_told():
    effects = report(0)
    assert effects.closes == [1]
    assert len(effects.messages) == 1
    recipients, packet = effects.messages[0]
    assert recipients is EVERYONE
    assert (packet["type"], packet["channel_id"], packet["color"]) == (114, 0, "#696969")
    assert "Ann" in packet["text"]
    assert effects.saves == [] and effects.transfers == []  # the socket close does the cleanup


@pytest.mark.parametrize("access", [1, 2, 3, 4])
def test_staff_reports_do_nothing(access):
    effects = report(access)
    assert effects.closes == [] and effects.messages == []


def test_a_sender_not_on_the_map_is_ignored():
    effects = report(0, pid=9)
    assert effects.closes == [] and effects.messages == []


def test_type_32_is_registered():
    assert HANDLERS[32] is handle_hack_report
