"""The bundled browser client at /play/ against a real cluster (edge/static/play/).

Players in Chromium register, walk with the arrow keys, see each other and
chat; the game view in a shop is saved as a screenshot; a dropped edge shows
the disconnected banner and the client comes back with its Reconnect button;
staff spawn, pick up and drop an item and use the editors. The tests read the
client's state through ``window.odyssey`` (edge/static/play/main.js).
"""
from __future__ import annotations

import time

from play import EAST, NORTH, Hero

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips these tests then
    expect = None

STEP_WAIT_S = 0.25  # the client walks at most one step per 200 ms
PASSWORD = "secret-pw"
WARRIOR, ARCHER = 0, 1  # starter-world professions: they start on map 0 at (5, 5) and (6, 5)


def play_url(cluster) -> str:
    return f"http://127.0.0.1:{cluster.edge_ports['edge-1']}/play/"


def register_and_play(page, email: str, name: str, profession: int) -> int:
    """Create an account and a character through the forms; the player's id once he is on his map."""
    page.fill("#login-email", email)
    page.fill("#login-password", PASSWORD)
    page.click("#register-button")
    expect(page.locator("#screen-select")).to_be_visible()
    page.fill("#create-name", name)
    page.select_option("#create-profession", str(profession))
    page.click("#create-button")
    page.wait_for_function("window.odyssey.screen === 'game' && window.odyssey.me !== undefined")
    return page.evaluate("window.odyssey.myId")


def own(page) -> dict:
    return page.evaluate("(({x, y, dir}) => ({x, y, dir}))(window.odyssey.me)")


def seen(page, pid: int) -> dict | None:
    return page.evaluate("(pid) => { const p = window.odyssey.players[pid];"
                         " return p ? {x: p.x, y: p.y, dir: p.dir, name: p.name} : null; }", pid)


def press(page, key: str) -> None:
    """One key press on the map, then the pause the client needs before it takes the next step."""
    page.focus("#board")
    page.keyboard.press(key)
    time.sleep(STEP_WAIT_S)


def walk(page, key: str, steps: int = 1) -> None:
    """Face the key's direction (a turn is a press of its own), then take ``steps`` steps."""
    direction = {"ArrowDown": 0, "ArrowLeft": 1, "ArrowRight": 2, "ArrowUp": 3}[key]
    if own(page)["dir"] != direction:
        press(page, key)
    for _ in range(steps):
        press(page, key)


def wait_for_position(page, pid: int, x: int, y: int) -> None:
    page.wait_for_function("([pid, x, y]) => { const p = window.odyssey.players[pid];"
                           " return p && p.x === x && p.y === y; }", arg=[pid, x, y])


def test_two_players_see_each_other_walk_and_chat(cluster, open_page):
    alice, bob = open_page(play_url(cluster)), open_page(play_url(cluster))
    alice_id = register_and_play(alice, "alice@example.org", "Alice", WARRIOR)
    bob_id = register_and_play(bob, "bob@example.org", "Bob", ARCHER)
    wait_for_position(bob, alice_id, 5, 5)
    wait_for_position(alice, bob_id, 6, 5)
    assert seen(bob, alice_id)["name"] == "Alice"

    walk(alice, "ArrowDown")  # already facing south: one step
    wait_for_position(bob, alice_id, 5, 6)
    walk(alice, "ArrowRight", 2)  # a turn east, then two steps
    wait_for_position(bob, alice_id, 7, 6)
    bob.wait_for_function("(pid) => window.odyssey.players[pid].dir === 2", arg=alice_id)
    assert own(alice) == {"x": 7, "y": 6, "dir": 2}
    assert {k: v for k, v in seen(bob, alice_id).items() if k != "name"} == own(alice)

    # The server's truth: a newcomer's join lists every player where the map has him.
    carol = cluster.client()
    joined = carol.play("carol@example.org", "Carol")
    where = {p["player_id"]: (p["x"], p["y"], p["dir"]) for p in joined if p["type"] == 115}
    assert where[alice_id] == (7, 6, 2)
    assert where[bob_id] == (6, 5, 0)
    wait_for_position(alice, carol.pid, 5, 5)  # and the browsers see the newcomer
    wait_for_position(bob, carol.pid, 5, 5)

    alice.focus("#board")
    alice.keyboard.press("Enter")  # Enter goes to the chat line
    expect(alice.locator("#chat-input")).to_be_focused()
    alice.keyboard.type("hello")
    alice.keyboard.press("Enter")
    expect(bob.locator("#chat-log")).to_contain_text("Alice:hello")
    expect(alice.locator("#chat-log")).to_contain_text("Alice:hello")
    expect(alice.locator("#board")).to_be_focused()  # sending returns to the map


