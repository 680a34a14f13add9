"""Game rules, one module per topic; ``HANDLERS`` maps a client packet type to its rule.

Every rule has the signature ``rule(runtime, effects, pid, packet, ctx)``.
Types without a rule are ignored (PROTOCOL 2.1).
"""
from __future__ import annotations

from cluster import packets
from workers.rules.account import handle_settings
from workers.rules.chat import handle_chat
from workers.rules.editors import handle_save_map, handle_save_resource, handle_save_script
from workers.rules.movement import handle_move
from workers.rules.items import handle_drop, handle_pickup, handle_use
from workers.rules.reports import handle_hack_report
from workers.rules.scripted import handle_attack, handle_click
from workers.rules.shops import handle_repair, handle_sell, handle_trade
from workers.rules.stats import handle_train

HANDLERS = {
    packets.CHAT: handle_chat,
    packets.MOVE: handle_move,
    packets.ATTACK: handle_attack,
    packets.TRAIN: handle_train,
    packets.USE_ITEM: handle_use,
    packets.PICKUP: handle_pickup,
    packets.SHOP_TRADE: handle_trade,
    packets.DROP_ITEM: handle_drop,
    packets.CLICK_TILE: handle_click,
    packets.REPAIR: handle_repair,
    packets.SELL: handle_sell,
    packets.SAVE_MAP: handle_save_map,
    packets.SAVE_ITEM: handle_save_resource,
    packets.SAVE_NPC: handle_save_resource,
    packets.SAVE_SHOP: handle_save_resource,
    packets.SAVE_PROFESSION: handle_save_resource,
    packets.SAVE_SETTINGS: handle_settings,
    packets.SAVE_SCRIPT: handle_save_script,
    packets.HACK_REPORT: handle_hack_report,
}
