"""``odyssey status``: ask the broker for its view of the cluster."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cluster import fabric, wire
from cluster.config import Config
from cluster.keys import KeyError_


def broker_endpoint(config: Config) -> str:
    """The endpoint a running ``odyssey up`` wrote to its data directory, else the config's."""
    run_file = config.data_dir / "run.json"
    if run_file.is_file():
        try:
            return json.loads(run_file.read_text())["broker"]
        except (ValueError, KeyError):
            pass
    return config.broker_endpoint


def query(endpoint: str, timeout_ms: int = 3000, config: Config | None = None) -> dict | None:
    """One STATUS round trip; None if the broker does not answer in time (with ``config``, over tcp,
    the operator key is used)."""
    dealer = fabric.client_dealer(config, endpoint, "status")
    try:
        dealer.send(wire.pack([[wire.STATUS]]))
        if not dealer.poll(timeout_ms):
            return None
        for command in wire.unpack(dealer.recv()):
            if wire.command(command) and command[0] == wire.STATUS_REPLY and len(command) == 2:
                return command[1]
        return None
    finally:
        dealer.close(0)


def render(view: dict) -> str:
    lines = [f"sessions: {view['sessions']} ({view['players_in_game']} in game)"
             f"{'  [recovering]' if view.get('recovering') else ''}", "", "nodes:"]
    lines.append(f"  {'role':8} {'name':16} {'host':20} {'pid':>7} {'heartbeat':>10}")
    for node in view["nodes"]:
        lines.append(f"  {node['role']:8} {node['name']:16} {node['host'][:20]:20} {node['pid']:>7} "
                     f"{node['heartbeat_age_s']:>9.1f}s")
    lines += ["", "leases:", f"  {'map':>5} {'worker':16} {'epoch':>15} {'expires in':>11} {'players':>8}"]
    for lease in view["leases"]:
        lines.append(f"  {lease['map_id']:>5} {lease['worker']:16} {lease['epoch']:>15} "
                     f"{lease['expires_in_ms']:>9}ms {lease['players']:>8}")
    quarantined = view.get("quarantined_scripts") or []
    lines += ["", f"quarantined scripts: {len(quarantined) or 'none'}"]
    for entry in quarantined:
        lines.append(f"  {entry['script']}.{entry['function']}: {entry['reason']} (until staff save it again)")
    return "\n".join(lines)


def main(config: Config, as_json: bool) -> int:
    endpoint = broker_endpoint(config)
    try:
        view = query(endpoint, config=config)
    except KeyError_ as error:
        print(f"odyssey: {error}", file=sys.stderr)
        return 2
    if view is None:
        print(f"odyssey: no answer from the broker at {endpoint}", file=sys.stderr)
        return 1
    print(json.dumps(view) if as_json else render(view))
    return 0


def write_run_file(data_dir: Path, broker: str, url: str, pid: int) -> None:
    (data_dir / "run.json").write_text(json.dumps({"broker": broker, "url": url, "pid": pid}))
