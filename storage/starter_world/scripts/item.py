# The "item" script: what using an item from the bag does (the client's type 9).
#
# useitem runs for EVERY item a player uses, before the server equips it. Its
# return value decides whether the server's default still runs: 0 lets it
# run (weapons and armour get equipped, keys open doors), anything else
# stops it -- a function that ends without "return" too. So every path that
# is not a potion must end in "return 0".
#
# A potion is any item whose data has "heal_hp" and/or "heal_mp" (see
# items.json): drinking one restores that much, up to the maximum, and uses
# up one potion of the stack. At full health (and mana) nothing is used.
import game

FEEDBACK = 4  # the chat channel of item feedback
NOTICE_COLOR = '#00ffff'
HP_COLOR = '#00ff00'
MP_COLOR = '#3399ff'


def useitem(playerID, itemID, slotID, itemType):
    heal_hp = amount(game.getItemData(itemID, 'heal_hp'))
    heal_mp = amount(game.getItemData(itemID, 'heal_mp'))
    if heal_hp == 0 and heal_mp == 0:
        return 0  # not a potion: let the server equip it (or open a door with it)
    if game.getPlayerHP(playerID) <= 0:
        notice(playerID, 'You cannot drink while you are dead.')
        return 1
    gained_hp = restore(playerID, heal_hp, game.getPlayerHP, game.getPlayerMaxHP, game.setPlayerHP)
    gained_mp = restore(playerID, heal_mp, game.getPlayerMP, game.getPlayerMaxMP, game.setPlayerMP)
    if gained_hp == 0 and gained_mp == 0:
        notice(playerID, 'You are already at full ' + ('health.' if heal_hp else 'mana.'))
        return 1  # nothing drunk, nothing used up
    if gained_hp > 0:
        game.createPlayerMapMessage(playerID, '+' + shown(gained_hp), HP_COLOR)
    if gained_mp > 0:
        game.createPlayerMapMessage(playerID, '+' + shown(gained_mp) + ' MP', MP_COLOR)
    use_up(playerID, slotID)
    return 1


def amount(value):
    """A potion's strength from its item data: a positive whole number, else 0."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return int(value)
    return 0


def restore(playerID, heal, current, maximum, change):
    """Raise a vital by up to ``heal``, never above its maximum; how much it rose."""
    now, top = current(playerID), maximum(playerID)
    if heal == 0 or now >= top:
        return 0
    after = min(top, now + heal)
    change(playerID, after)
    return after - now


def shown(number):
    """12 rather than 12.0; max hp may be fractional (1.5 per point of strength)."""
    return str(int(number)) if number == int(number) else str(round(number, 1))


def use_up(playerID, slotID):
    """One potion less: a flask with several doses loses one dose, a stack loses one potion."""
    count = game.getInventorySlotAmount(playerID, slotID)
    doses = game.getInventorySlotUses(playerID, slotID)
    if count <= 1 and doses > 1:
        game.setInventorySlotUses(playerID, slotID, doses - 1)
    elif count > 1:
        game.setInventorySlotAmount(playerID, slotID, count - 1)
    else:
        game.setInventorySlotItemID(playerID, slotID, -1)  # the last one: the slot is empty


def notice(playerID, text):
    game.sendPacketToPlayer(game.genMessage(text, FEEDBACK, NOTICE_COLOR, True), playerID)
