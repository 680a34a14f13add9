"""Shops (PROTOCOL 5.4): trade (11), sell / recycle (31), repair (24).  (Contract stub.)"""
from __future__ import annotations

from workers.rules.context import RuleContext
from workers.runtime import Effects, MapRuntime


def handle_trade(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    raise NotImplementedError


def handle_sell(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    raise NotImplementedError


def handle_repair(runtime: MapRuntime, effects: Effects, pid: int, packet: dict, ctx: RuleContext) -> None:
    raise NotImplementedError
