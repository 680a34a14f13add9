"""Argument checks of the ``game`` helpers: a wrong type raises a clear error.

Scripts are admin content, not client input, but one wrong argument must not
corrupt a record or crash a rule: a helper checks every argument here first
and raises ``TypeError`` (wrong type) or ``ValueError`` (a type that is right
but a value that never makes sense), which the hook runner logs with the
script's line before discarding the hook's packets. An id or slot of the right
type that names nothing is *not* an error: getters then return their
"not found" value and setters do nothing (PROTOCOL 6.3).
"""
from __future__ import annotations

import json
import math
from typing import Any

TEXT_LIMIT = 1000  # chars of a chat line or a floating text a script may send
COLOR_LIMIT = 32  # chars of a CSS colour
FLAG_NAME_LIMIT = 64
JSON_LIMIT = 64 * 1024  # bytes of a packet or a flag value, as JSON
DEPTH_LIMIT = 32  # nesting of a stored or sent value
ITEMS_LIMIT = 10_000  # items (repeats counted) of a stored or sent value
INT_MIN, INT_MAX = -2**63, 2**63 - 1  # what msgpack (storage) encodes


def _int64(value: int, what: str) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(f"{what} must fit in 64 bits (-2**63 to 2**63-1), got an int of "
                         f"{value.bit_length()} bits")
    return value


def integer(value: Any, what: str) -> int:
    """An int that is not a bool (ids, slots, coordinates, amounts)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return _int64(int(value), what)  # a PlayerRef becomes a plain id


def number(value: Any, what: str) -> int | float:
    """A finite int or float that is not a bool (vitals, damage)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value}")
    return float(value) if isinstance(value, float) else _int64(int(value), what)


def non_negative(value: Any, what: str) -> int | float:
    value = number(value, what)
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")
    return value


def boolean(value: Any, what: str) -> bool:
    """True/False, or an int (content written for the original passes 1 and 0)."""
    if not isinstance(value, int):
        raise TypeError(f"{what} must be True or False, not {type(value).__name__}")
    return bool(value)


def text(value: Any, what: str, limit: int = TEXT_LIMIT) -> str:
    """A str, or a number shown as text (the original did ``str(text)``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = shown(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


def color(value: Any) -> str:
    return text(value, "color", COLOR_LIMIT)


def flag_name(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a flag name must be a str, not {type(value).__name__}")
    if not 0 < len(value) <= FLAG_NAME_LIMIT:
        raise ValueError(f"a flag name must have 1 to {FLAG_NAME_LIMIT} characters")
    return value


def json_copy(value: Any, what: str) -> Any:
    """A fresh plain copy of ``value`` (tuples become lists), under the limits of the module docstring.

    What a script stores (flags) or sends (packets) goes through this, so it
    can be checkpointed and sent, and the script keeps no reference into the
    state the rules read.
    """
    budget = [ITEMS_LIMIT]
    copied = _plain(value, what, 0, budget)
    try:
        encoded = json.dumps(copied, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:  # not expected after _plain; kept as a last check
        raise TypeError(f"{what} must be made of JSON values: {error}") from None
    if len(encoded.encode("utf-8")) > JSON_LIMIT:
        raise ValueError(f"{what} is larger than {JSON_LIMIT} bytes as JSON")
    return copied


def _plain(value: Any, what: str, depth: int, budget: list) -> Any:
    """``value`` copied into plain dict / list / str / int / float / bool / None, or an error."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"{what} has more than {ITEMS_LIMIT} items")
    if depth > DEPTH_LIMIT:
        raise ValueError(f"{what} is nested more than {DEPTH_LIMIT} deep")
    if value is None or isinstance(value, bool):
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return _int64(int(value), what)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must not hold {value}")
        return float(value)
    if isinstance(value, str):
        if len(value) > JSON_LIMIT:
            raise ValueError(f"{what} holds a str longer than {JSON_LIMIT} characters")
        return str(value)
    if isinstance(value, dict):
        copied = {}
        for key, item in dict.items(value):
            if not isinstance(key, str):
                raise TypeError(f"{what} must have str keys, not {type(key).__name__}")
            copied[str(key)] = _plain(item, what, depth + 1, budget)
        return copied
    if isinstance(value, (list, tuple)):
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        return [_plain(item, what, depth + 1, budget) for item in items]
    raise TypeError(f"{what} must be made of JSON values (dict, list, str, number, bool, None), "
                    f"not {type(value).__name__}")


def client_packet(value: Any) -> dict:
    """A packet a script built: a dict whose ``type`` is a server→client type (100..139)."""
    if not isinstance(value, dict):
        raise TypeError(f"a packet must be a dict, not {type(value).__name__}")
    packet = json_copy(value, "a packet")  # plain first: a subclass's get() is never asked
    kind = packet.get("type")
    if not isinstance(kind, int) or isinstance(kind, bool) or not 100 <= kind <= 139:
        raise ValueError(f"a packet's type must be an int from 100 to 139, got {kind!r}")
    return packet


def plain_dict(value: Any, what: str) -> dict:
    """A plain copy of a dict argument (a subclass's methods are never called)."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, not {type(value).__name__}")
    return json_copy(value, what)


def shown(value: float) -> str:
    """A number as the player reads it: 12, not 12.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
