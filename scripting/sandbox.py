"""The script sandbox: admin scripts compiled with RestrictedPython and run
with a time budget and a recursion cap (PROTOCOL.md section 6.1).

    compiled = compile_script("attack", source)   # ScriptError on bad source
    script = compiled.load(game_api)              # runs the module body
    result = script.call("handleAttack", pid, 1, 3, True)

What a script may use: safe builtins only (no ``open``, ``eval``, ``type``),
``import`` of ``game`` (the API object handed to ``load``), ``random``,
``math`` and ``time`` only (any other import is refused at compile time, with
its line); no name or attribute starting with ``_``; ``print`` is accepted
and its output dropped.

Every failure is a ``ScriptError`` — a compile error of any kind (Python's
own, RestrictedPython's, a RecursionError or MemoryError of a pathological
source, a source over ``SOURCE_LIMIT``), and any exception a module body or
a hook raises, of any class but ``KeyboardInterrupt`` / ``SystemExit`` (which
come from the process, not the script). Its message is formatted safely
(``safe_message``: a huge int, a deep tuple or a str() that raises never make
the report raise) and capped at ``MESSAGE_LIMIT`` characters.

The layers, one module each:

* ``scripting.policy`` — what the compiler accepts and rewrites;
* ``scripting.budget`` — the time-out, which a script cannot swallow
  (``ScriptError.timed_out``; ``hard`` when it outlived its budget anyway);
* ``scripting.limits`` — sizes one operation may build (``*``, ``**``, str
  methods, ``math``, ``random``, ``time`` copies without ``sleep``);
* ``scripting.guarded`` — hashing, comparing and sorting of script data
  (deep tuples would crash ``hash``; huge nested lists make one C call slow);
* ``scripting.memory`` — what a script keeps between calls.

Limitations, by design of an in-process sandbox:
* The time budget uses ``SIGALRM`` and so works only in the main thread;
  elsewhere hooks run without a budget. A C call is only interrupted when it
  returns; the guards bound the ones we know to grow with script data.
* Memory grown within one call is stopped by the time budget or, once the
  worker called ``limit_memory``, by a MemoryError reported as a ScriptError.
* ``random`` shares the process's generator, so ``random.seed`` in one
  script affects the others (the rules roll with their own ``ctx.rng``).
"""

import re
import resource
import sys

from RestrictedPython import compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from scripting import guarded, limits
from scripting.budget import BudgetExpired, call_with_budget
from scripting.policy import SCRIPT_MODULES, SandboxPolicy

RANGE_LIMIT = limits.SIZE_LIMIT
RECURSION_HEADROOM = 200
DEFAULT_BUDGET_MS = 50
SOURCE_LIMIT = 256 * 1024  # characters of a script's source
MESSAGE_LIMIT = 300  # characters of an error's message in a report
_DENIED_ATTRIBUTES = frozenset({"mro"})  # Exception.mro()[1] would name BaseException
_ERROR_LINE = re.compile(r"^Line (\d+):")
__all__ = ["SCRIPT_MODULES", "ScriptError", "compile_script", "limit_memory", "safe_message"]


class ScriptError(Exception):
    """A script failed to compile, load or run; ``line`` is in its source.

    ``timed_out`` is True when the time budget stopped it (the hook runner
    counts those apart from errors); ``hard`` when it ran well past its
    budget all the same (it swallowed a time-out, or sat in a C call).
    """

    def __init__(self, script: str, message: str, line: int | None = None, timed_out: bool = False,
                 hard: bool = False):
        self.script = script
        self.line = line
        self.timed_out = timed_out
        self.hard = hard
        self.reason = message
        where = f" line {line}" if line is not None else ""
        super().__init__(f"script {script!r}{where}: {message}")


