"""Who used the CPU during a bench's walk: the server's nodes (from /status.json) and the bench itself.

Every node entry of an edge's ``/status.json`` carries ``stats.cpu_seconds``
(its process's CPU time so far, ``cluster.counters.process_sample``) and
``stats.at_ms`` (when it was sampled: live for the edge that answers, a
heartbeat old for the others). The bench reads the page before and after
the walk; a node's CPU % is its CPU-time difference over its own sample
window, so late heartbeats skew nothing. 100 % is one core.
"""
from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass

STATUS_TIMEOUT_S = 5.0
AFTER_PATIENCE_S = 3.0  # how long the second read waits for every node to report a newer sample
# A bench process above this share of one core may be what limits the run.
BENCH_BUSY_PERCENT = 80.0


def status_url_for(ws_url: str) -> str:
    """The /status.json beside an edge's websocket: ws://h:p/… → http://h:p/status.json (wss → https)."""
    parts = urllib.parse.urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urllib.parse.urlunsplit((scheme, parts.netloc, "/status.json", "", ""))


def fetch_status(url: str, timeout_s: float = STATUS_TIMEOUT_S) -> dict:
    """GET the status page (https without certificate checks: our own edge); raises OSError or ValueError."""
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout_s, context=context) as response:
        view = json.loads(response.read())
    if not isinstance(view, dict) or not isinstance(view.get("nodes"), list):
        raise ValueError("not a status view (no nodes list)")
    return view


def try_fetch_status(url: str, after: dict | None = None, patience_s: float = AFTER_PATIENCE_S
                     ) -> tuple[dict | None, str | None]:
    """(view, None), or (None, why not). Given the view of the walk's start (``after``), fetch again for a
    while until every node of it has reported a newer sample (the edge caches the view, and nodes report
    once per heartbeat), so each node's CPU is measured over the walk."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            view = fetch_status(url)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            return None, f"{url}: {type(exc).__name__}: {exc}"
        if after is None or time.monotonic() >= deadline or _all_newer(after, view):
            return view, None
        time.sleep(0.2)


def _all_newer(before: dict, after: dict) -> bool:
    old, new = _samples(before), _samples(after)
    return all(name in new and ((new[name].get("stats") or {}).get("at_ms") or 0)
               > ((node.get("stats") or {}).get("at_ms") or 0) for name, node in old.items())


@dataclass(slots=True)
class ProcessCpu:
    """CPU use of one process over a window; ``cpu_percent`` None when it cannot be computed."""

    role: str
    name: str
    pid: int | None
    cpu_seconds: float | None
    window_seconds: float | None
    cpu_percent: float | None
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _samples(view: dict) -> dict[str, dict]:
    found = {}
    for node in view.get("nodes", []):
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            found[node["name"]] = node
    return found


def node_cpu(before: dict, after: dict) -> list[ProcessCpu]:
    """Per node of ``after``: CPU % between its samples in the two views (role, then name order)."""
    old = _samples(before)
    result = []
    for name, node in sorted(_samples(after).items(), key=lambda item: (str(item[1].get("role")), item[0])):
        stats, role, pid = node.get("stats") or {}, str(node.get("role")), node.get("pid")
        entry = ProcessCpu(role, name, pid, None, None, None)
        previous = old.get(name)
        prior = (previous or {}).get("stats") or {}
        numbers = [stats.get("cpu_seconds"), stats.get("at_ms"), prior.get("cpu_seconds"), prior.get("at_ms")]
        if previous is None:
            entry.note = "not in the first sample"
        elif previous.get("pid") != pid:
            entry.note = "restarted during the walk"
        elif not all(isinstance(value, (int, float)) for value in numbers):
            entry.note = "no cpu_seconds / at_ms"
        elif numbers[1] <= numbers[3] or numbers[0] < numbers[2]:
            entry.note = "no new sample"
        else:
            entry.cpu_seconds = round(numbers[0] - numbers[2], 3)
            entry.window_seconds = round((numbers[1] - numbers[3]) / 1000.0, 3)
            entry.cpu_percent = round(100.0 * entry.cpu_seconds / entry.window_seconds, 1)
        result.append(entry)
    return result


def total_percent(entries: list[ProcessCpu]) -> float | None:
    values = [entry.cpu_percent for entry in entries if entry.cpu_percent is not None]
    return round(sum(values), 1) if values else None


def micros_per(percent: float | None, seconds: float, count: int) -> float | None:
    """CPU µs per event: ``percent`` of a core over ``seconds``, spread over ``count`` events."""
    if percent is None or count <= 0 or seconds <= 0:
        return None
    return round(percent / 100.0 * seconds * 1_000_000 / count, 1)


def bench_process(name: str, pid: int, cpu_seconds: float, window_seconds: float) -> ProcessCpu:
    percent = round(100.0 * cpu_seconds / window_seconds, 1) if window_seconds > 0 else None
    return ProcessCpu("bench", name, pid, round(cpu_seconds, 3), round(window_seconds, 3), percent)


def warnings(bench: list[ProcessCpu], server_percent: float | None) -> list[str]:
    """Why the bench rather than the server may have set the pace."""
    found = [f"bench process {entry.name} used {entry.cpu_percent:.0f}% of a core: it may be the bottleneck "
             f"(use --processes)" for entry in bench
             if entry.cpu_percent is not None and entry.cpu_percent > BENCH_BUSY_PERCENT]
    bench_percent = total_percent(bench)
    if bench_percent is not None and server_percent is not None and bench_percent > server_percent:
        found.append(f"the bench used more CPU ({bench_percent:.0f}%) than the server ({server_percent:.0f}%): "
                     "on a shared box it, not the server, may be the bottleneck")
    return found
