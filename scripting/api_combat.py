"""``game`` helpers of PROTOCOL 6.3 "Combat helpers": damage, heals, misses and shots.

Damage is floored to an int before anything else (the original showed and
subtracted whatever number the script passed); hp never goes below 0. Death
itself is not handled here: the next event pass finds hp <= 0 (5.5.2, 5.7).
"""
from __future__ import annotations

import math

from cluster import packets, records
from scripting import checks
from scripting.api_base import BoundMap
from workers.rules import npcs as npc_rules
from workers.rules import projectiles as projectile_rules
from workers.runtime import PlayerOnMap, is_alive

BACK_HIT_FACTOR = 1.15  # facing the same way as the attacker means hit from behind
SPELL_COLOR = "#00ffff"
HEAL_COLOR = "#00ff00"


class CombatHelpers(BoundMap):
    """Combat as the attack, AI and projectile scripts drive it."""

    # --- targets -------------------------------------------------------------------------------
    def _npc_target(self, slot: int) -> bool:
        runtime = self._map()
        return (runtime.record.get("protect_npcs") is not True
                and 0 <= slot < records.NPC_SLOTS and runtime.npc_alive(slot))

    def _player_target(self, pid: int) -> PlayerOnMap | None:
        """The living target player, if this map allows player damage (``moral`` < 2)."""
        moral = self._map().record.get("moral", 0)
        if isinstance(moral, (int, float)) and moral >= 2:
            return None
        target = self._map().players.get(pid)
        return target if target is not None and is_alive(target.record) else None

    def _living_attacker(self, player_id) -> PlayerOnMap | None:
        attacker = self._player(player_id)
        return attacker if attacker is not None and is_alive(attacker.record) else None

    # --- what a hit does -----------------------------------------------------------------------
    def _hurt_npc(self, attacker: int, slot: int, damage: int, color: str, adds_aggro: bool) -> None:
        """hp down (floored at 0), the map gets 121, aggro += damage, the map gets 132."""
        runtime = self._map()
        npc = runtime.npcs[slot]
        npc["vitals"]["hp"] = max(npc["vitals"].get("hp", 0) - damage, 0)
        runtime.dirty = True
        self._to_map(self._npc_vitals_packet(slot, npc))
        if adds_aggro:
            npc_rules.add_aggro(runtime, slot, attacker, damage)
        self._to_map(packets.npc_text(runtime.map_id, slot, str(damage), color))

    def _hurt_player(self, target: PlayerOnMap, damage: int, color: str) -> None:
        """hp down (floored at 0), the map gets 120 and 131."""
        vitals = target.record["vitals"]
        vitals["hp"] = max(vitals.get("hp", 0) - damage, 0)
        self._player_changed(target.pid)
        self._to_map(packets.player_vitals(target.pid, target.record))
        self._to_map(packets.player_text(self._map_id(), target.pid, str(damage), color))

    def _notice(self, pid: int, text: str, color: str) -> None:
        self._to_player(pid, packets.chat(text, packets.CHANNEL_COMBAT, color, True))

    # --- Combat helpers ----------------------------------------------------------------------------
    def playerAttack(self, playerID, PcOrMob, attackedID, damage, addsAggro=True, attackAnimation=True):
        """A living player hits NPC slot ``attackedID`` (kind 2) or player ``attackedID`` (kind 1).

        ×1.15 (floored) "from behind" when the target faces the attacker's way.
        NPC (not on ``protect_npcs`` maps): 121, aggro += damage, 132, a 114 to
        the attacker. Player (only where ``moral`` < 2): 120, 131, a 114 to each.
        No living target: the attacker gets "nothing to attack" and that is all.
        Then, with the animation, the map gets 123 sound 1 and 116.
        """
        kind, target = checks.integer(PcOrMob, "target kind"), checks.integer(attackedID, "target")
        damage = int(checks.non_negative(damage, "damage"))
        adds_aggro = checks.boolean(addsAggro, "addsAggro")
        animate = checks.boolean(attackAnimation, "attackAnimation")
        attacker = self._living_attacker(playerID)
        if attacker is None:
            return
        facing = attacker.record["pos"]["dir"]
        victim = self._player_target(target) if kind == 1 else None
        if kind == 2 and self._npc_target(target):
            damage, behind = self._back_hit(damage, self._map().npcs[target]["pos"].get("dir") == facing)
            self._hurt_npc(attacker.pid, target, damage, packets.COLOR_RED, adds_aggro)
            self._notice(attacker.pid, f"You hit a {self._npc_name(target)}{behind} for {damage} damage.",
                         packets.COLOR_WHITE)
        elif victim is not None:
            damage, behind = self._back_hit(damage, victim.record["pos"].get("dir") == facing)
            self._hurt_player(victim, damage, packets.COLOR_RED)
            self._notice(attacker.pid, f"You hit {victim.record['name']}{behind} for {damage} damage.",
                         packets.COLOR_WHITE)
            self._notice(victim.pid, f"{attacker.record['name']} hit you{behind} for {damage} damage.",
                         packets.COLOR_RED)
        else:
            self._notice(attacker.pid, "You have nothing to attack.", packets.COLOR_WHITE)
            return
        if animate:
            self._to_map(packets.sound(packets.SOUND_HIT))
            self._to_map(packets.player_attack(attacker.pid))

    @staticmethod
    def _back_hit(damage: int, from_behind: bool) -> tuple[int, str]:
        return (int(damage * BACK_HIT_FACTOR), " from behind") if from_behind else (damage, "")

    def playerSpellAttack(self, playerID, PcOrMob, attackedID, damage, spellName="", color=SPELL_COLOR,
                          addsAggro=True, attackAnimation=True):
        """``playerAttack`` for spells: no back-hit bonus, no sound, the spell's name and colour
        in the texts. The caster needs to be alive only for the 116 animation; with no target
        nothing is sent (the original's notice was commented out)."""
        kind, target = checks.integer(PcOrMob, "target kind"), checks.integer(attackedID, "target")
        damage = int(checks.non_negative(damage, "damage"))
        spell, color = checks.text(spellName, "spellName"), checks.color(color)
        adds_aggro = checks.boolean(addsAggro, "addsAggro")
        animate = checks.boolean(attackAnimation, "attackAnimation")
        caster = self._player(playerID)
        if caster is None:
            return
        victim = self._player_target(target) if kind == 1 else None
        spell_hit = f"Your {spell} hit" if spell else "You hit"
        if kind == 2 and self._npc_target(target):
            self._hurt_npc(caster.pid, target, damage, color, adds_aggro)
            self._notice(caster.pid, f"{spell_hit} a {self._npc_name(target)} for {damage} damage.", color)
        elif victim is not None:
            self._hurt_player(victim, damage, color)
            name = caster.record["name"]
            self._notice(caster.pid, f"{spell_hit} {victim.record['name']} for {damage} damage.", color)
            self._notice(victim.pid, f"{name}'s {spell} hit you for {damage} damage." if spell
                         else f"{name} hit you for {damage} damage.", color)
        else:
            return
        if animate and is_alive(caster.record):
            self._to_map(packets.player_attack(caster.pid))

    def healPlayer(self, playerID, targetID, amount, displayMsg="", addsAggro=True):
        """Heal a living target up to his max hp: the map gets 131 (green, the text or the amount)
        and 120. Every living NPC with the target on its aggro list gains floor(1 + 0.75 × amount)
        aggro on the healer (when he is on this map)."""
        healer, amount = checks.integer(playerID, "healer id"), checks.non_negative(amount, "amount")
        text = checks.text(displayMsg, "displayMsg") or checks.shown(amount)
        adds_aggro = checks.boolean(addsAggro, "addsAggro")
        target = self._player(targetID, "target id")
        if target is None or not is_alive(target.record):
            return
        runtime = self._map()
        self._to_map(packets.player_text(runtime.map_id, target.pid, text, HEAL_COLOR))
        vitals, maximum = target.record["vitals"], target.record["max_vitals"].get("hp", 0)
        vitals["hp"] = min(vitals["hp"] + amount, max(maximum, vitals["hp"]))
        self._player_changed(target.pid)
        self._to_map(packets.player_vitals(target.pid, target.record))
        if adds_aggro and healer in runtime.players:
            for slot in range(records.NPC_SLOTS):
                if runtime.npc_alive(slot) and target.pid in runtime.aggro[slot]:
                    npc_rules.add_aggro(runtime, slot, healer, math.floor(1 + 0.75 * amount))
                    runtime.dirty = True

    def mobAttack(self, slot, player, damage):
        """NPC slot hits a living player: 120, 117, 131 (red) to the map, a 114 to the player,
        123 sound 1 to the map."""
        slot, damage = self._slot(slot), int(checks.non_negative(damage, "damage"))
        target = self._player(player)
        if slot is None or target is None or not is_alive(target.record):
            return
        vitals = target.record["vitals"]
        vitals["hp"] = max(vitals.get("hp", 0) - damage, 0)
        self._player_changed(target.pid)
        self._to_map(packets.player_vitals(target.pid, target.record))
        self._to_map(packets.npc_attack(self._map_id(), slot))
        self._to_map(packets.player_text(self._map_id(), target.pid, str(damage), packets.COLOR_RED))
        self._notice(target.pid, f"A {self._npc_name(slot) or 'monster'} hit you for {damage} damage.",
                     packets.COLOR_RED)
        self._to_map(packets.sound(packets.SOUND_HIT))

    def mobMiss(self, slot, player):
        """The map gets 131 "MISS", the player a 114, the map 123 sound 4."""
        slot, target = self._slot(slot), self._player(player)
        if slot is None or target is None:
            return
        self._to_map(packets.player_text(self._map_id(), target.pid, "MISS", packets.COLOR_RED))
        self._notice(target.pid, f"A {self._npc_name(slot) or 'monster'} missed you!", packets.COLOR_RED)
        self._to_map(packets.sound(packets.SOUND_MISS))

    def playerMiss(self, attackerID, playerAttacked, kind=1):
        """A player missed player ``playerAttacked``: 131 "MISS" to the map, a 114 to the target,
        123 sound 4 to the map. Our addition: ``kind`` 2 makes the target an NPC slot — 132
        "MISS" to the map, a 114 to the attacker, 123 sound 4."""
        kind, target_id = checks.integer(kind, "kind"), checks.integer(playerAttacked, "target")
        attacker = self._player(attackerID, "attacker id")
        if attacker is None:
            return
        if kind == 2:
            if self._npc(target_id) is None:
                return
            self._to_map(packets.npc_text(self._map_id(), target_id, "MISS", packets.COLOR_RED))
            self._notice(attacker.pid, f"You missed the {self._npc_name(target_id)}.", packets.COLOR_WHITE)
        else:
            target = self._map().players.get(target_id)
            if target is None:
                return
            self._to_map(packets.player_text(self._map_id(), target.pid, "MISS", packets.COLOR_RED))
            self._notice(target.pid, f"{attacker.record['name']} missed you!", packets.COLOR_RED)
        self._to_map(packets.sound(packets.SOUND_MISS))

    def shootProjectile(self, shooterType, shooterID, x, y, dir, itemID):
        """Fire a shot (5.10): the map gets 126 single, then 116 or 117. The slot, or -1
        (no free slot, an unknown shooter or item, off the map)."""
        shooter_type, shooter_id = checks.integer(shooterType, "shooterType"), checks.integer(shooterID, "shooterID")
        x, y, direction = checks.integer(x, "x"), checks.integer(y, "y"), checks.integer(dir, "dir")
        item_id = checks.integer(itemID, "itemID")
        if shooter_type not in (projectile_rules.SHOOTER_PLAYER, projectile_rules.SHOOTER_NPC):
            raise ValueError(f"shooterType must be 1 (player) or 2 (NPC), got {shooter_type}")
        runtime = self._map()
        shooter_known = (shooter_id in runtime.players if shooter_type == projectile_rules.SHOOTER_PLAYER
                         else self._npc(shooter_id) is not None)
        if (not shooter_known or not runtime.in_bounds(x, y) or not 0 <= direction <= 3
                or self._item_definition(item_id) is None):
            return -1
        slot = projectile_rules.fire(runtime, self._effects, self._ctx, shooter_type, shooter_id,
                                     x, y, direction, item_id)
        runtime.dirty = True
        return slot

    def freeProjectileSlot(self):
        """The first shot slot not in flight (shooter_type 0), or -1."""
        for slot, shot in enumerate(self._map().shots):
            if shot.get("shooter_type") == projectile_rules.SHOOTER_NONE:
                return slot
        return -1

    def genAttackAnimation(self, playerID, atkSpeed=1000):
        """Builds (does not send) a 116."""
        return packets.player_attack(checks.integer(playerID, "player id"),
                                     int(checks.non_negative(atkSpeed, "speed")))

    def genMobAttackAnimation(self, slot, atkSpeed=1000):
        """Builds (does not send) a 117."""
        return packets.npc_attack(self._map_id(), checks.integer(slot, "NPC slot"),
                                  int(checks.non_negative(atkSpeed, "speed")))
