# The "mobdeath" script: called when a monster's hp reaches 0. genericdeath
# runs for every monster without its own mobdeath_<npc id> function.
#
# Returning 0 lets the server do the rest (exp to the fighters, drops,
# respawn). Returning 1 would leave the corpse in place and call this again
# on every pass until the script clears it, so keep it 0 unless you mean it.
import game


def genericdeath(slot):
    game.createMapMessage(game.getNpcX(slot), game.getNpcY(slot), 'Defeated!', '#ffff00')
    return 0
