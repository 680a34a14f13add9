"""The script sandbox: admin scripts compiled with RestrictedPython and run
with a wall-clock budget and a recursion cap (PROTOCOL.md section 6.1).

    compiled = compile_script("attack", source)   # ScriptError on bad source
    script = compiled.load(game_api)              # runs the module body
    result = script.call("handleAttack", pid, 1, 3, True)

What a script may use: safe builtins only (no ``open``, ``eval``, ``type``),
``import`` of ``game`` (the API object handed to ``load``), ``random``,
``math`` and ``time`` only (any other import is refused at compile time, with
its line); no name or attribute starting with ``_``; ``print`` is accepted
and its output dropped. Python's own compile errors (``return`` outside a
function) are ScriptErrors too.

C-level work the time budget cannot interrupt is bounded before it starts
(``scripting.limits``): ``*``, ``**``, ``<<`` and ``%`` (and ``*=``, ``**=``,
``<<=``, ``%=``) are compiled into guarded calls, f-string widths are checked,
the allocating ``str`` methods (``ljust``, ``rjust``, ``center``, ``zfill``,
``expandtabs``, ``replace``, ``join``), ``int.to_bytes``, ``pow`` and ``sum``
are guarded, and ``math``, ``random`` and ``time`` are guarded copies (no
``time.sleep``). ``str.format`` / ``format_map`` are refused outright by
RestrictedPython.

Limitations, by design of an in-process sandbox:
* The time budget uses ``SIGALRM`` and so works only in the main thread;
  elsewhere hooks run without a budget. A blocking C call (a huge ``sorted``)
  is only interrupted when it returns to Python bytecode.
* Memory grown step by step (``s = s + s`` in a loop) is stopped by the time
  budget or, once the worker called ``limit_memory``, by a MemoryError that
  is reported as a ScriptError like any other.
* ``random`` shares the process's generator, so ``random.seed`` in one
  script affects the others (the rules roll with their own ``ctx.rng``).
"""

import ast
import re
import resource
import signal
import sys
import threading
import time
from ast import AST, Break, Continue, ExceptHandler, Return, Try, walk

from RestrictedPython import compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence,
    safer_getattr)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from scripting import limits

RANGE_LIMIT = limits.SIZE_LIMIT
SCRIPT_MODULES = ("game", "random", "math", "time")
RECURSION_HEADROOM = 200
DEFAULT_BUDGET_MS = 50
# After the budget, keep interrupting every 10 ms in case a handler swallowed it.
_REPEAT_S = 0.01
_DENIED_ATTRIBUTES = frozenset({"mro"})  # Exception.mro()[1] would name BaseException
_ERROR_LINE = re.compile(r"^Line (\d+):")


class ScriptError(Exception):
    """A script failed to compile, load or run; ``line`` is in its source.

    ``timed_out`` is True when the time budget stopped it (the hook runner
    counts those apart from errors).
    """

    def __init__(self, script: str, message: str, line: int | None = None, timed_out: bool = False):
        self.script = script
        self.line = line
        self.timed_out = timed_out
        where = f" line {line}" if line is not None else ""
        super().__init__(f"script {script!r}{where}: {message}")


class _ScriptTimeout(BaseException):
    """Raised in the main thread when a hook outlives its budget.

    A BaseException, and not reachable by name, so ``except Exception`` in
    a script does not catch it.
    """


# Binary operators that can build a huge object in one C call → their guard in the scope.
_GUARDED_OPERATORS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's rules, plus: no bare ``except:`` and no
    ``return``/``break``/``continue`` in ``finally``, which could swallow
    the timeout; the size-guarded operators and f-string formats of
    ``scripting.limits``."""

    def visit_Import(self, node: ast.Import) -> AST:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> AST:
        if node.level:
            self.error(node, "Relative imports are not allowed.")
        self._check_module(node, node.module or "")
        return super().visit_ImportFrom(node)

    def _check_module(self, node: AST, name: str) -> None:
        """Refused at compile time, so the script editor hears the line (the guarded
        ``__import__`` refuses them again at run time)."""
        if name not in SCRIPT_MODULES:
            self.error(node, f"import of {name!r} is not allowed; scripts may import "
                             f"{', '.join(SCRIPT_MODULES)}.")

    def visit_BinOp(self, node: ast.BinOp) -> AST:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> AST:
        """``{value!r:>{width}}`` → ``{_format_(value, conversion, spec)}``: the spec is checked first."""
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = ast.Call(func=ast.Name("_format_", ast.Load()),
                        args=[node.value, ast.Constant(node.conversion), spec], keywords=[])
        replaced = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(call, node)
        copy_locations(replaced, node)
        return replaced

    def visit_ExceptHandler(self, node: ExceptHandler) -> AST:
        if node.type is None:
            self.error(node, "A bare 'except:' is not allowed; name the exception.")
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node: Try) -> AST:
        for statement in node.finalbody:
            for inner in walk(statement):
                if isinstance(inner, (Return, Break, Continue)):
                    self.error(inner, "return/break/continue in 'finally' is not allowed.")
        return super().visit_Try(node)


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
    return limits.sized_method(obj, name, value)


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
    "list": list, "dict": dict, "tuple": tuple, "set": set, "frozenset": frozenset,
    "min": min, "max": max, "sorted": sorted, "enumerate": enumerate,
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
            "_getitem_": default_guarded_getitem,
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
            return _call_with_budget(function, args, budget_ms / 1000)
        except _ScriptTimeout:
            raise ScriptError(self.name, f"{hook}: exceeded its {budget_ms} ms budget",
                              self._line_of(sys.exc_info()[2]), timed_out=True) from None
        except Exception as error:  # RecursionError and MemoryError included
            raise ScriptError(self.name, f"{hook}: {type(error).__name__}: {error}",
                              self._line_of(error.__traceback__)) from error
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


def _call_with_budget(function, args: tuple, budget_s: float) -> object:
    """Call with a SIGALRM deadline; without one outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return function(*args)
    armed = True

    def on_alarm(signum, frame):
        if armed:
            raise _ScriptTimeout()

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    previous_delay, previous_interval = signal.setitimer(
        signal.ITIMER_REAL, budget_s, _REPEAT_S)
    try:
        try:
            return function(*args)
        finally:
            armed = False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:  # give an outer timer back what is left of it
            remaining = max(previous_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)


def compile_script(name: str, source: str) -> CompiledScript:
    """Compile ``source`` under the sandbox policy; ScriptError if refused."""
    try:
        result = compile_restricted_exec(source, filename=f"<script {name}>",
                                         policy=_SandboxPolicy)
    except (SyntaxError, ValueError) as error:  # what Python's compile step refuses ('return' outside a def)
        line = getattr(error, "lineno", None)
        raise ScriptError(name, f"{type(error).__name__}: {getattr(error, 'msg', error)}", line) from None
    if result.errors:
        first = result.errors[0]
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
