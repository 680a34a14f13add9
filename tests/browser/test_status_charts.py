"""The charts of /status in a browser (issue 14): drawn from /status/history.json, they update as
samples arrive (sessions 1 → 2), mark a failover, have text alternatives and a table, fit 1024 px,
and load nothing from another host; screenshots are saved for a person to look at."""
from __future__ import annotations

from playwright.sync_api import expect

from harness import wait_for

FAST_HISTORY = """
[edge]
history_sample_ms = 500
"""
CHARTS = ("sessions", "players", "packets", "routing", "checkpoint", "queued")

# Pixels of a canvas drawn in a CSS colour of the page (a series, the failover mark).
COLOURED_PIXELS = """([selector, variable]) => {
  const canvas = document.querySelector(selector);
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 200 && Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 40)
      count++;
  }
  return count;
}"""


def points(page, chart: str) -> int:
    return int(page.locator(f"#chart-{chart}").get_attribute("data-points") or 0)


def chat(player, times: int) -> None:
    for index in range(times):
        player.send({"type": 5, "text": f"traffic {index}"})
    player.drain(0.2)


def test_the_charts_draw_the_history_update_and_mark_a_failover(cluster_factory, open_page, screenshot_dir):
    cluster = cluster_factory(extra_config=FAST_HISTORY)
    first = cluster.client()
    first.play("charts@example.org", "Charter")
    wait_for(lambda: cluster.status()["sessions"] == 1, timeout=5)
    page = open_page(f"http://127.0.0.1:{cluster.edge_ports['edge-1']}/status")

    expect(page.locator("figure.chart")).to_have_count(len(CHARTS))
    for chart in CHARTS:
        figure = page.locator(f"#chart-{chart}")
        expect(figure.locator("canvas")).to_have_count(1)
        expect(figure.locator("canvas")).to_have_attribute("role", "img")
        caption = figure.locator("figcaption")
        assert caption.get_attribute("id") == figure.get_attribute("aria-labelledby")
        assert caption.inner_text().strip()
    expect(page.locator("#chart-sessions-summary")).to_contain_text("now 1", timeout=6_000)
    wait_for(lambda: points(page, "sessions") >= 3, timeout=6)
    assert page.evaluate(COLOURED_PIXELS, ["#chart-sessions canvas", "--series-1"]) > 50, "no line drawn"

    chat(first, 10)  # some traffic for the packets chart
    samples_before = int(page.locator("#chart-sessions").get_attribute("data-samples"))
    second = cluster.client()
    second.play("charts2@example.org", "Second", profession_id=1)
    expect(page.locator("#chart-sessions-summary")).to_contain_text("now 2", timeout=6_000)
    expect(page.locator("#chart-players-summary")).to_contain_text("now 2")
    assert int(page.locator("#chart-sessions").get_attribute("data-samples")) > samples_before
    chat(second, 10)

    owner, _ = cluster.owner_of(0)
    cluster.kill(owner)  # the players' map fails over to the other worker
    expect(page.locator("#history-failovers")).to_contain_text("1 failover", timeout=10_000)
    expect(page.locator("#history-failovers")).to_contain_text(f"map 0 from {owner}")
    wait_for(lambda: page.evaluate(COLOURED_PIXELS, ["#chart-sessions canvas", "--mark"]) > 20, timeout=5)
    chat(first, 5)
    page.wait_for_timeout(1500)  # a few samples after the failover
    page.screenshot(path=str(screenshot_dir / "status-charts.png"), full_page=True)

    page.get_by_text("The samples as a table").click()
    rows = page.locator("#history-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= int(page.locator("#chart-sessions").get_attribute("data-samples")) - 2
    expect(page.locator("#history-table thead")).to_contain_text("Sessions")

    page.emulate_media(color_scheme="dark")  # the charts take the dark scheme's colours
    wait_for(lambda: page.evaluate(COLOURED_PIXELS, ["#chart-sessions canvas", "--series-1"]) > 50, timeout=5)
    page.screenshot(path=str(screenshot_dir / "status-charts-dark.png"))
    page.emulate_media(color_scheme="light")

    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_timeout(300)
    widths = page.evaluate("""() => [document.documentElement.scrollWidth,
        ...[...document.querySelectorAll('figure.chart')].map(f => f.getBoundingClientRect().right)]""")
    assert max(widths) <= 1024, f"wider than 1024 px: {widths}"
    shot = screenshot_dir / "status-charts-1024.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshots of the status charts: {screenshot_dir / 'status-charts.png'}, {shot}")

    origin = f"http://127.0.0.1:{cluster.edge_ports['edge-1']}/"
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(entry => entry.name)")
    assert any(url.endswith("/status/vendor/uPlot.esm.js") for url in loaded), loaded
    assert [url for url in loaded if not url.startswith(origin)] == []
