"""The world file format, the starter world and the generated bench world."""

from __future__ import annotations

import collections
import copy
import pathlib
import shutil

import pytest

from cluster.bench import worldgen
from cluster.records import MAP_SIZE, RESOURCE_NAMES
from cluster.tiles import player_may_enter
from storage.worldcheck import validate_world
from storage.worldfiles import read_world, write_world

STARTER = pathlib.Path(__file__).resolve().parents[2] / "storage" / "starter_world"
STEPS = ((0, 1), (-1, 0), (1, 0), (0, -1))  # index = dir (PROTOCOL 0.3)
EDGE_LINKS = ("map_south_id", "map_west_id", "map_east_id", "map_north_id")  # index = dir


@pytest.fixture(scope="module")
def starter():
    return read_world(STARTER)


def _world_files(directory: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*.json"))}


def test_round_trip_is_byte_identical(tmp_path, starter):
    write_world(tmp_path / "a", *starter)
    write_world(tmp_path / "b", *read_world(tmp_path / "a"))
    assert _world_files(tmp_path / "a") == _world_files(STARTER)
    assert _world_files(tmp_path / "b") == _world_files(STARTER)


def test_round_trip_keeps_unknown_keys_and_unicode(tmp_path, starter):
    maps, resources = copy.deepcopy(starter)
    maps[0].update(name="Café «Ödön»", treasure=True,
                   zz_script_flag={"b": 1.5, "a": [1, "é"]})
    maps[0]["tiles"][5][5]["data"]["note"] = "línea\nnueva"
    resources["quests"].append({"steps": [{"kill": 3}], "name": "Extra"})
    write_world(tmp_path / "a", maps, resources)
    assert read_world(tmp_path / "a") == (maps, resources)
    write_world(tmp_path / "b", *read_world(tmp_path / "a"))
    assert _world_files(tmp_path / "a") == _world_files(tmp_path / "b")


def test_layout_has_one_tile_per_line(starter):
    text = (STARTER / "maps" / "0.json").read_text(encoding="utf-8")
    tile_lines = [line for line in text.splitlines() if '"layers"' in line]
    assert len(tile_lines) == MAP_SIZE * MAP_SIZE
    assert len(text.splitlines()) < 250


def test_write_removes_stale_map_files(tmp_path, starter):
    maps, resources = starter
    write_world(tmp_path, maps, resources)
    write_world(tmp_path, {0: maps[0]}, resources)
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["0.json"]


@pytest.mark.parametrize("relative, text", [
    ("maps/3.json", '{"name": "x", '),
    ("maps/3.json", "[1, 2]"),
    ("maps/03.json", "{}"),
    ("items.json", '{"not": "a list"}'),
    ("npcs.json", "[NaN]"),
    ("shops.json", '[{"name": "a", "name": "b"}]'),
    ("quests.json", None),
])
def test_malformed_file_raises_value_error_naming_it(tmp_path, relative, text):
    shutil.copytree(STARTER, tmp_path, dirs_exist_ok=True)
    path = tmp_path / relative
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        read_world(tmp_path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message


def test_starter_world_is_valid(starter):
    assert validate_world(*starter) == []


def test_starter_world_has_every_feature(starter):
    maps, resources = starter
    assert len(maps) >= 8
    tile_types = {t["type"] for m in maps.values() for column in m["tiles"] for t in column}
    assert {0, 1, 2, 3, 4, 6, 9, 10, 17} <= tile_types
    assert {m.get("shop_id") for m in maps.values()} >= {0, 1}
    assert maps[0]["map_east_id"] == 1 and maps[0]["map_south_id"] == 2
    assert any(n >= 0 for m in maps.values() for n in m["spawn_npc_ids"])
    assert any(m["music_id"] > -1 for m in maps.values())
    assert [p["start_pos"]["map_id"] for p in resources["professions"]] == [0, 0, 0, 0]
    items = resources["items"]
    assert {1, 2, 3, 4, 5, 8, 11} <= {i["type"] for i in items}
    assert any(i["type"] in (0, 6) and i["limit"] == 0 for i in items)  # a currency
    assert items[0]["name"] != "Gold"
    warps = [(map_id, t["data"]["map_id"]) for map_id, m in maps.items()
             for column in m["tiles"] for t in column if t["type"] == 3]
    assert any(a == b for a, b in warps) and any(a != b for a, b in warps)
    for m in maps.values():
        for column in m["tiles"]:
            for tile in column:
                if tile["type"] == 9:  # a door opens with a key
                    assert items[tile["data"]["item_id"]]["type"] == 8
                if tile["type"] == 10:  # a trigger opens a wall
                    target = m["tiles"][tile["data"]["x"]][tile["data"]["y"]]
                    assert target["type"] == 1


def _neighbours(maps: dict, map_id: int, x: int, y: int) -> list[tuple[int, int, int]]:
    """Where one step from (map_id, x, y) can lead: a warp's target, or 4 steps and edge links."""
    tile = maps[map_id]["tiles"][x][y]
    if tile["type"] == 3:
        return [(tile["data"]["map_id"], tile["data"]["x"], tile["data"]["y"])]
    targets = []
    for direction, (dx, dy) in enumerate(STEPS):
        nx, ny = x + dx, y + dy
        if 0 <= nx < MAP_SIZE and 0 <= ny < MAP_SIZE:
            targets.append((map_id, nx, ny))
        elif maps[map_id][EDGE_LINKS[direction]] > -1:
            targets.append((maps[map_id][EDGE_LINKS[direction]], nx % MAP_SIZE, ny % MAP_SIZE))
    return targets


def _reachable_tiles(maps: dict, start: tuple[int, int, int]) -> set[tuple[int, int, int]]:
    """(map, x, y) a player can reach: steps, edge links, warps, trigger-opened walls."""
    opened: set[tuple[int, int, int]] = set()
    while True:
        seen = {start}
        queue = collections.deque([start])
        while queue:
            for target in _neighbours(maps, *queue.popleft()):
                t_map, t_x, t_y = target
                tile = maps[t_map]["tiles"][t_x][t_y]
                if target not in seen and (player_may_enter(tile) or target in opened):
                    seen.add(target)
                    queue.append(target)
        now_opened = {(m, t["data"]["x"], t["data"]["y"]) for m, x, y in seen
                      if (t := maps[m]["tiles"][x][y])["type"] == 10}
        if now_opened <= opened:
            return seen
        opened |= now_opened


def test_every_walkable_starter_tile_is_reachable_from_the_start(starter):
    maps, resources = starter
    start_pos = resources["professions"][0]["start_pos"]
    reached = _reachable_tiles(maps, (start_pos["map_id"], start_pos["x"], start_pos["y"]))
    walkable = {(map_id, x, y) for map_id, m in maps.items() for x in range(MAP_SIZE)
                for y in range(MAP_SIZE) if player_may_enter(m["tiles"][x][y])}
    assert walkable - reached == set()


@pytest.mark.parametrize("break_it, expected", [
    (lambda m, r: m[1].update(map_west_id=-1), "map 0: map_east_id is 1"),
    (lambda m, r: m[0]["tiles"][3][3]["layers"].pop(), "map 0 tile (3,3): layers"),
    (lambda m, r: m[0]["tiles"][11].__setitem__(4, {"layers": [-1] * 10, "type": 1,
                                                    "data": {"block_ranged": True}}),
     "map 0 tile (11,4): linked edge"),
    (lambda m, r: m[2]["tiles"][2][9]["data"].update(item_id=99), "item 99 does not exist"),
    (lambda m, r: m[2]["tiles"][2][9]["data"].pop("amount"), "amount (want int)"),
    (lambda m, r: r["professions"][0]["start_pos"].update(x=0, y=1), "professions[0] start_pos"),
    (lambda m, r: r["shops"][0]["trades"][0].update(give_item_id=50), "shops[0] entry 0"),
    (lambda m, r: m[4].update(shop_id=7), "map 4: shop 7 does not exist"),
    (lambda m, r: m[0].update(spawn_npc_ids=[-20]), "map 0: spawn_npc_ids"),
    (lambda m, r: m[0].update(forbid_attack=0), "forbid_attack (want bool)"),
])
def test_validator_reports_each_problem(starter, break_it, expected):
    maps, resources = copy.deepcopy(starter)
    break_it(maps, resources)
    problems = validate_world(maps, resources)
    assert any(expected in problem for problem in problems), problems


@pytest.fixture(scope="module")
def bench_world():
    return worldgen.generate_world(100)


def test_generated_world_is_valid(bench_world):
    assert validate_world(*bench_world) == []
    maps, resources = bench_world
    assert sorted(maps) == list(range(100))
    assert set(resources) == set(RESOURCE_NAMES)


def test_generated_profession_i_starts_on_map_i(bench_world):
    maps, resources = bench_world
    professions = resources["professions"]
    assert len(professions) == len(maps)
    for map_id, profession in enumerate(professions):
        pos = profession["start_pos"]
        assert pos["map_id"] == map_id
        assert maps[map_id]["tiles"][pos["x"]][pos["y"]]["type"] == 0


def test_generated_maps_are_a_linked_grid_of_open_maps(bench_world):
    maps, _resources = bench_world
    assert maps[0]["map_east_id"] == 1 and maps[0]["map_south_id"] == 10
    assert maps[99]["map_north_id"] == 89 and maps[99]["map_west_id"] == 98
    for map_id, record in maps.items():
        assert record["spawn_npc_ids"] == [-1] * 20 and record["music_id"] == -1
        reached = _reachable_tiles({map_id: {**record, **{k: -1 for k in EDGE_LINKS}}},
                                   (map_id, 5, 5))
        floor = {(map_id, x, y) for x in range(MAP_SIZE) for y in range(MAP_SIZE)
                 if record["tiles"][x][y]["type"] == 0}
        assert reached == floor
        assert any(t["type"] == 1 for column in record["tiles"] for t in column)


def test_generated_world_is_deterministic_and_odd_sizes_work():
    assert worldgen.generate_world(7, seed=5) == worldgen.generate_world(7, seed=5)
    assert worldgen.generate_world(7, seed=5)[0] != worldgen.generate_world(7, seed=6)[0]
    for n_maps in (1, 2, 7, 10):
        assert validate_world(*worldgen.generate_world(n_maps)) == []


def test_main_writes_the_world(tmp_path, capsys):
    assert worldgen.main(["--maps", "6", "--seed", "2", str(tmp_path)]) == 0
    maps, resources = read_world(tmp_path)
    assert sorted(maps) == list(range(6)) and len(resources["professions"]) == 6
    assert len(capsys.readouterr().out.strip().splitlines()) == 1
