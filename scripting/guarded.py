"""Guards on the C calls whose cost (or C stack) grows with the *shape* of script data.

``scripting.limits`` bounds the size of what one operation builds; this
module bounds what an operation does with data a script built within those
limits, where a single C call would otherwise run for seconds — the time
budget is only seen when it returns — or crash the interpreter:

* **Hashing** (``hash``, dict keys, set items, ``in`` on a dict or set):
  CPython hashes a tuple by recursing into its items with no depth check, so
  ``hash`` of a tuple nested 150 000 deep overflows the C stack (SIGSEGV), and
  a tuple DAG (``t = (t, t)`` thirty times) has 2**30 paths to hash. Before a
  tuple is hashed its shape is walked iteratively: at most ``KEY_DEPTH_LIMIT``
  levels and ``KEY_ITEMS_LIMIT`` items (repeats counted) — a ValueError
  otherwise. The sandbox compiles dict and set displays, comprehensions,
  subscripts and ``in`` into these checks and wraps ``hash``, ``set``,
  ``frozenset``, ``dict`` and the hashing methods (``get``, ``pop``,
  ``setdefault``, ``add``, ``union``, ``isdisjoint``, ...) and the set
  operators of dict views (``d.keys() - items``).
* **Comparing** (``==``, ``<``, ``in`` on a list, ``list.index``): a
  comparison of two containers that are not plain scalars is allowed when
  one of them has at most ``COMPARE_LIMIT`` nested items (repeats counted,
  so ``[x] * 1000`` of ``[y] * 1000`` counts 10**6). Comparisons against a
  constant are compiled as they are (a constant is never nested deeply).
* **Sorting** (``sorted``, ``list.sort``, ``min``, ``max``): at most
  ``SORT_WORK_LIMIT`` nested items × log2(n) — about 100 ms of C compares on
  our box (measured: 300 000 one-item lists sort in 310 ms, 100 000 str in
  25 ms). With ``key=`` the keys are computed first (in Python, under the
  time budget) and their shape is what counts.

Repr, str, ``==`` and ``json`` of deep values are safe already (CPython's
recursion check raises RecursionError, which the sandbox reports); deep
*lists* are unhashable. What is not covered: C calls on script data that no
guard sees (``str`` methods on a 1 MB text are linear and fast; a DAG's
``repr`` can be long but ``limits`` caps ``*``), so the worker's watchdog
remains the net for the rest.
"""
from __future__ import annotations

import functools
import math
import operator
import types

KEY_DEPTH_LIMIT = 100  # nesting of a tuple used as a key or hashed
KEY_ITEMS_LIMIT = 100_000  # items of a tuple used as a key (repeats counted)
COMPARE_LIMIT = 1_000_000  # nested items of the smaller side of a comparison
SORT_WORK_LIMIT = 3_000_000  # nested items × log2(n) of a sort, min or max

_CONTAINERS = (list, tuple, dict, set, frozenset)
_VIEWS = VIEWS = (type({}.keys()), type({}.items()), type({}.values()))
_HASH_NESTING = (tuple, types.BuiltinMethodType, types.MethodType)  # hash() recurses into these
_HASHED = (dict, set, frozenset) + _VIEWS  # containers that hash what they are asked about
_SETS = (set, frozenset) + _VIEWS
_WALKED = _CONTAINERS + _VIEWS
_FLAT = frozenset({int, float, str, bool, bytes, type(None), complex})
_NESTED_KINDS = frozenset(_CONTAINERS) | frozenset(_VIEWS) | frozenset(_HASH_NESTING)


def _refuse(what: str) -> None:
    raise ValueError(f"{what} is not allowed in scripts")


# --- shapes ---------------------------------------------------------------------------------
def _children(node):
    if type(node) is dict or isinstance(node, dict):
        return list(dict.values(node))
    if isinstance(node, (types.BuiltinMethodType, types.MethodType)):
        return [getattr(node, "__self__", None)]
    return node


def nested_items(value, limit: int) -> int:
    """Items reachable in ``value`` through containers (repeats counted), stopping past ``limit``."""
    if type(value) in _FLAT:
        return 1
    count, stack = 1, [value]
    while stack:
        node = stack.pop()
        if not isinstance(node, _WALKED):
            continue
        items = _children(node)
        count += len(items)
        if count > limit:
            return count
        if not _NESTED_KINDS.isdisjoint(map(type, items)):  # C speed for flat containers
            stack.extend(item for item in items if type(item) not in _FLAT)
        elif any(isinstance(item, _CONTAINERS) for item in items):  # subclasses of containers
            stack.extend(items)
    return count


