"""setup.cfg ships every file of the edge's static folders (the web client, the status page and its
vendored chart library): a file its package_data globs miss would be absent from an installed edge."""
from __future__ import annotations

import configparser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def package_data_globs(package: str) -> list[str]:
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    return [pattern.strip() for pattern in setup["options.package_data"][package].split(",")]


def test_every_static_file_of_the_edge_is_package_data():
    edge = REPO / "edge"
    shipped = {path for pattern in package_data_globs("edge") for path in edge.glob(pattern) if path.is_file()}
    static = {path for path in (edge / "static").rglob("*") if path.is_file()}
    assert len(static) >= 5, "edge/static was not found"
    assert sorted(str(path.relative_to(edge)) for path in static - shipped) == []
