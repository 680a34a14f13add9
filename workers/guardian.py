"""A map worker's guardian: the small parent that outlives a crash of the worker and reports it.

``odyssey node map`` runs this process; it forks the worker proper and waits.
When the worker dies unexpectedly — a signal (a script that crashed the
interpreter), its watchdog's exit, faulthandler's exit after a C call that
never returned — the guardian reads the worker's breadcrumb
(``workers.crumb``) and tells the broker at once, on a socket of its own
(identity ``<name>!guardian``, the node's key): which worker incarnation died,
while handling which command of which map, in which script hook. The broker
then fails the maps over without waiting for the lease to expire,
quarantines the script on every worker first, and does not replay that one
command (no poison travels). The guardian then exits as the worker did, so
the supervisor restarts the node as usual. Signals it receives it passes on.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import traceback

from cluster import fabric, wire
from cluster.config import Config
from cluster.lifeline import GUARDIAN_SUFFIX, WATCHDOG_EXIT
from cluster.link import PID_ENV
from workers.crumb import crumb_path, read_crumb

log = logging.getLogger(__name__)

CONFIG_ERROR_EXIT = 2
PR_SET_PDEATHSIG = 1
REPORT_LINGER_MS = 1000


def run(config: Config, name: str) -> int:
    """Fork the worker, pass signals on, report its crash; return (or die with) its exit status."""
    child = os.fork()
    if child == 0:
        _be_the_worker(config, name)
    stopping = []

    def pass_on(signum, _frame):
        stopping.append(signum)
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, pass_on)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, CONFIG_ERROR_EXIT) and not stopping:
        report(config, name, code)
    if code < 0:  # die of the same signal, so the supervisor sees what killed the worker
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _be_the_worker(config: Config, name: str) -> None:
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # never outlive the guardian
    except (OSError, AttributeError):
        pass
    os.environ[PID_ENV] = str(os.getppid())  # the node's pid in the cluster's view is ours (signals pass on)
    code = 1
    try:
        from workers.node import run as run_worker
        run_worker(config, name)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def describe_exit(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    if code == WATCHDOG_EXIT:
        return "its watchdog"
    return f"exit code {code}"


def report(config: Config, name: str, code: int) -> None:
    """Tell the broker what the worker was doing when it died (one line in the log too)."""
    crumb = read_crumb(crumb_path(config.data_dir, name))
    how = describe_exit(code)
    if crumb is None:
        log.error("%s died (%s); no breadcrumb to report", name, how)
        return
    hook = f", in the hook {crumb.script}.{crumb.function}" if crumb.function else ""
    where = f" {crumb.token} of map {crumb.map_id} (seq {crumb.seq})" if crumb.map_id is not None else f" {crumb.token}"
    log.error("%s died (%s) while handling%s%s; telling the broker", name, how, where, hook)
    try:
        dealer = fabric.node_dealer(config, f"{name}{GUARDIAN_SUFFIX}".encode(), linger_ms=REPORT_LINGER_MS)
        dealer.send(wire.pack([[wire.CRASHED, name, crumb.to_wire(), how]]))
        dealer.close()
    except Exception as error:  # the broker learns of the death by the silence anyway
        log.error("%s: could not report to the broker: %s", name, error)
