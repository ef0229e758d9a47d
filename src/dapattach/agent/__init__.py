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
sources), `values` (variables), `evaluation` (evaluate and assignments), `switching` (a shorter GIL switch
interval while requests come, so a busy program does not delay the answers).
"""

import _functools
import _operator
import _thread
import os
import sys

# Only modules that are built in or that the bootstrap has loaded: importing one takes no lock that a fork
# could copy held before the at-fork hook is registered (see `start`).

# `adapter_pid`, the PID of the adapter this agent serves, `owner_pid`, the process it was loaded in (a
# forked child's inherited copy is not its own), and `attach_folder`, where an agent that cannot reach the
# adapter says why (`wire.FAILED_NOTE`), are set by the bootstrap before this module's code runs (and so
# are not assigned here: that would hide them from a second bootstrap meanwhile).

fork_cell = []
fork_hook = _functools.partial(_functools.reduce, _operator.call, fork_cell, _operator.call)
after_fork_hook = _functools.partial(
    _functools.reduce, _operator.call, fork_cell, _operator.methodcaller("__call__", True)
)
"""The hooks `os.register_at_fork` keeps for the life of the process (there is no way to unregister):
`fork_hook` on both sides of a fork, in the parent just before it and in the child just after, and
`after_fork_hook` in the parent just after, which calls `fork_cell[0](True)`.

It must outlive the agent without keeping any of it alive, so it is built of builtins only around
`fork_cell`, a list holding the agent's side of a fork while the agent is here and emptied when it has
gone: it calls `fork_cell[0]()` when there is one and does nothing otherwise. That function tells the two
sides apart by the PID it was made in. One object serves both sides, so the second side adds nothing but
the registry's own entry. What stays behind per attach is these two partials and an empty list, about
400 bytes. They are made here, before the rest of the agent is loaded: small objects that outlive it, made
among its own, would keep its memory pages from being returned."""


def start(socket_path, secret, module_name, adapter_pid=0, **hello_extra):
    """Start the agent thread; never raises into the target. Returns `hold` (see `core.Agent.start`), or
    None when the agent could not start. `hello_extra` goes into the hello (a forked child's:
    `forkedFrom`).

    The at-fork hook is registered first, before the rest of the agent is imported: another thread of the
    program may fork while this one imports it (see `release_imports`)."""
    try:
        fork_cell.append(_functools.partial(forked_meanwhile, os.getpid(), {_thread.get_ident()}))
        os.register_at_fork(before=fork_hook, after_in_parent=after_fork_hook, after_in_child=fork_hook)
        from .core import Agent

        return Agent(socket_path, secret, module_name, adapter_pid, hello_extra).start()
    except Exception as error:
        fork_cell.clear()
        _could_not_start(socket_path, secret, module_name, error)
        return None


def _could_not_start(socket_path, secret, module_name, error):
    """The agent could not start (a memory limit that leaves no room for its thread's stack, ...): tell
    the adapter why, which would otherwise wait for a hello, and let go of the process's claim, or every
    later attach would be refused as if an agent were in."""
    try:
        from . import wire

        wire.report_failure(socket_path, secret, error, globals().get("attach_folder"))
    except Exception:
        pass
    prefix = module_name + "."
    for name in [name for name in sys.modules if name == module_name or name.startswith(prefix)]:
        sys.modules.pop(name, None)
    sys.path_importer_cache.pop(os.path.dirname(__file__), None)


def forked_meanwhile(parent, idents, after_in_parent=False):
    """The child's side of a fork made while the agent was loading or leaving (its threads `idents`) in
    process `parent`: nothing of the agent runs in the child, but the import locks those threads held must
    not stay held. In the parent, before the fork and after it, there is nothing to do."""
    if after_in_parent or os.getpid() == parent:
        return
    fork_cell.clear()
    release_imports(idents)


def release_imports(idents):
    """In a forked child: free the import locks the agent's threads (`idents`) held when the fork copied
    them, so that the child's own imports of those modules do not wait for ever.

    importlib takes a lock per module while it imports one (`_ModuleLock`, the module already in
    `sys.modules`, marked initialising). A fork copies every lock as it is and only the forking thread goes
    on in the child, so a lock held by another thread stays held there for ever. The agent imports on its
    own threads: the whole agent while it loads (on a thread of its own when the bootstrap runs inside an
    import), and some modules on first use (`copy`, `dis`, `traceback`, `sysconfig`). A child forked at
    that moment by another thread (`multiprocessing`'s forkserver forks its workers while its agent loads)
    blocked in C at its first import of that module (a worker imports `ast`, `copy` and `dis` as it
    starts) and never ran Python again, so no agent could get in either. Each such lock is dropped (the
    next import makes a new one) with the module its owner left half executed, which the child then
    imports afresh; a lock one of them was waiting for gets its inner locks back, as it may have held them
    for an instant. Locks the program's own threads held are left as they are: that is the fork the program
    made. When importlib's internals are not as expected, nothing is done.
    """
    idents = set(idents)
    idents.discard(_thread.get_ident())
    importing = sys.modules.get("_frozen_importlib")
    locks = getattr(importing, "_module_locks", None)
    if not idents or not isinstance(locks, dict):
        return
    try:
        for name, ref in list(locks.items()):
            if getattr(ref(), "owner", None) in idents:
                locks.pop(name, None)
                module = sys.modules.get(name)
                if getattr(getattr(module, "__spec__", None), "_initializing", False):
                    sys.modules.pop(name, None)
        waiting = getattr(importing, "_blocking_on", None)
        for ident in idents:
            for lock in list(waiting.get(ident) or ()):
                lock.lock._at_fork_reinit()
                lock.wakeup._at_fork_reinit()
                lock.waiters.clear()
    except Exception:
        pass


def start_sub(fd, interpreter_id, slot, module_name):
    """Start the agent of a sub-interpreter, talking to the main agent over socket `fd` (see
    `subinterpreters.py`); never raises into the target. Returns `hold`, as `start` does."""
    try:
        from .core import Agent

        return Agent(None, None, module_name, 0, sub=(fd, interpreter_id, slot)).start()
    except Exception:
        import contextlib

        with contextlib.suppress(OSError):
            os.close(fd)
        return None
