"""workers.rules.editors: saving items (13), NPCs (14), shops (15), professions (18) and
scripts (26) (PROTOCOL 2.3, 4.5, and 8.24: appends allowed, negative ids refused)."""
from __future__ import annotations

import copy

import pytest
from editortools import ITEMS, NPCS, PROFESSIONS, SHOPS, assert_refused, send, staff_map

# kind → (packet type, id field, record field, the starter world's list)
KINDS = {
    "item": (13, "item_id", "item", ITEMS),
    "npc": (14, "npc_id", "npc", NPCS),
    "shop": (15, "shop_id", "shop", SHOPS),
    "profession": (18, "profession_id", "profession", PROFESSIONS),
}


def save(kind: str, index, record, access=1):
    packet_type, id_field, record_field, _records = KINDS[kind]
    return send(staff_map(access), {"type": packet_type, id_field: index, record_field: record})


def first(kind: str) -> dict:
    """A deep copy of the starter world's record 0 of ``kind``."""
    return copy.deepcopy(KINDS[kind][3][0])


# --- ids ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("where", ["first", "last", "append"])
def test_an_existing_id_or_the_lists_length_is_a_save_request(kind, where):
    count = len(KINDS[kind][3])
    index = {"first": 0, "last": count - 1, "append": count}[where]
    record = first(kind)
    effects = save(kind, index, record)
    assert effects.messages == []
    assert effects.requests == [("save_resource", {"pid": 1, "kind": kind, "index": index,
                                                   "record": record})]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("index", ["past the end", -1, -5, True, False, "0", 1.0, None])
def test_ids_past_the_end_negative_or_not_ints_are_refused(kind, index):
    if index == "past the end":
        index = len(KINDS[kind][3]) + 1
    assert_refused(save(kind, index, first(kind)))


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("record", [None, [], "record", 5])
def test_a_record_that_is_not_an_object_is_refused(kind, record):
    assert_refused(save(kind, 0, record))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_record_of_64_kb_or_more_is_refused(kind):
    assert_refused(save(kind, 0, {**first(kind), "desc": "x" * 65536}))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_fields_pass_through_and_known_ones_may_be_absent(kind):
    record = {"name": "Only a name", "note": {"free": [1, 2.5, "text"]}}
    effects = save(kind, 0, record)
    assert effects.messages == [] and effects.requests[0][1]["record"] == record


# --- fields ----------------------------------------------------------------------------------
def _with(kind, **changes):
    record = first(kind)
    for key, value in changes.items():
        record[key] = value
    return record


MALFORMED_FIELDS = {
    "item type '1'": ("item", {"type": "1"}),
    "item type true": ("item", {"type": True}),
    "item prof_req_flags 1.5": ("item", {"prof_req_flags": 1.5}),
    "item uses -1": ("item", {"uses": -1}),
    "item limit -1": ("item", {"limit": -1}),
    "item repair_cost -0.5": ("item", {"repair_cost": -0.5}),
    "item repair_cost '1'": ("item", {"repair_cost": "1"}),
    "item repair_cost NaN": ("item", {"repair_cost": float("nan")}),
    "item repair_id past the items": ("item", {"repair_id": len(ITEMS) + 1}),
    "item repair_id 1.0": ("item", {"repair_id": 1.0}),
    "item data a list": ("item", {"data": []}),
    "item data min_damage '1'": ("item", {"data": {"min_damage": "1"}}),
    "npc vitals without sp": ("npc", {"vitals": {"hp": 1, "mp": 1}}),
    "npc vitals hp '1'": ("npc", {"vitals": {"hp": "1", "mp": 1, "sp": 1}}),
    "npc stats a list": ("npc", {"stats": [1, 2, 3, 4]}),
    "npc stats without spd": ("npc", {"stats": {"str": 1, "def": 1, "mag": 1}}),
    "npc move_amount 0": ("npc", {"move_amount": 0}),
    "npc pursue_run 1": ("npc", {"pursue_run": 1}),
    "npc drop_items an object": ("npc", {"drop_items": {}}),
    "npc drop of no item": ("npc", {"drop_items": [{"item_id": 99, "chance": 5, "amount": 1}]}),
    "npc drop without chance": ("npc", {"drop_items": [{"item_id": 1, "amount": 1}]}),
    "npc drop of amount 0": ("npc", {"drop_items": [{"item_id": 1, "chance": 5, "amount": 0}]}),
    "shop name 5": ("shop", {"name": 5}),
    "shop join_say none": ("shop", {"join_say": None}),
    "shop trades an object": ("shop", {"trades": {}}),
    "shop trade of no item": ("shop", {"trades": [{"take_item_id": 1, "take_amount": 1,
                                                   "give_item_id": len(ITEMS), "give_amount": 1}]}),
    "shop trade of item -1": ("shop", {"trades": [{"take_item_id": -1, "take_amount": 1,
                                                   "give_item_id": 2, "give_amount": 1}]}),
    "shop trade without give_amount": ("shop", {"trades": [{"take_item_id": 1, "take_amount": 1,
                                                            "give_item_id": 2}]}),
    "shop trade amount '1'": ("shop", {"trades": [{"take_item_id": 1, "take_amount": "1",
                                                   "give_item_id": 2, "give_amount": 1}]}),
    "shop trade of amount -3": ("shop", {"trades": [{"take_item_id": 1, "take_amount": -3,
                                                     "give_item_id": 2, "give_amount": 1}]}),
    "profession name a list": ("profession", {"name": ["W"]}),
    "profession start x 12": ("profession", {"start_pos": {"x": 12, "y": 5, "dir": 0, "map_id": 0}}),
    "profession start dir 4": ("profession", {"start_pos": {"x": 5, "y": 5, "dir": 4, "map_id": 0}}),
    "profession start map 99": ("profession", {"start_pos": {"x": 5, "y": 5, "dir": 0, "map_id": 99}}),
    "profession start map -1": ("profession", {"start_pos": {"x": 5, "y": 5, "dir": 0, "map_id": -1}}),
    "profession start without y": ("profession", {"start_pos": {"x": 5, "dir": 0, "map_id": 0}}),
    "profession vitals a number": ("profession", {"vitals": 30}),
    "profession stats mag '0'": ("profession", {"stats": {"str": 5, "def": 4, "mag": "0", "spd": 2}}),
    "profession sprite_male '1'": ("profession", {"sprite_male": "1"}),
    "profession sprite_female 1.5": ("profession", {"sprite_female": 1.5}),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_FIELDS))
