"""Prove a script before storage accepts it: compile it and run its module body
in a disposable child process with hard limits.

    error = prove("attack", source, cpu_s=2, wall_s=5, memory_mb=256)
    if error is not None:
        reply_red_114(str(error))       # names the line when it is known

The child is ``python -m scripting.prove`` (the source and limits arrive as
JSON on stdin, the verdict leaves as JSON on stdout). It sets ``RLIMIT_CPU``
and ``RLIMIT_AS`` on itself once its imports are done, runs the module body
under the sandbox (time budget ``budget_ms``, like a worker's load), and
measures what the module keeps (``script_memory_kb``). The parent waits at
most ``wall_s`` and kills it after that. Whatever happens to the child —
SIGSEGV (a C stack overflow the guards missed), SIGXCPU or SIGKILL at the CPU
limit, a MemoryError at the address-space limit, a hang — the answer is a
ScriptError naming the reason; a crash's line comes from ``faulthandler``'s
dump when it shows one. A plain subprocess, not ``multiprocessing``: nothing
is inherited from the caller (no forked locks, no signal handlers), so it is
safe from any thread of the storage node, and a dead child cannot take a
pool or a fork server with it. The cost is one interpreter start and the
sandbox's imports: about 150 ms on our box (see the module test).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from scripting.sandbox import ScriptError

_ROOT = Path(__file__).resolve().parents[1]
_CRASH_LINE = re.compile(r'File "<script [^>]*>", line (\d+)')
_SIGNALS = {signal.SIGSEGV: "crashed the interpreter (SIGSEGV)", signal.SIGBUS: "crashed the interpreter (SIGBUS)",
            signal.SIGABRT: "crashed the interpreter (abort)", signal.SIGXCPU: "used more than its CPU limit",
            signal.SIGKILL: "was killed (CPU or memory limit)"}


def _child_command() -> list[str]:
    return [sys.executable, "-m", "scripting.prove"]


def prove(name: str, source: str, *, cpu_s: float, wall_s: float, memory_mb: int,
          budget_ms: int = 50, script_memory_kb: int = 16384) -> ScriptError | None:
    """None when ``source`` compiles and its module body runs within the limits; else the error."""
    request = json.dumps({"name": name, "source": source, "cpu_s": cpu_s, "memory_mb": memory_mb,
                          "budget_ms": budget_ms, "script_memory_kb": script_memory_kb})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")]))
    try:
        done = subprocess.run(_child_command(), input=request.encode("utf-8"), capture_output=True,
                              timeout=wall_s, cwd=_ROOT, env=env, start_new_session=True, check=False)
    except subprocess.TimeoutExpired:  # run() killed the child already
        return ScriptError(name, f"its module body ran longer than {wall_s} s (wall clock)")
    except OSError as error:
        return ScriptError(name, f"could not be proven: {error}")
    return _verdict(name, done, cpu_s, memory_mb)


def _verdict(name: str, done: subprocess.CompletedProcess, cpu_s: float, memory_mb: int) -> ScriptError | None:
    stderr = done.stderr.decode("utf-8", "replace")
    lines = _CRASH_LINE.findall(stderr)
    line = int(lines[0]) if lines else None  # faulthandler lists the innermost frame first
    if done.returncode < 0:
        reason = _SIGNALS.get(-done.returncode, f"was ended by signal {-done.returncode}")
        if -done.returncode in (signal.SIGXCPU, signal.SIGKILL):
            reason += f" ({cpu_s} s CPU, {memory_mb} MiB)"
        return ScriptError(name, f"its module body {reason}", line)
    try:
        answer = json.loads(done.stdout.decode("utf-8"))
    except ValueError:
        if "MemoryError" in stderr:
            return ScriptError(name, f"its module body needs more than {memory_mb} MiB", line)
        return ScriptError(name, f"the proving process failed (exit code {done.returncode})", line)
    if answer.get("ok"):
        return None
    error = ScriptError(name, str(answer.get("reason", "refused")), answer.get("line"),
                        timed_out=bool(answer.get("timed_out")))
    return error


# --- the child ---------------------------------------------------------------------------------
def _limit(cpu_s: float, memory_mb: int) -> None:
    import resource
    cpu = max(int(cpu_s + 0.999), 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL a second later
    memory = memory_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _child() -> int:
    import faulthandler
    faulthandler.enable()
    from scripting.hooks import (
        ScriptHooks,  # the imports a worker has, before the limits
    )
    from scripting.sandbox import compile_script
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    name = request["name"]
    hooks = ScriptHooks(request["budget_ms"], script_memory_kb=request["script_memory_kb"])
    _limit(request["cpu_s"], request["memory_mb"])
    try:
        script = compile_script(name, request["source"]).load(hooks.api, request["budget_ms"])
        over = hooks._over_memory(script)
        if over:
            raise ScriptError(name, f"its module body {over}")
    except ScriptError as error:
        answer = {"ok": False, "reason": error.reason, "line": error.line, "timed_out": error.timed_out}
    else:
        answer = {"ok": True}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
