"""How an agent gets into a process: the `Driver` an attach goes through, and the direct PEP 768 driver.

An attach (`attempt.Attempt`) asks its driver these things: where to place the files the target reads and
the socket its agent connects to (`place`), to ask the target to run the bootstrap (`inject`), whether the
target has started it (`picked_up`), to give the request to another thread when the one asked is blocked
(`hand_on`), whether the target has taken that request (`taken`), whether a connection to that socket
comes from the target itself (`verify_peer`), to take back a request the target has not run yet
(`withdraw`), and whether another debugger's request took its place (`displaced`, then `resend`). Checks,
the bootstrap, the secret, the snapshot stand-in and the link are the same whichever driver is used, so
another way in (`sys.remote_exec` run by the target's own interpreter) is another driver.

`DirectDriver` speaks PEP 768 itself (`pep768`, Linux): any 3.14+ version, any thread of the target, in
any namespaces (`placement` puts the files inside a container's own filesystem; `SO_PEERCRED` gives the
peer's PID as the adapter sees it, whatever PID namespace the target is in).
"""

import os
import socket
import time
from typing import Literal, Protocol

from dapattach import namespaces, peers
from dapattach.attach import pep768, placement
from dapattach.attach.checks import AttachError, disabled_error, permission_error
from dapattach.attach.folder import AttachFolder
from dapattach.attach.target import Target

AGENT_TICK = 0.25
"""An agent's thread runs Python at least this often, even while it waits for requests (`agent/core.py`)."""
AGENT_THREAD_NAME = b"dapattach-agent"
"""The agent thread's name (`agent/core.py`), which Python gives the OS thread too."""
DISPLACER_WAIT = 1.0
"""How long a displaced request waits for the other attach's agent before it is sent the usual way."""


class Driver(Protocol):
    name: str

    def place(self, target: Target) -> AttachFolder:
        """A fresh private folder the target can read and connect in (its `seen_as` is the target's view)."""
        ...

    def inject(self, target: Target, script: str) -> object:
        """Ask the target to run the file `script` (a path as the target sees it); returns a handle for
        `withdraw`. Blocking but quick (run it in a worker thread); failures are `AttachError`s for the
        user."""
        ...

    def picked_up(self, injection: object) -> bool:
        """Whether the target has started running the script; quick. A driver that cannot tell says True
        (the attach then waits for the agent's hello instead)."""
        ...

    def pickup_within(self, target: Target, injection: object) -> float:
        """Seconds the thread asked may take to start the script although it is not blocked (0: at once)."""
        ...

    def hand_on(self, target: Target, script: str, injection: object) -> object:
        """The request, given to a thread that runs Python now if the one asked has not started it (it is
        blocked in C); returns the handle in effect. Blocking (run it in a worker thread)."""
        ...

    def withdraw(self, injection: object) -> bool:
        """Take the request back; True when it was still pending (the target will never run it)."""
        ...

    def taken(self, injection: object) -> bool | None:
        """Whether the target has started on the request (it then opens the bootstrap at once); None
        when this driver cannot tell."""
        ...

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        """None when the kernel says `connection` comes from the target; else why not, for the log."""
        ...

    def displaced(self, injection: object) -> bool:
        """Whether the target took the request's place while it held another debugger's request, so that
        ours will not run. Cheap: called every few milliseconds until the agent says hello."""
        ...

    def resend(self, target: Target, script: str) -> object:
        """Ask again, after a displacement; returns the new handle. Blocking, like `inject`."""
        ...


class HandOverDriver:
    """For the session of a child process: its agent is sent over by the session that found the process
    (`rehome`), so nothing is injected and there is nothing to take back. The folder, the socket and the
    checks on the agent's connection are the direct driver's."""

    name = "hand-over"

    def __init__(self) -> None:
        self._direct = DirectDriver()

    def place(self, target: Target) -> AttachFolder:
        return self._direct.place(target)

    def inject(self, target: Target, script: str) -> None:
        return None

    def picked_up(self, injection: object) -> bool:
        """Nothing was asked of a thread: the attach waits for the agent's hello."""
        return True

    def pickup_within(self, target: Target, injection: object) -> float:
        return 0.0

    def hand_on(self, target: Target, script: str, injection: object) -> None:
        return None

    def withdraw(self, injection: object) -> bool:
        return True

    def taken(self, injection: object) -> bool | None:
        return None

    def verify_peer(self, target: Target, connection: socket.socket) -> str | None:
        return self._direct.verify_peer(target, connection)

    def displaced(self, injection: object) -> bool:
        return False

    def resend(self, target: Target, script: str) -> None:
        return None


def choose(target: Target) -> Driver:
    """The driver for `target`: the direct one, the only one so far."""
    return DirectDriver()


class DirectDriver:
    name = "pep768"

    def place(self, target: Target) -> AttachFolder:
        return placement.place(target)

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

    def taken(self, injection: object) -> bool | None:
        """The target clears the pending flag just before it opens the file; a thread that exited with
        the request still pending never took it."""
        assert isinstance(injection, pep768.InjectResult)
        try:
            return pep768.request_state(injection) == "taken"
        except OSError, pep768.AttachError:
            return None

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
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/comm", "rb") as file:
                if file.read().strip() == AGENT_THREAD_NAME:
                    inside = {ours: theirs for theirs, ours in namespaces.threads_inside(pid).items()}
                    return inside.get(int(task), int(task))
        except OSError, ValueError:
            continue
    return None


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
