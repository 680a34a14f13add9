"""What PROTOCOL.md says a client must receive, computed from the starter world.

The expected packets are built here from the protocol text (section 3) and
the world files, never with the server's own builders, so a test compares
the server against the contract and not against itself.
"""
from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass

from harness import GameClient
from storage.world import STARTER_WORLD
from storage.worldfiles import read_world

MAPS, RESOURCES = read_world(STARTER_WORLD)
PROFESSIONS = RESOURCES["professions"]
STEPS = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}  # dir → (dx, dy), PROTOCOL 0.3
EAST, WEST, SOUTH, NORTH = 2, 1, 0, 3
LAST = 11  # the highest x or y on a 12 × 12 map (PROTOCOL 0.3)
STEP_PAUSE_S = 0.25  # a walking pace well above the server's minimum step interval
GREY, WHITE, YELLOW = "#696969", "#ffffff", "#ffff00"

ACCOUNT_FIELDS = {  # PROTOCOL 4.1: field → JSON type(s)
    "email": str, "password": str, "username": str, "code": str, "reset_password": str,
    "reset_date": (int, float), "last_login": str, "account_created": (int, float),
    "ignore_players": list, "settings": dict, "players": list,
}
SETTINGS_KEYS = {"toggle_move_lock", "font_size", "sound_volume", "music_volume", "keep_chat_focus",
                 "keep_chat_channel", "play_transition_sounds", "play_environment_sounds", "toggle_run"}
CHARACTER_FIELDS = {  # PROTOCOL 4.2
    "name": str, "desc": str, "access": int, "color": str, "sprite": int, "swap_sprite": int,
    "gender": int, "profession_id": int, "level": int, "exp": int, "train_points": int,
    "stats": dict, "vitals": dict, "max_vitals": dict, "pos": dict, "inv": list, "killer": bool,
    "guild_id": int, "birthdate": (int, float), "quest_log": list, "data": dict,
}


# --- expected packets (PROTOCOL 3) ---------------------------------------------------
def window(win: str, message: str = "") -> dict:
    return {"type": 100, "win": win, "message": message}


def spawn(pid: int, record: dict) -> dict:
    """110 of a player, from his character record."""
    pos = record["pos"]
    return {"type": 110, "player_id": pid, "name": record["name"], "sprite": record["sprite"],
            "guild_id": record["guild_id"], "access": record["access"], "color": record["color"],
            "killer": record["killer"], "vitals": record["vitals"], "max_vitals": record["max_vitals"],
            "pos": {"x": pos["x"], "y": pos["y"], "dir": pos["dir"], "map_id": pos["map_id"]}}


def moved(pid: int, x: int, y: int, direction: int, speed) -> dict:
    """115 with exactly the protocol's fields."""
    return {"type": 115, "player_id": pid, "x": x, "y": y, "dir": direction, "speed": speed}


def despawn(pid: int, map_id: int) -> dict:
    return {"type": 111, "player_id": pid, "map_id": map_id}


