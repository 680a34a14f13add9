"""Shops (PROTOCOL 5.4): trade (11), sell / recycle (31), repair (24).

A shop map is one whose record has ``shop_id`` naming a shop of the world
(``0 <= shop_id < len(shops)``).

Fixes and decisions:
* Trade (8.43): the price may come from several stacks of the take item
  (first slots first), and the granted item respects its stack ``limit``:
  it grows the last stack holding it that has room, else takes a free bag
  slot; with no room the trade fails. Failure sends nothing.
* Sell (8.14, 8.20, 8.49): only on a shop map, never for the dead, and
  a shop buys only what it sells (one of its trades gives the item; the
  original bought anything anywhere). An item the shop does not buy, one
  worth nothing, or a payment that does not fit is refused with a notice.
* Repair (8.14, 8.44, 5.4.3): **repair is done by shops, and a shop mends
  what it sells**: only on a shop map, and only items one of the shop's
  trades gives. Off a shop map the player gets one notice and no window.
  Empty slots are skipped, 119s go only for slots that changed, and a
  player holding exactly the price pays it in full (the original's ">"
  made that a partial repair). The ``winRepair`` window always ends a
  request on a shop map, as the client waits for it.
"""
from __future__ import annotations

import math
from fractions import Fraction

from cluster import packets, records
from workers.rules.context import RuleContext
from workers.rules.items import (first_free_bag_slot, find_slot, is_empty_slot, is_stackable, max_uses, new_slot,
                                 stack_limit)
from workers.runtime import Effects, MapRuntime, is_alive, is_number

SELLABLE_TYPES = (1, 2, 3, 4, 5, 11)
RING_TYPE = 11  # sells at an eighth of its value
RING_VALUE_DIVISOR = 8
TRADE_FIELDS = ("take_item_id", "take_amount", "give_item_id", "give_amount")


def shop_here(runtime: MapRuntime, ctx: RuleContext) -> dict | None:
    """This map's shop, or None when the map is not a shop."""
    return ctx.shop(runtime.record.get("shop_id"))


def _slot_packets(effects: Effects, pid: int, inventory: list, slots: list[int]) -> None:
    """119 for each slot, in order, each once."""
    for slot in dict.fromkeys(slots):
        effects.to_player(pid, packets.inventory_slot(pid, slot, inventory[slot]))


def _notice(effects: Effects, pid: int, text: str) -> None:
    effects.to_player(pid, packets.chat(text, packets.CHANNEL_COMBAT, packets.COLOR_RED, True))


def _name(ctx: RuleContext, item_id) -> str:
    name = (ctx.item(item_id) or {}).get("name")
    return name if isinstance(name, str) and name else f"item {item_id}"


def _shop_name(shop: dict) -> str:
    name = shop.get("name")
    return name if isinstance(name, str) and name else "This shop"


def _number(value) -> bool:
    """A finite int or float (JSON may carry NaN and Infinity; bools are not numbers)."""
    return is_number(value) and math.isfinite(value)


def _copy_inventory(inventory: list) -> list:
    return [dict(slot) if isinstance(slot, dict) else records.empty_inventory_slot() for slot in inventory]


# --- the two halves of a trade ------------------------------------------------------------

def take_from_stacks(inventory: list, item_id: int, amount: int) -> list[int] | None:
    """Remove ``amount`` of an item, first slots first; the slots changed, or None (nothing
    changed) when all the stacks together hold less. Emptied slots become {-1, 0, 0}."""
    holding = [slot for slot, held in enumerate(inventory[:records.INVENTORY_SLOTS])
               if not is_empty_slot(held) and held["item_id"] == item_id
               and type(held.get("amount")) is int and held["amount"] > 0]
    if sum(inventory[slot]["amount"] for slot in holding) < amount:
        return None
    changed, left = [], amount
    for slot in holding:
        if left == 0:
            break
        taken = min(left, inventory[slot]["amount"])
        left -= taken
        changed.append(slot)
        if taken == inventory[slot]["amount"]:
            inventory[slot] = records.empty_inventory_slot()
        else:
            inventory[slot]["amount"] -= taken
    return changed


