# The "projectile" script: what a flying shot (an arrow or a spell bolt from
# the attack script) does to whoever stands on a tile it crosses. These hooks
# are the exception to the return-value rule: only 1 (or True) means "hit"
# and stops the shot there; 0 -- or nothing returned -- lets it fly on.
#
# Damage of an arrow: the ammunition's damage range plus the bow's (weapon
# slot) plus half to all of the shooter's speed; for a monster shooter, its
# strength. A spell bolt (an item of type 7) never misses: its damage range
# plus the staff's plus half to all of the caster's magic (getPlayerMag).
# Player against player only where the map allows it (its "moral").
import game
import random

WEAPON_SLOT = 0
SPELL_TYPE = 7  # items.json: Arcane Bolt
SPELL_COLOR = '#00ffff'


def hitnpc(slot, shooterType, shooterID, x, y, itemID, dir):
    if shooterType != 1:
        return 0  # monsters' shots fly past other monsters
    before = game.getNpcHP(slot)
    if game.getItemType(itemID) == SPELL_TYPE:
        game.playerSpellAttack(shooterID, 2, slot, spell_damage(shooterID, itemID), game.getItemName(itemID),
                               SPELL_COLOR, True, False)
    else:
        game.playerAttack(shooterID, 2, slot, player_shot_damage(shooterID, itemID), True, False)
    return 1 if game.getNpcHP(slot) < before else 0


def hitplayer(player, shooterType, shooterID, x, y, itemID, dir):
    before = game.getPlayerHP(player)
    if before <= 0 or (shooterType == 1 and shooterID == player):
        return 0  # the dead and the shooter himself are not hit
    if shooterType == 1 and game.getItemType(itemID) == SPELL_TYPE:
        game.playerSpellAttack(shooterID, 1, player, spell_damage(shooterID, itemID), game.getItemName(itemID),
                               SPELL_COLOR, True, False)
    elif shooterType == 1:
        game.playerAttack(shooterID, 1, player, player_shot_damage(shooterID, itemID), True, False)
    elif shooterType == 2:
        strength = max(game.getNpcStr(shooterID), 0)
        game.mobAttack(shooterID, player, roll(itemID, strength // 2, strength))
    return 1 if game.getPlayerHP(player) < before else 0


def spell_damage(casterID, itemID):
    magic = max(game.getPlayerMag(casterID), 0)
    staff = game.getInventorySlotItemID(casterID, WEAPON_SLOT)
    return roll(itemID, game.getItemMinDamage(staff) + magic // 2, game.getItemMaxDamage(staff) + magic)


def player_shot_damage(shooterID, itemID):
    speed = game.getPlayerSpd(shooterID)
    bow = game.getInventorySlotItemID(shooterID, WEAPON_SLOT)
    low = game.getItemMinDamage(bow) + speed // 2
    high = game.getItemMaxDamage(bow) + speed
    return roll(itemID, low, high)


def roll(itemID, low_bonus, high_bonus):
    """At least 1: a shot that lands always hurts."""
    low = game.getItemMinDamage(itemID) + low_bonus
    high = max(low, game.getItemMaxDamage(itemID) + high_bonus)
    return max(1, random.randint(low, high))