def test_screenshot_of_the_game_view_in_a_shop(cluster, open_page, screenshot_dir):
    page = open_page(play_url(cluster))
    me = register_and_play(page, "tilda-fan@example.org", "Wren", WARRIOR)
    # A second player (a scripted websocket client) goes into the store first.
    rook = cluster.client()
    hero = Hero(rook, rook.play("rook@example.org", "Rook", ARCHER))
    for direction in (NORTH, EAST, EAST, EAST):  # to (9, 4), under the store's door
        hero.step(direction)
    hero.step(NORTH)  # the warp at (9, 3) into Tilda's General Store (map 4)
    # Wren walks the same way with the keyboard: north, east to (9, 4), north through the door.
    walk(page, "ArrowUp")
    walk(page, "ArrowRight", 4)
    walk(page, "ArrowUp")
    page.wait_for_function("window.odyssey.mapId === 4 && window.odyssey.me && window.odyssey.me.y === 10")
    page.wait_for_function("Object.keys(window.odyssey.players).length === 2")
    walk(page, "ArrowUp", 2)
    expect(page.locator("#shop-panel")).to_be_visible()
    expect(page.locator("#trades li")).to_have_count(8)
    expect(page.locator("#chat-log")).to_contain_text("Tilda says")
    expect(page.locator("#where")).to_contain_text("Tilda's General Store")
    page.wait_for_function("window.odyssey.state.npcs.some((npc) => npc && npc.npc_id === 7)")
    page.focus("#board")
    page.keyboard.press("Space")  # nothing in front: the server says so in the chat log
    expect(page.locator("#chat-log")).to_contain_text("nothing", ignore_case=True)
    page.click("#bag li:first-child button")  # show a selected slot
    page.focus("#board")
    time.sleep(0.5)
    assert own(page)["y"] == 8 and me in page.evaluate("Object.keys(window.odyssey.players).map(Number)")

    whole = screenshot_dir / "play-game-view.png"
    board = screenshot_dir / "play-board.png"
    page.screenshot(path=str(whole))
    page.locator("#board").screenshot(path=str(board))
    print(f"\nscreenshots of the game view: {whole} and {board}")
    assert whole.stat().st_size > 10_000
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, "no horizontal scrolling at 1280×720"


def test_a_dropped_edge_shows_the_disconnected_banner_and_reconnect_works(cluster, open_page):
    page = open_page(play_url(cluster))
    register_and_play(page, "dora@example.org", "Dora", WARRIOR)
    banner = page.locator("#disconnected")
    expect(banner).to_be_hidden()

    cluster.stop("edge-1")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Disconnected from the server")
    expect(page.locator("#reconnect")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Disconnected")

    cluster.start_node("edge", "edge-1")
    cluster.wait_ready()
    page.click("#reconnect")
    expect(banner).to_be_hidden()
    # The client logs in again with what it was given and offers the character.
    deadline = time.monotonic() + 15
    while page.evaluate("window.odyssey.screen") != "select" and time.monotonic() < deadline:
        if "already logged in" in page.inner_text("#login-message"):
            time.sleep(0.5)  # the old session is still being saved: try again
            page.click("#login-button")
        time.sleep(0.2)
    expect(page.locator("#character-slots")).to_contain_text("Dora")
    page.click("#character-slots button.play")
    page.wait_for_function("window.odyssey.screen === 'game' && window.odyssey.me !== undefined")
    assert (own(page)["x"], own(page)["y"]) == (5, 5)
    say(page, "back again")
    expect(page.locator("#chat-log")).to_contain_text("Dora:back again")


def say(page, text: str) -> None:
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")


def test_staff_spawn_pick_up_drop_and_the_editors(cluster, open_page):
    page = open_page(play_url(cluster))
    register_and_play(page, "ada@example.org", "Ada", WARRIOR)
    assert cluster.cli("admin", "set-access", "Ada", "4").returncode == 0
    page.wait_for_function("window.odyssey.state.self.access === 4")

    say(page, "/spawnitem 2 1 3")  # three healing potions on her tile
    page.wait_for_function("window.odyssey.state.items.some((item) => item && item.item_id === 2)")
    page.focus("#board")
    page.keyboard.press("g")
    first_bag_slot = page.locator("#bag li:first-child button")
    expect(first_bag_slot).to_have_attribute("aria-label", "Bag 1: Healing Potion × 3")
    first_bag_slot.click()
    page.fill("#drop-amount", "1")
    page.click("#drop-item")
    expect(first_bag_slot).to_have_attribute("aria-label", "Bag 1: Healing Potion × 2")
    page.wait_for_function("window.odyssey.state.items.some((item) => item && item.item_id === 2 && item.amount === 1)")

    editor = page.locator("#record-editor")
    say(page, "/edititem")
    expect(editor).to_be_visible()
    expect(page.locator("#record-editor-title")).to_have_text("Item editor")
    page.fill("#record-id", "2")
    page.click("#record-load")
    record = page.input_value("#record-json")
    assert '"Healing Potion"' in record
    page.fill("#record-json", record.replace('"Healing Potion"', '"Big Potion"'))
    page.click("#record-save")  # 13; every player online gets the new record (103)
    expect(first_bag_slot).to_have_attribute("aria-label", "Bag 1: Big Potion × 2")
    page.keyboard.press("Escape")
    expect(editor).to_be_hidden()

    page.focus("#board")
    say(page, "/editmap")
    expect(page.locator("#record-editor-title")).to_have_text("Map properties")
    expect(page.locator("#record-id-row")).to_be_hidden()
    record = page.input_value("#record-json")
    assert '"Town Square"' in record
    page.fill("#record-json", record.replace('"Town Square"', '"Ada\'s Square"'))
    page.click("#record-save")  # 12; the server answers 106 … and winGame, which closes the editor
    expect(editor).to_be_hidden()
    expect(page.locator("#where")).to_contain_text("Ada's Square")

    say(page, "/editscript attack")
    expect(page.locator("#script-editor")).to_be_visible()
    expect(page.locator("#script-name")).to_have_value("attack")
    assert "def handleAttack" in page.input_value("#script-text")
    page.keyboard.press("Escape")
    expect(page.locator("#script-editor")).to_be_hidden()