def _shown(value, limit: int) -> str:
    """One exception argument as text; never raises, never longer than ``limit``."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        text = f"<an int of {value.bit_length()} bits>"
    elif isinstance(value, (int, float, bool, type(None))):
        text = repr(value)
    else:
        import reprlib
        shortened = reprlib.Repr()
        shortened.maxlevel, shortened.maxstring, shortened.maxother = 3, limit, limit
        shortened.maxlong = 80
        text = shortened.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def safe_message(error: BaseException, limit: int = MESSAGE_LIMIT) -> str:
    """``Type: message`` of any exception, at most ``limit`` characters; never raises."""
    try:
        kind = type(error).__name__[:60]
        args = error.args if isinstance(error.args, tuple) else ()
        if isinstance(error, SyntaxError) and error.msg:
            args = (error.msg,)
        parts = [_shown(arg, limit) for arg in args[:3]]
        text = parts[0] if len(parts) == 1 else ", ".join(parts)
        message = f"{kind}: {text}" if text else kind
    except Exception:  # noqa: BLE001 - a value whose repr raises, RecursionError, MemoryError
        message = f"{type(error).__name__[:60]}: <unprintable message>"
    return message if len(message) <= limit else message[:limit - 3] + "..."


def _guarded_getattr(obj, name):
    """``obj.name`` in a script (RestrictedPython's ``_getattr_``); a missing one raises."""
    return _guarded_getattr_raise(obj, name)


def _guarded_getattr_raise(obj, name, *default):
    """The ``getattr`` builtin offered to scripts."""
    if name in _DENIED_ATTRIBUTES:
        raise AttributeError(f'"{name}" is a restricted name')
    value = safer_getattr(obj, name, _MISSING)
    if value is _MISSING:
        if default:
            return default[0]
        raise AttributeError(name)
    return guarded.guarded_method(obj, name, limits.sized_method(obj, name, value))


def _guarded_getitem(obj, key):
    """``obj[key]`` (RestrictedPython's ``_getitem_``); a dict key is checked before it is hashed."""
    if type(key) is tuple:
        guarded.check_key(key)
    return default_guarded_getitem(obj, key)


_MISSING = object()


def _guarded_hasattr(obj, name) -> bool:
    try:
        _guarded_getattr_raise(obj, name)
    except AttributeError:
        return False
    return True


def _safe_range(*args) -> range:
    """``range`` refusing more than RANGE_LIMIT items."""
    result = range(*args)
    if len(result) > RANGE_LIMIT:
        raise ValueError(f"range() larger than {RANGE_LIMIT} items is not allowed")
    return result


def _guarded_getiter(obj):
    try:
        too_long = isinstance(obj, range) and len(obj) > RANGE_LIMIT
    except OverflowError:
        too_long = True
    if too_long:
        raise ValueError(f"iterating over more than {RANGE_LIMIT} items is not allowed")
    return obj


def _apply(function, *args, **kwargs):
    return function(*args, **kwargs)


class _DroppedPrint:
    """Stands in for RestrictedPython's PrintCollector; output is discarded."""

    def __init__(self, _getattr_=None):
        pass

    def _call_print(self, *objects, **kwargs):
        pass

    def __call__(self) -> str:
        return ""


_EXTRA_BUILTINS = {
    "list": list, "tuple": tuple,
    "min": guarded.guarded_min, "max": guarded.guarded_max, "sorted": guarded.guarded_sorted,
    "hash": guarded.guarded_hash, "set": guarded.SET, "frozenset": guarded.FROZENSET,
    "dict": guarded.DICT, "enumerate": enumerate,
    "zip": zip, "any": any, "all": all, "reversed": reversed, "map": map,
    "filter": filter, "range": _safe_range, "getattr": _guarded_getattr_raise,
    "hasattr": _guarded_hasattr, "pow": limits.guarded_pow, "sum": limits.guarded_sum,
}
# Not nameable by scripts, so nothing they write can catch _ScriptTimeout.
_HIDDEN_BUILTINS = ("BaseException", "KeyboardInterrupt", "SystemExit", "GeneratorExit")


def _script_builtins(api: object) -> dict:
    modules = {"game": api, "random": limits.SAFE_RANDOM, "math": limits.SAFE_MATH, "time": limits.SAFE_TIME}

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level != 0 or name not in modules:
            raise ImportError(f"import of {name!r} is not allowed in scripts")
        return modules[name]

    builtins = {k: v for k, v in safe_builtins.items() if k not in _HIDDEN_BUILTINS}
    builtins.update(_EXTRA_BUILTINS, __import__=guarded_import)
    return builtins


class CompiledScript:
    """Restricted bytecode of one script; ``load`` it once per API object."""

    def __init__(self, name: str, code):
        self.name = name
        self.code = code
        self.filename = code.co_filename

    def load(self, api: object, budget_ms: int = DEFAULT_BUDGET_MS) -> "Script":
        """Run the module body in fresh restricted globals, under the budget."""
        scope = {
            "__builtins__": _script_builtins(api),
            "__name__": f"script_{self.name}",
            "__metaclass__": type,
            "_getattr_": _guarded_getattr,
            "_getitem_": _guarded_getitem,
            "_getiter_": _guarded_getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_inplacevar_": limits.inplacevar,
            "_mul_": limits.guarded_mul,
            "_pow_": limits.guarded_pow,
            "_lshift_": limits.guarded_lshift,
            "_mod_": limits.guarded_mod,
            "_format_": limits.guarded_format,
            "_sub_": guarded.guarded_sub,
            "_or_": guarded.guarded_or,
            "_and_": guarded.guarded_and,
            "_xor_": guarded.guarded_xor,
            "_compare_": guarded.compare,
            "_compare_chain_": guarded.compare_chain,
            "_key_": guarded.check_key,
            "_keys_": guarded.check_keys,
            "_apply_": _apply,
            "_print_": _DroppedPrint,
        }
        script = Script(self, scope)
        script._run("<module>", exec, (self.code, scope), budget_ms)
        return script


class Script:
    """A loaded script: its globals, and ``call`` to run one hook."""

    def __init__(self, compiled: CompiledScript, scope: dict):
        self.name = compiled.name
        self._filename = compiled.filename
        self._scope = scope

    def has(self, hook: str) -> bool:
        return callable(self._scope.get(hook))

    def call(self, hook: str, *args, budget_ms: int = DEFAULT_BUDGET_MS) -> object:
        """Call ``hook(*args)``; None when the script does not define it."""
        function = self._scope.get(hook)
        if not callable(function):
            return None
        return self._run(hook, function, args, budget_ms)

    def _run(self, hook: str, function, args: tuple, budget_ms: int) -> object:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(_stack_depth() + RECURSION_HEADROOM)
        try:
            return call_with_budget(function, args, budget_ms / 1000)
        except BudgetExpired as expired:
            late = ""
            if expired.deliveries > 1:
                late = ", and went on after its time-out"
            elif expired.hard:
                late = f", and ran {expired.late_s * 1000:.0f} ms past it"
            raise ScriptError(self.name, f"{hook}: exceeded its {budget_ms} ms budget{late}",
                              self._line_of(expired.__traceback__), timed_out=True,
                              hard=expired.hard) from None
        except (KeyboardInterrupt, SystemExit):
            raise  # the process's, not the script's
        except BaseException as error:  # noqa: BLE001 - RecursionError, MemoryError, anything a script raises
            raise ScriptError(self.name, f"{hook}: {safe_message(error)}",
                              self._line_of(error.__traceback__)) from None
        finally:
            sys.setrecursionlimit(previous_limit)

    def _line_of(self, traceback) -> int | None:
        """The innermost traceback line that lies in this script's source."""
        line = None
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == self._filename:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        return line


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def compile_script(name: str, source: str) -> CompiledScript:
    """Compile ``source`` under the sandbox policy; ScriptError if refused, whatever the reason."""
    if not isinstance(source, str):
        raise ScriptError(name, f"the source must be text, not {type(source).__name__}")
    if len(source) > SOURCE_LIMIT:
        raise ScriptError(name, f"the source is longer than {SOURCE_LIMIT} characters")
    try:
        result = compile_restricted_exec(source, filename=f"<script {name}>", policy=SandboxPolicy)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: BLE001 - SyntaxError, ValueError (NUL), RecursionError, MemoryError ...
        line = getattr(error, "lineno", None)
        raise ScriptError(name, safe_message(error), line if isinstance(line, int) else None) from None
    if result.errors:
        first = result.errors[0][:MESSAGE_LIMIT]
        match = _ERROR_LINE.match(first)
        raise ScriptError(name, first, int(match.group(1)) if match else None)
    return CompiledScript(name, result.code)


def limit_memory(megabytes: int) -> int:
    """Cap this process's address space (``RLIMIT_AS``) at ``megabytes`` MiB; 0 or less: no change.

    A map worker calls it once at start, so a script's huge allocation raises
    MemoryError inside the hook (reported as a ScriptError, its packets
    discarded) instead of swapping the machine. It limits the whole worker —
    thread stacks and socket buffers count too — so leave room above the
    worker's normal size. Only the soft limit is set (never above the hard
    one). Returns the soft limit now in force, in bytes (-1: unlimited).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if megabytes <= 0:
        return soft
    wanted = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    return wanted
