"""How the agent leaves a process: its thread drops the name a new attach looks for, the threads a detach
released get a moment to leave the agent's code, and the agent thread's outermost function collects the
dead agent once it has served, so that it goes at once rather than at the target's next full collection.
"""

import contextlib
import gc
import sys
import time

from . import inspection, jobs, suspend

LEAVING_NAME = "dapattach-gone"
LEAVE_WAIT = 1.0
"""How long a detach waits for the threads it released to leave the agent's code before collecting."""
FREE_THREADED_LEAVE = 0.05
"""Without the GIL, the running threads' frames are not walked: a detach gives them this long instead."""


def rename_thread(name):
    """A detaching agent's thread stops answering to its name, by which a new attach finds an agent."""
    with contextlib.suppress(Exception):
        import _thread

        _thread.set_name(name)


def wait_until_left(idents, starter):
    """Give the threads a detach released a moment to leave the agent's code: a job they run takes its
    interruption (the monitoring events that deliver it are still on), and the collection after the
    detach frees the agent at once instead of leaving it to the target's next one. A thread blocked in C
    in a request's code (a sleep, a lock) is not waited for once that is clear.

    `starter` is (ident, code) from `core.Agent.start`: that thread holds the agent in its frames until it has
    returned from `code` (a detach can come before it got the CPU back after starting the agent thread)."""
    if suspend.free_threaded():
        time.sleep(FREE_THREADED_LEAVE)  # their frames cannot be looked at while they run
        return
    deadline = time.monotonic() + LEAVE_WAIT
    waiting = set(idents) | jobs.jobs.threads()
    starting, entry = starter or (None, None)
    while (waiting or starting is not None) and time.monotonic() < deadline:
        frames = sys._current_frames()
        blocked = jobs.jobs.blocked()
        waiting = {
            ident
            for ident in waiting
            if ident in frames and ident not in blocked and _in_agent_code(frames[ident])
        }
        if starting not in frames or not _calls(frames[starting], entry):
            starting = None
        if waiting or starting is not None:
            time.sleep(0.001)


def _in_agent_code(frame):
    while frame is not None:
        if frame.f_code.co_filename.startswith(inspection.AGENT_DIR):
            return True
        frame = frame.f_back
    return False


def _calls(frame, code):
    """Whether `code` runs on the stack ending at `frame`."""
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


COLLECT_AFTER = """\
def run(cell):
    close = cell.pop()()
    if sys.getallocatedblocks() < COLLECT_LIMIT:
        gc.collect()
    if close is not None:
        close()
"""
COLLECT_LIMIT = 1_000_000
"""A full collection takes about 0.1 ms per thousand live blocks (57 ms for 600,000 objects measured):
above a million blocks the pause it would put on the target outweighs the few kilobytes a dead agent
holds until the target's own collections reach it."""


def collecting_after():
    """The agent thread's outermost function: runs the agent, then collects what it left as garbage.

    A detached agent (its modules, classes, functions, code objects) is all reference cycles, by then in
    the oldest generation, which the target's own collections reach rarely: across repeated attaches the
    dead agents piled up and the memory they took stayed fragmented (RSS +3 to +5 MB per 1,000 attaches).
    One full collection at detach frees each agent at once, before the socket closes, so an adapter that
    sees the close finds the agent gone. This function is compiled in a namespace of its own, so that
    while it collects nothing in the thread still refers to the agent.
    """
    namespace = {"gc": gc, "sys": sys, "COLLECT_LIMIT": COLLECT_LIMIT}
    exec(COLLECT_AFTER, namespace)
    return namespace["run"]
