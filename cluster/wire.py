"""The node-to-node message set and its frame format.

Every ZeroMQ message between a node (DEALER) and the broker (ROUTER) is one
frame: a msgpack array of commands, each itself an array whose first item
is the command token below. A node sends at most one such frame per loop
turn (batching). Raw client JSON travels as msgpack ``bin`` and is never
decoded by the broker.

Command reference (direction: fields)
=====================================

Any node → broker
    HELLO     role, name, host, pid, incarnation, state   register / re-announce
    HB        [stats]                                    heartbeat, with the node's counters (cluster.counters)
    BYE                                                  leaving on purpose
    STATUS                                               ask for the cluster view (a one-off client, or an
                                                         edge for its /status and /metrics pages)
    ADMIN     request_id, action, args                   (one-off client) an operator's request
Broker → any node
    HB                                                   heartbeat
    WHO                                                  "I do not know you": send HELLO again
    STATUS_REPLY view
    ADMIN_REPLY request_id, ok, message, data            the answer to an operator's request
Edge → broker
    IN        conn, type, raw                            one client frame
    CLOSED    conn                                       the websocket closed
Broker → edge
    OUT       [conn...], payload                         write payload to each conn
    CLOSE     conn                                       close that websocket
    BIND      conn, pid, account_id                      the conn is logged in as pid
    PLACE     conn, map_id, char_key                     the player is on map_id (None: not in game)
Broker → storage
    ACCT      edge, conn, pid|None, type, raw            account packet 0–4
    LOGOUT    pid, in_game                               the session ended
    SESSIONS  [[pid, account_id, char_key, map_id, edge, conn]...]  the live sessions (reconcile)
    ADMIN     client, request_id, action, args           an operator's request (client = its identity)
    LOAD_MAP / CKPT / SAVE_PLAYER / SETTINGS             forwarded from a worker, sender inserted
Storage → broker
    OUT_CONN  edge, conn, payload                        to one connection
    OUT_ALL   payload                                    to everyone in game
    CLOSE_CONN edge, conn
    BIND      edge, conn, pid, account_id                login succeeded
    ENTER     pid, map_id, char_key, record, ignore      the character enters the game (ignore: names
                                                         its account ignores, lower-case)
    TO        node, command                              deliver a command to one node
    ADMIN_REPLY client, request_id, ok, message, data    the answer for an operator
    FOR_PLAYER pid, kind, args                           deliver [kind, map, seq, pid, *args] to the player's map
    FOR_MAP   map_id, kind, args                         deliver [kind, map_id, seq, *args] to the map's owner
    RESOURCE_CHANGED kind, index, record                 an editor changed a resource list entry
    SCRIPT_CHANGED name, text                            a script was saved ("" = deleted)
    RELOAD_WORLD                                         the world was replaced: reload every map
Broker → map worker
    GRANT     map_id, epoch, [pid...]                    you own map_id; re-join these players
    REVOKE    map_id                                     you no longer own map_id
    PKT       map_id, seq, pid, type, raw                a client packet for the map
    JOIN      map_id, seq, pid, char_key, record         a player arrives on the map
    LEAVE     map_id, seq, pid                           the player's session ended
    POKE      map_id                                     timed wake-up
    UPDATE    map_id, seq, pid, changes                  set fields of a player's record (e.g. access)
    WHO_LIST  map_id, seq, pid, [[name, level, profession_id]...]  everyone in game, for /who
    LOCATE    map_id, seq, pid, requester_pid            where is pid? (for /warpto)
    WARP      map_id, seq, pid, to_map, x, y             move pid there (/warpto)
    COPYMAP   map_id, seq, pid, other_map_id, record|None  (from storage) for /copymap
    SCRIPT    map_id, seq, pid, name, text               (from storage) for /editscript
    MAP_SAVED map_id, seq, pid, record                   (from storage) the editor's map is on disk: apply it
    RESOURCE  kind, index, record                        a resource list entry changed (to every worker)
    SCRIPT_UPDATE name, text                             a script changed: reload it ("" = delete it)
    RELOAD    map_id                                     checkpoint and release the map (it is reloaded)
    MAP_LOADED map_id, epoch, map, runtime|None, [[pid, char_key, record]...], world  (from storage, via TO)
Map worker → broker
    OUT       [pid...], payload                          to those players
    OUT_ALL   payload                                    to everyone in game
    TRANSFER  from_map, pid, to_map, record              the player left from_map for to_map
    DONE      map_id, seq, wake_at_ms|None               processed up to seq; wake me then
    RELEASE   map_id, epoch                              idle map checkpointed; lease given back
    CLOSE_PID pid                                        close that player's connection
    WHISPER   pid, target_name, text                     @name: the broker finds the target anywhere
    WHO       pid                                        /who: the broker answers with WHO_LIST
    WARPTO    pid, target_name                           /warpto: the broker LOCATEs the target
    LOCATED   requester_pid, map_id, x, y                answer to LOCATE
Map worker → storage (through the broker, which inserts the sender's name)
    LOAD_MAP  map_id, epoch, [pid...]                    load map state and these players
    CKPT      map_id, epoch, runtime|None, [[pid, char_key, record]...]  changes since the last (fenced)
    SAVE_PLAYER pid, char_key, map_id, epoch, record|None, final   a player left the map
    SETTINGS  account_id, settings                       type 23: the account's client settings
    SET_ACCESS pid, sender_access, target_name, level    /setaccess (storage checks, saves, answers)
    GET_MAP   pid, map_id                                /copymap (storage answers with COPYMAP)
    GET_SCRIPT pid, name                                 /editscript (storage answers with SCRIPT)
    SAVE_MAP  pid, map_id, record                        type 12 (storage answers with MAP_SAVED)
    SAVE_RESOURCE pid, kind, index, record               types 13, 14, 15, 18
    SAVE_SCRIPT pid, name, text                          type 26
"""
from __future__ import annotations

