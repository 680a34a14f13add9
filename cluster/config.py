"""cluster.toml → typed, validated configuration.

Every setting an operator may change lives here, with its default, and is
documented in the repository's ``cluster.toml``. Loading is strict: an
unknown key or a value of the wrong type or range raises ``ConfigError``
with one line that names the key.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting in cluster.toml is unknown or has a bad value."""


@dataclass(slots=True)
class ClusterSection:
    """Where the cluster keeps its files."""
    data_dir: str = "data"  # LMDB environment, ipc sockets, run.json; relative to the config file
    # A busy node starts a loop turn at most this often, so that each turn (and each frame it
    # sends) carries a batch instead of one command: fewer frames, system calls and encodings
    # per move, for at most this much latency per hop. An idle node answers at once. 0 = off.
    turn_ms: int = 4


@dataclass(slots=True)
class BrokerSection:
    """The ROUTER every node connects to."""
    # "auto": ipc://<data_dir>/broker.ipc on one box. A multi-host cluster sets
    # e.g. "tcp://10.0.0.5:5555" (nodes connect here) and bind "tcp://*:5555".
    endpoint: str = "auto"
    bind: str = "auto"
    # After a broker (re)start, sessions and leases are rebuilt from what the
    # nodes re-announce; within this window nothing is closed or reassigned.
    recovery_window_ms: int = 2500
    # Minimum spacing between two pokes of one map (PROTOCOL 5.9).
    poke_min_spacing_ms: int = 100
    # An edge silent past its heartbeats keeps its players in game this long, so an edge
    # that was only stalled (overload, a paused VM) carries on where it was.
    edge_grace_ms: int = 20000


@dataclass(slots=True)
class HeartbeatSection:
    """Heartbeats in both directions between the broker and every node."""
    interval_ms: int = 1000
    liveness: int = 3  # a peer that misses this many heartbeats is dead
    # A node whose loop makes no progress this long ends itself (and is restarted).
    watchdog_ms: int = 5000


@dataclass(slots=True)
class LeaseSection:
    """Map ownership."""
    # A lease expires this long after its worker's last heartbeat.
    duration_ms: int = 3000
    # A map with no players and nothing due is checkpointed and released after this.
    idle_release_ms: int = 30000


@dataclass(slots=True)
class CheckpointSection:
    """How often map workers send dirty maps and players to storage."""
    interval_ms: int = 1000


@dataclass(slots=True)
class EdgeSection:
    """The websocket front of the cluster."""
    host: str = "0.0.0.0"
    port: int = 8080
    max_frame_bytes: int = 65536
    # A connection that has not sent its whole HTTP request (the websocket handshake) or
    # finished its TLS handshake by then is closed, and so is an HTTP connection idle that
    # long between requests.
    handshake_timeout_ms: int = 10000
    packets_per_second: int = 40  # sustained rate per connection
    burst: int = 80  # packets a connection may send at once before the rate applies
    # PEM certificate (chain) and private key: with both set the edge serves wss:// and
    # https:// only. Relative to the config file's directory, like cluster.data_dir.
    tls_cert: str = ""
    tls_key: str = ""
    # /status, /status.json and /metrics reuse the broker's cluster view for this long,
    # so many open status pages cost the broker one query per edge per interval.
    status_cache_ms: int = 1000
    # Logins and account creations (types 0 and 1, which cost a password hash) per remote
    # address: sustained per second, and at once; over it the client hears "busy".
    login_rate_per_address: int = 50
    login_burst_per_address: int = 100
    # When the edge's loop runs this late, new logins hear "busy" instead of waiting.
    busy_lag_ms: int = 500
    # The status page's charts: the edge samples that (cached) view this often, so the
    # history costs the broker no query of its own, ...
    history_sample_ms: int = 5000
    # ... and keeps this many minutes of samples in memory (about 200 bytes each).
    history_minutes: int = 60


@dataclass(slots=True)
class StorageSection:
    """The LMDB storage worker."""
    map_size_mb: int = 1024
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    hash_threads: int = 2  # password hashing runs here, never on the loop
    # Logins and account creations waiting for a hash thread; past it the client hears "busy".
    account_queue_limit: int = 64
    # How long a logging-out player's account stays locked waiting for the
    # map worker's final save before the last checkpoint is taken as final.
    logout_save_timeout_ms: int = 10000


@dataclass(slots=True)
class WorldSection:
    """The game world."""
    # Directory in the format of storage/starter_world, loaded into a fresh
    # data directory on first start. "" = the bundled starter world.
    start_dir: str = ""
    motd: str = ""


@dataclass(slots=True)
class GameSection:
    """Game rules an operator may tune."""
    # A player may take one step per this interval on average; a faster step is bounced.
    min_step_interval_ms: int = 100
    # Steps a player may take back to back (network jitter bunches a steady walker's
    # steps together); the average rate above still holds.
    step_burst: int = 2
    # Where a dead player revives when his map's death_map names no map (PROTOCOL 5.7).
    revive_map_id: int = 0
    revive_x: int = 5
    revive_y: int = 5
    # How long a door opened by walking, a trigger without cooldown or a key stays open (s).
    door_seconds: int = 10


