"""``game`` helpers of PROTOCOL 6.3 "Player information" and "Player changes".

Players are looked up on the bound map only; an id of no player there gives
the getter's "not found" value (−1, 0, '' or None) and a setter does nothing.
"""
from __future__ import annotations

import copy

from cluster import packets, records
from scripting import checks
from scripting.api_base import BoundMap, public_copy
from workers.rules import stats as stat_rules
from workers.runtime import number_or

VITALS = ("hp", "mp", "sp")
QUEST_LOG_LIMIT = 100  # quest indexes a script may mark done: 0..99 (the log grows up to this)


def _field_getter(missing, *path):
    def getter(self, playerID):
        return self._player_field(playerID, missing, *path)
    getter.__doc__ = f"The player's {'.'.join(path)}, or {missing!r} when he is not on this map."
    return getter


def _stat_getter(stat: str):
    def getter(self, playerID):
        record = self._record(playerID)
        if record is None:
            return 0
        return int(self._base_stat(record, stat) + number_or(record.get("stats", {}).get(stat, 0), 0))
    getter.__doc__ = f"The profession's base {stat} plus the trained {stat}; 0 when not on this map."
    return getter


def _extra_getter(key: str):
    def getter(self, playerID):
        record = self._record(playerID)
        return int(number_or(record.get("stats", {}).get(key, 0), 0)) if record is not None else 0
    getter.__doc__ = f"The script-stored ``stats.{key}`` (0 when unset or not on this map)."
    return getter


def _extra_setter(key: str):
    def setter(self, playerID, amount):
        amount = int(checks.number(amount, "amount"))
        record = self._record(playerID)
        if record is not None:
            record.setdefault("stats", {})[key] = amount
            self._player_changed(playerID)
            self._reload(playerID, record)
    setter.__doc__ = f"Store ``stats.{key}``; the owner gets 109."
    return setter


def _trained_setter(stat: str):
    def setter(self, playerID, amount):
        amount = int(checks.number(amount, "amount"))
        record = self._record(playerID)
        if record is not None:
            record.setdefault("stats", {})[stat] = amount
            self._recalculate(playerID, record)
            self._reload(playerID, record)
    setter.__doc__ = f"Set the trained {stat}; max vitals recalculated (owner 120), then the owner gets 109."
    return setter


def _vital_setter(vital: str):
    def setter(self, playerID, amount):
        amount = checks.number(amount, "amount")
        record = self._record(playerID)
        if record is not None:
            record["vitals"][vital] = amount
            self._vitals_changed(playerID, record)
    setter.__doc__ = f"Set the current {vital}, unclamped (a finite number); the map gets 120."
    return setter


def _vital_reducer(vital: str):
    def reducer(self, playerID, amount):
        amount = checks.number(amount, "amount")
        record = self._record(playerID)
        if record is not None:
            record["vitals"][vital] = max(number_or(record["vitals"].get(vital, 0), 0) - amount, 0)
            self._vitals_changed(playerID, record)
    reducer.__doc__ = f"Subtract from the current {vital}, floored at 0; the map gets 120."
    return reducer


def _max_vital_setter(vital: str):
    def setter(self, playerID, amount):
        amount = checks.number(amount, "amount")
        record = self._record(playerID)
        if record is None:
            return
        formula = stat_rules.max_vitals(self._base_vitals(record), record.get("stats", {}))[vital]
        record.setdefault("stats", {})[f"max{vital}"] = amount - formula
        record["max_vitals"][vital] = amount
        self._player_changed(playerID)
        self._reload(playerID, record)
        self._to_map(packets.player_vitals(int(playerID), record))
    setter.__doc__ = (f"Make the max {vital} ``amount``: the difference to the 5.6 formula is kept in "
                      f"``stats.max{vital}``, so a later recalculation keeps it (fixes the 6.3 [BUG] that "
                      f"stored current max − amount and changed nothing). Owner 109, map 120.")
    return setter