def test_a_malformed_field_gets_one_red_notice(name):
    kind, changes = MALFORMED_FIELDS[name]
    assert_refused(save(kind, 0, _with(kind, **changes)))


def test_an_appended_item_may_be_its_own_repair_currency():
    effects = save("item", len(ITEMS), _with("item", repair_id=len(ITEMS)))
    assert effects.messages == [] and len(effects.requests) == 1


def test_fractional_and_negative_numbers_where_the_protocol_allows_them():
    npc = _with("npc", stats={"str": 1.5, "def": 0, "mag": 0, "spd": -40}, scale=0.5)
    assert save("npc", 0, npc).messages == []
    item = _with("item", repair_cost=2.5, repair_id=-1, type=42)
    assert save("item", 0, item).messages == []


def test_refused_resources_do_not_depend_on_the_last_player():
    """Ann (access 0) is refused silently even though Bob, last on the map, has access 4."""
    effects = save("item", 0, first("item"), access=0)
    assert effects.messages == [] and effects.requests == []


# --- type 26: scripts ----------------------------------------------------------------------------
def save_script(name, script, access=4):
    return send(staff_map(access), {"type": 26, "name": name, "script": script})


@pytest.mark.parametrize("name", ["a", "x" * 64, "attack", "Hit_Player-2", "0"])
def test_script_names_of_1_to_64_safe_characters_are_saved(name):
    text = "def handleChat(playerID, text):\n    return 1\n"
    effects = save_script(name, text)
    assert effects.messages == []
    assert effects.requests == [("save_script", {"pid": 1, "name": name, "script": text})]


@pytest.mark.parametrize("text", ["return 1", "def f(:\n", "import os\n", "x.__class__\n"])
def test_a_script_the_sandbox_refuses_is_not_saved_and_the_editor_hears_the_line(text):
    effects = save_script("broken", text)
    assert effects.requests == []
    assert_refused(effects)
    assert "line 1" in effects.messages[0][1]["text"]


def test_an_empty_script_is_a_delete_request():
    effects = save_script("old", "")
    assert effects.requests == [("save_script", {"pid": 1, "name": "old", "script": ""})]


@pytest.mark.parametrize("name", ["", "x" * 65, "a b", "../etc", "a/b", "a.py", "é", "ａ", "a\n",
                                  None, 5, ["a"]])
def test_bad_script_names_are_refused(name):
    assert_refused(save_script(name, "return 1"))


def test_a_script_just_under_64_kb_is_saved_and_64_kb_is_refused():
    assert save_script("big", "#" * 65535).messages == []
    assert_refused(save_script("big", "#" * 65536))
    assert_refused(save_script("big", "é" * 32768))  # 64 KB in UTF-8


@pytest.mark.parametrize("script", [None, 5, ["print(1)"], {"code": ""}, "bad \ud800"])
def test_a_script_that_is_not_text_is_refused(script):
    assert_refused(save_script("attack", script))


def test_an_empty_script_is_text():
    assert save_script("attack", "").requests[0][1]["script"] == ""


def test_script_saving_needs_access_4():
    effects = save_script("attack", "return 1", access=3)
    assert effects.messages == [] and effects.requests == []