@dataclass(slots=True)
class ScriptingSection:
    """Admin scripts in the map workers (PROTOCOL 6)."""
    # Wall-clock budget of one hook call; a hook that runs longer is stopped and
    # its packets are discarded (the default behaviour runs).
    budget_ms: int = 50
    # Address-space limit of a map worker, so a script's huge allocation fails
    # inside the script instead of exhausting the machine. 0 = no limit.
    memory_limit_mb: int = 2048
    # A script whose hooks fail (raise or time out) this many times in a row is
    # quarantined: disabled on every worker until staff save it again.
    quarantine_after: int = 3
    # What one script may keep between calls (its module-level data), in KiB; over
    # it the script is quarantined. Measured after a call, at most every memory_check_ms.
    script_memory_kb: int = 16384
    memory_check_ms: int = 1000
    # A script is proven before storage accepts it: compiled and its module body run
    # in a disposable process with these limits (CPU seconds, wall seconds, MiB).
    prove_cpu_s: int = 2
    prove_wall_s: int = 5
    prove_memory_mb: int = 256


@dataclass(slots=True)
class SecuritySection:
    """Who may talk to the broker over tcp: CurveZMQ keys (see ``odyssey keys``)."""
    # Encrypt and authenticate every tcp endpoint. false is for a lab only: then anyone who
    # reaches the broker's port is trusted (ipc endpoints never need keys: they are 0600 files).
    curve: bool = True
    # This host's key files: <node name>.key_secret for each node run here, broker.key (the
    # broker's public key) for every client, and operator keys. Relative to the config file.
    keys_dir: str = "keys"
    # On the broker's host: the public keys allowed in, each bound to a role and a name.
    authorized_keys_dir: str = "keys/authorized"
    # The key `odyssey status` and `odyssey admin` use (a key made with --role operator).
    operator_key: str = "operator"


@dataclass(slots=True)
class LauncherSection:
    """``odyssey up``: how it supervises its children."""
    # A child whose heartbeats stopped this long while its process lives (stopped, wedged)
    # is killed and restarted.
    hung_after_ms: int = 10000


@dataclass(slots=True)
class NodeEntry:
    """One node of a multi-host cluster (``[[nodes]]``)."""
    role: str = ""
    name: str = ""
    host: str = "127.0.0.1"
    port: int = 0  # edges: the websocket port (0 = edge.port)


