"""A map worker's scripts: the hooks, their crash breadcrumb, and quarantine as the cluster decides it.

    scripts = WorkerScripts(config, name, link, maps)
    scripts.hooks                    # scripting.hooks.ScriptHooks, handed to the rules
    scripts.start()                  # the node runs: the breadcrumb file exists from now on
    scripts.handling(token, map_id, seq)  # before each command (workers.crumb)

A script this worker's hooks give up on (failed ``quarantine_after`` times in a
row, timed out hard, hoarded memory, did not load) is reported to the broker
(``QUARANTINE``), which disables it on every worker (``SCRIPT_QUARANTINE``) and
keeps it in storage; a map load brings the list of quarantined scripts with
the world. Staff on this worker's maps get one red notice naming the script
and the hook. Saving the script again (type 26) releases it everywhere.
"""
from __future__ import annotations

import logging

from cluster import packets, wire
from cluster.config import Config
from cluster.link import BrokerLink, now_ms
from scripting.hooks import ScriptHooks
from workers.crumb import CrumbWriter, crumb_path
from workers.rules.commands import access_of

log = logging.getLogger(__name__)

STAFF_ACCESS = 1  # who is told that a script was quarantined
# Staff who join one of our maps this soon after a quarantine are told too: a quarantine for a
# crash is decided before the dead worker's maps (and their staff) arrive here.
NOTICE_MS = 30_000


class WorkerScripts:
    """The scripts of one map worker and what the cluster says about them."""

    def __init__(self, config: Config, name: str, link: BrokerLink, maps: dict) -> None:
        self.config = config
        self.name = name
        self.link = link
        self.maps = maps  # map_id → MapRuntime, the worker's own dict
        self.crumb: CrumbWriter | None = None
        self.notices: dict[str, tuple[int, bytes, set]] = {}  # script → (when, 114 payload, pids told)
        self.hooks = ScriptHooks.from_settings(config.scripting, on_quarantine=self.gave_up)

    def start(self) -> None:
        """Create the breadcrumb the guardian reads after a crash (only a running node has one)."""
        self.crumb = CrumbWriter(crumb_path(self.config.data_dir, self.name), self.link.incarnation)
        self.hooks.tracker = self.crumb

    def handling(self, token: str, map_id: int | None, seq: int = 0) -> None:
        if self.crumb is not None:
            self.crumb.handling(token, map_id, seq)

    def idle(self) -> None:
        if self.crumb is not None:
            self.crumb.idle()

    def close(self) -> None:
        if self.crumb is not None:
            self.crumb.stopped()
            self.hooks.tracker = None
            self.crumb.close()
            self.crumb = None

    # --- the library --------------------------------------------------------------------------
    def sync(self, world: dict) -> None:
        """A map load brought the world: its scripts, and those the cluster has quarantined."""
        if "scripts" in world:
            self.hooks.sync(world["scripts"])
        for script, reason in (world.get("quarantined") or {}).items():
            if script not in self.hooks.quarantined:
                self.hooks.quarantine(script, reason)

    def on_script_update(self, name: str, text: str) -> None:
        """A script was saved or deleted: it takes effect here at once, out of quarantine (hot reload)."""
        self.hooks.release(name)
        self.hooks.update(name, text)

    # --- quarantine ---------------------------------------------------------------------------
    def gave_up(self, script: str, function: str, reason: str) -> None:
        """Our hooks quarantined a script: the broker disables it everywhere (and tells staff)."""
        self.link.queue([wire.QUARANTINE, script, function, reason[:500]])

    def on_script_quarantine(self, script: str, function: str, reason: str) -> None:
        """The cluster quarantined a script: disable it here and tell staff on our maps."""
        self.hooks.quarantine(script, reason)
        notice = packets.encode(packets.chat(f"Script {script} was disabled (hook {function}): {reason}. "
                                             "Save it again to enable it.", color=packets.COLOR_RED))
        self.notices[script] = (now_ms(), notice, set())
        self.tell_staff()

    def tell_staff(self) -> None:
        """Staff on our maps who have not heard of a recent quarantine hear of it (after a map load too)."""
        if not self.notices:
            return
        now = now_ms()
        for script, (at, notice, told) in list(self.notices.items()):
            if now - at > NOTICE_MS or script not in self.hooks.quarantined:
                del self.notices[script]
                continue
            staff = [pid for runtime in self.maps.values() for pid, player in runtime.players.items()
                     if pid not in told and access_of(player.record) >= STAFF_ACCESS]
            if staff:
                told.update(staff)
                self.link.queue([wire.OUT, staff, notice])
