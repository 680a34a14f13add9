"""Shared fixtures: a real cluster on loopback and its websocket clients."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ClusterHarness  # noqa: E402
from uptools import start_up  # noqa: E402,F401  (a fixture)


@pytest.fixture
def cluster_factory(tmp_path_factory, request):
    """Start clusters on demand; every one is torn down even when the test fails."""
    started: list[ClusterHarness] = []
    clients = []

    def start(workers: int = 2, edges: int = 1, extra_config: str = "",
              root: Path | None = None, curve: bool = False) -> ClusterHarness:
        """A new cluster; pass the ``root`` of a stopped one to restart on its data directory."""
        root = root if root is not None else tmp_path_factory.mktemp("cluster")
        harness = ClusterHarness(root, workers=workers, edges=edges, extra_config=extra_config, curve=curve)
        started.append(harness)
        harness.start()
        original_client = harness.client

        def client(edge: str = "edge-1"):
            game_client = original_client(edge)
            clients.append(game_client)
            return game_client
        harness.client = client
        return harness

    yield start
    for game_client in clients:
        try:
            game_client.close()
        except Exception:
            pass
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for harness in started:
        harness.stop_all()
        if failed:
            print(harness.tail_logs(60))


@pytest.fixture
def cluster(cluster_factory) -> ClusterHarness:
    """A one-box cluster: broker, storage, two map workers, one edge."""
    return cluster_factory()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
