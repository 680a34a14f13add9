"""``odyssey bench`` against the fake edge (tests/unit/fake_edge.py), and a bot's session alone."""
from __future__ import annotations

import asyncio
import io
import json
import random

from fake_edge import MAP_SIZE, FakeWorld, fake_edge

from cluster.bench import command as bench_command
from cluster.bench import runner as bench
from cluster.bench.report import format_result
from cluster.bench.session import BotIdentity, BotProtocolError, BotSession, ServerBusy, Stage


def test_bench_walks_and_measures_against_the_fake_edge() -> None:
    world = FakeWorld(professions=3)
    with fake_edge(world) as url:
        options = bench.BenchOptions(url=url, bots=6, per_map=3, seconds=2.0, connect_rate=100.0, chat_every=1.0,
                                     ramp_timeout=10.0, seed=7)
        result = asyncio.run(bench.run_bench(options))
    assert result.bots_in_game == 6
    assert result.errors == 0, result.error_samples
    assert result.moves_per_s > 0 and result.relays_per_s > 0
    assert result.latency_samples > 0 and 0 < result.latency_p50_ms <= result.latency_p99_ms <= result.latency_max_ms
    assert result.chats_sent == len(world.chats) > 0
    assert sorted(world.profession_ids) == [0, 0, 0, 1, 1, 1]
    # Each bot walked only onto floor / no-warp tiles, from where it really stood.
    assert world.resync_rejects == 0
    assert world.bad_steps == 0
    assert result.moves_sent == world.moves


def test_bench_spreads_over_few_professions_and_prints_a_note() -> None:
    world = FakeWorld(professions=1)
    progress = io.StringIO()
    with fake_edge(world) as url:
        options = bench.BenchOptions(url=url, bots=4, per_map=2, seconds=1.0, connect_rate=100.0, ramp_timeout=10.0)
        result = asyncio.run(bench.run_bench(options, progress=progress))
    assert result.bots_in_game == 4 and result.errors == 0 and result.start_maps == 1
    assert world.profession_ids == [0, 0, 0, 0]
    assert "spread over only 1 start maps" in progress.getvalue()
    assert "connecting: " in progress.getvalue()


def test_busy_account_replies_are_retried_after_a_back_off_and_counted() -> None:
    world = FakeWorld(professions=2, busy_replies=5)
    progress = io.StringIO()
    with fake_edge(world) as url:
        options = bench.BenchOptions(url=url, bots=4, per_map=2, seconds=1.0, connect_rate=100.0, ramp_timeout=30.0,
                                     chat_every=0, seed=3)
        result = asyncio.run(bench.run_bench(options, progress=progress))
    assert world.busy_sent == 5
    assert result.busy_retries == 5 and result.errors == 0, result.error_samples
    assert result.bots_in_game == 4 and world.next_player_id == 5  # every bot got its account in the end
    assert "5 busy retries" in format_result(result)
    assert "busy retries" in progress.getvalue()


def test_a_busy_reply_is_not_a_protocol_error_but_other_login_windows_are() -> None:
    session = BotSession(BotIdentity.for_bot("t", 0), per_map=1)
    try:
        session.on_message({"type": 100, "win": "winLogin", "message": "Server BUSY, try later"})
    except ServerBusy:
        pass
    else:
        raise AssertionError("a busy winLogin must raise ServerBusy")
    assert session.pending_request() == session.hello()  # the step to retry: the account request


def test_refused_character_names_are_protocol_errors() -> None:
    world = FakeWorld(refuse_names=True)
    with fake_edge(world) as url:
        options = bench.BenchOptions(url=url, bots=3, per_map=3, seconds=1.0, connect_rate=100.0, ramp_timeout=5.0)
        result = asyncio.run(bench.run_bench(options))
    assert result.bots_in_game == 0 and result.seconds_measured == 0
    assert result.protocol_errors == 3 and result.errors == 3
    assert "name is taken" in result.error_samples[0]


def test_main_reports_connect_failures_as_json_with_exit_code_1(capsys) -> None:
    with fake_edge(FakeWorld()) as url:
        pass  # the port is closed again: nothing listens there now
    code = bench_command.main(["--url", url, "--bots", "2", "--seconds", "1", "--ramp-timeout", "5", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["connect_failures"] == 2 and report["bots_in_game"] == 0


def test_main_text_report_and_exit_code_0(capsys) -> None:
    with fake_edge(FakeWorld()) as url:
        code = bench_command.main(["--url", url, "--bots", "3", "--per-map", "1", "--seconds", "1", "--chat-every", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "bots in game:        3/3" in out and "errors:              0" in out


def test_session_walks_only_on_walkable_tiles_inside_the_map() -> None:
    session = BotSession(BotIdentity.for_bot("t", 4), per_map=2)
    session.on_message({"type": 102, "profession": [{}, {}, {}]})
    (create,) = session.on_message({"type": 100, "win": "winSelectPlayer", "message": ""})
    assert create == {"type": 3, "name": "bt4", "profession_id": 2, "gender": 0}
    session.on_message({"type": 109, "player_id": 9, "player": {"pos": {"x": 0, "y": 0, "map_id": 2}}})
    tiles = [[{"type": 1} for _y in range(MAP_SIZE)] for _x in range(MAP_SIZE)]
    tiles[0][0]["type"] = tiles[0][1]["type"] = 0
    session.on_message({"type": 106, "map_id": 2, "map": {"tiles": tiles}})
    assert session.stage is Stage.JOINING
    session.on_message({"type": 110, "player_id": 9, "pos": {"x": 0, "y": 0, "dir": 0, "map_id": 2}})
    assert session.stage is Stage.IN_GAME
    rng = random.Random(1)
    assert session.next_step(rng) == {"type": 6, "x": 0, "y": 0, "dir": 0, "speed": 1}
    assert session.next_step(rng) == {"type": 6, "x": 0, "y": 1, "dir": 3, "speed": 1}
    session.on_message({"type": 110, "player_id": 9, "pos": {"x": 0, "y": 1, "dir": 0, "map_id": 2}})  # bounce
    assert (session.x, session.y) == (0, 1)


def test_session_rejects_a_login_window() -> None:
    session = BotSession(BotIdentity.for_bot("t", 0), per_map=1)
    try:
        session.on_message({"type": 100, "win": "winLogin", "message": "Login incorrect."})
    except BotProtocolError as exc:
        assert "Login incorrect." in str(exc)
    else:
        raise AssertionError("winLogin must be a protocol error")
