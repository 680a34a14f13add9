"""Size limits on what a script may compute in one C call (used by ``scripting.sandbox``).

The time budget (SIGALRM) interrupts a script only between bytecodes, so a
single C-level operation that builds a huge object — ``'x' * 10**10``,
``2 ** 10**10``, ``'x'.ljust(10**10)`` — would hang or exhaust the worker
before the budget could strike. The sandbox compiles ``*``, ``**``, ``<<``
and ``%`` (and their augmented forms) into calls of the guards below, checks
f-string format specs, wraps the allocating ``str``/``bytes``/``int``
methods, and hands scripts copies of ``math``, ``random`` and ``time`` whose
dangerous functions are guarded too. Each guard estimates the size of the
result *before* computing it and raises ``ValueError`` when it is over:

* ``SIZE_LIMIT`` items for a sequence (chars of a str, items of a list)
  or a format width / precision;
* ``BIT_LIMIT`` bits for an int.

``str.translate`` is bounded by the text's length times the table's longest
value. Still possible, and caught by the time budget or by ``limit_memory``
(``RLIMIT_AS``) instead: growing objects step by step in Python code
(``s = s + s`` in a loop, ``list.append``). C calls whose cost grows with the
*shape* of what a script built within these limits (sorting, comparing,
hashing nested data) are bounded by ``scripting.guarded``.
"""
from __future__ import annotations

import math
import operator
import random
import re
import time
import types

from scripting import guarded

SIZE_LIMIT = 1_000_000  # items of a sequence, or chars of a str, one operation may build
BIT_LIMIT = 10_000  # bits of an int one operation may build (about 3000 decimal digits)
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_TEXTS = (str, bytes)


def _refuse(what: str) -> None:
    raise ValueError(f"{what} is not allowed in scripts")


def _is_int(value) -> bool:
    return isinstance(value, int)  # bools too: they multiply like 0 and 1


# --- binary operators ----------------------------------------------------------------------
def check_mul(left, right) -> None:
    """``left * right``: a repetition over SIZE_LIMIT items, or an int over BIT_LIMIT bits."""
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > BIT_LIMIT:
            _refuse(f"an integer product over {BIT_LIMIT} bits")
    elif isinstance(left, _SEQUENCES) and _is_int(right):
        _check_items(len(left) * right, "sequence repetition")
    elif isinstance(right, _SEQUENCES) and _is_int(left):
        _check_items(len(right) * left, "sequence repetition")


def check_pow(base, exponent, modulus=None) -> None:
    """``base ** exponent``: an int result over BIT_LIMIT bits, estimated from the operands."""
    if not (_is_int(base) and _is_int(exponent)) or exponent <= 0 or abs(base) <= 1:
        return
    if modulus is not None:
        if _is_int(modulus) and max(modulus.bit_length(), exponent.bit_length()) > BIT_LIMIT:
            _refuse(f"a modular power over {BIT_LIMIT} bits")
        return
    if exponent > BIT_LIMIT or exponent * math.log2(abs(base)) > BIT_LIMIT:
        _refuse(f"an integer power over {BIT_LIMIT} bits")


def check_lshift(value, shift) -> None:
    if _is_int(value) and _is_int(shift) and value and shift > 0 and value.bit_length() + shift > BIT_LIMIT:
        _refuse(f"a shift to over {BIT_LIMIT} bits")


# One %-conversion: %% or %[(key)][flags][width][.precision]
_PERCENT_SPEC = re.compile(r"%(?:%|(?:\([^)]*\))?[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?)")


def check_mod(left, right) -> None:
    """``text % values``: every width and precision of the format within SIZE_LIMIT; no ``*``."""
    if not isinstance(left, _TEXTS):
        return
    text = left.decode("latin-1") if isinstance(left, bytes) else left
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.groups():
            if number == "*":
                _refuse("a '*' width in % formatting")
            if number and int(number) > SIZE_LIMIT:
                _refuse(f"a format width over {SIZE_LIMIT}")


def check_format_spec(spec: str) -> None:
    """An f-string spec (``{x:>10.2f}``): no number in it over SIZE_LIMIT."""
    if any(int(number) > SIZE_LIMIT for number in re.findall(r"\d+", spec)):
        _refuse(f"a format width over {SIZE_LIMIT}")


