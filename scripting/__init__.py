"""Admin scripts (PROTOCOL.md section 6), loaded inside map workers.

* ``sandbox`` compiles a script with RestrictedPython (imports limited to
  ``game``, ``random``, ``math`` and ``time``; no names starting with ``_``;
  guarded arithmetic and allocation) and calls its hooks under a time budget;
  every failure is a ``ScriptError``. Its layers: ``policy`` (the compiler's
  rules and rewrites), ``budget`` (a time-out scripts cannot swallow),
  ``limits`` (sizes one operation may build), ``guarded`` (hashing, comparing
  and sorting of script data), ``memory`` (what a script keeps between calls).
* ``hooks.ScriptHooks`` is a worker's library of scripts: hot reload, the
  rules' calls into the hooks of 6.2, packets discarded when a hook fails,
  and the quarantine of scripts that keep failing, time out hard or hoard.
* ``prove.prove`` runs a script's module body in a disposable child process
  with hard CPU, memory and wall-clock limits, before storage accepts it.
* ``bench`` (``python -m scripting.bench``) prints the cost of one hook call.
* ``api.GameAPI`` is the ``game`` module of 6.3 the scripts import, bound to
  one map for the length of a hook call (``api_players``, ``api_world``,
  ``api_combat`` and ``api_packets`` hold its helper groups).

The default scripts that make the starter world a game live with it, in
``storage/starter_world/scripts/<name>.py``; admins replace them in game
(``/editscript NAME``, then type 26).
"""
