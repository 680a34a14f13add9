"""A map worker: holds the maps it leases and feeds packets to the rules.

The loop: receive a batch from the broker, apply each command to its map
(buffering while a map loads), run the due timers of every touched map,
report ``DONE`` with each map's next wake-up, checkpoint dirty maps every
interval, release maps that stayed idle, and send everything as one frame.

Whenever the worker (re-)announces its maps to the broker — because the
broker asked who it is, or because the worker was frozen long enough that
its leases may have lapsed — it holds every map's commands, timers and
checkpoints until the broker's ``LEASES`` says which of them it still owns;
the others it drops without a word, so broker, worker and storage agree on
one owner and one epoch per map.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field


from cluster import packets, wire
from cluster.config import Config
from cluster.counters import by_type, count_type
from cluster.link import BrokerLink, now_ms
from cluster.logs import RateLimitedLog
from cluster.loop import NodeSocket
from scripting.sandbox import limit_memory
from workers.scripts import WorkerScripts
from workers.rules import HANDLERS, cycle, editors, moderation, presence, remote
from workers.rules.context import RuleContext
from workers.runtime import EVERYONE, Effects, MapRuntime

log = logging.getLogger(__name__)

CHECKPOINT_SLICE_MS = 50  # how often the worker looks for maps due a checkpoint
IDLE_TICK_RECHECK_MS = 1000  # a map with nothing due still ticks on a message after this


@dataclass(slots=True)
class LoadingMap:
    """A granted map waiting for its state from storage."""
    epoch: int
    buffered: list = field(default_factory=list)


class MapWorker:
    """The maps this worker owns and the commands for them."""

    def __init__(self, config: Config, name: str) -> None:
        self.config = config
        self.name = name
        self.maps: dict[int, MapRuntime] = {}
        self.loading: dict[int, LoadingMap] = {}
        self.last_seq: dict[int, int] = {}
        self.touched: set[int] = set()  # maps this batch reached (their tick ran; events follow)
        game = config.game
        self.link = BrokerLink(wire.ROLE_MAP, name, config.heartbeat.interval_ms, config.heartbeat.liveness,
                               self.announce, self.stats, on_hello=self.announcing)
        self.scripts = WorkerScripts(config, name, self.link, self.maps)
        self.hooks = self.scripts.hooks
        self.ctx = RuleContext(min_step_interval_ms=game.min_step_interval_ms, step_burst=game.step_burst,
                               door_seconds=float(game.door_seconds), revive_map_id=game.revive_map_id,
                               revive_x=game.revive_x, revive_y=game.revive_y, hooks=self.hooks)
        self.claimed: set[tuple[int, int]] | None = None  # (map, epoch) announced, until LEASES answers
        self.held: list[list] = []  # map commands that arrived meanwhile, in order
        self.complain = RateLimitedLog(log)
        self.next_checkpoint_ms = 0
        self.checkpointed_ms: dict[int, int] = {}  # map_id → when its state on disk was last current
        self.checkpoints_sent = 0
        self.packets_in: dict = {}  # game packets handled, by type
        self.packets_out: dict = {}  # client packets built, by type (once per payload)
        self.handlers = {wire.GRANT: self.on_grant, wire.REVOKE: self.on_revoke, wire.LEASES: self.on_leases,
                         wire.MAP_LOADED: self.on_map_loaded, wire.RELOAD: self.on_reload,
                         wire.RESOURCE: self.on_resource, wire.SCRIPT_UPDATE: self.scripts.on_script_update,
                         wire.SCRIPT_QUARANTINE: self.scripts.on_script_quarantine}
        self.map_commands = {wire.PKT: self.on_packet, wire.JOIN: self.on_join,
                             wire.LEAVE: self.on_leave, wire.POKE: self.on_poke,
                             wire.UPDATE: self.on_update}
        # Answers to commands that asked the broker or storage (workers.rules.remote).
        for token, rule in ((wire.WHO_LIST, remote.who_list), (wire.LOCATE, remote.locate),
                            (wire.WARP, remote.warp), (wire.COPYMAP, remote.copy_map),
                            (wire.SCRIPT, remote.script_text), (wire.MAP_SAVED, editors.apply_saved_map),
                            (wire.MUTED, moderation.set_muted)):
            self.map_commands[token] = self.remote_rule(rule)

    def remote_rule(self, rule):
        def apply(runtime: MapRuntime, seq: int, pid: int, *args) -> None:
            self.last_seq[runtime.map_id] = seq
            effects = Effects()
            rule(runtime, effects, pid, *args, self.ctx)
            self.emit(runtime, effects)
        return apply

    def announce(self) -> dict:
        return {"maps": [[m.map_id, m.epoch, [[p.pid, {k: p.record.get(k) for k in ("name", "level", "profession_id")}]
                                              for p in m.players.values()]]
                         for m in self.maps.values()]}

    def stats(self) -> dict:
        now = now_ms()
        return {"maps": len(self.maps), "players": sum(len(m.players) for m in self.maps.values()),
                "packets_in": by_type(self.packets_in), "packets_out": by_type(self.packets_out),
                "checkpoints_sent": self.checkpoints_sent,
                "checkpoint_age_ms": {map_id: now - at for map_id, at in self.checkpointed_ms.items()},
                "script_errors": self.hooks.errors, "script_timeouts": self.hooks.timeouts,
                "scripts_quarantined": sorted(self.hooks.quarantined)}

    # --- leases -----------------------------------------------------------------
    def announcing(self) -> None:
        """The link is about to announce our maps: hold them until the broker confirms them."""
        self.claimed = {(m.map_id, m.epoch) for m in self.maps.values()}

    def on_leases(self, held: list) -> None:
        """The broker's answer to our announcement: of the maps we claimed, exactly these are ours."""
        claimed, self.claimed = self.claimed or set(), None
        ours = {(map_id, epoch) for map_id, epoch in held}
        for map_id, epoch in claimed - ours:
            runtime = self.maps.get(map_id)
            if runtime is not None and runtime.epoch == epoch:
                del self.maps[map_id]
                self.checkpointed_ms.pop(map_id, None)
                log.warning("map %s (epoch %s) is no longer ours; dropped without a checkpoint", map_id, epoch)
        held_commands, self.held = self.held, []
        for command in held_commands:
            self.handle(command)

    # --- commands ---------------------------------------------------------------
    def handle(self, command: list) -> None:
        token = command[0]
        try:
            if token in self.map_commands:
                self.ctx.now_ms = now_ms()
                map_id = command[1]
                self.scripts.handling(token, map_id, command[2] if token != wire.POKE else 0)
                if self.claimed is not None:
                    self.held.append(command)
                elif map_id in self.loading:
                    self.loading[map_id].buffered.append(command)
                elif map_id in self.maps:
                    runtime = self.maps[map_id]
                    self.reach(runtime)
                    self.map_commands[token](runtime, *command[2:])
                return
            handler = self.handlers.get(token)
            if handler is not None:  # else the link's own (HB, WHO)
                first = command[1] if len(command) > 1 else None
                self.scripts.handling(token, first if type(first) is int else None)
                handler(*command[1:])
        except Exception:  # a rule's failure costs one packet, never the worker
            self.complain(f"{token} failed", "%s failed", token, exc_info=True)

    def reach(self, runtime: MapRuntime) -> None:
        """The first command of a batch for a map: run its tick first (5.9: tick, messages, events)."""
        if runtime.map_id in self.touched:
            return
        self.touched.add(runtime.map_id)
        if runtime.players and self.ctx.now_ms >= runtime.tick_due_ms:
            effects = Effects()
            cycle.tick(runtime, effects, self.ctx)
            self.emit(runtime, effects)

    def on_grant(self, map_id: int, epoch: int, rejoin: list) -> None:
        self.maps.pop(map_id, None)
        self.loading[map_id] = LoadingMap(epoch)
        self.link.queue([wire.LOAD_MAP, map_id, epoch, rejoin])

    def on_revoke(self, map_id: int) -> None:
        held = self.maps.pop(map_id, None) is not None
        self.checkpointed_ms.pop(map_id, None)
        if (self.loading.pop(map_id, None) is not None) or held:
            log.info("map %s revoked", map_id)

    def on_map_loaded(self, map_id, epoch, map_record, runtime_state, players, world) -> None:
        loading = self.loading.get(map_id)
        if loading is None or loading.epoch != epoch:
            return
        del self.loading[map_id]
        self.ctx.map_ids = frozenset(world["map_ids"])
        self.ctx.shops = world["shops"]
        self.ctx.items = world.get("items", [])
        self.ctx.professions = world.get("professions", [])
        self.ctx.npcs = world.get("npcs", [])
        self.scripts.sync(world)
        runtime = MapRuntime(map_id, epoch, map_record)
        runtime.restore(runtime_state)
        runtime.idle_since_ms = now_ms()
        runtime.checkpoint_due_ms = now_ms() + map_id * 7919 % self.config.checkpoint.interval_ms
        self.maps[map_id] = runtime
        self.checkpointed_ms[map_id] = now_ms()  # just loaded from the last checkpoint
        log.info("map %s loaded (epoch %s, %d players re-joining)", map_id, epoch, len(players))
        effects = Effects()
        for pid, char_key, record in players:
            presence.join(runtime, effects, pid, char_key, record, self.ctx)
        self.emit(runtime, effects)
        self.touched.add(map_id)
        runtime.tick_due_ms = 0
        self.scripts.tell_staff()
        for command in loading.buffered:
            self.handle(command)

    def on_packet(self, runtime: MapRuntime, seq: int, pid: int, packet_type: int, raw: bytes) -> None:
        self.last_seq[runtime.map_id] = seq
        count_type(self.packets_in, packet_type)
        rule = HANDLERS.get(packet_type)
        if rule is None:
            return
        try:
            packet = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested too deep
            return
        effects = Effects()
        rule(runtime, effects, pid, packet, self.ctx)
        self.emit(runtime, effects)

    def on_join(self, runtime: MapRuntime, seq: int, pid: int, char_key: list, record: dict) -> None:
        self.last_seq[runtime.map_id] = seq
        effects = Effects()
        presence.join(runtime, effects, pid, char_key, record, self.ctx)
        self.emit(runtime, effects)
        runtime.tick_due_ms = 0  # his arrival may wake NPCs that waited for a player

    def on_leave(self, runtime: MapRuntime, seq: int, pid: int) -> None:
        self.last_seq[runtime.map_id] = seq
        effects = Effects()
        if presence.disconnect(runtime, effects, pid, self.ctx) is None:
            self.link.queue([wire.SAVE_PLAYER, pid, None, runtime.map_id, runtime.epoch, None, True])
        self.emit(runtime, effects)

    def on_poke(self, runtime: MapRuntime) -> None:
        pass  # the timers of every touched map run after the batch

    def on_update(self, runtime: MapRuntime, seq: int, pid: int, changes: dict) -> None:
        """An operator changed a character in play (e.g. its access level)."""
        self.last_seq[runtime.map_id] = seq
        effects = Effects()
        presence.update_record(runtime, effects, pid, changes)
        self.emit(runtime, effects)

    def on_resource(self, kind: str, index: int, record: dict) -> None:
        """An editor changed one entry of a resource list: keep the rules' copy current."""
        entries = {"item": self.ctx.items, "npc": self.ctx.npcs, "shop": self.ctx.shops,
                   "profession": self.ctx.professions}.get(kind)
        if entries is None or not 0 <= index <= len(entries):
            return
        if index == len(entries):
            entries.append(record)
        else:
            entries[index] = record

    def on_reload(self, map_id: int) -> None:
        """The world was replaced: checkpoint and let go; the broker grants the map again."""
        runtime = self.maps.get(map_id)
        if runtime is not None:
            self.checkpoint(runtime, everything=True)
            self.release(runtime, "world reloaded")

    # --- effects → wire ---------------------------------------------------------
    def emit(self, runtime: MapRuntime, effects: Effects) -> None:
        queue = self.link.queue
        packets_out = self.packets_out
        for recipients, packet in effects.messages:
            count_type(packets_out, packet.get("type"))
            try:
                payload = packets.encode(packet)
            except (TypeError, ValueError) as error:  # NaN, a lone surrogate: never sent to a client
                self.complain(f"encode {packet.get('type')}", "dropped a %s packet of map %s that is not JSON: %s",
                              packet.get("type"), runtime.map_id, error)
                continue
            if recipients is EVERYONE:
                queue([wire.OUT_ALL, payload])
            else:
                queue([wire.OUT, list(recipients), payload])
        for player, final in effects.saves:
            queue([wire.SAVE_PLAYER, player.pid, player.char_key, runtime.map_id, runtime.epoch,
                   player.record, final])
        for transfer in effects.transfers:
            queue([wire.TRANSFER, runtime.map_id, transfer.pid, transfer.to_map, transfer.record])
        for account_id, settings in effects.settings:
            queue([wire.SETTINGS, account_id, settings])
        for kind, args in effects.requests:
            queue(request_command(kind, args))
        for requester, map_id, x, y in effects.located:
            queue([wire.LOCATED, requester, map_id, x, y])
        for pid in effects.closes:
            queue([wire.CLOSE_PID, pid])

    # --- timers -----------------------------------------------------------------
    def run_timers(self, now: int) -> None:
        if self.claimed is not None:
            return  # the maps wait for the broker's LEASES
        self.ctx.now_ms = now
        for map_id in self.touched:
            runtime = self.maps.get(map_id)
            if runtime is not None:
                self.end_batch(runtime, now)
        self.touched.clear()
        if now >= self.next_checkpoint_ms:
            self.next_checkpoint_ms = now + CHECKPOINT_SLICE_MS
            self.checkpoint_due(now)

    def end_batch(self, runtime: MapRuntime, now: int) -> None:
        """The event pass of a map the batch reached, then DONE with its next wake-up."""
        wake_at = None
        try:
            effects = Effects()
            cycle.event_pass(runtime, effects, self.ctx)
            self.emit(runtime, effects)
            wake_at = cycle.next_wake_ms(runtime, self.ctx)
        except Exception:  # a rule's failure costs this pass, never the worker or the other maps
            self.complain(f"event pass {runtime.map_id}", "the event pass of map %s failed", runtime.map_id,
                          exc_info=True)
        runtime.tick_due_ms = wake_at if wake_at is not None else now + IDLE_TICK_RECHECK_MS
        self.link.queue([wire.DONE, runtime.map_id, self.last_seq.get(runtime.map_id, 0), wake_at])

    def checkpoint(self, runtime: MapRuntime, everything: bool = False) -> None:
        """Send what changed since the last checkpoint (or everything) to storage."""
        changed = runtime.players if everything else runtime.changed_players
        players = []
        for pid in changed:
            player = runtime.players.get(pid)
            if player is not None:
                players.append([pid, player.char_key, self.pack(player.record, f"player {pid} of map {runtime.map_id}")])
        # Packed here: the broker and storage pass the bytes on.
        snapshot = self.pack(runtime.snapshot(), f"map {runtime.map_id}") if runtime.dirty or everything else None
        self.link.queue([wire.CKPT, runtime.map_id, runtime.epoch, snapshot, players])
        self.checkpoints_sent += 1
        self.checkpointed_ms[runtime.map_id] = now_ms()
        runtime.dirty = False
        runtime.changed_players = set()

    def pack(self, record: dict, where: str) -> bytes:
        """``record`` as the bytes storage keeps; a value it cannot hold is repaired in place (so this
        record and every other one is still saved), counted and logged."""
        packed, problems = wire.pack_record(record, where)
        for problem in problems:
            self.link.unencodable += 1
            self.complain(f"unencodable {where}", "checkpoint: %s", problem)
        return packed

    def checkpoint_due(self, now: int) -> None:
        """Checkpoint the maps whose turn it is, and release those idle for long.

        Each map has its own phase within the interval, so a worker with many
        maps sends a steady trickle instead of one burst per interval.
        """
        interval = self.config.checkpoint.interval_ms
        for runtime in list(self.maps.values()):
            if runtime.checkpoint_due_ms > now:
                continue
            runtime.checkpoint_due_ms = max(runtime.checkpoint_due_ms + interval, now)
            if runtime.dirty or runtime.changed_players:
                self.checkpoint(runtime)
            else:
                self.checkpointed_ms[runtime.map_id] = now  # nothing changed: the disk copy is current
            if runtime.players or cycle.next_wake_ms(runtime, self.ctx) is not None:
                runtime.idle_since_ms = now
            elif now - runtime.idle_since_ms >= self.config.lease.idle_release_ms:
                self.release(runtime, "idle")

    def release(self, runtime: MapRuntime, why: str) -> None:
        self.link.queue([wire.RELEASE, runtime.map_id, runtime.epoch])
        del self.maps[runtime.map_id]
        self.checkpointed_ms.pop(runtime.map_id, None)
        log.info("map %s released (%s)", runtime.map_id, why)

    def release_everything(self) -> None:
        """On shutdown: a full checkpoint of every map, then give the leases back."""
        for runtime in list(self.maps.values()):
            self.checkpoint(runtime, everything=True)
            self.release(runtime, "shutting down")


