"""Benchmarks and the tools they need, apart from the nodes they measure.

``odyssey bench`` (websocket bots against an edge): ``command`` (options and
entry point), ``runner`` (one process's phases), ``bots`` (the websocket
shell of a bot and the walker), ``session`` (a bot's sans-I/O protocol
state), ``transport`` (picows or Tornado), ``measure`` (counters, ledger,
latency histogram), ``shards`` (``--processes N``), ``cpu`` (CPU per node
from ``/status.json`` and the bench's own), ``progress`` and ``report``.

``odyssey bench-storage``: ``storage`` and ``storage_load`` (the checkpoint
writes a storage worker sustains). ``odyssey world generate``: ``worldgen``
(bench worlds). ``odyssey bench-suite``: ``suite`` (a cluster started for
the purpose, several bench runs, one table).
"""
