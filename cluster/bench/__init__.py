"""Benchmarks and the tools they need, apart from the nodes they measure.

``runner`` is ``odyssey bench`` (websocket bots against an edge), ``storage``
and ``storage_load`` are ``odyssey bench-storage`` (the checkpoint writes a
storage worker sustains), ``worldgen`` is ``odyssey world generate`` (bench
worlds).
"""
