"""The dapattach agent: runs inside the target process, imports nothing but the standard library.

The adapter's bootstrap (run by `sys.remote_exec` on the target's main thread) loads this package from
the dapattach source tree under a private module name and calls `start`, which only starts the agent
thread, so the target's main thread is back to its own work at once. The agent thread connects to the
adapter's socket, says hello with the per-attach secret and serves requests (see `core.py`). On detach,
or when the adapter goes away, it resumes every thread, gives back its `sys.monitoring` tool id, closes
its socket and removes its modules from `sys.modules`.

Modules: `wire` (the socket), `core` (the agent thread and its commands), `suspend` (stopping and
resuming threads), `monitor` (`sys.monitoring` tool id, events and callbacks), `inspection` (threads,
stacks, scopes, sources), `values` (variables), `evaluation` (evaluate and assignments).
"""

attached = {}


def start(socket_path, secret, module_name, adapter_pid=0):
    """Start the agent thread; never raises into the target."""
    attached["adapter_pid"] = adapter_pid
    try:
        from .core import Agent

        Agent(socket_path, secret, module_name, adapter_pid).start()
    except Exception:
        pass


def refuse(socket_path, secret, message):
    """Tell a second adapter that this process already has an agent (called by a second bootstrap)."""
    try:
        from .wire import Channel, hello

        channel = Channel(socket_path)
        try:
            channel.send(hello(secret, refused=message))
        finally:
            channel.close()
    except Exception:
        pass
