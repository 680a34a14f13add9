"""Expectations for the refusals and closes of the account packets (PROTOCOL 2.2).

The replies of a successful create, login or enter are checked by
``protocol_expect``; this module adds what the fixed [BUG]s of 2.2 look like
on the wire: a ``100`` window with a message instead of silence, a ``114``
notice to a player who is in the game, and a close with no frame at all.
"""
from __future__ import annotations

import json
import time

from websockets.exceptions import ConnectionClosed

from harness import ClusterHarness, GameClient
from protocol_expect import check_account_replies, is_int

SELECT, LOGIN = "winSelectPlayer", "winLogin"
REPLY_WAIT_S = 5.0


def check_refusal(got: list[dict], win: str) -> str:
    """Exactly one ``100`` switching to ``win`` with a non-empty message; returns the message."""
    assert len(got) == 1, f"want one 100 {win} with a message, got {got}"
    packet = got[0]
    assert set(packet) == {"type", "win", "message"} and packet["type"] == 100, packet
    assert packet["win"] == win, f"refused with window {packet['win']!r}, want {win!r}: {packet}"
    assert isinstance(packet["message"], str) and packet["message"].strip(), f"no message: {packet}"
    return packet["message"]


def check_notice(got: list[dict]) -> str:
    """Exactly one ``114`` chat notice (no window switch) with a text; returns the text."""
    assert len(got) == 1, f"want one 114 notice, got {got}"
    packet = got[0]
    assert set(packet) == {"type", "channel_id", "color", "temp", "text"} and packet["type"] == 114, packet
    assert is_int(packet["channel_id"]) and isinstance(packet["color"], str), packet
    assert isinstance(packet["temp"], bool) and packet["text"].strip(), packet
    return packet["text"]


def answer(client: GameClient, timeout: float = REPLY_WAIT_S) -> list[dict]:
    """The reply to one request: what arrives until the socket has been quiet for a moment."""
    first = client.recv(timeout)
    return [first, *client.drain()]


def frames_before_close(client: GameClient, timeout: float = 3.0) -> list[str]:
    """The raw frames the server sent before it closed the socket; fails if it stays open.

    Raw, so that a non-JSON frame such as the original's ``CLOSE`` text shows up.
    """
    frames = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the server did not close the connection in {timeout} s; got {frames}")
        try:
            frames.append(client.ws.recv(timeout=left))
        except TimeoutError:
            continue
        except ConnectionClosed:
            return frames


def outcome(client: GameClient, timeout: float = REPLY_WAIT_S) -> tuple[str, list]:
    """("closed", frames before the close) or ("open", the frames of the reply; [] = silence).

    Frames are decoded where they are JSON and kept as text where not.
    """
    frames = []
    deadline = time.monotonic() + timeout
    while True:
        wait = deadline - time.monotonic() if not frames else 0.4  # quiet after the first frame
        state = "open"
        if wait <= 0:
            break
        try:
            frames.append(client.ws.recv(timeout=wait))
        except TimeoutError:
            break
        except ConnectionClosed:
            state = "closed"
            break
    return state, [_decoded(frame) for frame in frames]


def _decoded(frame: str):
    try:
        return json.loads(frame)
    except ValueError:
        return frame


def login_when_released(cluster: ClusterHarness, email: str, password: str = "secret-pw",
                        typed: str | None = None, timeout: float = 10.0) -> tuple[GameClient, dict]:
    """Log in on a new connection once the account's last session has ended (its logout is
    asynchronous: a player in the game is released after its map's final save); returns the
    client at character select and its checked 101. ``typed``: the e-mail as the player types
    it, when it differs from the stored ``email`` in letter case."""
    client = cluster.client()
    deadline = time.monotonic() + timeout
    while True:
        replies = client.login(typed or email, password)
        if replies[-1]["win"] != LOGIN:
            return client, check_account_replies(replies, email, "login")
        assert time.monotonic() < deadline, f"{email} still refused after {timeout} s: {replies}"
        time.sleep(0.2)
