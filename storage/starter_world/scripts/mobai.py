# The "mobai" script: how monsters hunt and fight.
#
# genericaiTick runs on every step of every NPC without a mobaiTick_<npc id>
# function of its own, so it is kept cheap: an NPC that already has a target,
# or a peaceful one (its "behavior" in npcs.json is not 1), costs one or two
# calls. A hostile NPC (behavior 1) looks for the nearest living player
# within NOTICE_RANGE tiles and puts him on its aggro list; the server's
# built-in chase (A*) then takes over from its next step. Towns (maps with
# moral 2 or more) are safe: monsters there notice no one and never attack.
#
# The return value matters here: 0 lets the server's default (chase or
# wander) run; anything else -- a function that ends without "return" too --
# skips it for this step. Every path below ends in "return 0".
#
# genericaiAttack runs when an NPC stands next to the player it chases (a
# monster's own mobaiAttack_<npc id> function, if you write one, is called
# instead); its return value is ignored.
import game
import random

EQUIPMENT_SLOTS = range(0, 6)
HOSTILE = 1  # npcs.json "behavior": 1 attacks on sight, 0 only fights back
NOTICE_RANGE = 3  # tiles (a square around the monster)
NOTICE_AGGRO = 1  # the aggro a noticed player gets; every hit adds its damage
SAFE_MORAL = 2  # a map with this moral or more is a town


def genericaiTick(slot, target, pathLen):
    if target > -1 or game.getNpcBehavior(slot) != HOSTILE:
        return 0  # already after someone, or peaceful: the default chase or wander
    if game.getMapMoral() >= SAFE_MORAL:
        return 0
    x, y = game.getNpcX(slot), game.getNpcY(slot)
    nearest, distance = -1, NOTICE_RANGE * 2 + 1
    for playerID in game.getPlayersInRange(x, y, NOTICE_RANGE):
        away = abs(game.getPlayerX(playerID) - x) + abs(game.getPlayerY(playerID) - y)
        if away < distance and game.getPlayerHP(playerID) > 0 and game.getPlayerSprite(playerID) > -1:
            nearest, distance = playerID, away
    if nearest > -1:
        game.setAggro(slot, nearest, NOTICE_AGGRO)
    return 0


def genericaiAttack(slot, target):
    if game.getPlayerHP(target) <= 0 or game.getMapMoral() >= SAFE_MORAL:
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