def request_command(kind: str, args: dict) -> list:
    """A rule's request to the broker or storage, as its wire command."""
    pid = args["pid"]
    return {
        "who": lambda: [wire.WHO_ONLINE, pid],
        "whisper": lambda: [wire.WHISPER, pid, args["name"], args["text"]],
        "warpto": lambda: [wire.WARPTO, pid, args["name"]],
        "setaccess": lambda: [wire.SET_ACCESS, pid, args["access"], args["name"], args["level"]],
        "copymap": lambda: [wire.GET_MAP, pid, args["map_id"]],
        "editscript": lambda: [wire.GET_SCRIPT, pid, args["name"]],
        "save_map": lambda: [wire.SAVE_MAP, pid, args["map_id"], args["record"]],
        "save_resource": lambda: [wire.SAVE_RESOURCE, pid, args["kind"], args["index"], args["record"]],
        "save_script": lambda: [wire.SAVE_SCRIPT, pid, args["name"], args["script"]],
        "moderate": lambda: [wire.MODERATE, pid, args["access"], args["by"], args["action"], args["text"]],
    }[kind]()


def run(config: Config, name: str) -> None:
    """Serve maps until SIGTERM / SIGINT, then checkpoint and release them."""
    if config.scripting.memory_limit_mb:
        limit_memory(config.scripting.memory_limit_mb)
    worker = MapWorker(config, name)
    node = NodeSocket(config, worker.link)
    worker.scripts.start()
    lifeline = node.lifeline
    log.info("map worker %s ready (broker %s)", name, config.broker_endpoint)
    while not node.stopping:
        worker.scripts.idle()
        commands = node.wait(worker.next_checkpoint_ms)
        if lifeline.froze() and worker.maps and worker.claimed is None:
            log.warning("map worker %s was frozen; asking the broker which maps are still ours", name)
            worker.link.hello()
        for command in commands:
            lifeline.doing = ("handling %s for map %s", command[0], command[1] if len(command) > 1 else "-")
            worker.handle(command)
        lifeline.doing = "running timers and checkpoints"
        worker.run_timers(now_ms())
        node.send()
    log.info("map worker %s stopping: checkpointing %d maps", name, len(worker.maps))
    worker.release_everything()
    worker.link.bye()
    node.close()
    worker.scripts.close()
