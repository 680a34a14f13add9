"""The /status page in a browser (issue 6): it lists the nodes and the leases of a live
cluster and refreshes itself; a screenshot is saved for a person to look at."""
from __future__ import annotations

from playwright.sync_api import expect  # noqa: F401  (skipped with the browser fixture when absent)


def status_url(cluster) -> str:
    return f"http://127.0.0.1:{cluster.edge_ports['edge-1']}/status"


def test_the_status_page_lists_the_nodes_and_a_lease(cluster, open_page, screenshot_dir):
    player = cluster.client()
    player.play("status@example.org", "Watcher")
    page = open_page(status_url(cluster))
    nodes = page.locator("#nodes tbody tr")
    expect(nodes).to_have_count(1 + 1 + len(cluster.worker_names) + len(cluster.edge_ports))  # broker, storage
    for name in ["broker", "storage", *cluster.worker_names, *cluster.edge_ports]:
        expect(page.locator("#nodes tbody")).to_contain_text(name)
    owner, epoch = cluster.owner_of(0)
    lease = page.locator("#leases tbody tr").filter(has_text=owner)
    expect(lease).to_have_count(1)
    expect(lease).to_contain_text(str(epoch))
    expect(page.locator("#sessions")).to_have_text("1")

    second = cluster.client()  # the page refreshes by itself (every 2 s)
    second.play("status2@example.org", "Second", profession_id=1)
    expect(page.locator("#sessions")).to_have_text("2", timeout=6_000)
    shot = screenshot_dir / "status-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot of the status page: {shot}")
