"""broker.tables: poke timers (earliest wins, min spacing) and map routes."""
from __future__ import annotations

from collections import deque

from broker.tables import MapRoute, PokeTimers, Session
from cluster import wire

SPACING = 100  # PROTOCOL guidance / 5.9: 100 ms minimum between pokes of one map


def _routes(*map_ids: int) -> dict[int, MapRoute]:
    return {map_id: MapRoute(map_id) for map_id in map_ids}


# --- PokeTimers --------------------------------------------------------------------

def test_poke_is_due_at_its_time_not_before():
    routes = _routes(1)
    timers = PokeTimers()
    timers.schedule(routes[1], 5000, SPACING)
    assert timers.next_ms() == 5000
    assert timers.due(4999, routes) == []
    assert timers.due(5000, routes) == [routes[1]]
    assert timers.due(10_000, routes) == []  # fired once only
    assert routes[1].poke_at_ms is None
    assert timers.next_ms() is None


def test_earliest_poke_wins_when_a_later_one_arrives():
    """PROTOCOL 7.4 / 8.56: the original kept the latest; a later request must not postpone."""
    routes = _routes(1)
    timers = PokeTimers()
    timers.schedule(routes[1], 1000, SPACING)
    timers.schedule(routes[1], 3000, SPACING)
    assert routes[1].poke_at_ms == 1000
    assert timers.due(1000, routes) == [routes[1]]


def test_earlier_poke_replaces_a_later_one_and_the_stale_entry_is_skipped():
    routes = _routes(1)
    timers = PokeTimers()
    timers.schedule(routes[1], 3000, SPACING)
    timers.schedule(routes[1], 1000, SPACING)
    assert routes[1].poke_at_ms == 1000
    assert timers.next_ms() == 1000
    assert timers.due(1000, routes) == [routes[1]]
    # The 3000 entry is stale: nothing fires for it.
    assert timers.due(3000, routes) == []
    assert timers.due(10_000, routes) == []


def test_min_spacing_after_the_last_poke():
    routes = _routes(1)
    timers = PokeTimers()
    timers.schedule(routes[1], 1000, SPACING)
    assert timers.due(1000, routes) == [routes[1]]
    timers.schedule(routes[1], 1010, SPACING)  # asks for 10 ms later
    assert routes[1].poke_at_ms == 1000 + SPACING
    assert timers.due(1099, routes) == []
    assert timers.due(1100, routes) == [routes[1]]


def test_spacing_counts_from_when_the_poke_was_delivered():
    routes = _routes(1)
    timers = PokeTimers()
    timers.schedule(routes[1], 1000, SPACING)
    assert timers.due(1050, routes) == [routes[1]]  # the loop was late
    timers.schedule(routes[1], 0, SPACING)  # "as soon as possible"
    assert routes[1].poke_at_ms == 1050 + SPACING


def test_spacing_is_per_map():
    routes = _routes(1, 2)
    timers = PokeTimers()
    timers.schedule(routes[1], 1000, SPACING)
    assert timers.due(1000, routes) == [routes[1]]
    timers.schedule(routes[2], 1001, SPACING)
    assert routes[2].poke_at_ms == 1001
    assert timers.due(1001, routes) == [routes[2]]


def test_several_maps_fire_in_time_order():
    routes = _routes(1, 2, 3)
    timers = PokeTimers()
    timers.schedule(routes[3], 300, SPACING)
    timers.schedule(routes[1], 100, SPACING)
    timers.schedule(routes[2], 200, SPACING)
    assert timers.due(250, routes) == [routes[1], routes[2]]
    assert timers.next_ms() == 300


def test_stale_entries_for_cancelled_or_removed_maps_are_skipped():
    routes = _routes(1, 2)
    timers = PokeTimers()
    timers.schedule(routes[1], 500, SPACING)
    timers.schedule(routes[2], 500, SPACING)
    routes[1].poke_at_ms = None  # DONE with no wake time cancels
    del routes[2]  # map released and forgotten
    assert timers.due(1000, {**routes}) == []
    assert timers.next_ms() is None


def test_reschedule_after_firing_at_the_same_time_fires_once():
    routes = _routes(1)
    timers = PokeTimers()
    timers.schedule(routes[1], 1000, SPACING)
    timers.schedule(routes[1], 1000, SPACING)  # duplicate request
    assert timers.due(1000, routes) == [routes[1]]
    assert timers.due(1000, routes) == []


# --- MapRoute ----------------------------------------------------------------------------

def _cmd(kind: str, map_id: int, seq: int, *args) -> list:
    return [kind, map_id, seq, *args]  # as broker.node.dispatch builds them


def test_ack_trims_by_sequence_number():
    route = MapRoute(4)
    route.unacked = deque(_cmd(wire.PKT, 4, seq, 9, 6, b"{}") for seq in range(1, 6))
    route.ack(3)
    assert [c[2] for c in route.unacked] == [4, 5]
    route.ack(3)  # a repeated DONE changes nothing
    assert [c[2] for c in route.unacked] == [4, 5]
    route.ack(0)
    assert [c[2] for c in route.unacked] == [4, 5]
    route.ack(10)
    assert list(route.unacked) == []
    route.ack(11)  # empty: no error


def test_ack_leaves_waiting_alone():
    route = MapRoute(4)
    route.unacked.append(_cmd(wire.PKT, 4, 1, 9, 6, b"{}"))
    route.waiting.append(_cmd(wire.PKT, 4, 2, 9, 6, b"{}"))
    route.ack(5)
    assert list(route.unacked) == [] and len(route.waiting) == 1


def test_pending_joiners_from_unacked_and_waiting():
    route = MapRoute(4)
    route.unacked.extend([_cmd(wire.JOIN, 4, 1, 11, [1, 0], {}), _cmd(wire.PKT, 4, 2, 12, 6, b"{}")])
    route.waiting.extend([_cmd(wire.JOIN, 4, 3, 13, [2, 0], {}), _cmd(wire.LEAVE, 4, 4, 14),
                          _cmd(wire.POKE, 4, 5)])
    assert route.pending_joiners() == {11, 13}
    route.ack(1)
    assert route.pending_joiners() == {13}


def test_has_work():
    route = MapRoute(4)
    assert not route.has_work()
    route.players.add(3)
    assert route.has_work()
    route.players.clear()
    route.waiting.append(_cmd(wire.POKE, 4, 1))
    assert route.has_work()


def test_routes_do_not_share_mutable_defaults():
    first, second = MapRoute(1), MapRoute(2)
    first.unacked.append(_cmd(wire.POKE, 1, 1))
    first.players.add(5)
    assert not second.unacked and not second.players
    assert (first.next_seq, first.owner, first.poke_at_ms) == (1, None, None)


def test_session_defaults_to_not_logged_in():
    session = Session("edge-1", 7)
    assert (session.pid, session.account_id, session.char_key, session.map_id) == (None, None, None, None)
