# The "playertick" script: called for each player whose data.nextTick has
# come. Every 5 seconds a living player gets back a little of his hp, mp and
# sp (one twentieth of the maximum, at least 1, never above the maximum).
# Setting nextTick is what keeps the server from calling this every 100 ms.
import game
import time

TICK_MS = 5000


def playertick(playerID):
    if game.getPlayerHP(playerID) > 0:
        regenerate(playerID, game.getPlayerHP, game.getPlayerMaxHP, game.setPlayerHP)
        regenerate(playerID, game.getPlayerMP, game.getPlayerMaxMP, game.setPlayerMP)
        regenerate(playerID, game.getPlayerSP, game.getPlayerMaxSP, game.setPlayerSP)
    game.setPlayerFlag(playerID, 'nextTick', int(time.time() * 1000) + TICK_MS)


def regenerate(playerID, current, maximum, change):
    now, top = current(playerID), maximum(playerID)
    if now < top:
        change(playerID, min(top, now + max(1, top // 20)))