@dataclass(slots=True)
class Config:
    """The whole cluster.toml."""
    cluster: ClusterSection = field(default_factory=ClusterSection)
    broker: BrokerSection = field(default_factory=BrokerSection)
    heartbeat: HeartbeatSection = field(default_factory=HeartbeatSection)
    lease: LeaseSection = field(default_factory=LeaseSection)
    checkpoint: CheckpointSection = field(default_factory=CheckpointSection)
    edge: EdgeSection = field(default_factory=EdgeSection)
    storage: StorageSection = field(default_factory=StorageSection)
    world: WorldSection = field(default_factory=WorldSection)
    game: GameSection = field(default_factory=GameSection)
    scripting: ScriptingSection = field(default_factory=ScriptingSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    launcher: LauncherSection = field(default_factory=LauncherSection)
    nodes: list[NodeEntry] = field(default_factory=list)
    base_dir: Path = field(default_factory=Path.cwd)  # the config file's directory

    @property
    def data_dir(self) -> Path:
        path = Path(os.path.expanduser(self.cluster.data_dir))
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def path(self, setting: str) -> Path:
        """A path setting: ``~`` expanded, relative to the config file's directory."""
        path = Path(os.path.expanduser(setting))
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    @property
    def edge_tls(self) -> tuple[Path, Path] | None:
        """(certificate, key) when the edges serve TLS, else None."""
        if not self.edge.tls_cert:
            return None
        return self.path(self.edge.tls_cert), self.path(self.edge.tls_key)

    @property
    def broker_endpoint(self) -> str:
        """The endpoint nodes connect to."""
        if self.broker.endpoint == "auto":
            return f"ipc://{self.data_dir / 'broker.ipc'}"
        return self.broker.endpoint

    @property
    def broker_bind(self) -> str:
        """The endpoint the broker binds."""
        return self.broker_endpoint if self.broker.bind == "auto" else self.broker.bind

    @property
    def curve(self) -> bool:
        """CurveZMQ for clients of the broker's endpoint: tcp with ``security.curve`` (ipc needs none)."""
        return self.security.curve and self.broker_endpoint.startswith("tcp://")

    @property
    def curve_bind(self) -> bool:
        """CurveZMQ on what the broker binds."""
        return self.security.curve and self.broker_bind.startswith("tcp://")

    @property
    def dead_after_ms(self) -> int:
        return self.heartbeat.interval_ms * self.heartbeat.liveness

    def node(self, role: str, name: str) -> NodeEntry:
        for entry in self.nodes:
            if entry.role == role and entry.name == name:
                return entry
        return NodeEntry(role=role, name=name)


ROLES = ("broker", "edge", "map", "storage")

# Range checks for numbers: key → (minimum, maximum).
_RANGES: dict[str, tuple[int, int]] = {
    "edge.port": (0, 65535),
    "cluster.turn_ms": (0, 100),
    "edge.handshake_timeout_ms": (100, 3_600_000),
    "nodes.port": (0, 65535),
    "heartbeat.liveness": (1, 100),
    "heartbeat.interval_ms": (10, 600_000),
    "game.revive_x": (0, 11),
    "game.revive_y": (0, 11),
    "scripting.budget_ms": (1, 10_000),
    "scripting.quarantine_after": (1, 1_000_000),
    "scripting.script_memory_kb": (64, 4 * 1024 * 1024),
    "scripting.memory_check_ms": (0, 3_600_000),
    "scripting.prove_cpu_s": (1, 600),
    "scripting.prove_wall_s": (1, 600),
    "scripting.prove_memory_mb": (64, 65536),
    "heartbeat.watchdog_ms": (100, 3_600_000),
    "edge.login_rate_per_address": (1, 1_000_000),
    "edge.login_burst_per_address": (1, 1_000_000),
    "storage.account_queue_limit": (1, 1_000_000),
    "edge.history_sample_ms": (100, 3_600_000),
    "edge.history_minutes": (1, 7 * 24 * 60),
}
MAX_HISTORY_SAMPLES = 20_000  # a page fetches the whole history (a few MB at most)


def _check_value(key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"cluster.toml: {key} must be an integer, got {value!r}")
        low, high = _RANGES.get(key, (0, 2**62))
        if not low <= value <= high:
            raise ConfigError(f"cluster.toml: {key} must be between {low} and {high}, got {value}")
    elif expected is str and not isinstance(value, str):
        raise ConfigError(f"cluster.toml: {key} must be a string, got {value!r}")
    elif expected is bool and not isinstance(value, bool):
        raise ConfigError(f"cluster.toml: {key} must be true or false, got {value!r}")
    return value


def _build_section(cls: type, table: Any, prefix: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"cluster.toml: [{prefix}] must be a table")
    section = cls()
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in table.items():
        if key not in names:
            raise ConfigError(f"cluster.toml: unknown key {prefix}.{key}")
        setattr(section, key, _check_value(f"{prefix}.{key}", value, getattr(section, key)))
    return section


def _build_nodes(items: Any) -> list[NodeEntry]:
    if not isinstance(items, list):
        raise ConfigError("cluster.toml: nodes must be an array of tables ([[nodes]])")
    nodes = [_build_section(NodeEntry, item, "nodes") for item in items]
    for node in nodes:
        if node.role not in ROLES:
            raise ConfigError(f"cluster.toml: nodes.role must be one of {', '.join(ROLES)}, got {node.role!r}")
        if not node.name:
            raise ConfigError("cluster.toml: nodes.name must not be empty")
    return nodes


def from_dict(raw: dict[str, Any], base_dir: Path | None = None) -> Config:
    """Build a Config from a parsed TOML document."""
    config = Config(base_dir=base_dir or Path.cwd())
    sections = {f.name: f for f in dataclasses.fields(Config) if f.name not in ("nodes", "base_dir")}
    for key, value in raw.items():
        if key == "nodes":
            config.nodes = _build_nodes(value)
        elif key in sections:
            current = getattr(config, key)
            setattr(config, key, _build_section(type(current), value, key))
        else:
            raise ConfigError(f"cluster.toml: unknown key {key}")
    if config.broker.poke_min_spacing_ms < 1:
        raise ConfigError("cluster.toml: broker.poke_min_spacing_ms must be at least 1")
    samples = config.edge.history_minutes * 60_000 // config.edge.history_sample_ms
    if samples > MAX_HISTORY_SAMPLES:
        raise ConfigError(f"cluster.toml: edge.history_minutes / edge.history_sample_ms keep {samples} samples; "
                          f"at most {MAX_HISTORY_SAMPLES}")
    if bool(config.edge.tls_cert) != bool(config.edge.tls_key):
        raise ConfigError("cluster.toml: edge.tls_cert and edge.tls_key must be set together")
    return config


def load(path: str | os.PathLike | None) -> Config:
    """Load a config file; None → all defaults (relative paths from the cwd)."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return from_dict(raw, base_dir=path.resolve().parent)


def to_dict(config: Config) -> dict[str, Any]:
    """The settings as plain data (for child processes and `status`)."""
    out = {f.name: dataclasses.asdict(getattr(config, f.name))
           for f in dataclasses.fields(Config) if f.name not in ("nodes", "base_dir")}
    out["nodes"] = [dataclasses.asdict(node) for node in config.nodes]
    return out