def give_as_shop(inventory: list, item_id: int, amount: int, ctx: RuleContext) -> int:
    """Grant ``amount`` of an item as a shop does; the slot it went to, or -1 (nothing changed).

    A stackable item grows the last stack holding it that has room for the
    whole amount; otherwise (or for other items) it starts a stack of at most
    its limit in the first free bag slot, with the item's full ``uses``.
    """
    definition = ctx.item(item_id)
    limit = stack_limit(definition)
    if is_stackable(definition):
        for slot in range(min(len(inventory), records.INVENTORY_SLOTS) - 1, -1, -1):
            held = inventory[slot]
            if is_empty_slot(held) or held["item_id"] != item_id or type(held.get("amount")) is not int:
                continue
            if limit == 0 or held["amount"] + amount <= limit:
                held["amount"] += amount
                return slot
    slot = first_free_bag_slot(inventory)
    if slot < 0 or (limit and amount > limit):
        return -1
    inventory[slot] = new_slot(item_id, amount, max_uses(definition))
    return slot


# --- trade (5.4.1) ------------------------------------------------------------------------

def handle_trade(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 11: carry out the shop's trade number ``slot_id``; a failed trade sends nothing."""
    player = runtime.players.get(pid)
    shop = shop_here(runtime, ctx)
    if player is None or shop is None or not is_alive(player.record):
        return
    trade = _trade(shop, packet.get("slot_id"), ctx)
    if trade is None:
        return
    take_id, take_amount, give_id, give_amount = (trade[name] for name in TRADE_FIELDS)
    trial = _copy_inventory(player.record["inv"])
    taken = take_from_stacks(trial, take_id, take_amount)
    if taken is None:
        return
    destination = give_as_shop(trial, give_id, give_amount, ctx)
    if destination < 0:
        return
    player.record["inv"][:] = trial
    runtime.player_changed(pid)
    _slot_packets(effects, pid, trial, [destination, *taken])


def _trade(shop: dict, index, ctx: RuleContext) -> dict | None:
    """The shop's trade ``index`` when it is a well-formed trade of a known give item."""
    trades = shop.get("trades")
    if not isinstance(trades, list) or type(index) is not int or not 0 <= index < len(trades):
        return None
    trade = trades[index]
    if not isinstance(trade, dict) or not all(type(trade.get(name)) is int for name in TRADE_FIELDS):
        return None
    if trade["take_item_id"] < 0 or trade["take_amount"] <= 0 or trade["give_amount"] <= 0:
        return None
    return trade if trade["give_item_id"] >= 0 and ctx.item(trade["give_item_id"]) else None


# --- sell / recycle (5.4.2) ---------------------------------------------------------------

def handle_sell(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 31: sell the whole stack of an equipment slot for its value in the repair currency."""
    player = runtime.players.get(pid)
    slot_id = packet.get("slot_id")
    shop = shop_here(runtime, ctx)
    if player is None or shop is None or not is_alive(player.record):
        return
    if type(slot_id) is not int or not 0 <= slot_id < records.INVENTORY_SLOTS:
        return
    held = player.record["inv"][slot_id]
    definition = None if is_empty_slot(held) else ctx.item(held["item_id"])
    if definition is None or not _sellable(definition, ctx):
        return
    if held["item_id"] not in items_sold(shop):
        _notice(effects, pid, f"{_shop_name(shop)} does not buy the {_name(ctx, held['item_id'])}.")
        return
    value = sale_value(definition, held.get("uses", 0))
    currency = definition["repair_id"]
    if value <= 0:
        _notice(effects, pid, f"The {_name(ctx, held['item_id'])} is worth nothing.")
        return
    trial = _copy_inventory(player.record["inv"])
    trial[slot_id] = records.empty_inventory_slot()
    destination = give_as_shop(trial, currency, value, ctx)
    if destination < 0:
        _notice(effects, pid, f"You have no room for the {_name(ctx, currency)}.")
        return
    player.record["inv"][:] = trial
    runtime.player_changed(pid)
    _slot_packets(effects, pid, trial, [destination, slot_id])
    effects.to_player(pid, packets.window(
        packets.WIN_RECYCLE, f"You sold the {_name(ctx, held['item_id'])} for {value} {_name(ctx, currency)}."))


def _sellable(definition: dict, ctx: RuleContext) -> bool:
    """Equipment with a repair price in a known currency and a durability."""
    kind, cost, currency = definition.get("type"), definition.get("repair_cost"), definition.get("repair_id")
    return (type(kind) is int and kind in SELLABLE_TYPES and _number(cost) and cost > 0
            and type(currency) is int and currency > 0 and ctx.item(currency) is not None
            and max_uses(definition) > 0)


def sale_value(definition: dict, uses) -> int:
    """floor(repair_cost / max_uses × uses), an eighth of it (floored) for rings; uses
    outside 0..max count as the nearest bound, so no script-set durability mints money."""
    most = max_uses(definition)
    uses = min(max(uses, 0), most) if type(uses) is int else 0
    value = math.floor(Fraction(definition["repair_cost"]) / most * uses)
    return value // RING_VALUE_DIVISOR if definition.get("type") == RING_TYPE else value


# --- repair (5.4.3) -----------------------------------------------------------------------

def handle_repair(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    """Type 24: the shop mends one slot (``slot_id``) or every slot, for the repair currency."""
    player = runtime.players.get(pid)
    if player is None:
        return
    if "slot_id" in packet:
        slot_id = packet["slot_id"]
        if type(slot_id) is not int or not 0 <= slot_id < records.INVENTORY_SLOTS:
            return
        slots = [slot_id]
    else:
        slots = list(range(records.INVENTORY_SLOTS))
    shop = shop_here(runtime, ctx)
    if shop is None:
        _notice(effects, pid, "There is no one here who can repair your things.")
        return
    sold = items_sold(shop)
    repaired, paid = [], {}
    for slot in slots:
        item_id, cost = _repair_slot(runtime, effects, player, slot, sold, ctx)
        if item_id is not None:
            repaired.append(_name(ctx, item_id))
            currency = ctx.item(item_id)["repair_id"]
            paid[currency] = paid.get(currency, 0) + cost
    effects.to_player(pid, packets.window(packets.WIN_REPAIR, _repair_message(repaired, paid, ctx)))


def items_sold(shop: dict) -> set:
    """The items a shop's trades give: what it knows how to mend."""
    trades = shop.get("trades")
    return {trade.get("give_item_id") for trade in trades if isinstance(trade, dict)} \
        if isinstance(trades, list) else set()


def _repair_slot(runtime: MapRuntime, effects: Effects, player, slot: int, sold: set,
                 ctx: RuleContext) -> tuple[int | None, int]:
    """Mend one slot as far as the currency held pays for; (item id, price paid), or (None, 0)
    when nothing changed. Sends 119 for the currency slot, then the item slot, if changed."""
    inventory = player.record["inv"]
    held = inventory[slot]
    if is_empty_slot(held) or held["item_id"] not in sold:
        return None, 0
    definition = ctx.item(held["item_id"])
    most, uses = max_uses(definition), held.get("uses", 0)
    cost, currency = (definition or {}).get("repair_cost"), (definition or {}).get("repair_id")
    if not most or not _number(cost) or cost <= 0 or type(currency) is not int or currency < 0:
        return None, 0
    wallet = find_slot(inventory, currency)
    if wallet < 0 or type(uses) is not int or uses >= most or type(inventory[wallet].get("amount")) is not int:
        return None, 0
    restored, price = repair_quote(cost, most, uses, inventory[wallet]["amount"])
    if restored <= 0:
        return None, 0
    held["uses"] = uses + restored
    changed = [slot]
    if price:
        inventory[wallet]["amount"] -= price
        if inventory[wallet]["amount"] <= 0:
            inventory[wallet] = records.empty_inventory_slot()
        changed.insert(0, wallet)
    runtime.player_changed(player.pid)
    _slot_packets(effects, player.pid, inventory, changed)
    return held["item_id"], price


def repair_quote(repair_cost, most: int, uses: int, held: int) -> tuple[int, int]:
    """(uses restored, price) for mending an item at ``uses`` of ``most`` with ``held`` currency.

    The full price is floor(repair_cost / max × (max − uses)) and is paid
    when held covers it; otherwise as many uses as held pays for, at
    repair_cost / max each, for floor(per use × restored).
    """
    per_use = Fraction(repair_cost) / most
    full_price = math.floor(per_use * (most - uses))
    if held >= full_price:
        return most - uses, full_price
    restored = math.floor(held / per_use) if held > 0 else 0
    return restored, math.floor(per_use * restored)


def _repair_message(repaired: list[str], paid: dict, ctx: RuleContext) -> str:
    if not repaired:
        return "Nothing needed repair."
    costs = [f"{amount} {_name(ctx, currency)}" for currency, amount in paid.items() if amount]
    price = " and ".join(costs) if costs else "nothing"
    return f"Repaired {', '.join(repaired)} for {price}."