class PlayerHelpers(BoundMap):
    """Reading and changing the players on the bound map."""

    # --- internals -------------------------------------------------------------------------
    def _player_field(self, player_id, missing, *path):
        value = self._record(player_id)
        if value is None:
            return missing
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return missing
            value = value[key]
        return public_copy(value)

    def _base_vitals(self, record: dict) -> dict:
        profession = self._ctx.profession(record.get("profession_id"))
        return profession.get("vitals", {}) if profession is not None else {}

    def _base_stat(self, record: dict, stat: str) -> int | float:
        profession = self._ctx.profession(record.get("profession_id"))
        return number_or(profession.get("stats", {}).get(stat, 0), 0) if profession is not None else 0

    def _reload(self, player_id, record: dict) -> None:
        """The owner gets 109 with ``data`` = [] (a copy: later changes must not leak into it)."""
        visible = {key: copy.deepcopy(value) for key, value in record.items() if key != "data"}
        self._to_player(player_id, stat_rules.reload_packet(int(player_id), visible))

    def _recalculate(self, player_id, record: dict) -> None:
        stat_rules.recalculate_max_vitals(record, self._ctx)
        self._player_changed(player_id)
        self._to_player(player_id, packets.player_vitals(int(player_id), record))

    def _vitals_changed(self, player_id, record: dict) -> None:
        self._player_changed(player_id)
        self._to_map(packets.player_vitals(int(player_id), record))

    @staticmethod
    def _quest_index(index) -> int:
        index = checks.integer(index, "quest index")
        if not 0 <= index < QUEST_LOG_LIMIT:
            raise ValueError(f"a quest index must be 0 to {QUEST_LOG_LIMIT - 1}, got {index}")
        return index

    # --- Player information ----------------------------------------------------------------
    getPlayerName = _field_getter("", "name")
    getPlayerLevel = _field_getter(0, "level")
    getPlayerX = _field_getter(-1, "pos", "x")
    getPlayerY = _field_getter(-1, "pos", "y")
    getPlayerDir = _field_getter(-1, "pos", "dir")
    getPlayerHP = _field_getter(-1, "vitals", "hp")
    getPlayerMP = _field_getter(-1, "vitals", "mp")
    getPlayerSP = _field_getter(-1, "vitals", "sp")
    getPlayerMaxHP = _field_getter(-1, "max_vitals", "hp")
    getPlayerMaxMP = _field_getter(-1, "max_vitals", "mp")
    getPlayerMaxSP = _field_getter(-1, "max_vitals", "sp")
    getPlayerProfession = _field_getter(-1, "profession_id")
    getPlayerAccess = _field_getter(-1, "access")
    getPlayerSprite = _field_getter(-1, "sprite")
    getPlayerNameColor = _field_getter("", "color")  # '' (a str getter), where the original gave -1
    getPlayerEXP = _field_getter(-1, "exp")
    getPlayerStr = _stat_getter("str")
    getPlayerDef = _stat_getter("def")
    getPlayerSpd = _stat_getter("spd")
    getPlayerMag = _stat_getter("mag")
    # the script-stored physical / ranged / magic attack and defence ranges (4.2 ``stats`` extras)
    getPlayerMinPAtk = _extra_getter("pamin")
    getPlayerMaxPAtk = _extra_getter("pamax")
    getPlayerMinRAtk = _extra_getter("ramin")
    getPlayerMaxRAtk = _extra_getter("ramax")
    getPlayerMinMAtk = _extra_getter("mamin")
    getPlayerMaxMAtk = _extra_getter("mamax")
    getPlayerMinPDef = _extra_getter("pdmin")
    getPlayerMaxPDef = _extra_getter("pdmax")
    getPlayerMinRDef = _extra_getter("rdmin")
    getPlayerMaxRDef = _extra_getter("rdmax")
    getPlayerMinMDef = _extra_getter("mdmin")
    getPlayerMaxMDef = _extra_getter("mdmax")

    def getPlayerTrainPoints(self, playerID, unused=None):
        """The train points; 0 when not on this map. The second argument is optional
        (the original required a dummy one: 8.30)."""
        return self._player_field(playerID, 0, "train_points")

    def getPlayerID(self, name):
        """The id of the player on this map with this name (case-insensitive), or -1."""
        wanted = checks.text(name, "name").lower()
        for pid, player in self._map().players.items():
            if str(player.record.get("name", "")).lower() == wanted:
                return pid
        return -1

    def getPlayerQuestDone(self, playerID, index):
        """(Addition.) True when the player's ``quest_log[index]`` is set: quest ``index`` of the
        139 list is done. False past the end of the log or for a player not on this map."""
        index = self._quest_index(index)
        record = self._record(playerID)
        log = record.get("quest_log") if record is not None else None
        return isinstance(log, list) and index < len(log) and log[index] in (True, 1)

    def getPlayerFlag(self, playerID, name):
        """``data[name]`` (a copy), or None."""
        name = checks.flag_name(name)
        record = self._record(playerID)
        return public_copy(record.get("data", {}).get(name)) if record is not None else None

    # --- Player changes ----------------------------------------------------------------------
    setPlayerStr = _trained_setter("str")
    setPlayerDef = _trained_setter("def")
    setPlayerSpd = _trained_setter("spd")
    setPlayerMag = _trained_setter("mag")
    setPlayerHP = _vital_setter("hp")
    setPlayerMP = _vital_setter("mp")
    setPlayerSP = _vital_setter("sp")
    reducePlayerHP = _vital_reducer("hp")
    reducePlayerMP = _vital_reducer("mp")
    reducePlayerSP = _vital_reducer("sp")
    setPlayerMaxHP = _max_vital_setter("hp")
    setPlayerMaxMP = _max_vital_setter("mp")
    setPlayerMaxSP = _max_vital_setter("sp")
    setPlayerMinPAtk = _extra_setter("pamin")
    setPlayerMaxPAtk = _extra_setter("pamax")
    setPlayerMinRAtk = _extra_setter("ramin")
    setPlayerMaxRAtk = _extra_setter("ramax")
    setPlayerMinMAtk = _extra_setter("mamin")
    setPlayerMaxMAtk = _extra_setter("mamax")
    setPlayerMinPDef = _extra_setter("pdmin")
    setPlayerMaxPDef = _extra_setter("pdmax")
    setPlayerMinRDef = _extra_setter("rdmin")
    setPlayerMaxRDef = _extra_setter("rdmax")
    setPlayerMinMDef = _extra_setter("mdmin")
    setPlayerMaxMDef = _extra_setter("mdmax")

    def setPlayerTrainPoints(self, playerID, amount):
        """Set the train points (an int ≥ 0); the owner gets 109."""
        amount = checks.integer(amount, "amount")
        if amount < 0:
            raise ValueError("train points must not be negative")
        record = self._record(playerID)
        if record is not None:
            record["train_points"] = amount
            self._player_changed(playerID)
            self._reload(playerID, record)

    def setPlayerSprite(self, playerID, sprite):
        """Set the sprite (−1 makes NPCs ignore him); the map gets 110."""
        sprite = checks.integer(sprite, "sprite")
        record = self._record(playerID)
        if record is not None:
            record["sprite"] = sprite
            self._player_changed(playerID)
            self._to_map(packets.spawn_player(int(playerID), record))

    def setPlayerNameColor(self, playerID, color):
        """Set the name colour (a str of up to 32 characters); the map gets 110."""
        color = checks.color(color)
        record = self._record(playerID)
        if record is not None:
            record["color"] = color
            self._player_changed(playerID)
            self._to_map(packets.spawn_player(int(playerID), record))

    def addPlayerEXP(self, playerID, amount):
        """Add exp (floored to an int); the owner gets 137. Level-up follows in the event pass."""
        amount = int(checks.number(amount, "amount"))
        record = self._record(playerID)
        if record is not None:
            record["exp"] = checks.integer(int(number_or(record.get("exp", 0), 0) + amount), "exp")
            self._player_changed(playerID)
            self._to_player(playerID, packets.experience(int(playerID), record["exp"]))

    def setPlayerFlag(self, playerID, name, value):
        """Set ``data[name]`` to a copy of ``value`` (JSON values only). No packet."""
        name = checks.flag_name(name)
        value = checks.json_copy(value, "a flag value")
        record = self._record(playerID)
        if record is not None:
            record.setdefault("data", {})[name] = value
            self._player_changed(playerID)

    def setPlayerQuestDone(self, playerID, index, done=True):
        """(Addition.) Mark quest ``index`` done (or not) in the player's ``quest_log``, which
        grows with False entries up to ``index`` (a legacy non-list log becomes a list). It is
        part of the character record, so it is checkpointed and kept across logins. No packet:
        the client sees ``quest_log`` in the next 109."""
        index, done = self._quest_index(index), checks.boolean(done, "done")
        record = self._record(playerID)
        if record is None:
            return
        log = record.get("quest_log")
        if not isinstance(log, list):
            log = record["quest_log"] = []
        log.extend([False] * (index + 1 - len(log)))
        log[index] = done
        self._player_changed(playerID)

    def warpCharacter(self, playerID, x, y, dir=-1, newMap=-1):
        """Move a player to (x, y) of this map (and face ``dir`` when it is 0..3): the map gets 110.

        With ``newMap`` > −1 the event pass then takes him to (x, y) of that
        map (``pending_warp``; map 0 included — the original stored −newMap in
        ``pos.map_id``, so map 0 could not be reached: 6.3 [BUG]). Nothing
        happens when x or y is off the map, as in the original.
        """
        x, y = checks.integer(x, "x"), checks.integer(y, "y")
        direction, new_map = checks.integer(dir, "dir"), checks.integer(newMap, "newMap")
        player = self._player(playerID)
        if player is None or not (0 <= x < records.MAP_SIZE and 0 <= y < records.MAP_SIZE):
            return
        pos = player.record["pos"]
        if 0 <= direction <= 3:
            pos["dir"] = direction
        pos["x"], pos["y"] = x, y
        self._player_changed(playerID)
        self._to_map(packets.spawn_player(player.pid, player.record))
        if new_map > -1:
            player.pending_warp = new_map

    def calculateMaxVitals(self, playerID):
        """Max vitals = the 5.6 formula plus the ``stats.maxhp/maxmp/maxsp`` extras; owner 120."""
        record = self._record(playerID)
        if record is not None:
            self._recalculate(playerID, record)

    def reloadCharacterPacket(self, playerID):
        """The owner gets 109 (``data`` = [])."""
        record = self._record(playerID)
        if record is not None:
            self._reload(playerID, record)

