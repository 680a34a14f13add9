"""Admin scripts (PROTOCOL.md section 6), loaded inside map workers.

* ``sandbox`` compiles a script with RestrictedPython (imports limited to
  ``game``, ``random``, ``math`` and ``time``; no names starting with ``_``;
  guarded arithmetic and allocation) and calls its hooks under a time budget.
* ``hooks.ScriptHooks`` is a worker's library of scripts: hot reload, the
  rules' calls into the hooks of 6.2, and packets discarded when a hook fails.
* ``api.GameAPI`` is the ``game`` module of 6.3 the scripts import, bound to
  one map for the length of a hook call (``api_players``, ``api_world``,
  ``api_combat`` and ``api_packets`` hold its helper groups).

The default scripts that make the starter world a game live with it, in
``storage/starter_world/scripts/<name>.py``; admins replace them in game
(``/editscript NAME``, then type 26).
"""
