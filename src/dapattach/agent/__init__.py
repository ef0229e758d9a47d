"""The dapattach agent: runs inside the target process, imports nothing but the standard library.

The adapter's bootstrap (run by the target through PEP 768's attach protocol) loads this package from the
dapattach source tree under a private module name and calls `start`, which only starts the agent thread and
returns; the bootstrap then waits (at most `core.READY_WAIT`) until the adapter has set its breakpoints,
holding nothing of the agent, and its thread is back to its own work. Before loading it, the bootstrap
claims the module name in `sys.modules` (one atomic `setdefault`), with `adapter_pid` set: of two adapters
attaching at once, the second finds the claim and is refused with the first one's PID. The agent thread
connects to the adapter's socket, says hello with the per-attach secret and serves requests (see
`core.py`). On detach, or when the adapter goes away, it resumes every thread, gives back its
`sys.monitoring` tool id, closes its socket and removes its modules from `sys.modules`.

Modules: `wire` (the socket), `core` (the agent thread), `commands` (the command table), `context` (the
options and the way to the adapter, for every feature), `suspend` (the stop core: stopped threads, what
they run while stopped, resuming them), `jobs` and `interrupt` (the target's code run for a request, on
the stopped thread, interruptible), `monitor` (`sys.monitoring` tool id, events and callbacks), the
features `breakpoints`, `exceptions`, `stepping` and `exits`, `inspection` (threads, stacks, scopes,
sources), `values` (variables), `evaluation` (evaluate and assignments).
"""

import contextlib
import functools
import operator

# `adapter_pid`, the PID of the adapter this agent serves, and `owner_pid`, the process it was loaded in
# (a forked child's inherited copy is not its own), are set by the bootstrap before this module's code
# runs (and so are not assigned here: that would hide them from a second bootstrap meanwhile).

fork_cell = []
fork_hook = functools.partial(functools.reduce, operator.call, fork_cell, operator.call)
"""The hook `os.register_at_fork` keeps for the life of the process (there is no way to unregister).

It must outlive the agent without keeping any of it alive, so it is built of builtins only around
`fork_cell`, a list holding the child's cleanup while attached and emptied on detach: it calls
`fork_cell[0]()` when there is one and does nothing otherwise. What stays behind per attach is this
partial and an empty list, about 250 bytes. They are made here, before the rest of the agent is loaded:
small objects that outlive it, made among its own, would keep its memory pages from being returned."""


def start(socket_path, secret, module_name, adapter_pid=0, **hello_extra):
    """Start the agent thread; never raises into the target. Returns `hold` (see `core.Agent.start`), or
    None when the agent could not start. `hello_extra` goes into the hello (a forked child's:
    `forkedFrom`)."""
    try:
        from .core import Agent

        return Agent(socket_path, secret, module_name, adapter_pid, hello_extra).start()
    except Exception:
        return None


def start_sub(fd, interpreter_id, slot, module_name):
    """Start the agent of a sub-interpreter, talking to the main agent over socket `fd` (see
    `subinterpreters.py`); never raises into the target. Returns `hold`, as `start` does."""
    try:
        from .core import Agent

        return Agent(None, None, module_name, 0, sub=(fd, interpreter_id, slot)).start()
    except Exception:
        import os

        with contextlib.suppress(OSError):
            os.close(fd)
        return None
