"""A map worker's guardian: a small process that outlives a crash of the worker and reports it.

``odyssey node map`` forks it first thing, before any socket exists; the
worker itself stays the node's process (its pid is the one ``odyssey status``
shows, signals and profilers reach it directly). The guardian holds the read
end of a pipe whose write end only the worker has: when the worker dies —
whatever killed it: a script that crashed the interpreter, its watchdog's
exit after a hook that never returned, faulthandler's exit after a C call
that never returned, a SIGKILL — the pipe reads end-of-file. The guardian
then reads the worker's breadcrumb (``workers.crumb``): unless the worker
stopped cleanly (or died idle, between commands), it tells the broker at
once, on a socket of its own (identity ``<name>!guardian``, the node's key),
which worker incarnation died while handling which command of which map, in
which script hook. The broker then quarantines the script on every worker,
does not replay that one command (no poison travels), and moves the maps at
once instead of at the lease's expiry. The guardian ignores the terminal's
and the launcher's signals: it ends when the worker has ended.
"""
from __future__ import annotations

import logging
import os
import signal

import zmq

from cluster import fabric, wire
from cluster.config import Config
from cluster.lifeline import GUARDIAN_SUFFIX
from workers.crumb import STOPPED, crumb_path, read_crumb

log = logging.getLogger(__name__)

REPORT_LINGER_MS = 1000


def run(config: Config, name: str) -> int:
    """Fork the guardian, then be the worker; returns the worker's exit code."""
    try:  # a crumb of an earlier incarnation must not be reported for this one
        crumb_path(config.data_dir, name).unlink()
    except FileNotFoundError:
        pass
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.close(write_end)
        _guard(config, name, read_end)
    os.close(read_end)  # the write end stays open, unused, until this process ends
    from workers.node import run as run_worker
    run_worker(config, name)
    return 0


def _guard(config: Config, name: str, read_end: int) -> None:
    code = 0
    try:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        while os.read(read_end, 1):  # nothing is ever written: this returns b"" when the worker is gone
            pass
        report(config, name)
    except BaseException:  # noqa: BLE001 - the guardian never outlives its worker, whatever happens
        code = 1
    finally:
        os._exit(code)


def report(config: Config, name: str) -> None:
    """Tell the broker what the worker was doing when it died (one line in the log too)."""
    crumb = read_crumb(crumb_path(config.data_dir, name))
    if crumb is None or crumb.token in ("", STOPPED):
        return  # stopped cleanly, died between commands, or before its first: nothing to report
    how = "died"
    hook = f", in the hook {crumb.script}.{crumb.function}" if crumb.function else ""
    where = f" {crumb.token} of map {crumb.map_id} (seq {crumb.seq})" if crumb.map_id is not None else f" {crumb.token}"
    log.error("%s died (%s) while handling%s%s; telling the broker", name, how, where, hook)
    try:
        context = zmq.Context()
        dealer = fabric.node_dealer(config, f"{name}{GUARDIAN_SUFFIX}".encode(), linger_ms=REPORT_LINGER_MS,
                                    context=context)
        dealer.send(wire.pack([[wire.CRASHED, name, crumb.to_wire(), how]]))
        dealer.close()
        context.term()  # waits (up to the linger) until the report is sent: the guardian exits next
    except Exception as error:  # the broker learns of the death by the silence anyway
        log.error("%s: could not report to the broker: %s", name, error)