from typing import Any, Iterable

import msgpack

HELLO = "HELLO"
HB = "HB"
BYE = "BYE"
WHO = "WHO"
STATUS = "STATUS"
STATUS_REPLY = "STATUS_REPLY"
ADMIN = "ADMIN"
ADMIN_REPLY = "ADMIN_REPLY"
FOR_PLAYER = "FOR_PLAYER"
WHISPER = "WHISPER"
WHO = "WHO"
WHO_LIST = "WHO_LIST"
WARPTO = "WARPTO"
LOCATE = "LOCATE"
LOCATED = "LOCATED"
WARP = "WARP"
SET_ACCESS = "SET_ACCESS"
GET_MAP = "GET_MAP"
COPYMAP = "COPYMAP"
GET_SCRIPT = "GET_SCRIPT"
SCRIPT = "SCRIPT"
SAVE_MAP = "SAVE_MAP"
SAVE_RESOURCE = "SAVE_RESOURCE"
SAVE_SCRIPT = "SAVE_SCRIPT"
MAP_SAVED = "MAP_SAVED"
FOR_MAP = "FOR_MAP"
RESOURCE_CHANGED = "RESOURCE_CHANGED"
RESOURCE = "RESOURCE"
SCRIPT_CHANGED = "SCRIPT_CHANGED"
SCRIPT_UPDATE = "SCRIPT_UPDATE"
UPDATE = "UPDATE"
RELOAD_WORLD = "RELOAD_WORLD"
RELOAD = "RELOAD"

IN = "IN"
CLOSED = "CLOSED"
OUT = "OUT"
CLOSE = "CLOSE"
BIND = "BIND"
PLACE = "PLACE"

ACCT = "ACCT"
LOGOUT = "LOGOUT"
SESSIONS = "SESSIONS"
OUT_CONN = "OUT_CONN"
OUT_ALL = "OUT_ALL"
CLOSE_CONN = "CLOSE_CONN"
ENTER = "ENTER"
TO = "TO"

GRANT = "GRANT"
REVOKE = "REVOKE"
PKT = "PKT"
JOIN = "JOIN"
LEAVE = "LEAVE"
POKE = "POKE"
MAP_LOADED = "MAP_LOADED"
TRANSFER = "TRANSFER"
DONE = "DONE"
RELEASE = "RELEASE"
CLOSE_PID = "CLOSE_PID"

LOAD_MAP = "LOAD_MAP"
CKPT = "CKPT"
SAVE_PLAYER = "SAVE_PLAYER"
SETTINGS = "SETTINGS"

# Commands a map worker addresses to storage; the broker forwards them with
# the worker's name inserted after the token.
STORAGE_BOUND = frozenset({LOAD_MAP, CKPT, SAVE_PLAYER, SETTINGS, SET_ACCESS, GET_MAP, GET_SCRIPT,
                           SAVE_MAP, SAVE_RESOURCE, SAVE_SCRIPT})

ROLE_BROKER = "broker"
ROLE_EDGE = "edge"
ROLE_MAP = "map"
ROLE_STORAGE = "storage"


def pack(commands: Iterable[list | tuple]) -> bytes:
    """Encode a batch of commands as one frame."""
    return msgpack.packb(list(commands), use_bin_type=True)


def packable(command: list | tuple) -> bool:
    try:
        msgpack.packb(command, use_bin_type=True)
    except (OverflowError, TypeError, ValueError):
        return False
    return True


def unpack(frame: bytes) -> list[list[Any]]:
    """Decode one frame into its commands; raises ValueError if malformed."""
    try:
        batch = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except Exception as error:  # msgpack raises several unrelated types
        raise ValueError(f"undecodable frame: {error}") from None
    if not isinstance(batch, list) or not all(isinstance(c, list) and c and isinstance(c[0], str) for c in batch):
        raise ValueError("frame is not a list of commands")
    return batch


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
