"""``game`` helpers of PROTOCOL 6.3 "Effects, text and sound" and "Packet builders
and senders".

The ``gen*`` builders return a fresh dict (the original returned JSON text);
``sendPacketToPlayer`` / ``sendToAllOnMap`` take such a dict — or any dict a
script built — but only with a server→client ``type`` (100..139) and under
64 KB of JSON, and send a copy. ``None`` (what a builder returns for an
unknown player) is silently not sent, as in the original.
"""
from __future__ import annotations

import copy

from cluster import packets, records
from scripting import checks
from scripting.api_base import BoundMap

MAX_DOOR_SECONDS = 24 * 3600
SHOT_FIELDS = ("shooter_type", "shooter_id", "item_id")
POSITION_FIELDS = ("x", "y", "dir", "map_id")
MAP_ITEM_FIELDS = ("item_id", "amount", "uses", "x", "y")


def _int_fields(value, fields: tuple, what: str) -> dict:
    value = checks.plain_dict(value, what)
    return {name: checks.integer(value.get(name), f"{what}['{name}']") for name in fields}


class PacketHelpers(BoundMap):
    """Effects, floating texts, sounds, packet builders, senders and doors."""

    def _speed(self, speed) -> int:
        return int(checks.non_negative(speed, "speed"))

    def _on_map(self, x, y) -> tuple | None:
        x, y = checks.integer(x, "x"), checks.integer(y, "y")
        return (x, y) if self._map().in_bounds(x, y) else None

    # --- Effects, text and sound ------------------------------------------------------------------
    def createMapEffect(self, sprite, x=0, y=0, speed=500):
        """The map gets 135."""
        sprite, x, y = checks.integer(sprite, "sprite"), checks.integer(x, "x"), checks.integer(y, "y")
        self._to_map(packets.map_effect(self._map_id(), sprite, x, y, self._speed(speed)))

    def createNPCEffect(self, slot, sprite, x=0, y=0, speed=500):
        """The map gets 134 (for a slot 0..19)."""
        sprite, x, y = checks.integer(sprite, "sprite"), checks.integer(x, "x"), checks.integer(y, "y")
        slot, speed = self._slot(slot), self._speed(speed)
        if slot is not None:
            self._to_map(packets.npc_effect(self._map_id(), slot, sprite, x, y, speed))

    def createPlayerEffect(self, playerID, sprite, x=0, y=0, speed=500):
        """The map gets 133 (for a player on this map)."""
        sprite, x, y = checks.integer(sprite, "sprite"), checks.integer(x, "x"), checks.integer(y, "y")
        player, speed = self._player(playerID), self._speed(speed)
        if player is not None:
            self._to_map(packets.player_effect(player.pid, sprite, x, y, speed))

    def createMapMessage(self, x, y, text, color=packets.COLOR_WHITE):
        """The map gets 130 on tile (x, y)."""
        text, color, tile = checks.text(text, "text"), checks.color(color), self._on_map(x, y)
        if tile is not None:
            self._to_map(packets.tile_text(self._map_id(), text, color, *tile))

    def createPersonalMapMessage(self, playerID, x, y, text, color=packets.COLOR_WHITE):
        """One player gets 130 on tile (x, y)."""
        text, color, tile = checks.text(text, "text"), checks.color(color), self._on_map(x, y)
        player = self._player(playerID)
        if tile is not None and player is not None:
            self._to_player(player.pid, packets.tile_text(self._map_id(), text, color, *tile))

    def createPlayerMapMessage(self, playerID, text, color=packets.COLOR_WHITE):
        """The map gets 131 over a player."""
        text, color, player = checks.text(text, "text"), checks.color(color), self._player(playerID)
        if player is not None:
            self._to_map(packets.player_text(self._map_id(), player.pid, text, color))

    def createNPCMapMessage(self, slot, text, color=packets.COLOR_WHITE):
        """The map gets 132 over an NPC slot."""
        text, color, slot = checks.text(text, "text"), checks.color(color), self._slot(slot)
        if slot is not None:
            self._to_map(packets.npc_text(self._map_id(), slot, text, color))

    def genPlaySound(self, sound_id):
        """Builds a 123."""
        return packets.sound(checks.integer(sound_id, "sound id"))

    def genMessage(self, text, channel_id=packets.CHANNEL_GENERAL, color=packets.COLOR_WHITE, temp=False):
        """Builds a 114."""
        return packets.chat(checks.text(text, "text"), checks.integer(channel_id, "channel"),
                            checks.color(color), checks.boolean(temp, "temp"))

    chatMessage = genMessage

    # --- Packet builders --------------------------------------------------------------------------
    def spawnCharacter(self, playerID):
        """Builds a 110, or None for a player not on this map."""
        player = self._player(playerID)
        return packets.spawn_player(player.pid, player.record) if player is not None else None

    def genPlayerVitalMessage(self, playerID):
        """Builds a 120, or None."""
        player = self._player(playerID)
        return packets.player_vitals(player.pid, player.record) if player is not None else None

    def genMobVitalMessage(self, slot):
        """Builds a 121 for an occupied slot, or None."""
        npc = self._npc(slot)
        return self._npc_vitals_packet(int(slot), npc) if npc is not None else None

    def genMapItemUpdate(self, slot, item):
        """Builds a single 112 from ``item`` {item_id, amount, uses, x, y}, or None for a slot
        outside 0..199. Only builds: the map's items are changed by ``addItemToGround``."""
        slot = checks.integer(slot, "map item slot")
        item = _int_fields(item, MAP_ITEM_FIELDS, "item")
        return packets.map_item(self._map_id(), slot, item) if 0 <= slot < records.MAP_ITEM_SLOTS else None

    def genInventoryUpdate(self, playerID, slotID):
        """Builds a 119, or None."""
        slot = checks.integer(slotID, "inventory slot")
        player = self._player(playerID)
        if player is None or not 0 <= slot < records.INVENTORY_SLOTS:
            return None
        return packets.inventory_slot(player.pid, slot, player.record["inv"][slot])

    def genExpMessage(self, playerID, exp):
        """Builds a 137."""
        return packets.experience(checks.integer(playerID, "player id"), int(checks.number(exp, "exp")))

    def genMapDoors(self):
        """Builds a 122 of the map's 20 door slots."""
        return packets.doors(self._map_id(), copy.deepcopy(self._map().doors))

    def genMapShot(self, slot, shot):
        """Sends the map a single 126 built from ``shot`` {shooter_type, shooter_id, item_id,
        pos {x, y, dir, map_id}} (slot 0..49); the map's shots are not changed."""
        slot = checks.integer(slot, "shot slot")
        shot = checks.plain_dict(shot, "shot")
        fields = _int_fields(shot, SHOT_FIELDS, "shot")
        fields["pos"] = _int_fields(shot.get("pos"), POSITION_FIELDS, "shot['pos']")
        if 0 <= slot < records.SHOT_SLOTS:
            self._to_map(packets.shot(self._map_id(), slot, fields))

    # --- Doors and senders ------------------------------------------------------------------------
    def openDoor(self, x, y, duration=10, refresh=False):
        """Open a door at (x, y) for ``duration`` s (5.2.2); the map gets 122 when it newly opens.

        ``refresh`` pushes an already open door's close time to now + duration.
        True when it newly opened. (The original ignored the duration: 8.37.)
        """
        duration, refresh = checks.non_negative(duration, "duration"), checks.boolean(refresh, "refresh")
        if not 0 < duration <= MAX_DOOR_SECONDS:
            raise ValueError(f"duration must be more than 0 and at most {MAX_DOOR_SECONDS} s")
        tile, runtime = self._on_map(x, y), self._map()
        if tile is None:
            return False
        if runtime.open_door(*tile, self._ctx.now_s, duration):
            self._to_map(packets.doors(runtime.map_id, copy.deepcopy(runtime.doors)))
            return True
        if refresh:
            for slot, door in enumerate(runtime.doors):
                if (door["x"], door["y"]) == tile:
                    runtime.door_close_at[slot] = self._ctx.now_s + duration
                    runtime.dirty = True
        return False

    def sendPacketToPlayer(self, packet, playerID):
        """Send a copy of ``packet`` to one player on this map."""
        if packet is None:
            return
        packet = checks.client_packet(packet)
        player = self._player(playerID)
        if player is not None:
            self._to_player(player.pid, packet)

    def sendToAllOnMap(self, packet, excludedID=None):
        """Send a copy of ``packet`` to everyone on this map, but ``excludedID``."""
        excluded = None if excludedID is None else checks.integer(excludedID, "excludedID")
        if packet is None:
            return
        self._map()
        self._to_map(checks.client_packet(packet), excluded)
