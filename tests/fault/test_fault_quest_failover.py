"""A quest accepted on a map whose owner is then SIGKILLed is still accepted (the starter
world's "click" script; its state is a flag in the character record, which the worker
checkpoints): the other worker takes the map and the player from the last checkpoint."""
from __future__ import annotations

import time

from play import EAST, NORTH, Hero

SMITHY = 5
BRANNOC = (5, 2)


def talk(hero: Hero, lines: int) -> list[str]:
    """Click Brannoc; the texts of his next ``lines`` 114s."""
    hero.send({"type": 22, "x": BRANNOC[0], "y": BRANNOC[1]})
    return [hero.recv_until(lambda p: p["type"] == 114)[-1]["text"] for _ in range(lines)]


def test_an_accepted_quest_survives_the_failover_of_its_map(cluster):
    client = cluster.client()
    hero = Hero(client, client.play("smith@example.org", "Apprentice", profession_id=0))
    hero.walk_to(11, 5)
    hero.step(EAST)  # Market Street
    hero.walk_to(2, 4)
    hero.warp_step(NORTH)  # Brannoc's Arms
    assert hero.map_id == SMITHY
    hero.walk_to(5, 4)
    assert "New in town?" in talk(hero, 1)[0]  # his gift first
    assert talk(hero, 2)[1] == "Quest accepted: Wolf pelts for Brannoc."
    time.sleep(1.0)  # a few checkpoints (every 250 ms in the tests' config)

    owner, epoch = cluster.owner_of(SMITHY)
    cluster.kill(owner)
    hero.recv_until(lambda p: p["type"] == 106 and int(p["map_id"]) == SMITHY, timeout=10)  # the re-join
    new_owner, new_epoch = cluster.owner_of(SMITHY)
    assert new_owner != owner and new_epoch > epoch
    hero.recv_until(lambda p: p["type"] == 115 and p["player_id"] == hero.pid)
    answer = talk(hero, 1)[0]
    assert "You have 0 of 3 Wolf Pelts." in answer, f"the quest was lost in the failover: {answer}"
