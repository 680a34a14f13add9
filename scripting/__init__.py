"""Admin scripts: the game API offered to scripts, the hook names of
PROTOCOL.md section 6, sandboxed loading with hot reload, and the default
scripts of the starter world. Loaded inside map workers.

The cluster foundation calls no hooks yet: every rule runs its default
behaviour, exactly as the original does when a hook is missing.
"""
