"""cluster.config: defaults, strict validation, [[nodes]] and the documented cluster.toml."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cluster import config as cfg
from cluster.config import Config, ConfigError

REPO_TOML = Path(__file__).resolve().parents[2] / "cluster.toml"


def _load_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "cluster.toml"
    path.write_text(text, encoding="utf-8")
    return cfg.load(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load_text(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message, f"not one line: {message!r}"
    return message


# --- defaults -------------------------------------------------------------------

def test_no_file_gives_the_documented_defaults():
    config = cfg.load(None)
    # PROTOCOL 0.1: the original listens on 8080; 5.9 / guidance: 100 ms between pokes.
    assert config.edge.port == 8080
    assert config.broker.poke_min_spacing_ms == 100
    assert config.game.min_step_interval_ms > 0
    assert config.nodes == []
    assert config.world.motd == ""
    assert config.dead_after_ms == config.heartbeat.interval_ms * config.heartbeat.liveness


def test_empty_file_equals_no_file(tmp_path):
    assert cfg.to_dict(_load_text(tmp_path, "")) == cfg.to_dict(Config())


def test_values_override_defaults_and_others_stay(tmp_path):
    config = _load_text(tmp_path, '[edge]\nport = 9000\n[world]\nmotd = "hi"\n')
    assert config.edge.port == 9000
    assert config.world.motd == "hi"
    assert config.edge.burst == cfg.EdgeSection().burst
    assert config.broker == cfg.BrokerSection()


def test_relative_data_dir_is_relative_to_the_file(tmp_path):
    config = _load_text(tmp_path, '[cluster]\ndata_dir = "state"\n')
    assert config.data_dir == (tmp_path / "state").resolve()
    assert config.broker_endpoint == f"ipc://{(tmp_path / 'state').resolve() / 'broker.ipc'}"


# --- strictness -------------------------------------------------------------------

def test_unknown_key_names_the_key(tmp_path):
    message = _error(tmp_path, "[edge]\nprot = 8080\n")
    assert "edge.prot" in message


def test_unknown_section_names_it(tmp_path):
    message = _error(tmp_path, "[edgy]\nport = 1\n")
    assert "edgy" in message


@pytest.mark.parametrize("text, key", [
    ('[edge]\nport = "8080"\n', "edge.port"),
    ("[edge]\nport = 8080.0\n", "edge.port"),
    ("[edge]\nport = true\n", "edge.port"),  # a bool is not an integer
    ("[world]\nmotd = 5\n", "world.motd"),
    ("[cluster]\ndata_dir = []\n", "cluster.data_dir"),
    ("[game]\nmin_step_interval_ms = \"fast\"\n", "game.min_step_interval_ms"),
])
def test_wrong_type_names_the_key(tmp_path, text, key):
    assert key in _error(tmp_path, text)


@pytest.mark.parametrize("text, key", [
    ("[edge]\nport = 70000\n", "edge.port"),
    ("[edge]\nport = -1\n", "edge.port"),
    ("[heartbeat]\nliveness = 0\n", "heartbeat.liveness"),
    ("[heartbeat]\ninterval_ms = 1\n", "heartbeat.interval_ms"),
    ("[game]\nmin_step_interval_ms = -5\n", "game.min_step_interval_ms"),
    ("[broker]\npoke_min_spacing_ms = 0\n", "broker.poke_min_spacing_ms"),
])
def test_out_of_range_names_the_key(tmp_path, text, key):
    assert key in _error(tmp_path, text)


def test_a_section_that_is_not_a_table(tmp_path):
    assert "edge" in _error(tmp_path, "edge = 5\n")


def test_invalid_toml_is_a_config_error(tmp_path):
    _error(tmp_path, "[edge\nport = 1\n")


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        cfg.load(tmp_path / "nope.toml")


# --- [[nodes]] ----------------------------------------------------------------------

def test_nodes_are_parsed_in_order(tmp_path):
    config = _load_text(tmp_path, (
        '[[nodes]]\nrole = "broker"\nname = "broker"\nhost = "10.0.0.5"\n'
        '[[nodes]]\nrole = "edge"\nname = "edge-1"\nport = 8081\n'
        '[[nodes]]\nrole = "map"\nname = "map-1"\n'
    ))
    assert [(n.role, n.name) for n in config.nodes] == [("broker", "broker"), ("edge", "edge-1"),
                                                        ("map", "map-1")]
    assert config.nodes[0].host == "10.0.0.5"
    assert config.nodes[1].port == 8081
    assert config.node("edge", "edge-1").port == 8081
    fallback = config.node("storage", "storage")  # not listed: defaults
    assert (fallback.role, fallback.name, fallback.port) == ("storage", "storage", 0)


def test_node_with_bad_role(tmp_path):
    message = _error(tmp_path, '[[nodes]]\nrole = "gateway"\nname = "g"\n')
    assert "nodes.role" in message


def test_node_without_name(tmp_path):
    assert "nodes.name" in _error(tmp_path, '[[nodes]]\nrole = "map"\n')


def test_node_unknown_key_and_bad_port(tmp_path):
    assert "nodes.colour" in _error(tmp_path, '[[nodes]]\nrole = "map"\nname = "m"\ncolour = 1\n')
    assert "nodes.port" in _error(tmp_path, '[[nodes]]\nrole = "edge"\nname = "e"\nport = 99999\n')


def test_nodes_must_be_an_array_of_tables(tmp_path):
    assert "nodes" in _error(tmp_path, 'nodes = "broker"\n')


# --- the documented file ----------------------------------------------------------------

def test_every_setting_has_a_default():
    for section in dataclasses.fields(Config):
        if section.name in ("nodes", "base_dir"):
            continue
        instance = getattr(Config(), section.name)
        for setting in dataclasses.fields(instance):
            assert setting.default is not dataclasses.MISSING, f"{section.name}.{setting.name}"


@pytest.mark.skipif(not REPO_TOML.exists(), reason="cluster.toml not written yet")
def test_repository_cluster_toml_equals_the_defaults():
    """The documented file and the dataclass defaults must agree, key for key."""
    loaded = cfg.load(REPO_TOML)
    assert cfg.to_dict(loaded) == cfg.to_dict(Config())


@pytest.mark.skipif(not REPO_TOML.exists(), reason="cluster.toml not written yet")
def test_repository_cluster_toml_documents_every_setting():
    """Each setting appears in the file (set or commented out) under its section."""
    import re
    text = REPO_TOML.read_text(encoding="utf-8")
    missing = []
    for section in dataclasses.fields(Config):
        if section.name in ("nodes", "base_dir"):
            continue
        header = re.search(rf"^\s*#?\s*\[{section.name}\]", text, re.M)
        if header is None:
            missing.append(f"[{section.name}]")
            continue
        body = text[header.end():]
        following = re.search(r"^\s*#?\s*\[[a-z_]+\]", body, re.M)
        body = body[:following.start()] if following else body
        for setting in dataclasses.fields(getattr(Config(), section.name)):
            if not re.search(rf"^\s*#?\s*{setting.name}\s*=", body, re.M):
                missing.append(f"{section.name}.{setting.name}")
    assert missing == []
