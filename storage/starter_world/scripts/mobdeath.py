# The "mobdeath" script: called when a monster's hp reaches 0. genericdeath
# runs for every monster without its own mobdeath_<npc id> function.
#
# Returning 0 lets the server do the rest (exp to the fighters, drops,
# respawn). Anything else -- a function that ends without "return" too --
# would leave the corpse in place and call this again on every pass until
# the script clears it, so keep it 0 unless you mean it.
#
# Quest "Clear the crypt" (quest 1 of quests.json, given by Tilda in the
# "click" script): every player who fought a Skeleton on the crypt map (he
# is on its aggro list, as for the exp) and has the quest in progress gets
# one more kill in his flag "quest1". Keep these constants in step with
# click.py.
import game

SKELETON, CRYPT_MAP = 5, 8  # npcs.json, maps/8.json
QUEST_CRYPT, CRYPT_SKELETONS = 1, 2
QUEST_COLOR = '#ffff00'


def genericdeath(slot):
    game.createMapMessage(game.getNpcX(slot), game.getNpcY(slot), 'Defeated!', '#ffff00')
    if game.getNpcID(slot) == SKELETON and game.getMapID() == CRYPT_MAP:
        count_crypt_kill(slot)
    return 0


def count_crypt_kill(slot):
    flag = 'quest' + str(QUEST_CRYPT)
    for playerID, aggro in game.getAggroList(slot):
        defeated = game.getPlayerFlag(playerID, flag)
        if isinstance(defeated, int) and defeated < CRYPT_SKELETONS:
            defeated = defeated + 1
            game.setPlayerFlag(playerID, flag, defeated)
            text = 'Clear the crypt: ' + str(defeated) + ' of ' + str(CRYPT_SKELETONS) + ' Skeletons defeated.'
            if defeated == CRYPT_SKELETONS:
                text = text + ' Return to Tilda for your pay.'
            game.sendPacketToPlayer(game.genMessage(text, 0, QUEST_COLOR), playerID)
