# The "click" script: what clicking a tile does (the client's type 22).
#
# * Clicking a townsperson talks to him (a line of speech, channel 1, like a
#   shopkeeper's greeting): Innkeeper Mara rents a bed that restores all
#   vitals, Brannoc the Smith hands a newcomer a weapon for his profession
#   (once: flag "gift") and then gives the quest "Wolf pelts for Brannoc",
#   Tilda the Merchant gives the quest "Clear the crypt". One must stand
#   within TALK_RANGE tiles to be heard.
# * Clicking a sign (SIGNS below: map, x, y) shows what it says.
#
# Quests: quest i is entry i of quests.json (the list the client gets in
# 139). A player's progress lives in his character record, so it is saved
# with him and survives logouts and worker failovers:
# * flag "quest<i>" (getPlayerFlag) is None until he accepts the quest, then
#   holds his progress (the crypt quest counts Skeletons: the "mobdeath"
#   script adds one per kill);
# * quest_log[i] (getPlayerQuestDone / setPlayerQuestDone) is set once the
#   quest is done.
# Keep QUEST_CRYPT, its flag and CRYPT_SKELETONS in step with mobdeath.py.
#
# handleClick has no default behaviour, so its return value does not matter;
# it returns 0 all the same.
import game

GOLD, WOLF_PELT, IRON_SWORD = 1, 15, 16  # items.json
IRON_SWORD_USES = 150  # its "uses" in items.json: a new sword is unworn
# Brannoc's gift by profession (professions.json): (item, amount, uses) as in items.json
STICK, BOW, OAK_STAFF, ARROW = 0, 5, 6, 13
GIFTS = {0: [(STICK, 1, 20)], 1: [(BOW, 1, 100), (ARROW, 30, 1)], 2: [(OAK_STAFF, 1, 100)],
         3: [(OAK_STAFF, 1, 100)]}
INNKEEPER, MERCHANT, SMITH = 6, 7, 8  # npcs.json
TALK_RANGE = 3
SPEECH, SPEECH_COLOR = 1, '#d3d3d3'  # as a shopkeeper's greeting (PROTOCOL 5.4.4)
NOTICE, QUEST_COLOR, SIGN_COLOR = 0, '#ffff00', '#d9d0c1'
REST_COLOR = '#00ff00'
BAG_SLOTS = range(6, 30)
ALL_SLOTS = range(0, 30)
BED_PRICE = 10  # gold

QUEST_WOLF, QUEST_CRYPT = 0, 1  # their index in quests.json and in quest_log
WOLF_PELTS, WOLF_EXP = 3, 300
CRYPT_SKELETONS, CRYPT_GOLD, CRYPT_EXP = 2, 100, 500

SIGNS = {
    (0, 7, 8): 'Town Square. North: the Chapel of Rest. East: Market Street. South: the Green Fields. '
               'The Sleeping Dragon Inn is the west door, Tilda\'s General Store the east door.',
    (1, 3, 3): 'Brannoc\'s Arms: weapons, armour, repairs. Staffs for Mages and Clerics.',
    (1, 10, 7): 'South: the Old Forest. Wolves hunt there, and bandits. Travel armed.',
}


def handleClick(playerID, x, y):
    for slot in game.getMobsInRange(x, y, 0):
        npc = game.getNpcID(slot)
        if npc in TOWNSFOLK and game.getNpcHP(slot) > 0:
            if near(playerID, slot):
                TOWNSFOLK[npc](playerID, slot)
            else:
                notice(playerID, 'Come closer to talk to ' + game.getNpcName(slot) + '.', SPEECH_COLOR)
            return 0
    text = SIGNS.get((game.getMapID(), x, y))
    if text:
        notice(playerID, 'The sign reads: ' + text, SIGN_COLOR)
    return 0


def near(playerID, slot):
    return (abs(game.getPlayerX(playerID) - game.getNpcX(slot)) <= TALK_RANGE
            and abs(game.getPlayerY(playerID) - game.getNpcY(slot)) <= TALK_RANGE)


