"""What a script keeps between calls: an approximate size of its module-level data.

    size = retained_bytes(script_globals)    # None: over the walk's node budget

The worker's address-space limit (``limit_memory``) covers the whole
worker, so a script that appends to a module-level list on every call would
at last leave the worker's own code without memory. ``ScriptHooks`` therefore
measures, after a call and at most every ``memory_check_ms`` per script, what
the script's globals reach, and quarantines the script over
``script_memory_kb``.

The measure is ``sys.getsizeof`` summed over every distinct object reachable
from the globals through containers (list, tuple, dict, set, frozenset), the
attributes of instances and classes the script defined, the defaults and
closure cells of its functions, and the locals of its suspended generators.
Not followed: the ``game`` API, modules and builtins (shared, not the
script's). It visits at most ``NODE_BUDGET`` objects (about 20 ms); past
that the rest is estimated: a sample of the objects still queued is sized
one level deep (its own size plus its items at the average size seen so
far) and scaled to the queue — an estimate, but one that only errs on data
that is large already (measured: 1000 lists of 1000 ints, 36 MB, are
estimated at about that). A string shared with the rules (a player's name) is counted
as the script's: the measure is meant for hoarding, not for accounting.
"""
from __future__ import annotations

import sys
import types

NODE_BUDGET = 30_000
SAMPLE = 500  # queued objects sized when the budget is spent
_SKIPPED = (types.ModuleType, type(sys.getsizeof), types.BuiltinMethodType, types.CodeType)
_LEAVES = frozenset({int, float, str, bytes, bool, type(None), complex, range})


def _referents(obj) -> list:
    """What a script's object holds that the script put there."""
    if isinstance(obj, dict):
        return [*dict.keys(obj), *dict.values(obj)]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, types.FunctionType):
        cells = [cell.cell_contents for cell in obj.__closure__ or () if _has_contents(cell)]
        return [*cells, *(obj.__defaults__ or ()), *(obj.__kwdefaults__ or {}).values()]
    if isinstance(obj, types.GeneratorType):
        frame = obj.gi_frame
        return list(frame.f_locals.values()) if frame is not None else []
    if isinstance(obj, types.MethodType):
        return [obj.__self__, obj.__func__]
    if isinstance(obj, type):
        return [value for name, value in vars(obj).items() if not name.startswith("__")]
    attributes = getattr(obj, "__dict__", None)
    return [attributes] if isinstance(attributes, dict) else []


def _has_contents(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - reading it is the test
    except ValueError:  # an empty cell
        return False
    return True


def _estimate(queued: list, average: float) -> int:
    """Bytes of the objects still ``queued``, from a sample sized one level deep."""
    step = max(len(queued) // SAMPLE, 1)
    sample = queued[::step][:SAMPLE]
    sized = 0.0
    for obj in sample:
        try:
            sized += sys.getsizeof(obj)
        except TypeError:
            continue
        if isinstance(obj, (list, tuple, dict, set, frozenset)):
            sized += len(obj) * average
    return int(sized / max(len(sample), 1) * len(queued))


def retained_bytes(scope: dict, skip: tuple = (), node_budget: int = NODE_BUDGET) -> int:
    """Approximate bytes reachable from ``scope``'s values (names starting with ``_`` and the
    objects in ``skip`` are not the script's data)."""
    skipped = {id(obj) for obj in skip}
    roots = [value for name, value in scope.items() if not name.startswith("_")]
    seen: set[int] = set()
    stack = list(roots)
    total = visited = 0
    while stack:
        if visited >= node_budget:
            return total + _estimate(stack, total / max(visited, 1))
        obj = stack.pop()
        key = id(obj)
        if key in seen or key in skipped or isinstance(obj, _SKIPPED):
            continue
        seen.add(key)
        visited += 1
        try:
            total += sys.getsizeof(obj)
        except TypeError:
            continue
        if type(obj) not in _LEAVES:
            stack.extend(_referents(obj))
    return total