def check_key(value):
    """``value`` about to be hashed: a tuple at most KEY_DEPTH_LIMIT deep and KEY_ITEMS_LIMIT items."""
    if type(value) is tuple:
        if _FLAT.issuperset(map(type, value)) and len(value) <= KEY_ITEMS_LIMIT:
            return value  # the common key: (x, y)
    elif not isinstance(value, _HASH_NESTING):
        return value
    count, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > KEY_DEPTH_LIMIT:
            _refuse(f"hashing a value nested over {KEY_DEPTH_LIMIT} deep")
        items = node if isinstance(node, tuple) else _children(node)
        count += len(items)
        if count > KEY_ITEMS_LIMIT:
            _refuse(f"hashing a tuple of over {KEY_ITEMS_LIMIT} items")
        if not _FLAT.issuperset(map(type, items)):
            stack.extend((item, depth + 1) for item in items if isinstance(item, _HASH_NESTING))
    return value


def check_keys(items) -> list:
    """A list of ``items``, each checked with ``check_key`` (for set / dict building)."""
    items = list(items)
    if not _FLAT.issuperset(map(type, items)):
        for item in items:
            check_key(item)
    return items


def _check_pairs(pairs) -> list:
    pairs = list(pairs)
    for pair in pairs:
        if isinstance(pair, (tuple, list)) and pair:
            check_key(pair[0])
    return pairs


# --- comparisons -----------------------------------------------------------------------------
def check_compare(left, right) -> None:
    if type(left) in _FLAT or type(right) in _FLAT:
        return
    if nested_items(left, COMPARE_LIMIT) > COMPARE_LIMIT and nested_items(right, COMPARE_LIMIT) > COMPARE_LIMIT:
        _refuse(f"comparing two values of over {COMPARE_LIMIT} nested items")


_COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
                ">": operator.gt, ">=": operator.ge,
                "in": lambda item, container: item in container,
                "not in": lambda item, container: item not in container}


def compare(op: str, left, right):
    """``left op right`` (compiled from a comparison of two non-constants)."""
    if type(left) in _FLAT or type(right) in _FLAT:
        return _COMPARISONS[op](left, right)  # a scalar: no deep walk, no deep hash
    if op in ("in", "not in"):
        found = contains(right, left)
        return found if op == "in" else not found
    check_compare(left, right)
    return _COMPARISONS[op](left, right)


def compare_chain(ops: tuple, *operands):
    """``a < b <= c``: operands are thunks, evaluated once each and only as far as needed."""
    left = operands[0]()
    result = True
    for op, thunk in zip(ops, operands[1:]):
        right = thunk()
        result = compare(op, left, right)
        if not result:
            return result
        left = right
    return result


def contains(container, item) -> bool:
    """``item in container``: hashed containers check the key, sequences the comparison cost."""
    if isinstance(container, _HASHED):
        check_key(item)
    elif isinstance(container, (list, tuple)) and type(item) not in _FLAT \
            and nested_items(item, COMPARE_LIMIT) * max(len(container), 1) > COMPARE_LIMIT:
        _refuse(f"'in' over {COMPARE_LIMIT} nested items")
    return item in container


# --- sorting ---------------------------------------------------------------------------------
def _check_sort(items: list, what: str) -> None:
    work = nested_items(items, SORT_WORK_LIMIT) * max(math.log2(len(items) or 1), 1)
    if work > SORT_WORK_LIMIT:
        _refuse(f"{what} of over {SORT_WORK_LIMIT} nested items × log2(n)")


def guarded_sorted(iterable, /, *, key=None, reverse=False) -> list:
    items = list(iterable)
    if key is None:
        _check_sort(items, "sorted()")
        return sorted(items, reverse=reverse)
    keys = list(map(key, items))
    _check_sort(keys, "sorted()")
    return [items[index] for index in sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)]


def _extreme(pick, args, key, default, what):
    items = list(args[0]) if len(args) == 1 else list(args)
    if not items:
        if default is _NO_DEFAULT:
            return pick(items)  # the builtin's own ValueError
        return default
    keys = items if key is None else list(map(key, items))
    if nested_items(keys, SORT_WORK_LIMIT) > SORT_WORK_LIMIT:
        _refuse(f"{what} over {SORT_WORK_LIMIT} nested items")
    if key is None:
        return pick(items)
    return items[pick(range(len(items)), key=keys.__getitem__)]


_NO_DEFAULT = object()


def guarded_min(*args, key=None, default=_NO_DEFAULT):
    return _extreme(min, args, key, default, "min()")


def guarded_max(*args, key=None, default=_NO_DEFAULT):
    return _extreme(max, args, key, default, "max()")


# --- builtins --------------------------------------------------------------------------------
def guarded_hash(value) -> int:
    return hash(check_key(value))


