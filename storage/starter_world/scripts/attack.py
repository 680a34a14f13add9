# The "attack" script: what happens when a player attacks (the client's type 7).
#
# The target is always what stands on the tile the attacker faces (the
# client's target fields are not trusted). What the weapon in the weapon slot
# is decides the attack:
# * a staff (its item data names a "spell": the id of a spell item, type 7)
#   casts that spell for the spell's "mp_cost": a spell with a tile_range
#   flies as a projectile (the "projectile" script deals its damage), one
#   with "heal_hp" heals the player in front, or the caster himself;
# * a bow (a weapon with a tile_range) shoots an arrow from the bag;
# * anything else swings the weapon (or the fists).
# Every hit, shot and spell wears the weapon by one use; at 0 it breaks.
# handleAttack has no default behaviour to override, so its return value does
# not matter; it returns 0 all the same.
import game
import random
import time

WEAPON_SLOT = 0
BAG_SLOTS = range(6, 30)
ATTACK_EVERY_MS = 800  # one attack at most this often, however fast the client sends them
COMBAT = 4  # the chat channel of combat notices
RED = '#ff0000'
SPELL_TYPE = 7  # items.json: a spell (Arcane Bolt, Mending Light), named by a staff's data "spell"
STEPS = {0: (0, 1), 1: (-1, 0), 2: (1, 0), 3: (0, -1)}  # dir -> (dx, dy), PROTOCOL 0.3


def handleAttack(playerID, target_type, target_id, attacking):
    if game.getPlayerHP(playerID) <= 0 or not ready(playerID):
        return 0
    weapon = game.getInventorySlotItemID(playerID, WEAPON_SLOT)
    spell = spell_of(weapon)
    if spell > -1:
        cast(playerID, weapon, spell)
    elif weapon > -1 and game.getItemRange(weapon) > 0:
        shoot(playerID, weapon)
    else:
        swing(playerID, weapon)
    return 0


def ready(playerID):
    """True (and the clock restarted) when the player's last attack is long enough ago."""
    now = int(time.time() * 1000)
    if now < (game.getPlayerFlag(playerID, 'nextAttack') or 0):
        return False
    game.setPlayerFlag(playerID, 'nextAttack', now + ATTACK_EVERY_MS)
    return True


def swing(playerID, weapon):
    kind, target = game.playerSwingFront(playerID)
    if kind == -1:
        game.playerAttack(playerID, -1, -1, 0)  # tells him there is nothing to attack
        return
    if random.randint(1, 100) <= miss_chance(playerID, kind, target):
        game.playerMiss(playerID, target, kind)
        return
    # damage: from half the strength plus the weapon's minimum to strength plus its maximum
    strength = game.getPlayerStr(playerID)
    low = strength // 2 + game.getItemMinDamage(weapon)
    high = max(low, strength + game.getItemMaxDamage(weapon))
    game.playerAttack(playerID, kind, target, random.randint(low, high))
    wear(playerID, weapon)


def miss_chance(playerID, kind, target):
    """Percent: 5 + 5 per point the target's defence exceeds the attacker's speed, 5 to 50."""
    defence = game.getNpcDef(target) if kind == 2 else game.getPlayerDef(target)
    return min(50, max(5, 5 + 5 * (defence - game.getPlayerSpd(playerID))))


def shoot(playerID, bow):
    slot = ammunition_slot(playerID)
    if slot < 0:
        notice(playerID, 'You have nothing to shoot with your ' + game.getItemName(bow) + '.')
        return
    arrow = game.getInventorySlotItemID(playerID, slot)
    fired = game.shootProjectile(1, playerID, game.getPlayerX(playerID), game.getPlayerY(playerID),
                                 game.getPlayerDir(playerID), arrow)
    if fired > -1:  # the hit itself is the "projectile" script's
        use_one(playerID, slot)
        wear(playerID, bow)


def ammunition_slot(playerID):
    """The first bag slot holding ammunition: a stackable item (type 0) with a range."""
    for slot in BAG_SLOTS:
        item = game.getInventorySlotItemID(playerID, slot)
        if item > -1 and game.getItemType(item) == 0 and game.getItemRange(item) > 0 \
                and game.getInventorySlotAmount(playerID, slot) > 0:
            return slot
    return -1


def spell_of(weapon):
    """The spell item a held staff casts, or -1 (no weapon, or not a staff)."""
    if weapon < 0:
        return -1
    spell = game.getItemData(weapon, 'spell')
    if whole(spell) == spell and game.getItemType(spell) == SPELL_TYPE:
        return spell
    return -1


def cast(playerID, staff, spell):
    """Pay the spell's mana and cast it; not enough mana: a notice, and nothing happens."""
    cost = max(0, whole(game.getItemData(spell, 'mp_cost')))
    if game.getPlayerMP(playerID) < cost:
        notice(playerID, 'Not enough mana for ' + game.getItemName(spell) + ' (' + str(cost) + ' MP).')
        return
    if game.getItemRange(spell) > 0:
        done = game.shootProjectile(1, playerID, game.getPlayerX(playerID), game.getPlayerY(playerID),
                                    game.getPlayerDir(playerID), spell) > -1  # the hit is the "projectile" script's
    else:
        done = heal(playerID, spell)
    if done:
        game.reducePlayerMP(playerID, cost)
        wear(playerID, staff)


def heal(playerID, spell):
    """Heal the living player in front, else the caster: the spell's heal_hp plus the caster's magic."""
    target = player_in_front(playerID)
    if target < 0:
        target = playerID
    if game.getPlayerHP(target) >= game.getPlayerMaxHP(target):
        who = 'You are' if target == playerID else game.getPlayerName(target) + ' is'
        notice(playerID, who + ' already at full health.')
        return False
    amount = max(0, whole(game.getItemData(spell, 'heal_hp'))) + max(0, game.getPlayerMag(playerID))
    game.healPlayer(playerID, target, amount, '+' + str(amount))
    return True


def player_in_front(playerID):
    """A living player on the tile the player faces, or -1."""
    dx, dy = STEPS.get(game.getPlayerDir(playerID), (0, 0))
    if dx == 0 and dy == 0:
        return -1
    for other in game.getPlayersInRange(game.getPlayerX(playerID) + dx, game.getPlayerY(playerID) + dy, 0):
        if other != playerID and game.getPlayerHP(other) > 0:
            return other
    return -1


def whole(value):
    """An int from item data, or -1 for anything else (a missing field is None)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return -1


def use_one(playerID, slot):
    amount = game.getInventorySlotAmount(playerID, slot)
    if amount > 1:
        game.setInventorySlotAmount(playerID, slot, amount - 1)
    else:
        game.setInventorySlotItemID(playerID, slot, -1)  # empties the slot


def wear(playerID, weapon):
    """One use less for the weapon; at 0 it breaks. Bare hands and items without uses never wear."""
    uses = game.getInventorySlotUses(playerID, WEAPON_SLOT)
    if weapon < 0 or uses <= 0:
        return
    if uses > 1:
        game.setInventorySlotUses(playerID, WEAPON_SLOT, uses - 1)
    else:
        game.setInventorySlotItemID(playerID, WEAPON_SLOT, -1)
        notice(playerID, 'Your ' + game.getItemName(weapon) + ' broke!')


def notice(playerID, text):
    game.sendPacketToPlayer(game.genMessage(text, COMBAT, RED, True), playerID)
