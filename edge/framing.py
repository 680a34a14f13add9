"""Websocket framing for broadcasts: frame a payload once, write it to many streams.

Server-to-client frames are never masked (RFC 6455 5.1), so the bytes of
one text frame are the same for every socket. Writing those bytes straight
to each socket's stream avoids re-framing per recipient, which is where an
edge spends its time when it relays a move to everyone on a map.
"""
from __future__ import annotations

import struct

_FIN_TEXT = 0x81


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final text frame carrying payload (UTF-8 JSON)."""
    length = len(payload)
    if length < 126:
        return bytes((_FIN_TEXT, length)) + payload
    if length < 65536:
        return struct.pack("!BBH", _FIN_TEXT, 126, length) + payload
    return struct.pack("!BBQ", _FIN_TEXT, 127, length) + payload
