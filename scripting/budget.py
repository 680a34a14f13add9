"""The time budget of one script call: a time-out the script cannot swallow.

    try:
        result = call_with_budget(function, args, budget_s=0.05)
    except BudgetExpired as expired:
        expired.late_s, expired.deliveries   # how far past the budget it ended

How it works, and why:

* ``SIGALRM`` (``setitimer``) fires when the budget is spent. Its handler
  raises ``BudgetExpired`` in the script, as before.
* A script can swallow one such exception — ``finally: raise ValueError``
  replaces it with an ordinary one, an exception raised inside a generator
  that is being garbage-collected is only printed — so the handler also
  turns *tracing* on: ``sys.settrace`` for every new frame, and ``f_trace``
  on every frame between the signal and this runner. From then on every
  line, call and return event of those frames re-arms the time-out as a
  pending asynchronous exception (``PyThreadState_SetAsyncExc``), raised at
  the interpreter's next check (a loop's back edge, a call, a function's
  entry). A ``finally`` that raises something else only postpones it to the
  next such point; no frame can start running at all.
* The trace function is a C callable (``functools.partial`` of the ctypes
  function), not Python code: a Python trace function that raised would
  switch tracing off (CPython drops a tracer that raises), and one that set
  the pending exception would see it raised inside itself.
* Within the budget nothing is traced, so a call costs only the timer's
  two ``setitimer`` and the handler's two ``signal.signal`` (about 1.5 µs).
* The timer repeats every ``REPEAT_S`` after the first time-out, should a C
  call have hidden the first one; a time-out handled more than once, or a
  call that ended more than ``budget_s`` past its budget, is *hard*
  (``BudgetExpired.hard``): the hook runner quarantines such a script.

Limits: signals only reach the main thread, so elsewhere a call runs with no
budget (the map worker calls hooks from its main thread; ``scripting.prove``
runs module bodies in a child's main thread). A single C call (a huge
``sorted``) is not interrupted: ``scripting.guarded`` bounds the sizes that
reach such calls, and the worker's watchdog is the last net.
"""
from __future__ import annotations

import _signal  # signal.signal without its enum conversions: a µs per hook call
import ctypes
import functools
import signal
import sys
import threading
import time

REPEAT_S = 0.01  # after the budget, interrupt again this often (a C call may have hidden one)


class BudgetExpired(BaseException):
    """A script call outlived its budget (a BaseException: ``except Exception`` does not catch it,
    and scripts cannot name it)."""

    def __init__(self, late_s: float = 0.0, deliveries: int = 1, budget_s: float = 0.0):
        super().__init__()
        self.late_s = late_s
        self.deliveries = deliveries
        self.budget_s = budget_s

    @property
    def hard(self) -> bool:
        """It swallowed a time-out, or ended more than its budget again past it."""
        return self.deliveries > 1 or self.late_s > max(self.budget_s, 0.02)


class _Interrupt(BaseException):
    """What is raised inside the script. No Python-level ``__init__``: the pending exception is
    instantiated by the interpreter while tracing is on, and a traced ``__init__`` would re-arm it."""


_MAIN_THREAD = threading.main_thread().ident
_SIGALRM = int(signal.SIGALRM)
# Two function objects: one sets the pending exception (the tracer: it is also passed
# frame, event and arg, which the C function ignores), one clears it (NULL).
_set_async = ctypes.PyDLL(None).PyThreadState_SetAsyncExc
_set_async.argtypes = (ctypes.c_ulong, ctypes.py_object, ctypes.py_object, ctypes.py_object,
                       ctypes.py_object)
_set_async.restype = None  # a trace function returning None keeps the frame's f_trace
_clear_async = ctypes.PyDLL(None).PyThreadState_SetAsyncExc
_clear_async.argtypes = (ctypes.c_ulong, ctypes.c_void_p)
_clear_async.restype = ctypes.c_int
_TRACER = functools.partial(_set_async, _MAIN_THREAD, _Interrupt)


class _Call:
    """The state of one budgeted call, shared with its signal handler."""

    __slots__ = ("deliveries", "done", "expired_at", "first", "previous_trace", "runner")

    def __init__(self, runner) -> None:
        self.runner = runner
        self.done = False
        self.expired_at = None
        self.deliveries = 0
        self.previous_trace = None
        self.first = None  # the handler's first _Interrupt: if another one ends the call, it was swallowed

    def on_alarm(self, signum, frame) -> None:
        if self.done:
            return
        if self.expired_at is None:
            self.expired_at = time.monotonic()
            self.previous_trace = sys.gettrace()
        self.deliveries += 1
        sys.settrace(_TRACER)
        while frame is not None and frame is not self.runner:
            frame.f_trace = _TRACER
            frame = frame.f_back
        interrupt = _Interrupt()
        if self.first is None:
            self.first = interrupt
        raise interrupt


def _caused_by(error: BaseException, first: BaseException | None) -> bool:
    """``first`` is ``error`` or in its context chain (a pending time-out raised while the first
    one unwinds a ``finally`` has it as context)."""
    for _ in range(4):
        if error is None or error is first:
            return error is first
        error = error.__context__
    return False


def call_with_budget(function, args: tuple, budget_s: float):
    """``function(*args)``, stopped by ``BudgetExpired`` once ``budget_s`` is spent (main thread only)."""
    if threading.get_ident() != _MAIN_THREAD:
        return function(*args)
    call = _Call(sys._getframe())
    previous_handler = _signal.signal(_SIGALRM, call.on_alarm)
    started = time.monotonic()
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, budget_s, REPEAT_S)
    expired = None
    try:
        try:
            result = function(*args)
        finally:
            call.done = True
            if call.expired_at is not None:
                sys.settrace(call.previous_trace)  # a pending time-out is raised right here
    except _Interrupt as caught:
        if _caused_by(caught, call.first):
            caught = call.first
        else:
            call.deliveries += 1  # the first time-out was swallowed, this is a later one
        expired = caught.__traceback__  # where the script was: its line goes into the report
    finally:
        if call.expired_at is not None:  # only the tracer, installed on expiry, sets one
            _clear_async(_MAIN_THREAD, None)
        signal.setitimer(signal.ITIMER_REAL, 0)
        _signal.signal(_SIGALRM, previous_handler)
        if previous_delay > 0:  # give an outer timer (pytest-timeout) back what is left of it
            remaining = max(previous_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)
    if expired is not None or call.expired_at is not None:
        late = time.monotonic() - started - budget_s
        raise BudgetExpired(max(late, 0.0), max(call.deliveries, 1), budget_s).with_traceback(expired)
    return result
