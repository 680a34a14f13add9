# The "mobai" script: how monsters fight. The server calls genericaiAttack
# when an NPC stands next to the player it chases (a monster's own
# mobaiAttack_<npc id> function, if you write one, is called instead).
#
# There is deliberately no genericaiTick: the built-in chase and wander are
# used, and a tick hook would cost a call on every NPC step.
import game
import random

EQUIPMENT_SLOTS = range(0, 6)


def genericaiAttack(slot, target):
    if game.getPlayerHP(target) <= 0:
        return 0
    if random.randint(1, 100) <= miss_chance(slot, target):
        game.mobMiss(slot, target)
        return 0
    # damage: half to all of the monster's strength, less what the player's armour stops
    strength = max(game.getNpcStr(slot), 0)
    damage = random.randint(strength // 2, strength) - protection(target)
    game.mobAttack(slot, target, max(damage, 0))
    return 0


def miss_chance(slot, target):
    """Percent: 5 + 5 per point the player's speed exceeds the monster's, 5 to 50."""
    speed = max(game.getNpcSpd(slot), 0)  # a negative spd only sets a fixed exp reward
    return min(50, max(5, 5 + 5 * (game.getPlayerSpd(target) - speed)))


def protection(target):
    """A roll between each equipped item's min and max protection, added up."""
    total = 0
    for slot in EQUIPMENT_SLOTS:
        item = game.getInventorySlotItemID(target, slot)
        if item > -1:
            low = game.getItemMinDefense(item)
            total = total + random.randint(low, max(low, game.getItemMaxDefense(item)))
    return total
