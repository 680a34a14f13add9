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


def integer(value: Any, what: str) -> int:
    """An int that is not a bool (ids, slots, coordinates, amounts)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return int(value)  # a PlayerRef becomes a plain id


def number(value: Any, what: str) -> int | float:
    """A finite int or float that is not a bool (vitals, damage)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value}")
    return float(value) if isinstance(value, float) else int(value)


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
    """A fresh copy of ``value`` made of JSON types only (tuples become lists), under JSON_LIMIT.

    What a script stores (flags) or sends (packets) goes through this, so it
    can be checkpointed and sent, and the script keeps no reference into the
    state the rules read.
    """
    try:
        encoded = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be made of JSON values (dict, list, str, number, bool, None): "
                        f"{error}") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None
    if len(encoded.encode("utf-8")) > JSON_LIMIT:
        raise ValueError(f"{what} is larger than {JSON_LIMIT} bytes as JSON")
    return json.loads(encoded)


def client_packet(value: Any) -> dict:
    """A packet a script built: a dict whose ``type`` is a server→client type (100..139)."""
    if not isinstance(value, dict):
        raise TypeError(f"a packet must be a dict, not {type(value).__name__}")
    kind = value.get("type")
    if not isinstance(kind, int) or isinstance(kind, bool) or not 100 <= kind <= 139:
        raise ValueError(f"a packet's type must be an int from 100 to 139, got {kind!r}")
    return json_copy(value, "a packet")


def shown(value: float) -> str:
    """A number as the player reads it: 12, not 12.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