def guarded_set(iterable=()) -> set:
    return set(check_keys(iterable))


def guarded_frozenset(iterable=()) -> frozenset:
    return frozenset(check_keys(iterable))


def _mapping_pairs(source) -> list:
    if type(source) is dict:
        return source  # its keys are hashed already
    if hasattr(source, "keys"):
        return [(check_key(key), source[key]) for key in list(source.keys())]
    return _check_pairs(source)


def guarded_dict(*args, **named) -> dict:
    return dict(*(_mapping_pairs(source) for source in args), **named)


class _Constructor(type):
    """What a script sees as ``dict``, ``set`` and ``frozenset``: calling it builds a plain one
    through its guard; ``isinstance``, ``issubclass`` and ``dict.get``-style attributes are the
    real type's. (A script's subclass of one of them builds plain ones too.)"""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, kind) -> bool:
        return issubclass(kind, cls._real)

    def __getattr__(cls, name):
        return getattr(cls._real, name)

    def __call__(cls, *args, **named):
        return cls._build(*args, **named)

    def __repr__(cls) -> str:
        return repr(cls._real)


def _constructor(real: type, build) -> type:
    return _Constructor(real.__name__, (), {"_real": real, "_build": staticmethod(build)})


DICT = _constructor(dict, guarded_dict)
SET = _constructor(set, guarded_set)
FROZENSET = _constructor(frozenset, guarded_frozenset)


# --- methods (reached through the sandbox's getattr) -------------------------------------------
def _first_is_key(method):
    return lambda key, *rest: method(check_key(key), *rest)


def _keys_first(method):
    return lambda items, *rest: method(check_keys(items), *rest)


def _all_are_keys(method):
    return lambda *iterables: method(*(check_keys(items) for items in iterables))


def _update(method):
    return lambda *sources, **named: method(*(_mapping_pairs(source) for source in sources), **named)


def _compared(method):
    def call(item, *rest):
        contains(method.__self__, item)  # the same cost as 'in'
        return method(item, *rest)
    return call


def _sort(method):
    def sort(*, key=None, reverse=False):
        items = method.__self__
        items[:] = guarded_sorted(items, key=key, reverse=reverse)
    return sort


_SET_ITERABLES = ("union", "intersection", "difference", "symmetric_difference", "issubset",
                  "issuperset", "isdisjoint", "update", "intersection_update", "difference_update",
                  "symmetric_difference_update")
_METHOD_GUARDS = {
    dict: {"get": _first_is_key, "pop": _first_is_key, "setdefault": _first_is_key,
           "fromkeys": _keys_first, "update": _update},
    set: {"add": _first_is_key, "discard": _first_is_key, "remove": _first_is_key,
          **{name: _all_are_keys for name in _SET_ITERABLES}},
    frozenset: {name: _all_are_keys for name in _SET_ITERABLES},
    list: {"index": _compared, "count": _compared, "remove": _compared, "sort": _sort},
    tuple: {"index": _compared, "count": _compared},
    **{view: {"isdisjoint": _all_are_keys} for view in _VIEWS},
}


@functools.lru_cache(maxsize=512)
def _guards_of(kind: type) -> dict | None:
    for base in kind.__mro__:
        if base in _METHOD_GUARDS:
            return _METHOD_GUARDS[base]
    return None


def guarded_method(obj, name: str, value):
    """``obj.name`` (``value``) with its guard when it hashes, compares or sorts script data."""
    if isinstance(obj, type):
        guards = _guards_of(getattr(obj, "_real", obj) if type(obj) is _Constructor else obj)
        if guards is None or name not in guards or not callable(value):
            return value
        return _unbound(guards[name], value)
    guards = _guards_of(type(obj))
    if guards is None or name not in guards:
        return value
    return guards[name](value)


def _unbound(guard, function):
    """``dict.get(d, key)``: the guard applied to the method bound to the first argument."""
    if isinstance(getattr(function, "__self__", None), type):  # a classmethod: dict.fromkeys
        return guard(function)

    def call(self, *args, **named):
        return guard(types.MethodType(function, self))(*args, **named)
    return call


# --- operators of dict views (``d.keys() - items`` hashes the items) ----------------------------
def _view_operator(apply):
    def guarded(left, right):
        if isinstance(left, _VIEWS) and not isinstance(right, _SETS):
            right = check_keys(right)
        elif isinstance(right, _VIEWS) and not isinstance(left, _SETS):
            left = check_keys(left)
        return apply(left, right)
    return guarded


guarded_sub = _view_operator(operator.sub)
guarded_or = _view_operator(operator.or_)
guarded_and = _view_operator(operator.and_)
guarded_xor = _view_operator(operator.xor)
