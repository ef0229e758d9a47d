"""The direct driver: PEP 768's attach protocol spoken by the adapter itself (`pep768`, Linux only).

It writes the request into the target's memory, so it reaches any 3.14+ version from any adapter, asks the
thread of its choice (the main thread when it runs, else one that runs Python now, or an agent's own
thread), takes a pending request back, tells when the target took it, and sees when another debugger's
request took its place. It reaches a target in any namespaces: `placement` puts the files inside a
container's own filesystem, and its agent channel is a Unix socket whose peer `SO_PEERCRED` names by the
PID the adapter sees, whatever PID namespace the target is in.
"""

import socket
import sys
import time
from typing import Literal

from dapattach import host, namespaces, peers
from dapattach.attach import pep768, placement
from dapattach.attach.checks import AttachError, disabled_error, permission_error
from dapattach.attach.folder import AttachFolder
from dapattach.attach.target import Target

assert sys.platform == "linux", "the direct driver writes a process's memory through Linux interfaces"

AGENT_TICK = 0.25
"""An agent's thread runs Python at least this often, even while it waits for requests (`agent/core.py`)."""
AGENT_THREAD_NAME = b"dapattach-agent"
"""The agent thread's name (`agent/core.py`), which Python gives the OS thread too."""
DISPLACER_WAIT = 1.0
"""How long a displaced request waits for the other attach's agent before it is sent the usual way."""


class DirectDriver:
    name = "direct (PEP 768, written into the target's memory)"
    pidfd = True
    hello_within = None

    def place(self, target: Target) -> AttachFolder:
        return placement.place(target)

    def listen(self, folder: AttachFolder) -> tuple[socket.socket, str]:
        return folder.listen("agent.sock")

    def inject(self, target: Target, script: str) -> pep768.InjectResult:
        """When a dapattach agent is already in, its own thread: it runs Python code at least every quarter
        of a second even when every other thread is stopped at a breakpoint, so the bootstrap there
        refuses this attach at once, naming the adapter that holds it. Otherwise the main thread: it costs a
        millisecond, and a busy or briefly sleeping main thread runs it at once. A main thread that is
        blocked (sleep, accept, an idle loop) is left to `hand_on`."""
        if (injection := _to_agent(target.pid, script)) is not None:
            return injection
        return _inject(target.pid, script, "main")

    def picked_up(self, injection: object) -> bool:
        """The pending flag the target clears is the protocol's only sign (about 20 µs a read); a process
        that is gone has nothing pending."""
        assert isinstance(injection, pep768.InjectResult)
        try:
            return not pep768.is_pending(injection)
        except OSError, pep768.AttachError:
            return True

    def pickup_within(self, target: Target, injection: object) -> float:
        """An agent's thread (the bootstrap there refuses this attach) looks up every `AGENT_TICK`."""
        assert isinstance(injection, pep768.InjectResult)
        return 2 * AGENT_TICK if injection.thread.native_id == agent_thread(target.pid) else 0.0

    def hand_on(self, target: Target, script: str, injection: object) -> pep768.InjectResult:
        """To an agent that came in meanwhile, else to the thread running Python now (sampled for 16-100
        ms), if there is one. Until one is found the request stays with the thread first asked (only if
        the slot still holds ours is it withdrawn), so a main thread that wakes meanwhile (an idle
        server's next client) still runs it."""
        assert isinstance(injection, pep768.InjectResult)
        running: int | None = None
        if agent_thread(target.pid) is None:
            try:
                running = pep768.running_thread(target.pid)
            except OSError, pep768.AttachError:
                return injection
            if running is None or running == injection.thread.native_id:
                return injection
        if not self.withdraw(injection):
            return injection
        if (moved := _to_agent(target.pid, script)) is not None:
            return moved
        try:
            return _inject(target.pid, script, "main" if running is None else running)
        except AttachError:  # that thread exited meanwhile
            return _inject(target.pid, script, "main")

    def withdraw(self, injection: object) -> bool:
        assert isinstance(injection, pep768.InjectResult)
        try:
            return pep768.cancel(injection)
        except OSError, pep768.AttachError:
            return False

    def taken(self, injection: object) -> bool | None:
        """The target clears the pending flag just before it opens the file; a thread that exited with
        the request still pending never took it."""
        assert isinstance(injection, pep768.InjectResult)
        try:
            return pep768.request_state(injection) == "taken"
        except OSError, pep768.AttachError:
            return None

    def defuse(self, folder: AttachFolder) -> bool:
        """A request `withdraw` could not take back has been consumed already: nothing to defuse."""
        return False

    def displaced(self, injection: object) -> bool:
        """The slot was consumed (no longer pending) and holds another path than ours. Ours may still have
        run before the other was written: the caller also checks that our bootstrap, which deletes itself
        first thing, is still there."""
        assert isinstance(injection, pep768.InjectResult)
        try:
            return not pep768.is_pending(injection) and not pep768.holds(injection)
        except OSError, pep768.AttachError:
            return False

    def resend(self, target: Target, script: str) -> pep768.InjectResult:
        """To the agent the other request starts, once its thread is there (sent to the thread still
        running that bootstrap, ours would run inside it), else the usual way."""
        deadline = time.monotonic() + DISPLACER_WAIT
        while time.monotonic() < deadline:
            if (injection := _to_agent(target.pid, script)) is not None:
                return injection
            time.sleep(0.005)
        return self.inject(target, script)

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        pid, uid = peers.unix_peer(connection)
        if pid != target.pid:
            return f"it comes from PID {pid} (uid {uid}), not from process {target.pid}"
        if not target.alive():
            return f"process {target.pid} has exited, so PID {pid} may be another process now"
        return None


def agent_thread(pid: int) -> int | None:
    """The native id of a dapattach agent's thread in `pid` (named so by the agent), as the target knows
    it (another one than ours in a PID namespace of its own), or None."""
    task = host.thread_named(pid, AGENT_THREAD_NAME)
    if task is None:
        return None
    inside = {ours: theirs for theirs, ours in namespaces.threads_inside(pid).items()}
    return inside.get(task, task)


def _to_agent(pid: int, script: str) -> pep768.InjectResult | None:
    """The request sent to the thread of an agent already in `pid`, or None when there is none."""
    agent = agent_thread(pid)
    if agent is None:
        return None
    try:
        return _inject(pid, script, agent)
    except AttachError:
        if agent_thread(pid) is None:
            return None  # it was leaving
        raise


def _inject(pid: int, script: str, thread: int | Literal["main", "auto"]) -> pep768.InjectResult:
    try:
        return pep768.inject(pid, script, thread=thread, verified=True)
    except pep768.NoSuchProcessError:
        raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
    except pep768.AttachPermissionError:
        raise permission_error(pid) from None
    except pep768.RemoteDebugDisabledError:
        raise disabled_error(pid, "remote debugging is turned off in it") from None
    except pep768.AttachError as error:
        raise AttachError(pid, str(error)) from None
    except PermissionError:
        raise permission_error(pid) from None
    except ProcessLookupError:
        raise AttachError(pid, f"no process with PID {pid}: it exited while attaching") from None
