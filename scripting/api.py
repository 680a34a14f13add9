"""The ``game`` module offered to scripts: every helper of PROTOCOL 6.3, under the
original's names and argument orders, bound to one map per hook call.

``ScriptHooks.call`` binds the API to (ctx, runtime, queued effects) for the
length of one hook call and releases it afterwards; what the helpers send goes
into the queued effects and reaches players only if the hook returns normally.
The helpers live in groups, one module each, in the order of 6.3:

* ``scripting.api_players`` — player information and player changes;
* ``scripting.api_world`` — inventory and ground items, NPC information and
  changes, aggro, map flags and queries, professions;
* ``scripting.api_combat`` — combat helpers and projectiles;
* ``scripting.api_packets`` — effects, text and sound, packet builders and
  senders, doors.

Every helper checks its arguments (``scripting.checks``): a wrong type raises
TypeError / ValueError with a clear message, which the hook runner logs with
the script's line. An id or slot that names nothing gives a getter's "not
found" value and makes a setter do nothing. Players are looked up on the bound
map only. No helper hands a script an internal object: getters return scalars
or copies, builders fresh dicts, and what a script stores (flags) or sends
(packets) is copied in as JSON values.

Fixes of the original (PROTOCOL 6.3, 8.30, 8.62, 8.63), each documented on
its helper:

* ``getPlayerTrainPoints(id)`` needs no dummy argument; ``getProfessionName``
  works; ``getMapFlag`` returns None for a missing flag; ``setMapFlag`` writes
  the map's flags (``runtime.flags``);
* ``setPlayerMaxHP/MP/SP`` really set the max vital (the difference to the
  5.6 formula is kept in ``stats.maxhp`` / ``maxmp`` / ``maxsp``, which
  ``calculateMaxVitals`` adds);
* ``addItemToGround`` stores the item (no client-only ghost item);
* ``warpCharacter`` to another map uses ``pending_warp``, so map 0 is
  reachable and ``pos.map_id`` is never negative;
* ``swingFront`` gives (1, playerID) for a player, like ``playerSwingFront``;
* ``openDoor`` honours its duration.

Our additions (extensions of 6.3; content for the original never calls them):
``getItemName``, ``getItemType``, ``getItemRange``, ``playerMiss``'s optional
third argument (2: the target is an NPC slot), and for the starter world's
content:

* ``getPlayerQuestDone(id, index)`` / ``setPlayerQuestDone(id, index, done)``:
  read and write ``quest_log[index]`` of the character record (quest
  ``index`` of the 139 list is done; index 0 to 99, the log grows as needed);
* ``getItemData(itemID, key)``: any field of an item's ``data`` (a potion's
  ``heal_hp``, a staff's ``spell``), or None;
* ``getMapMoral()``: the bound map's ``moral`` (2 and up: a town, no PvP).
"""
from __future__ import annotations

from scripting.api_combat import CombatHelpers
from scripting.api_packets import PacketHelpers
from scripting.api_players import PlayerHelpers
from scripting.api_world import WorldHelpers


class GameAPI(PlayerHelpers, WorldHelpers, CombatHelpers, PacketHelpers):
    """The helpers of PROTOCOL 6.3, bound to one map for the length of a hook call."""