# --- Innkeeper Mara: a bed for the night ------------------------------------------------------

def innkeeper(playerID, slot):
    if game.getPlayerHP(playerID) <= 0:
        say(playerID, slot, 'I cannot help the dead, love. The chapel can.')
    elif rested(playerID):
        say(playerID, slot, 'You look well rested. A bed is ' + str(BED_PRICE) + ' gold whenever you need one.')
    elif count(playerID, GOLD) < BED_PRICE:
        say(playerID, slot, 'A bed is ' + str(BED_PRICE) + ' gold. Come back when you have it.')
    else:
        take(playerID, GOLD, BED_PRICE)
        game.setPlayerHP(playerID, game.getPlayerMaxHP(playerID))
        game.setPlayerMP(playerID, game.getPlayerMaxMP(playerID))
        game.setPlayerSP(playerID, game.getPlayerMaxSP(playerID))
        game.createPlayerMapMessage(playerID, 'Rested', REST_COLOR)
        say(playerID, slot, 'Sleep well! Breakfast is at dawn.')


def rested(playerID):
    return (game.getPlayerHP(playerID) >= game.getPlayerMaxHP(playerID)
            and game.getPlayerMP(playerID) >= game.getPlayerMaxMP(playerID)
            and game.getPlayerSP(playerID) >= game.getPlayerMaxSP(playerID))


# --- Brannoc the Smith: "Wolf pelts for Brannoc" ----------------------------------------------

def smith(playerID, slot):
    flag = 'quest' + str(QUEST_WOLF)
    if not game.getPlayerFlag(playerID, 'gift'):
        gift(playerID, slot)
        return
    if game.getPlayerQuestDone(playerID, QUEST_WOLF):
        say(playerID, slot, 'That Iron Sword treating you well? Come back when it is dull.')
        return
    if game.getPlayerFlag(playerID, flag) is None:
        game.setPlayerFlag(playerID, flag, 0)
        say(playerID, slot, 'Wolves took three of my sheep. Bring me ' + str(WOLF_PELTS) + ' Wolf Pelts from '
            'the Old Forest and the Iron Sword on my wall is yours.')
        notice(playerID, 'Quest accepted: Wolf pelts for Brannoc.', QUEST_COLOR)
        return
    pelts = count(playerID, WOLF_PELT)
    if pelts < WOLF_PELTS:
        say(playerID, slot, 'You have ' + str(pelts) + ' of ' + str(WOLF_PELTS) + ' Wolf Pelts. '
            'The wolves roam the Old Forest, south of Market Street.')
        return
    if free_bag_slot(playerID) < 0:
        say(playerID, slot, 'Fine pelts! Make room in your pack for the sword first.')
        return
    take(playerID, WOLF_PELT, WOLF_PELTS)
    game.addItemToInventory(playerID, IRON_SWORD, 1, IRON_SWORD_USES)
    complete(playerID, QUEST_WOLF, WOLF_EXP)
    say(playerID, slot, 'Fine pelts! Here, the sword is yours. Keep it sharp.')
    notice(playerID, 'Quest complete: Wolf pelts for Brannoc (+' + str(WOLF_EXP) + ' exp).', QUEST_COLOR)


def gift(playerID, slot):
    """A newcomer's first weapon (and arrows for an archer), once."""
    items = GIFTS.get(game.getPlayerProfession(playerID), [])
    if free_bag_slots(playerID) < len(items):
        say(playerID, slot, 'New in town? I have something for you, but your pack is full.')
        return
    for item, amount, uses in items:
        game.addItemToInventory(playerID, item, amount, uses)
    game.setPlayerFlag(playerID, 'gift', True)
    names = ' and '.join([game.getItemName(item) for item, amount, uses in items]) or 'a kind word'
    say(playerID, slot, 'New in town? Take this: ' + names + '. Equip it from your bag, and come back '
        'when you want work.')


# --- Tilda the Merchant: "Clear the crypt" ------------------------------------------------------