def guarded_mul(left, right):
    check_mul(left, right)
    return left * right


def guarded_pow(base, exponent, modulus=None):
    """``**`` and the ``pow`` builtin."""
    check_pow(base, exponent, modulus)
    return pow(base, exponent) if modulus is None else pow(base, exponent, modulus)


def guarded_lshift(value, shift):
    check_lshift(value, shift)
    return value << shift


def guarded_mod(left, right):
    check_mod(left, right)
    return left % right


_CONVERSIONS = {-1: None, ord("s"): str, ord("r"): repr, ord("a"): ascii}


def guarded_format(value, conversion: int, spec: str) -> str:
    """One ``{value!conversion:spec}`` of an f-string."""
    convert = _CONVERSIONS[conversion]
    if convert is not None:
        value = convert(value)
    check_format_spec(spec)
    return format(value, spec)


_INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
    "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
    "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}
_INPLACE_CHECKS = {"*=": check_mul, "**=": check_pow, "<<=": check_lshift, "%=": check_mod}
# A dict view has no in-place form: ``view -= items`` is ``view - items``, which hashes the items.
_INPLACE_GUARDS = {"-=": guarded.guarded_sub, "|=": guarded.guarded_or, "&=": guarded.guarded_and,
                   "^=": guarded.guarded_xor}


def inplacevar(op: str, target, value):
    """``target op= value`` (RestrictedPython's ``_inplacevar_``), with the operator guards."""
    check = _INPLACE_CHECKS.get(op)
    if check is not None:
        check(target, value)
    elif op in _INPLACE_GUARDS and isinstance(target, guarded.VIEWS):
        return _INPLACE_GUARDS[op](target, value)
    return _INPLACE_OPERATORS[op](target, value)


def _check_items(count: int, what: str) -> None:
    if count > SIZE_LIMIT:
        _refuse(f"{what} over {SIZE_LIMIT} items")


# --- methods that allocate by an argument ----------------------------------------------------
def _padding(text, width=0, *rest, **named) -> None:
    if _is_int(width):
        _check_items(width, "padding")


def _expandtabs(text, tabsize=8, **named) -> None:
    tabsize = named.get("tabsize", tabsize)
    if _is_int(tabsize):
        _check_items(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * tabsize,
                     "expandtabs")


def _replace(text, old=None, new=None, count=-1, *rest, **named) -> None:
    if not (isinstance(old, _TEXTS) and isinstance(new, _TEXTS)) or len(new) <= len(old):
        return
    found = len(text) + 1 if not old else text.count(old)
    if _is_int(count) and count >= 0:
        found = min(found, count)
    _check_items(len(text) + found * (len(new) - len(old)), "replace")


def _to_bytes(number, length=1, *rest, **named) -> None:
    length = named.get("length", length)
    if _is_int(length):
        _check_items(length, "to_bytes")


def _translate(text, table=None, *rest, **named) -> None:
    """Each char may become a str of the table: the longest one times the text's length."""
    if isinstance(table, dict):
        longest = max((len(v) for v in dict.values(table) if isinstance(v, _TEXTS)), default=1)
        _check_items(len(text) * longest, "translate")


_SIZED_METHODS = {
    "ljust": _padding, "rjust": _padding, "center": _padding, "zfill": _padding,
    "expandtabs": _expandtabs, "replace": _replace, "translate": _translate,
}


def _guarded_join(separator, items):
    items = list(items)
    total = len(separator) * max(len(items) - 1, 0)
    total += sum(len(item) for item in items if isinstance(item, _TEXTS))
    _check_items(total, "join")
    return separator.join(items)


_SIZED_NAMES = frozenset((*_SIZED_METHODS, "join", "to_bytes"))


def sized_method(obj, name: str, value):
    """``value`` (``obj.name``) wrapped with its size check when it is an allocating method."""
    if name not in _SIZED_NAMES:  # nearly every attribute a script reads: nothing to wrap
        return value
    if isinstance(obj, _TEXTS) and name == "join":
        return lambda items: _guarded_join(obj, items)
    if isinstance(obj, type) and issubclass(obj, _TEXTS) and name == "join":
        return _guarded_join
    check = _SIZED_METHODS.get(name) if _is_text_or_type(obj, _TEXTS) else None
    if check is None and name == "to_bytes" and _is_text_or_type(obj, (int,)):
        check = _to_bytes
    if check is None or not callable(value):
        return value
    if isinstance(obj, type):  # unbound: str.ljust(text, width)
        def unbound(*args, **named):
            if args:
                check(*args, **named)
            return value(*args, **named)
        return unbound

    def bound(*args, **named):
        check(obj, *args, **named)
        return value(*args, **named)
    return bound


