"""Admin scripts: the game API offered to scripts, the hook names of
PROTOCOL.md section 6, sandboxed loading with hot reload, and the default
scripts of the starter world. Loaded inside map workers.

``scripting.sandbox`` compiles scripts with RestrictedPython (imports limited
to ``game``, ``random``, ``math`` and ``time``; no names starting with ``_``)
and calls their hooks under a time budget. The map workers do not call any
hook yet: every rule runs its default behaviour, exactly as the original
does when a hook is missing.
"""
