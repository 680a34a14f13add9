"""cluster.bench.storage (odyssey bench-storage): a short run on a real storage worker and LMDB, and what it wrote reads back."""
from __future__ import annotations

import json
from pathlib import Path

from cluster.bench import storage as bench
from cluster.bench import storage_load as bench_load
from storage import db


def test_a_short_paced_run_is_sane_and_its_records_read_back(tmp_path):
    options = bench.StorageBenchOptions(players=50, maps=5, seconds=1.0, data_dir=str(tmp_path))
    with bench_load.StorageBench(options) as run:
        result = run.run()
        expected = run.schedule.expected_records()
        states = run.schedule.expected_map_states()
        with run.store.read() as txn:
            stored = {key: txn.get("characters", db.char_key(*key)) for key in expected}
            stored_states = {map_id: txn.get("map_state", db.int_key(map_id)) for map_id in states}

    assert result.errors == 0, result.error_samples
    assert result.refused_checkpoints == 0
    assert result.mode == "paced" and not result.temporary_data_dir
    assert result.achieved_writes_per_s > 0 and result.transactions > 0
    assert result.player_writes >= 50 and result.map_state_writes >= 5  # every map checkpointed at least once
    assert result.writes == result.player_writes + result.map_state_writes
    assert 0.8 <= result.achieved_vs_offered <= 1.2  # 55 writes/s is far below capacity
    assert 500 < result.record_bytes < 4096
    assert 0 < result.commit_p50_ms <= result.commit_p99_ms <= result.commit_max_ms
    assert result.turn_p50_ms >= result.commit_p50_ms
    assert result.cpu_percent >= 0
    json.dumps(result.to_dict())

    assert len(stored) == 50
    for key, record in expected.items():
        assert stored[key] == record, key  # the last checkpointed record, as sent
    for map_id, snapshot in states.items():
        assert stored_states[map_id] == {"epoch": bench_load.EPOCH, "runtime": snapshot}


def test_max_mode_and_the_temporary_directory_is_removed(capsys):
    code = bench.main(["--players", "50", "--maps", "5", "--seconds", "0.5", "--max", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["errors"] == 0
    assert result["mode"] == "max" and result["temporary_data_dir"]
    assert result["achieved_writes_per_s"] > result["offered_writes_per_s"]
    assert result["writes_per_txn_mean"] > 0
    assert not Path(result["data_dir"]).exists()