def _is_text_or_type(obj, kinds: tuple) -> bool:
    return isinstance(obj, kinds) or (isinstance(obj, type) and issubclass(obj, kinds))


# --- builtins ----------------------------------------------------------------------------------
def guarded_sum(items, start=0):
    """``sum``; adding up lists or tuples runs in Python, linearly, with a size check
    (C would copy the growing total on every item and never stop)."""
    if not isinstance(start, (list, tuple)):
        return sum(items, start)  # numbers; a str or bytes start is refused by sum itself
    total = list(start)
    for item in items:
        if type(item) is not type(start):
            raise TypeError(f"can only concatenate {type(start).__name__} "
                            f"(not \"{type(item).__name__}\") to {type(start).__name__}")
        _check_items(len(total) + len(item), "sum of sequences")
        total.extend(item)
    return total if isinstance(start, list) else tuple(total)


# --- the modules scripts may import --------------------------------------------------------------
def _guarded_factorial(n):
    if _is_int(n) and n > 1 and math.lgamma(n + 1) / math.log(2) > BIT_LIMIT:
        _refuse(f"a factorial over {BIT_LIMIT} bits")
    return math.factorial(n)


def _check_perm(n, k) -> None:
    if _is_int(n) and _is_int(k) and 0 <= k <= n and n > 1 \
            and (math.lgamma(n + 1) - math.lgamma(n - k + 1)) / math.log(2) > BIT_LIMIT:
        _refuse(f"a combinatorial result over {BIT_LIMIT} bits")


def _guarded_comb(n, k):
    _check_perm(n, k)
    return math.comb(n, k)


def _guarded_perm(n, k=None):
    _check_perm(n, n if k is None else k)
    return math.perm(n, k)


def _guarded_prod(items, *, start=1):
    total = start
    for item in items:
        total = guarded_mul(total, item)
    return total


def _guarded_lcm(*numbers):
    result = 1
    for number in numbers:
        if _is_int(number) and _is_int(result) and result.bit_length() + number.bit_length() > BIT_LIMIT:
            _refuse(f"an lcm over {BIT_LIMIT} bits")
        result = math.lcm(result, number)
    return result


def _guarded_getrandbits(k):
    if _is_int(k) and k > BIT_LIMIT:
        _refuse(f"getrandbits over {BIT_LIMIT} bits")
    return random.getrandbits(k)


def _guarded_randbytes(n):
    if _is_int(n):
        _check_items(n, "randbytes")
    return random.randbytes(n)


def _module_copy(module, overrides: dict, only: frozenset | None = None) -> types.ModuleType:
    """The public functions and constants of ``module`` (no classes: their methods are unguarded)."""
    copy = types.ModuleType(module.__name__, module.__doc__)
    for name in dir(module):
        value = getattr(module, name)
        if name.startswith("_") or (only is not None and name not in only) \
                or isinstance(value, (type, types.ModuleType)):
            continue
        setattr(copy, name, overrides.get(name, value))
    return copy


# ``random``'s functions are the bound methods of its shared instance, so ``random.seed`` in a
# test (or a script) still decides what the scripts roll.
SAFE_MATH = _module_copy(math, {"factorial": _guarded_factorial, "comb": _guarded_comb,
                                "perm": _guarded_perm, "prod": _guarded_prod, "lcm": _guarded_lcm})
SAFE_RANDOM = _module_copy(random, {"getrandbits": _guarded_getrandbits, "randbytes": _guarded_randbytes})
# Clocks and date formatting only: no ``sleep`` (a hook never has a reason to wait, and outside
# the main thread no budget stops it), no ``clock_settime`` or ``tzset`` (they change the process).
SAFE_TIME = _module_copy(time, {}, frozenset({
    "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
    "gmtime", "localtime", "mktime", "strftime", "ctime", "asctime",
    "timezone", "altzone", "daylight", "tzname"}))
