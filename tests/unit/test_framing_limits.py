"""edge.framing (RFC 6455 text frames) and edge.limits (token bucket)."""
from __future__ import annotations

import struct

import pytest

from edge.framing import text_frame
from edge.limits import RateLimiter


def decode_rfc6455(frame: bytes) -> tuple[bool, int, bool, bytes]:
    """An independent decoder of one frame (RFC 6455 section 5.2): (fin, opcode, masked, payload).

    Also checks the minimal-length rule of 5.2: 7-bit length when < 126, 16-bit
    when < 65536, 64-bit (most significant bit 0) otherwise.
    """
    first, second = frame[0], frame[1]
    fin = bool(first & 0x80)
    assert first & 0x70 == 0, "RSV bits must be 0"
    opcode = first & 0x0F
    masked = bool(second & 0x80)
    length = second & 0x7F
    offset = 2
    if length == 126:
        (length,) = struct.unpack(">H", frame[2:4])
        assert length >= 126, "16-bit length used for a short payload"
        offset = 4
    elif length == 127:
        (length,) = struct.unpack(">Q", frame[2:10])
        assert length >> 63 == 0
        assert length >= 65536, "64-bit length used for a medium payload"
        offset = 10
    if masked:
        mask = frame[offset:offset + 4]
        offset += 4
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(frame[offset:]))
    else:
        body = frame[offset:]
    assert len(body) == length, "frame length field does not match the payload"
    return fin, opcode, masked, body


@pytest.mark.parametrize("length, header_size", [
    (0, 2), (1, 2), (125, 2), (126, 4), (127, 4), (65535, 4), (65536, 10), (70000, 10),
])
def test_text_frame_headers(length, header_size):
    payload = (b'{"type":114}' * (length // 12 + 1))[:length]
    frame = text_frame(payload)
    assert len(frame) == header_size + length
    fin, opcode, masked, body = decode_rfc6455(frame)
    assert fin is True
    assert opcode == 0x1  # text
    assert masked is False  # server frames are never masked (RFC 6455 5.1)
    assert body == payload


def test_text_frame_exact_bytes_at_the_boundaries():
    assert text_frame(b"") == b"\x81\x00"
    assert text_frame(b"x" * 125)[:2] == b"\x81\x7d"
    assert text_frame(b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert text_frame(b"x" * 65535)[:4] == b"\x81\x7e\xff\xff"
    assert text_frame(b"x" * 65536)[:10] == b"\x81\x7f" + (65536).to_bytes(8, "big")


def test_text_frame_keeps_utf8_bytes():
    payload = '{"text":"Ödön says, \'hi\'"}'.encode("utf-8")
    assert decode_rfc6455(text_frame(payload))[3].decode("utf-8") == payload.decode("utf-8")


# --- RateLimiter -----------------------------------------------------------------------

def test_burst_then_refused():
    limiter = RateLimiter(rate=40, burst=80)
    assert all(limiter.allow(100.0) for _ in range(80))
    assert limiter.allow(100.0) is False
    assert limiter.allow(100.0) is False


def test_refill_at_the_sustained_rate():
    limiter = RateLimiter(rate=40, burst=80)
    for _ in range(80):
        limiter.allow(0.0)
    # 0.5 s at 40/s is 20 packets, no more.
    allowed = sum(limiter.allow(0.5) for _ in range(100))
    assert allowed == 20


def test_sustained_rate_over_time():
    limiter = RateLimiter(rate=10, burst=5)
    now, allowed = 0.0, 0
    for _ in range(10_000):  # offered at 1000/s for 10 s
        allowed += limiter.allow(now)
        now += 0.001
    # the burst plus 10/s for (just under) 10 s
    assert 5 + 99 - 1 <= allowed <= 5 + 100 + 1


def test_steady_client_under_the_rate_is_never_refused():
    limiter = RateLimiter(rate=40, burst=80)
    now = 0.0
    for _ in range(2000):
        assert limiter.allow(now)
        now += 1 / 30  # 30 packets per second, under 40


def test_tokens_never_exceed_the_burst():
    limiter = RateLimiter(rate=40, burst=80)
    limiter.allow(0.0)
    # an hour of silence does not bank more than the burst
    allowed = sum(limiter.allow(3600.0) for _ in range(200))
    assert allowed == 80


def test_burst_of_zero_still_allows_one():
    limiter = RateLimiter(rate=1, burst=0)
    assert limiter.allow(0.0) is True
    assert limiter.allow(0.0) is False
    assert limiter.allow(1.0) is True