def merchant(playerID, slot):
    flag = 'quest' + str(QUEST_CRYPT)
    if game.getPlayerQuestDone(playerID, QUEST_CRYPT):
        say(playerID, slot, 'The crypt is quiet, thanks to you. Potions, arrows, anything you need.')
        return
    defeated = game.getPlayerFlag(playerID, flag)
    if defeated is None:
        game.setPlayerFlag(playerID, flag, 0)
        say(playerID, slot, 'The dead walk in the Old Crypt under the forest, and nobody shops after dark. '
            'Put down ' + str(CRYPT_SKELETONS) + ' Skeletons and I will pay you ' + str(CRYPT_GOLD) + ' gold.')
        notice(playerID, 'Quest accepted: Clear the crypt.', QUEST_COLOR)
        return
    if defeated < CRYPT_SKELETONS:
        say(playerID, slot, 'Skeletons defeated: ' + str(defeated) + ' of ' + str(CRYPT_SKELETONS) + '. '
            'The crypt door is in the Old Forest; bandits carry its key, or buy one from me.')
        return
    if not give_gold(playerID, CRYPT_GOLD):
        say(playerID, slot, 'Make room in your pack for your pay first.')
        return
    complete(playerID, QUEST_CRYPT, CRYPT_EXP)
    say(playerID, slot, 'You did it! Here is your pay, as promised.')
    notice(playerID, 'Quest complete: Clear the crypt (+' + str(CRYPT_GOLD) + ' gold, +'
           + str(CRYPT_EXP) + ' exp).', QUEST_COLOR)


TOWNSFOLK = {INNKEEPER: innkeeper, MERCHANT: merchant, SMITH: smith}


def complete(playerID, quest, exp):
    """The reward's exp (137), the quest marked done in quest_log, its progress flag cleared."""
    game.addPlayerEXP(playerID, exp)
    game.setPlayerQuestDone(playerID, quest, True)
    game.setPlayerFlag(playerID, 'quest' + str(quest), None)


# --- speech and notices ------------------------------------------------------------------------

def say(playerID, slot, text):
    line = game.getNpcName(slot) + " says, '" + text + "'"
    game.sendPacketToPlayer(game.genMessage(line, SPEECH, SPEECH_COLOR), playerID)


def notice(playerID, text, color):
    game.sendPacketToPlayer(game.genMessage(text, NOTICE, color), playerID)


# --- the inventory ---------------------------------------------------------------------------------

def count(playerID, item):
    """How many of ``item`` the player carries, over all his slots."""
    total = 0
    for slot in ALL_SLOTS:
        if game.getInventorySlotItemID(playerID, slot) == item:
            total = total + game.getInventorySlotAmount(playerID, slot)
    return total


def take(playerID, item, amount):
    """Remove ``amount`` of ``item`` (the caller checked he has it), emptying stacks it uses up."""
    for slot in ALL_SLOTS:
        if amount > 0 and game.getInventorySlotItemID(playerID, slot) == item:
            held = game.getInventorySlotAmount(playerID, slot)
            if held > amount:
                game.setInventorySlotAmount(playerID, slot, held - amount)
            else:
                game.setInventorySlotItemID(playerID, slot, -1)
            amount = amount - held


def free_bag_slot(playerID):
    for slot in BAG_SLOTS:
        if game.getInventorySlotItemID(playerID, slot) == -1:
            return slot
    return -1


def free_bag_slots(playerID):
    return len([slot for slot in BAG_SLOTS if game.getInventorySlotItemID(playerID, slot) == -1])


def give_gold(playerID, amount):
    """Add gold to the player's purse (his first gold stack, else a free bag slot); False: no room."""
    for slot in ALL_SLOTS:
        if game.getInventorySlotItemID(playerID, slot) == GOLD:
            game.setInventorySlotAmount(playerID, slot, game.getInventorySlotAmount(playerID, slot) + amount)
            return True
    return game.addItemToInventory(playerID, GOLD, amount, 0) > -1
