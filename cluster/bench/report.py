"""The result of an ``odyssey bench`` run: ``BenchResult`` (``--json`` is its ``to_dict``) and the text report."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from cluster.bench import cpu
from cluster.bench.measure import BenchCounters, ErrorKind


@dataclass(slots=True)
class BenchResult:
    """What a bench run measured."""

    url: str
    run_tag: str
    bots_requested: int
    bots_in_game: int
    start_maps: int
    ramp_seconds: float
    seconds_measured: float
    moves_sent: int
    moves_per_s: float
    relays_received: int
    relays_per_s: float
    latency_samples: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None
    chats_sent: int
    errors: int
    connect_failures: int
    protocol_errors: int
    closed_connections: int
    ramp_timeouts: int
    error_samples: list[str] = field(default_factory=list)
    client: str = ""  # the websocket client, loop and JSON parser used (transport.describe)
    processes: int = 1
    busy_retries: int = 0  # account steps the server answered "busy" to, retried after a back-off
    bounces: int = 0  # steps the server refused (own 110): no relay follows those
    relays_expected: int = 0  # accepted moves x the other bots in game on the mover's map
    status_url: str | None = None
    status_error: str | None = None
    server_cpu: list[dict] = field(default_factory=list)  # per node: role, name, pid, cpu_percent, ...
    server_cpu_percent: float | None = None  # all nodes, 100 = one core
    server_cpu_us_per_move: float | None = None
    bench_cpu: list[dict] = field(default_factory=list)  # per bench process, same shape
    bench_cpu_percent: float | None = None
    bench_cpu_us_per_move: float | None = None
    bench_cpu_us_per_bot_second: float | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class RunFacts:
    """What the runner knows besides the counters."""

    url: str
    run_tag: str
    bots_requested: int
    per_map: int
    client: str
    processes: int
    ramp_seconds: float
    seconds_measured: float
    status_url: str | None = None
    status_error: str | None = None
    server_cpu: list[cpu.ProcessCpu] = field(default_factory=list)
    bench_cpu: list[cpu.ProcessCpu] = field(default_factory=list)


def build_result(facts: RunFacts, counters: BenchCounters) -> BenchResult:
    seconds = facts.seconds_measured
    per_second = 1.0 / seconds if seconds > 0 else 0.0
    latency = counters.latency
    server_percent = cpu.total_percent(facts.server_cpu)
    bench_percent = cpu.total_percent(facts.bench_cpu)
    bot_seconds = counters.in_game * seconds
    return BenchResult(
        url=facts.url,
        run_tag=facts.run_tag,
        bots_requested=facts.bots_requested,
        bots_in_game=counters.in_game,
        start_maps=min(counters.profession_count, math.ceil(facts.bots_requested / facts.per_map)),
        ramp_seconds=round(facts.ramp_seconds, 3),
        seconds_measured=round(seconds, 3),
        moves_sent=counters.moves_sent,
        moves_per_s=round(counters.moves_sent * per_second, 1),
        relays_received=counters.relays_received,
        relays_per_s=round(counters.relays_received * per_second, 1),
        latency_samples=latency.total,
        latency_p50_ms=latency.percentile_ms(0.50),
        latency_p99_ms=latency.percentile_ms(0.99),
        latency_max_ms=latency.percentile_ms(1.0),
        chats_sent=counters.chats_sent,
        errors=counters.error_total,
        connect_failures=counters.errors[ErrorKind.CONNECT],
        protocol_errors=counters.errors[ErrorKind.PROTOCOL],
        closed_connections=counters.errors[ErrorKind.CLOSED],
        ramp_timeouts=counters.errors[ErrorKind.RAMP_TIMEOUT],
        error_samples=list(counters.error_samples),
        client=facts.client,
        processes=facts.processes,
        busy_retries=counters.busy_retries,
        bounces=counters.bounces,
        relays_expected=counters.relays_expected,
        status_url=facts.status_url,
        status_error=facts.status_error,
        server_cpu=[entry.to_dict() for entry in facts.server_cpu],
        server_cpu_percent=server_percent,
        server_cpu_us_per_move=cpu.micros_per(server_percent, seconds, counters.moves_sent),
        bench_cpu=[entry.to_dict() for entry in facts.bench_cpu],
        bench_cpu_percent=bench_percent,
        bench_cpu_us_per_move=cpu.micros_per(bench_percent, seconds, counters.moves_sent),
        bench_cpu_us_per_bot_second=cpu.micros_per(bench_percent, seconds, int(bot_seconds)) if bot_seconds else None,
        warnings=cpu.warnings(facts.bench_cpu, server_percent) if seconds > 0 else [],
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def cpu_lines(label: str, entries: list[dict], total: float | None, per_move: float | None) -> list[str]:
    """``label`` total with µs per move, then one line per process."""
    if not entries:
        return []
    lines = [f"  {label:<21}{_percent(total)} of a core in all"
             + ("" if per_move is None else f", {per_move:.0f} µs per move")]
    for entry in entries:
        detail = entry["note"] or f"pid {entry['pid']}, {entry['cpu_seconds']:.2f} s over {entry['window_seconds']:.1f} s"
        lines.append(f"    {entry['name']:<14} {entry['role']:<8} {_percent(entry['cpu_percent']):>5}  ({detail})")
    return lines


def format_result(result: BenchResult) -> str:
    """The human-readable report printed at the end of a run."""
    lines = [
        f"bench {result.url} (run {result.run_tag})",
        f"  client:              {result.client}, {result.processes} process(es)",
        f"  bots in game:        {result.bots_in_game}/{result.bots_requested} "
        f"on {result.start_maps} start maps (ramp-up {result.ramp_seconds:.1f} s, "
        f"{result.busy_retries} busy retries)",
        f"  seconds measured:    {result.seconds_measured:.1f}",
        f"  moves sent:          {result.moves_sent} ({result.moves_per_s:.1f}/s, {result.bounces} bounced)",
        f"  115 relays received: {result.relays_received} ({result.relays_per_s:.1f}/s; "
        f"{result.relays_expected} expected)",
        f"  move->relay latency: p50 {_ms(result.latency_p50_ms)}, p99 {_ms(result.latency_p99_ms)}, "
        f"max {_ms(result.latency_max_ms)} ({result.latency_samples} samples)",
        f"  chats sent:          {result.chats_sent}",
        f"  errors:              {result.errors} (connect failures {result.connect_failures}, "
        f"protocol errors {result.protocol_errors}, closed connections {result.closed_connections}, "
        f"ramp timeouts {result.ramp_timeouts})",
    ]
    lines += [f"    {sample}" for sample in result.error_samples]
    if result.status_error:
        lines.append(f"  server cpu:          unavailable ({result.status_error})")
    lines += cpu_lines("server cpu:", result.server_cpu, result.server_cpu_percent, result.server_cpu_us_per_move)
    lines += cpu_lines("bench cpu:", result.bench_cpu, result.bench_cpu_percent, result.bench_cpu_us_per_move)
    if result.bench_cpu_us_per_bot_second is not None:
        lines.append(f"  bench cost:          {result.bench_cpu_us_per_bot_second:.0f} µs CPU per bot-second")
    lines += [f"  warning: {warning}" for warning in result.warnings]
    return "\n".join(lines)
