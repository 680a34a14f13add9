"""No poison travels: crash reports, script quarantine, and the commands that kill workers.

A mixin of ``broker.node.Broker``. When a worker dies with commands of its maps
unconfirmed, those commands go to the map's next owner — unless one of them
is what killed it:

* a worker's guardian (``workers.guardian``) reports the crash with the
  worker's breadcrumb: the command being handled is dropped (logged, named),
  the script hook that was running is quarantined on every worker *before*
  the maps move, and the maps move at once;
* without a report, every command in flight at a death is counted; one that
  was in flight at ``MAX_DEATHS`` deaths is dropped instead of delivered again.

A script is quarantined (disabled on every worker, until staff save it again)
when it crashed its worker, or when a worker reports that it failed too often
in a row or hoarded memory. The broker tells every worker at once, storage
keeps it durable, and staff online are told by their map's worker.
"""
from __future__ import annotations

import logging
import time

from broker.tables import MapRoute
from cluster import wire

log = logging.getLogger("broker.node")

MAX_DEATHS = 2  # a command in flight when this many workers died is not delivered again


class Crashes:
    """Crash reports, quarantines and poison commands."""

    def on_crashed(self, name: str, items: list) -> None:
        """A guardian's report: [CRASHED, name, crumb, how] (identity ``<name>!guardian``)."""
        for item in items:
            problem = wire.TO_BROKER.check(item, wire.ROLE_MAP)
            if problem is not None or item[0] != wire.CRASHED or item[1] != name:
                self.complain(f"guardian {name}", "dropped a report from the guardian of %s: %s", name,
                              problem or "not a CRASHED for that worker")
                continue
            incarnation, map_id, seq, token, script, function = item[2]
            how = item[3]
            log.warning("%s died (%s) while handling %s of map %s (seq %s)%s", name, how, token, map_id, seq,
                        f" in the hook {script}.{function}" if function else "")
            if function:
                self.quarantine(script, function, f"crashed its worker {name} ({how})")
            route = self.routes.get(map_id) if map_id is not None else None
            if route is not None and token in (wire.PKT, wire.JOIN, wire.LEAVE, wire.UPDATE):
                self.drop_command(route, seq, f"it was being handled when {name} died ({how})")
            node = self.nodes.get(name)
            if node is not None and node.incarnation == incarnation:
                self.presumed_dead[name] = incarnation
                self.forget_node(node)  # the maps move now, not at the lease's expiry

    def on_quarantine(self, node, script, function, reason) -> None:
        """A worker's hooks gave up on a script (failed too often in a row, hoarded memory)."""
        self.quarantine(script, function, f"{reason} (on {node.name})")

    def quarantine(self, script: str, function: str, reason: str) -> None:
        """Disable ``script`` on every worker now, and durably in storage."""
        known = self.quarantined.get(script)
        if known is not None and known["function"] == function:
            return
        self.quarantined[script] = {"script": script, "function": function, "reason": reason,
                                    "at_ms": int(time.time() * 1000)}
        self.counters.quarantines += 1
        log.warning("script %r quarantined: %s.%s %s", script, script, function, reason)
        for worker in self.live_workers():
            self.send(worker.name, [wire.SCRIPT_QUARANTINE, script, function, reason])
        self.send_storage([wire.QUARANTINE, script, function, reason])

    def drop_command(self, route: MapRoute, seq: int, why: str) -> None:
        for queue in (route.unacked, route.waiting):
            for command in list(queue):
                if command[2] == seq:
                    queue.remove(command)
                    log.warning("map %s: dropped %s", route.map_id, describe(command, why))

    def count_deaths(self, route: MapRoute) -> None:
        """The owner of ``route`` died: every command it had not confirmed was in flight at a death."""
        for command in route.unacked:
            route.deaths[command[2]] = route.deaths.get(command[2], 0) + 1

    def survivors(self, route: MapRoute) -> None:
        """Before the unconfirmed commands go to a new owner: those in flight at MAX_DEATHS deaths stay back."""
        if not route.deaths:
            return
        for command in list(route.unacked):
            if route.deaths.get(command[2], 0) >= MAX_DEATHS:
                route.unacked.remove(command)
                log.warning("map %s: dropped %s", route.map_id,
                            describe(command, f"{MAX_DEATHS} workers died while it was in flight"))


def describe(command: list, why: str) -> str:
    """A dropped command in words: its kind, sequence, player and packet type."""
    kind, _map_id, seq = command[:3]
    pid = command[3] if len(command) > 3 else None
    packet = f" type {command[4]}" if kind == wire.PKT and len(command) > 4 else ""
    return f"{kind}{packet} (seq {seq}) of player {pid}: {why}"
