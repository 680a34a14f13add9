"""The node-to-node message set, its frame format, and the schema of every command.

Every ZeroMQ message between a node (DEALER) and the broker (ROUTER) is one
frame: a msgpack array of commands, each itself an array whose first item
is the command token. A node sends at most one such frame per loop turn
(batching). Raw client JSON travels as msgpack ``bin`` and is never decoded
by the broker.

Each receiving role has one table, below, that names every command it takes,
who may send it, and the shape of its arguments (arity, types, sizes). A node
checks every command against its table in one place (``Schema.check``) before
any handler sees it; what does not fit is dropped and logged, rate-limited. So
the tables are also the reference of the protocol between nodes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import msgpack

try:
    import ormsgpack
except ImportError:  # pragma: no cover - ormsgpack has wheels for Linux, macOS and Windows
    ormsgpack = None

ROLE_BROKER = "broker"
ROLE_EDGE = "edge"
ROLE_MAP = "map"
ROLE_STORAGE = "storage"
ROLE_OPERATOR = "operator"  # odyssey status / admin and other one-off clients
NODE_ROLES = (ROLE_EDGE, ROLE_MAP, ROLE_STORAGE)

# --- tokens ------------------------------------------------------------------------------------
HELLO, HB, BYE, WHO, STATUS, STATUS_REPLY = "HELLO", "HB", "BYE", "WHO", "STATUS", "STATUS_REPLY"
LIFE = "LIFE"
ADMIN, ADMIN_REPLY = "ADMIN", "ADMIN_REPLY"
IN, CLOSED, OUT, CLOSE, BIND, PLACE = "IN", "CLOSED", "OUT", "CLOSE", "BIND", "PLACE"
ACCT, LOGOUT, SESSIONS = "ACCT", "LOGOUT", "SESSIONS"
OUT_CONN, OUT_ALL, CLOSE_CONN, ENTER, TO = "OUT_CONN", "OUT_ALL", "CLOSE_CONN", "ENTER", "TO"
FOR_PLAYER, FOR_MAP = "FOR_PLAYER", "FOR_MAP"
RESOURCE_CHANGED, SCRIPT_CHANGED, RELOAD_WORLD = "RESOURCE_CHANGED", "SCRIPT_CHANGED", "RELOAD_WORLD"
FENCED = "FENCED"
CRASHED, QUARANTINE, SCRIPT_QUARANTINE = "CRASHED", "QUARANTINE", "SCRIPT_QUARANTINE"
GRANT, REVOKE, LEASES, PKT, JOIN, LEAVE, POKE = "GRANT", "REVOKE", "LEASES", "PKT", "JOIN", "LEAVE", "POKE"
UPDATE, WHO_LIST, LOCATE, WARP, COPYMAP, SCRIPT, MAP_SAVED = (
    "UPDATE", "WHO_LIST", "LOCATE", "WARP", "COPYMAP", "SCRIPT", "MAP_SAVED")
RESOURCE, SCRIPT_UPDATE, RELOAD, MAP_LOADED = "RESOURCE", "SCRIPT_UPDATE", "RELOAD", "MAP_LOADED"
TRANSFER, DONE, RELEASE, CLOSE_PID = "TRANSFER", "DONE", "RELEASE", "CLOSE_PID"
WHISPER, WHO_ONLINE, WARPTO, LOCATED = "WHISPER", "WHO_ONLINE", "WARPTO", "LOCATED"
LOAD_MAP, CKPT, SAVE_PLAYER, SETTINGS = "LOAD_MAP", "CKPT", "SAVE_PLAYER", "SETTINGS"
SET_ACCESS, GET_MAP, GET_SCRIPT = "SET_ACCESS", "GET_MAP", "GET_SCRIPT"
SAVE_MAP, SAVE_RESOURCE, SAVE_SCRIPT = "SAVE_MAP", "SAVE_RESOURCE", "SAVE_SCRIPT"
MODERATE, MUTED = "MODERATE", "MUTED"

# --- argument kinds ------------------------------------------------------------------------------
Kind = Callable[[Any], bool]
INT64 = 2**63
NAME_BYTES = 64  # node names, tokens, kinds, script names
TEXT_BYTES = 64 * 1024  # a script, a chat line, an admin message
PAYLOAD_BYTES = 1 << 20  # one client frame, or one packet for many clients
RECORD_BYTES = 4 << 20  # one stored record
MANY = 100_000  # items of a list (pids of an OUT_ALL, sessions of a SESSIONS)


def integer(value: Any) -> bool:
    return type(value) is int and -INT64 <= value < INT64


def natural(value: Any) -> bool:
    return type(value) is int and 0 <= value < INT64


def boolean(value: Any) -> bool:
    return type(value) is bool


def number(value: Any) -> bool:
    return (type(value) is int and -INT64 <= value < INT64) or (type(value) is float and math.isfinite(value))


def text(limit: int = NAME_BYTES) -> Kind:
    return lambda value: type(value) is str and len(value) <= limit


LMDB_KEY_BYTES = 511  # storage keys records by names: a longer (or empty) key cannot be stored or looked up


def key_text(limit: int = NAME_BYTES) -> Kind:
    """A name storage looks records up by: 1 to ``limit`` characters that fit an LMDB key."""
    return lambda value: (type(value) is str and 0 < len(value) <= limit
                          and len(value.encode("utf-8", "surrogatepass")) <= LMDB_KEY_BYTES)


def one_of(*values: str) -> Kind:
    return lambda value: type(value) is str and value in values


def between(low: int, high: int) -> Kind:
    return lambda value: type(value) is int and low <= value <= high


def blob(limit: int = PAYLOAD_BYTES) -> Kind:
    return lambda value: type(value) is bytes and len(value) <= limit


def mapping(value: Any) -> bool:
    return type(value) is dict


def anything(value: Any) -> bool:
    return True


def optional(kind: Kind) -> Kind:
    return lambda value: value is None or kind(value)


def items(kind: Kind, limit: int = MANY) -> Kind:
    """A list of up to ``limit`` values of ``kind``."""
    return lambda value: type(value) is list and len(value) <= limit and all(map(kind, value))


def integers(limit: int = MANY) -> Kind:
    """A list of up to ``limit`` 64-bit integers, checked in C (every OUT's recipients)."""
    int_only = {int}
    return lambda value: type(value) is list and len(value) <= limit and (
        not value or (set(map(type, value)) == int_only and -INT64 <= min(value) and max(value) < INT64))


def row(*kinds: Kind) -> Kind:
    """A list of exactly these kinds, in order."""
    return lambda value: type(value) is list and len(value) == len(kinds) and all(
        kind(item) for kind, item in zip(kinds, value))


def fields(**kinds: Kind) -> Kind:
    """A mapping with at least these keys, each of its kind (other keys are not looked at)."""
    return lambda value: type(value) is dict and all(key in value and kind(value[key]) for key, kind in kinds.items())


def command(value: Any) -> bool:
    return type(value) is list and bool(value) and type(value[0]) is str


PACKED_RECORD = lambda value: packed_record(value)  # noqa: E731  (defined below)
CHAR_KEY = row(natural, between(0, 255))  # [account_id, slot]: storage's 9-byte character key
NAME, TOKEN, SCRIPT_TEXT = text(NAME_BYTES), text(NAME_BYTES), text(TEXT_BYTES)
SCRIPT_NAME, CHARACTER_NAME = key_text(NAME_BYTES), key_text(255)
ACCOUNT_PACKET = between(0, 4)  # the packet types storage answers (PROTOCOL 2.1)
PACKET_TYPE = between(0, 2**31 - 1)  # what an edge forwards (it ignores negative types, refuses larger ones)
PAYLOAD = blob()
PIDS = integers()


@dataclass(frozen=True, slots=True)
class Command:
    """One command a role takes: who may send it, its argument kinds (``rest``: any more of one kind)."""
    senders: frozenset
    kinds: tuple
    optional: int = 0  # how many of the last kinds may be left out

    def fits(self, args: list) -> bool:
        count = len(args)
        if not len(self.kinds) - self.optional <= count <= len(self.kinds):
            return False
        kinds = self.kinds
        for index in range(count):
            if not kinds[index](args[index]):
                return False
        return True


def takes(senders: str | tuple, *kinds: Kind, optional: int = 0) -> Command:
    return Command(frozenset((senders,) if isinstance(senders, str) else senders), kinds, optional)


ANY_NODE = NODE_ROLES
EVERYONE = (*NODE_ROLES, ROLE_OPERATOR)


class Schema:
    """The commands one role takes; ``check`` says why a command does not fit (None: it fits)."""

    def __init__(self, role: str, commands: dict[str, Command]) -> None:
        self.role = role
        self.commands = commands

    def check(self, item: Any, sender_role: str) -> str | None:
        if not command(item):
            return "not a command"
        spec = self.commands.get(item[0])
        if spec is None:
            return f"unknown command {str(item[0])[:32]!r}"
        if sender_role not in spec.senders:
            return f"{item[0]} may not come from a {sender_role}"
        if not spec.fits(item[1:]):
            return f"malformed {item[0]}"
        return None

    def kind_of(self, item: Any) -> str:
        """A name for the kind of problem ``item`` has, from a small set whatever the input (the key
        under which a rate-limited log counts it): its token if this role knows it, else one word."""
        if not command(item):
            return "not a command"
        return item[0] if item[0] in self.commands else "unknown command"


# --- what the broker takes (the sender is a registered node of the named role, or a stranger) -----
TO_BROKER = Schema(ROLE_BROKER, {
    # register or re-announce: role, name, host, pid, incarnation, state (edges: sessions, workers: maps)
    HELLO: takes(ANY_NODE, one_of(*NODE_ROLES), NAME, text(255), natural, TOKEN, mapping),
    HB: takes(ANY_NODE, optional(mapping), optional=1),  # heartbeat, with the node's counters
    LIFE: takes(ANY_NODE, TOKEN),  # incarnation: a beat of the node's lifeline thread (cluster.lifeline)
    BYE: takes(ANY_NODE),  # leaving on purpose
    STATUS: takes(EVERYONE),  # ask for the cluster view
    ADMIN: takes(ROLE_OPERATOR, TOKEN, TOKEN, anything),  # request_id, action, args
    IN: takes(ROLE_EDGE, integer, PACKET_TYPE, PAYLOAD),  # conn, packet type, raw client frame
    CLOSED: takes(ROLE_EDGE, integer),  # conn: the websocket closed
    OUT: takes((ROLE_MAP, ROLE_STORAGE), PIDS, PAYLOAD),  # to those players
    OUT_ALL: takes((ROLE_MAP, ROLE_STORAGE), PAYLOAD),  # to everyone in game
    OUT_CONN: takes(ROLE_STORAGE, NAME, integer, PAYLOAD),  # edge, conn, payload
    CLOSE_CONN: takes(ROLE_STORAGE, NAME, integer),  # edge, conn
    BIND: takes(ROLE_STORAGE, NAME, integer, integer, natural),  # edge, conn, pid, account_id: logged in
    # pid, map_id, char_key, record, names its account ignores (lower case): the character enters
    ENTER: takes(ROLE_STORAGE, integer, integer, CHAR_KEY, mapping, items(text(255), 1000), optional=1),
    TO: takes(ROLE_STORAGE, NAME, command),  # deliver a command to one node
    # client identity, request_id, ok, message, data: the answer for an operator
    ADMIN_REPLY: takes(ROLE_STORAGE, blob(255), TOKEN, boolean, SCRIPT_TEXT, anything),
    FOR_PLAYER: takes(ROLE_STORAGE, integer, TOKEN, items(anything, 16)),  # [kind, map, seq, pid, *args]
    FOR_MAP: takes(ROLE_STORAGE, integer, TOKEN, items(anything, 16)),  # [kind, map_id, seq, *args]
    RESOURCE_CHANGED: takes(ROLE_STORAGE, TOKEN, natural, anything),  # kind, index, record
    SCRIPT_CHANGED: takes(ROLE_STORAGE, NAME, SCRIPT_TEXT),  # name, text ("" = deleted)
    RELOAD_WORLD: takes(ROLE_STORAGE),  # the world was replaced: reload every map
    FENCED: takes(ROLE_STORAGE, integer, NAME, integer, integer),  # map_id, worker, its epoch, the fence
    TRANSFER: takes(ROLE_MAP, integer, integer, integer, mapping),  # from_map, pid, to_map, record
    DONE: takes(ROLE_MAP, integer, natural, optional(integer)),  # map_id, seq, wake_at_ms
    RELEASE: takes(ROLE_MAP, integer, integer),  # map_id, epoch: checkpointed, lease given back
    CLOSE_PID: takes((ROLE_MAP, ROLE_STORAGE), integer),  # close that player's connection (a kick, a ban)
    WHISPER: takes(ROLE_MAP, integer, text(255), SCRIPT_TEXT),  # pid, target name, text
    WHO_ONLINE: takes(ROLE_MAP, integer),  # /who: answered with WHO_LIST
    WARPTO: takes(ROLE_MAP, integer, text(255)),  # /warpto: the broker LOCATEs the target
    LOCATED: takes(ROLE_MAP, integer, integer, integer, integer),  # requester, map_id, x, y
    # script, function, why: a script that failed too often (or hoards memory) is disabled everywhere
    QUARANTINE: takes(ROLE_MAP, NAME, NAME, text(500)),
    # (from a worker's guardian, workers.guardian) name, its breadcrumb, how it died
    CRASHED: takes(ROLE_MAP, NAME, row(TOKEN, optional(integer), natural, TOKEN, NAME, NAME), text(200)),
})

# Commands a map worker addresses to storage; the broker checks them against the storage
# table (with the worker's name inserted after the token) and forwards them.
STORAGE_BOUND = frozenset({LOAD_MAP, CKPT, SAVE_PLAYER, SETTINGS, SET_ACCESS, GET_MAP, GET_SCRIPT,
                           SAVE_MAP, SAVE_RESOURCE, SAVE_SCRIPT, MODERATE})

# Map workers' commands that speak for a map: which argument (after the token) is the map and
# which its lease epoch. The broker passes one on only from the worker that holds that lease
# (``broker.leases.Leases.lease_problem``); a save at an older epoch goes on, for storage to fence.
SPEAKS_FOR_MAP = {TRANSFER: (0, None), LOAD_MAP: (0, 1), CKPT: (0, 1), SAVE_PLAYER: (2, 3)}

# --- what storage takes (always from the broker) -------------------------------------------------
SESSION_ROW = row(integer, optional(natural), optional(CHAR_KEY), optional(integer), NAME, integer)
TO_STORAGE = Schema(ROLE_STORAGE, {
    ACCT: takes(ROLE_BROKER, NAME, integer, optional(integer), ACCOUNT_PACKET, PAYLOAD),  # edge, conn, pid, type, raw
    LOGOUT: takes(ROLE_BROKER, integer, boolean),  # pid, in_game: the session ended
    SESSIONS: takes(ROLE_BROKER, items(SESSION_ROW)),  # [[pid, account_id, char_key, map_id, edge, conn]...]
    ADMIN: takes(ROLE_BROKER, blob(255), TOKEN, TOKEN, anything),  # client, request_id, action, args
    # from a map worker, its name first:
    LOAD_MAP: takes(ROLE_BROKER, NAME, integer, integer, PIDS),  # map_id, epoch, players to load
    CKPT: takes(ROLE_BROKER, NAME, integer, integer, optional(PACKED_RECORD),  # map_id, epoch, runtime, players:
                items(row(integer, CHAR_KEY, PACKED_RECORD))),  # the runtime and each record as pack_record made them
    SAVE_PLAYER: takes(ROLE_BROKER, NAME, integer, optional(CHAR_KEY), integer, integer,  # pid, key, map,
                       optional(mapping), boolean),  # epoch, record, final
    SETTINGS: takes(ROLE_BROKER, NAME, natural, mapping),  # account_id, settings (type 23)
    SET_ACCESS: takes(ROLE_BROKER, NAME, integer, integer, CHARACTER_NAME, anything),  # pid, access, name, level
    GET_MAP: takes(ROLE_BROKER, NAME, integer, anything),  # pid, map_id: /copymap
    GET_SCRIPT: takes(ROLE_BROKER, NAME, integer, SCRIPT_NAME),  # pid, name: /editscript
    SAVE_MAP: takes(ROLE_BROKER, NAME, integer, integer, mapping),  # pid, map_id, record (type 12)
    SAVE_RESOURCE: takes(ROLE_BROKER, NAME, integer, TOKEN, integer, mapping),  # pid, kind, index, record
    SAVE_SCRIPT: takes(ROLE_BROKER, NAME, integer, SCRIPT_NAME, SCRIPT_TEXT),  # pid, name, text (type 26)
    # pid, his access, his name, action (cluster.moderation.ACTIONS), the text after the command
    MODERATE: takes(ROLE_BROKER, NAME, integer, integer, text(255), TOKEN, SCRIPT_TEXT),
    QUARANTINE: takes(ROLE_BROKER, NAME, NAME, text(500)),  # script, function, why: keep it disabled
})

# --- what a map worker takes (from the broker; storage's answers come through TO / FOR_*) -------------
# what a worker needs of the world to run a map (storage's LOAD_MAP answer)
WORLD = fields(map_ids=PIDS, shops=items(anything), items=items(anything), professions=items(anything),
               npcs=items(anything))
MAP_COMMAND = (integer, natural, integer)  # map_id, seq, pid: the head of an ordered map command
TO_MAP = Schema(ROLE_MAP, {
    GRANT: takes(ROLE_BROKER, integer, integer, PIDS),  # map_id, epoch, players to re-join: you own it
    REVOKE: takes(ROLE_BROKER, integer),  # map_id: you no longer own it
    LEASES: takes(ROLE_BROKER, items(row(integer, integer))),  # [[map_id, epoch]...]: all you own
    # map_id, epoch, map, runtime, [[pid, char_key, record]...], world (from storage)
    MAP_LOADED: takes(ROLE_BROKER, integer, integer, fields(tiles=items(items(mapping))), optional(mapping),
                      items(row(integer, CHAR_KEY, mapping)), WORLD),
    RELOAD: takes(ROLE_BROKER, integer),  # map_id: checkpoint and release it (it is reloaded)
    RESOURCE: takes(ROLE_BROKER, TOKEN, natural, anything),  # kind, index, record
    SCRIPT_UPDATE: takes(ROLE_BROKER, NAME, SCRIPT_TEXT),  # name, text ("" = delete)
    SCRIPT_QUARANTINE: takes(ROLE_BROKER, NAME, NAME, text(500)),  # script, function, why: disable it
    POKE: takes(ROLE_BROKER, integer),  # map_id: timed wake-up
    PKT: takes(ROLE_BROKER, *MAP_COMMAND, natural, PAYLOAD),  # ..., type, raw: a client packet
    JOIN: takes(ROLE_BROKER, *MAP_COMMAND, CHAR_KEY, mapping),  # ..., char_key, record: he arrives
    LEAVE: takes(ROLE_BROKER, *MAP_COMMAND),  # his session ended
    UPDATE: takes(ROLE_BROKER, *MAP_COMMAND, mapping),  # ..., changes to his record (e.g. access)
    WHO_LIST: takes(ROLE_BROKER, *MAP_COMMAND, items(row(text(255), anything, anything))),
    LOCATE: takes(ROLE_BROKER, *MAP_COMMAND, integer),  # ..., requester: where is pid? (/warpto)
    WARP: takes(ROLE_BROKER, *MAP_COMMAND, integer, integer, integer),  # ..., to_map, x, y
    COPYMAP: takes(ROLE_BROKER, *MAP_COMMAND, anything, optional(mapping)),  # ..., other map, record
    SCRIPT: takes(ROLE_BROKER, *MAP_COMMAND, text(255), SCRIPT_TEXT),  # ..., name, text (/editscript)
    MAP_SAVED: takes(ROLE_BROKER, *MAP_COMMAND, mapping),  # ..., record: the editor's map is on disk
    MUTED: takes(ROLE_BROKER, *MAP_COMMAND, boolean, optional(integer)),  # ..., muted, until_ms (None: lifted)
})
# What storage may have the broker deliver to a map through FOR_PLAYER / FOR_MAP.
DELIVERABLE = frozenset({UPDATE, COPYMAP, SCRIPT, MAP_SAVED, MUTED})

# --- what an edge takes ---------------------------------------------------------------------------
TO_EDGE = Schema(ROLE_EDGE, {
    OUT: takes(ROLE_BROKER, items(integer), PAYLOAD),  # conns, payload
    CLOSE: takes(ROLE_BROKER, integer),  # conn: close that websocket
    BIND: takes(ROLE_BROKER, integer, integer, natural),  # conn, pid, account_id
    PLACE: takes(ROLE_BROKER, integer, optional(integer), optional(CHAR_KEY)),  # conn, map_id, char_key
    STATUS_REPLY: takes(ROLE_BROKER, mapping),  # the cluster view
})

# What every node's link takes itself, besides its role's table: the broker's heartbeat and
# "I do not know you: HELLO again".
TO_ANY_NODE = {HB: takes(ROLE_BROKER, optional(mapping), optional=1), WHO: takes(ROLE_BROKER)}
SCHEMAS = {ROLE_EDGE: TO_EDGE, ROLE_MAP: TO_MAP, ROLE_STORAGE: TO_STORAGE}
for _schema in SCHEMAS.values():
    _schema.commands.update(TO_ANY_NODE)


# --- frames ---------------------------------------------------------------------------------------
# msgpack bytes of a value (bytes as ``bin``, any hashable map key): ormsgpack's encoder where it
# is installed (the same bytes, two to three times faster), else msgpack's. What cannot be encoded
# raises one of PACK_ERRORS. Frames are decoded by msgpack (``unpack``): it refuses what ormsgpack's
# decoder lets by, such as trailing bytes.
if ormsgpack is not None:
    _ORMSGPACK_OPTIONS = ormsgpack.OPT_NON_STR_KEYS

    def packb(value: Any) -> bytes:
        return ormsgpack.packb(value, option=_ORMSGPACK_OPTIONS)
else:  # pragma: no cover
    def packb(value: Any) -> bytes:
        return msgpack.packb(value, use_bin_type=True)


PACK_ERRORS = (OverflowError, TypeError, ValueError)


def pack(commands: Iterable[list | tuple]) -> bytes:
    """Encode a batch of commands as one frame."""
    return packb(list(commands))


def packable(command: list | tuple) -> bool:
    try:
        packb(command)
    except PACK_ERRORS:
        return False
    return True


def unpack(frame: bytes, max_bytes: int = 64 << 20) -> list[Any]:
    """Decode one frame into a list of items (each still to be checked); ValueError if it is not one."""
    if len(frame) > max_bytes:
        raise ValueError(f"frame of {len(frame)} bytes is over the limit")
    try:
        batch = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except Exception as error:  # msgpack raises several unrelated types
        raise ValueError(f"undecodable frame: {type(error).__name__}") from None
    if type(batch) is not list:
        raise ValueError("frame is not a list of commands")
    return batch


def pack_record(record: dict, where: str) -> tuple[bytes, list[str]]:
    """A record (a player's, in a checkpoint) as the msgpack bytes storage keeps: the broker
    passes them on and storage writes them without decoding or encoding them again. A value
    msgpack cannot encode is repaired as in ``pack_repairing``; the lines say where."""
    try:
        return packb(record), []
    except PACK_ERRORS:
        found: list[str] = []
        _repair(record, where, found, 0)
        return packb(record), found or [f"{where}: cannot be encoded"]


def packed_record(value: Any) -> bool:
    """msgpack bytes of a map (what ``pack_record`` makes): fixmap, map16 or map32 first."""
    return type(value) is bytes and 0 < len(value) <= RECORD_BYTES and (
        0x80 <= value[0] <= 0x8F or value[0] in (0xDE, 0xDF))


def pack_repairing(commands: list) -> tuple[bytes | None, list[str]]:
    """``pack``, for a batch with a command msgpack cannot encode: such a command is repaired in
    place (an integer outside 64 bits is clamped, a string with a lone surrogate gets U+FFFD,
    a value of another type becomes None, nesting past ``MAX_DEPTH`` is cut), so the record it
    carries — a live one, for a checkpoint — is saved and stays saveable; if it still cannot be
    encoded it is dropped. Returns the frame (None if nothing is left) and one line per repair
    naming the command and the field."""
    problems: list[str] = []
    good = []
    for item in commands:
        if packable(item):
            good.append(item)
            continue
        head = " ".join(str(part) for part in item[:2]) if isinstance(item, list) else repr(item)[:40]
        found: list[str] = []
        _repair(item, head, found, 0)
        problems.extend(found or [f"{head}: cannot be encoded"])
        if packable(item):
            good.append(item)
        else:
            problems.append(f"{head}: still cannot be encoded; dropped")
    return (pack(good) if good else None), problems


MAX_DEPTH = 64
_PLAIN = (type(None), bool, float, bytes)


def _repair(value: Any, path: str, found: list[str], depth: int) -> Any:
    """``value``, or its repaired replacement; containers are repaired in place."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is int:
        if -INT64 <= value < 2 * INT64:
            return value
        found.append(f"{path}: an integer of {value.bit_length()} bits; clamped to 64 bits")
        return INT64 - 1 if value > 0 else -INT64
    if kind is str:
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            found.append(f"{path}: a string with a lone surrogate; replaced")
            return "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in value)
    if depth >= MAX_DEPTH and kind in (list, dict, tuple):
        found.append(f"{path}: nested deeper than {MAX_DEPTH}; cut")
        return None
    if kind is list:
        for index, item in enumerate(value):
            value[index] = _repair(item, f"{path}[{index}]", found, depth + 1)
        return value
    if kind is tuple:
        return [_repair(item, f"{path}[{index}]", found, depth + 1) for index, item in enumerate(value)]
    if kind is dict:
        for key in list(value):
            repaired_key = _repair(key, f"{path} key {str(key)[:20]!r}", found, depth + 1)
            item = _repair(value[key], f"{path}.{str(key)[:40]}", found, depth + 1)
            if repaired_key is not key:
                del value[key]
            value[repaired_key] = item
        return value
    found.append(f"{path}: a {kind.__name__}, which cannot be stored; set to None")
    return None


class Outbox:
    """Commands waiting to be sent, one list per peer; flushed once per loop turn."""

    __slots__ = ("by_peer",)

    def __init__(self) -> None:
        self.by_peer: dict[bytes, list] = {}

    def add(self, peer: bytes, command: list | tuple) -> None:
        queue = self.by_peer.get(peer)
        if queue is None:
            self.by_peer[peer] = [command]
        else:
            queue.append(command)

    def drain(self) -> list[tuple[bytes, bytes]]:
        """(peer, frame) pairs, and empty the outbox."""
        frames = [(peer, pack(commands)) for peer, commands in self.by_peer.items()]
        self.by_peer = {}
        return frames
