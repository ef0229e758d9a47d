"""Running the target's own code (reprs, properties, expressions) off the agent thread, with a time limit.

A repr can hang: it waits for a lock a stopped thread holds, or it loops. It must not take the agent with
it, so a request that runs the target's code runs in a fresh thread and the agent thread waits at most a
few seconds for it. A thread still busy then is *abandoned*: the user is told the request timed out, the
agent serves the next request, and the thread ends whenever its code returns. Python cannot stop a
thread from outside, so that is the limit: an abandoned repr keeps its thread (and whatever it holds)
until it returns, also after a detach; a C call that hangs holding the GIL stops everything, as it would
without a debugger.

Why this cannot deadlock: the worker holds none of the agent's locks while the target's code runs (the
handle table's lock is taken only around a dict update), it is an agent thread for `sys.monitoring` (so it
never stops at a breakpoint or in an all-stop), and what it sends to the adapter goes through the
channel's own lock, which a broken channel makes a no-op. The thread is started with `_thread` rather than
`threading.Thread`: `threading`'s bootstrap is Python code that would run, and stop in an all-stop,
before the thread could say it is the agent's.
"""

import _thread
import threading

from . import suspend
from .inspection import RequestError

TIMEOUT = 3.0
"""Seconds allowed for reprs, hovers, watches and assignments."""
REPL_TIMEOUT = 30.0
"""Seconds allowed for what the user typed in the debug console (it may legitimately compute a while)."""

abandoned = []
"""Hooks run when a worker is given up on (evaluation restores the streams it captured)."""


def call(work, timeout, what):
    """`work()` in a worker thread; its result, its exception re-raised, or `RequestError` after `timeout`."""
    outcome = {}
    done = threading.Event()

    def run():
        ident = threading.get_ident()
        suspend.add_agent_thread(ident)
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error
        finally:
            done.set()
            suspend.remove_agent_thread(ident)

    _thread.start_new_thread(run, ())
    if not done.wait(timeout):
        for hook in list(abandoned):
            hook()
        raise RequestError(
            f"{what} timed out after {timeout:g} s: the target's code it runs (a __repr__, a property or the "
            "expression) did not return. It was left running in the background and ends when that code "
            "returns; if it waits for a stopped thread, continuing lets it finish"
        )
    error = outcome.get("error")
    if isinstance(error, Exception):
        raise error
    if error is not None:
        raise RequestError(f"{what} raised {type(error).__name__}, which the agent does not pass on")
    return outcome["value"]