def chat_line(text: str, channel: int = 0, color: str = WHITE) -> dict:
    return {"type": 114, "channel_id": channel, "color": color, "temp": False, "text": text}


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def numbers_in(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


# --- players ---------------------------------------------------------------------------
@dataclass
class Player:
    """A client in the game, with the record the server gave it and the position it stands on."""
    client: GameClient
    pid: int
    record: dict

    @property
    def name(self) -> str:
        return self.record["name"]

    @property
    def pos(self) -> dict:
        return self.record["pos"]


_sync_ids = itertools.count(1)


def sync(speaker: Player, listeners: list[Player] = ()) -> dict[int, list[dict]]:
    """A map-chat barrier: speaker chats; returns what each client got before that line.

    Packets of one player are handled in order, so everything his earlier
    packets caused has arrived once his own chat line is back.
    """
    text = f"sync {next(_sync_ids)}"
    speaker.client.send({"type": 5, "text": text})
    line = chat_line(f"{speaker.name}:{text}")
    before = {}
    for player in [speaker, *listeners]:
        got = player.client.recv_until(lambda p: p.get("type") == 114 and p.get("text") == line["text"])
        assert got[-1] == line, f"{player.name} got map chat {got[-1]}, want {line}"
        before[player.pid] = got[:-1]
    return before


def step(mover: Player, direction: int, observers: list[Player] = (), junk: bool = False) -> None:
    """One step inside the map: observers get exactly the 115 naming the start tile, the mover nothing."""
    x, y = mover.pos["x"], mover.pos["y"]
    packet = {"type": 6, "x": x, "y": y, "dir": direction, "speed": 1}
    if junk:
        packet["junk"] = 1
    mover.client.send(packet)
    before = sync(mover, observers)
    assert before[mover.pid] == [], f"the mover got {before[mover.pid]} for his own step"
    for observer in observers:
        assert before[observer.pid] == [moved(mover.pid, x, y, direction, 1)], \
            f"{observer.name} saw {before[observer.pid]} for {mover.name}'s step from ({x},{y}) dir {direction}"
    dx, dy = STEPS[direction]
    mover.pos.update(x=x + dx, y=y + dy, dir=direction)
    time.sleep(STEP_PAUSE_S)


def walk(mover: Player, direction: int, count: int, observers: list[Player] = ()) -> None:
    for _ in range(count):
        step(mover, direction, observers)


# --- map change (PROTOCOL 5.1.2 step 7, 5.1.4) ---------------------------------------------
def cross(mover: Player, direction: int, link_key: str, left_behind: list[Player],
          already_there: list[Player]) -> int:
    """Step over an edge and check every packet of the mover, the map he leaves and the map he
    joins; returns the new map id. ``already_there`` is the new map's players in join order."""
    old_map, x, y = mover.pos["map_id"], mover.pos["x"], mover.pos["y"]
    new_map = MAPS[old_map][link_key]
    assert new_map > -1, f"map {old_map} has no {link_key}"
    mover.client.send({"type": 6, "x": x, "y": y, "dir": direction, "speed": 1})
    # the map left behind: the step's 115 (from the start tile), then 111 with the old map
    for other in left_behind:
        got = other.client.recv_until(lambda p: p["type"] == 111)
        assert got == [moved(mover.pid, x, y, direction, 1), despawn(mover.pid, old_map)], \
            f"{other.name} on map {old_map} got {got}"
    # the mover: 123 sound 0, then the join sequence of the new map at the landing tile
    landing = {WEST: (LAST, y), EAST: (0, y), NORTH: (x, LAST)}.get(direction, (x, 0))
    mover.pos.update(x=landing[0], y=landing[1], dir=direction, map_id=new_map)
    got = mover.client.recv_until(lambda p: p["type"] == 115 and p["player_id"] == mover.pid)
    assert got[0] == {"type": 123, "sound_id": 0}, f"the mover's first packet is {got[0]}"
    check_join(got[1:], mover, [*already_there, mover])
    # the players already on the new map get the newcomer's 110
    for other in already_there:
        assert other.client.recv() == spawn(mover.pid, mover.record)
    time.sleep(STEP_PAUSE_S)
    return new_map


# --- account replies (PROTOCOL 2.2.1, 2.2.2, 4.1) -----------------------------------------
def secret_paths(value, path: str = "account") -> list[str]:
    """Every key that names a hash, and every string that looks like a password hash."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "hash" in str(key).lower():
                found.append(f"{path}.{key}")
            found += secret_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += secret_paths(item, f"{path}[{index}]")
    elif isinstance(value, str) and re.match(r"^\$(argon2|2[aby]\$|pbkdf2|scrypt)", value):
        found.append(path)
    return found


def check_account(packet: dict, email: str) -> dict:
    """A 101 and its account record (4.1); returns the account."""
    assert set(packet) == {"type", "account_id", "account"}, packet.keys()
    assert is_int(packet["account_id"])
    account = packet["account"]
    for name, kind in ACCOUNT_FIELDS.items():
        assert name in account, f"the account lacks {name}"
        assert isinstance(account[name], kind) and not isinstance(account[name], bool), \
            f"account.{name} is {account[name]!r}"
    assert account["email"] == email
    assert account["password"] == "", "the password must never be sent back"
    assert secret_paths(account) == [], f"the account leaks {secret_paths(account)}"
    assert SETTINGS_KEYS <= set(account["settings"])
    assert len(account["players"]) == 3
    for character in account["players"]:
        for name, kind in CHARACTER_FIELDS.items():
            assert isinstance(character.get(name), kind), f"character field {name}: {character.get(name)!r}"
    return account


def check_account_replies(got: list[dict], email: str, kind: str) -> dict:
    """The four replies of a successful create ("create") or login ("login"); returns the 101."""
    order = [100, 101, 102, 100] if kind == "create" else [100, 102, 101, 100]
    assert [p["type"] for p in got] == order, f"{kind} replies {[(p['type'], p.get('win')) for p in got]}"
    first, last = got[0], got[3]
    assert set(first) == {"type", "win", "message"} and first["win"] == "winMessage"
    assert isinstance(first["message"], str) and first["message"]
    assert last == window("winSelectPlayer", "")
    professions = next(p for p in got if p["type"] == 102)
    assert professions == {"type": 102, "profession": PROFESSIONS}
    account_packet = next(p for p in got if p["type"] == 101)
    check_account(account_packet, email)
    return account_packet


# --- entering the world (PROTOCOL 2.2.4–2.2.6) ------------------------------------------------
def check_new_character(record: dict, name: str, profession_id: int, gender: int) -> None:
    """109's record of a new character (2.2.4, with gender stored and max_vitals kept)."""
    profession = PROFESSIONS[profession_id]
    for field, kind in CHARACTER_FIELDS.items():
        assert isinstance(record.get(field), kind), f"109 player.{field} is {record.get(field)!r}"
    assert record["name"] == name
    assert record["profession_id"] == profession_id
    assert record["gender"] == gender
    assert record["sprite"] == profession["sprite_male" if gender == 0 else "sprite_female"]
    start = profession["start_pos"]
    assert record["pos"] == {"x": start["x"], "y": start["y"], "dir": start["dir"], "map_id": start["map_id"]}
    assert record["max_vitals"] == profession["vitals"]
    assert record["vitals"] == profession["vitals"]
    assert record["stats"] == {"str": 0, "def": 0, "mag": 0, "spd": 0}
    assert record["level"] == 1 and record["exp"] == 0 and record["access"] == 0
    assert len(record["inv"]) == 30 and all(slot["item_id"] == -1 for slot in record["inv"])
    assert record["data"].get("nextTick") == 0


def check_enter_world(got: list[dict], pid: int, others_in_game: int) -> tuple[dict, list[dict]]:
    """109, 103, 104, 105, 139, [MOTD], 114 count, 100 winGame; returns (109 record, the rest)."""
    own = got[0]
    assert own["type"] == 109, f"enter-world starts with {own}"
    assert set(own) == {"type", "player_id", "player"} and own["player_id"] == pid
    assert got[1] == {"type": 103, "item": RESOURCES["items"]}
    assert got[2] == {"type": 104, "npc": RESOURCES["npcs"]}
    assert got[3] == {"type": 105, "shop": RESOURCES["shops"]}
    assert got[4] == {"type": 139, "quest": RESOURCES["quests"]}
    rest = got[5:]
    if rest[0]["type"] == 114 and rest[0]["text"].startswith("MOTD: "):
        assert rest[0]["channel_id"] == 0 and rest[0]["color"] == WHITE
        rest = rest[1:]
    count = rest[0]
    assert count["type"] == 114 and count["channel_id"] == 0 and count["color"] == YELLOW, count
    assert isinstance(count["temp"], bool) and isinstance(count["text"], str)
    assert numbers_in(count["text"]) == [others_in_game], \
        f"{count['text']!r} should say {others_in_game} other players are online"
    assert rest[1] == window("winGame", "")
    return own["player"], rest[2:]


def check_join(got: list[dict], newcomer: Player, present: list[Player]) -> None:
    """The map join sequence (5.2.1) as the newcomer sees it; ``present`` is the map's
    players in join order, newcomer included, with their current positions."""
    map_id = newcomer.pos["map_id"]
    record = MAPS[map_id]
    expected = [{"type": 106, "map_id": map_id, "map": record}]
    items, doors, shots, npcs = got[1:5] if len(got) >= 5 else ({}, {}, {}, {})
    assert set(items) == {"type", "map_id", "map_items"} and items["type"] == 112, items.keys()
    assert set(doors) == {"type", "map_id", "map_doors"} and doors["type"] == 122, doors.keys()
    assert set(shots) == {"type", "map_id", "map_shots"} and shots["type"] == 126, shots.keys()
    assert set(npcs) == {"type", "map_id", "map_npcs"} and npcs["type"] == 113, npcs.keys()
    for packet in (items, doors, shots, npcs):
        assert is_int(packet["map_id"]) and packet["map_id"] == map_id, packet["map_id"]
    assert len(items["map_items"]) == 200
    assert all(set(item) == {"item_id", "amount", "uses", "x", "y"} for item in items["map_items"])
    if not any(tile["type"] == 4 for column in record["tiles"] for tile in column):
        assert all(item["item_id"] == -1 for item in items["map_items"]), "a map without spawn tiles has items"
    assert doors["map_doors"] == [{"x": -1, "y": -1}] * 20  # no door is open on a fresh map
    assert len(shots["map_shots"]) == 50
    assert all({"shooter_type", "shooter_id", "item_id", "pos"} <= set(shot) for shot in shots["map_shots"])
    assert len(npcs["map_npcs"]) == 20
    assert all({"npc_id", "sprite", "scale", "vitals", "pos"} <= set(npc) for npc in npcs["map_npcs"])
    expected += [items, doors, shots, npcs]
    if record["music_id"] > -1:
        expected.append({"type": 124, "music_id": record["music_id"]})
    for player in present:
        if player.pid == newcomer.pid:
            expected.append(spawn(newcomer.pid, newcomer.record))  # "P gets the newcomer's 110"
        expected.append(spawn(player.pid, player.record))
        expected.append(moved(player.pid, player.pos["x"], player.pos["y"], player.pos["dir"], 0))
    assert [p["type"] for p in got] == [p["type"] for p in expected], \
        f"join sequence types {[p['type'] for p in got]}, want {[p['type'] for p in expected]}"
    for index, (packet, want) in enumerate(zip(got, expected, strict=True)):
        assert packet == want, f"join packet {index} (type {want['type']}):\n got {packet}\nwant {want}"


def check_joined_notice(packet: dict, name: str) -> None:
    """114 "has joined" (2.2.4 step 1, 2.2.5 step 1): channel 1, grey, naming the player."""
    assert packet["type"] == 114 and packet["channel_id"] == 1 and packet["color"] == GREY, packet
    assert isinstance(packet["temp"], bool) and name in packet["text"], packet


def enter_new(client: GameClient, email: str, name: str, profession_id: int = 0, gender: int = 0,
              present: list[Player] = (), elsewhere: list[Player] = ()) -> Player:
    """Create an account and a character, checking every reply and what the others get.

    ``present``: the players on the start map, in join order; ``elsewhere``:
    the players in the game on other maps.
    """
    check_account_replies(client.create_account(email), email, "create")
    got = client.create_character(name, profession_id, gender)
    record, join = check_enter_world(got, client.pid, len(present) + len(elsewhere))
    check_new_character(record, name, profession_id, gender)
    player = Player(client, client.pid, record)
    check_join(join, player, [*present, player])
    for other in present:  # the notice to everyone in the game, then the newcomer's 110 to the map
        notice, *rest = other.client.recv_until(lambda p: p["type"] == 110)
        check_joined_notice(notice, name)
        assert rest == [spawn(player.pid, record)], f"{other.name} got {rest}"
    for other in elsewhere:
        check_joined_notice(other.client.recv(), name)
    return player
