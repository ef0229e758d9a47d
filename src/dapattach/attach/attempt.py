"""One attach, as an explicit state machine, from the user's request to the detach.

    requested ──inject──► injected ──────────hello──────────► agent in ──detach, lost──► detached
                              └──grace over──► stand-in ──hello──┘
    withdraw, fail, target gone, hand over: from any phase to detached

`start` has the target asked to run the bootstrap (`invitation.invite`), or takes over an invitation made
before the adapter had loaded asyncio, and accepts the agent's connection from then on (in the background, a
request the thread asked has not started within `HAND_ON_AFTER` is handed to a thread that runs Python now,
if one does). `arrival_soon` tells within milliseconds whether the agent is coming (a busy target starts the
bootstrap at once); `arrival` waits for it. A target whose threads are all blocked runs the bootstrap only
when it next runs Python code, so the session goes on meanwhile with answers from a snapshot (`stand_in`)
and calls `arrival` again. A target that takes the request but does not open the bootstrap ends the attach
within `OPEN_GRACE`, with the reason. The agent is in once its connection passes the listener's checks.
`withdraw` takes back a request the target has not run; `detach` lets the agent remove itself. Whatever way
an attach ends, nothing of it stays behind: no request in the target, no folder, no socket.
"""

import asyncio
import contextlib
import enum
import json
import logging
import sys
import time
from typing import TYPE_CHECKING

from dapattach import host
from dapattach.attach import driver as drivers
from dapattach.attach.checks import AttachError, blocked_message
from dapattach.attach.folder import AttachFolder
from dapattach.attach.invitation import BOOTSTRAP, Invitation, invite
from dapattach.attach.link import AgentLink, EventHandler
from dapattach.attach.listener import HELLO_TIMEOUT, AgentListener
from dapattach.attach.target import KILL, TERM, Target

if TYPE_CHECKING:
    from dapattach.attach.watch import OpenWatch

log = logging.getLogger(__name__)

PROTOCOL = 1
HAND_ON_AFTER = 0.03
"""Seconds the thread first asked (the main thread) has to start the bootstrap before it counts as blocked."""
SEND_AWAY_LATE = 0.2
"""How long a disconnect waits for an agent to send away, when the request is long past its hello's time."""
FAILED_NOTE = "agent.failed"
"""Where an agent that could not reach the adapter says why (`agent/wire.py`, which the adapter does not
import: it is the agent's)."""
FOLLOW_EVERY = (0.005, 0.05)
"""How often an attach looks at its request until the agent says hello: every 5 ms for a second, then every
50 ms (a look is two reads of the target's memory and a stat, about 50 µs)."""
OPEN_GRACE = 0.2
"""How long after the target took the request its open of the bootstrap may take to show."""


class Phase(enum.Enum):
    REQUESTED = "requested"
    INJECTED = "injected"
    STAND_IN = "answered by the snapshot stand-in"
    AGENT_IN = "agent in"
    DETACHED = "detached"


_MOVES = {
    (Phase.REQUESTED, "inject"): Phase.INJECTED,
    (Phase.INJECTED, "hello"): Phase.AGENT_IN,
    (Phase.INJECTED, "grace over"): Phase.STAND_IN,
    (Phase.STAND_IN, "hello"): Phase.AGENT_IN,
}
_ENDINGS = {"withdraw", "detach", "terminate", "lost", "fail", "target gone", "hand over"}


class IllegalMove(RuntimeError):
    """The adapter asked an attach for a step its phase does not allow (a bug in the adapter)."""


class TargetExited(AttachError):
    """The target exited before its agent got in."""


class Attempt:
    def __init__(
        self, pid: int, *, on_event: EventHandler | None = None, driver: drivers.Driver | None = None
    ) -> None:
        self.pid = pid
        self.phase = Phase.REQUESTED
        self.link: AgentLink | None = None
        self.target: Target | None = None
        self.socket_path: str | None = None
        """Where the agent connects, as the target sees it, once placed."""
        self.secret: str | None = None
        """What the agent's hello must carry, once placed."""
        self._on_event = on_event
        self._driver: drivers.Driver | None = driver
        self.folder: AttachFolder | None = None
        """Where the bootstrap and the agent's socket are, until the agent is in or the attach ends."""
        self._listener: AgentListener | None = None
        self._injection: object | None = None
        self._requested_at = time.monotonic()
        self._following: asyncio.Task[None] | None = None
        self._handing_on: asyncio.Task[None] | None = None
        self._moving: asyncio.Future[object] | None = None
        self._handing = False
        """True while the request moves to another thread: the one withdrawn looks taken meanwhile."""
        self._watch: OpenWatch | None = None
        self._script = ""
        self._since = time.monotonic()

    @property
    def driver_name(self) -> str:
        """Which way in this attach took (the log says it too)."""
        return "no" if self._driver is None else self._driver.name

    def _move(self, event: str) -> None:
        after = Phase.DETACHED if event in _ENDINGS else _MOVES.get((self.phase, event))
        if after is None:
            raise IllegalMove(f"attach to process {self.pid}: {event!r} while {self.phase.value}")
        elapsed = (time.monotonic() - self._since) * 1000
        log.info(
            "process %d: %s --%s--> %s (%.1f ms)", self.pid, self.phase.value, event, after.value, elapsed
        )
        self.phase = after

    async def start(self, invitation: Invitation | None = None) -> None:
        """Check the target, place the bootstrap, open the agent's socket, ask the target to run it; or
        take over an `invitation` that did all that already (made for this PID, not taken over before)."""
        if self.phase is not Phase.REQUESTED:
            raise IllegalMove(f"attach to process {self.pid} started twice")
        try:
            if invitation is None:
                invitation = await asyncio.to_thread(invite, self.pid, self._driver)
            else:
                ago = (time.monotonic() - invitation.made_at) * 1000
                log.info(
                    "%s: attach request made %.1f ms ago, before the log began (%s driver, folder %s)",
                    invitation.target.describe(),
                    ago,
                    invitation.driver.name,
                    invitation.folder.path if invitation.folder is not None else None,
                )
            self._take(invitation)
            assert self._listener is not None
            await self._listener.start()
        except BaseException:
            self.close("fail")
            raise
        self._move("inject")
        script = invitation.script
        self._following = asyncio.create_task(self._follow(script), name=f"attach-follow-{self.pid}")
        self._handing_on = asyncio.create_task(self._hand_on(script), name=f"attach-hand-on-{self.pid}")

    def _take(self, invitation: Invitation) -> None:
        """From now on this attempt removes what the invitation placed and takes the request back; its
        socket is the listener's (which closes it)."""
        if invitation.target.pid != self.pid or invitation.taken:
            raise ValueError(f"the invitation of process {invitation.target.pid} for process {self.pid}")
        invitation.taken = True
        target, driver = invitation.target, invitation.driver
        self.target, self._driver = target, driver
        self._listener = AgentListener(invitation.sock, target, driver, invitation.secret)
        self.folder, invitation.folder = invitation.folder, None
        self._watch, invitation.watch = invitation.watch, None
        self._script, self._injection = invitation.script, invitation.injection
        self._requested_at = invitation.made_at
        self.socket_path, self.secret = invitation.socket_path, invitation.secret

    async def _hand_on(self, script: str) -> None:
        if await self.picked_up(HAND_ON_AFTER):
            return
        assert self._driver is not None and self.target is not None
        self._moving = asyncio.ensure_future(
            asyncio.to_thread(self._driver.hand_on, self.target, script, self._injection)
        )
        self._handing = True
        try:
            self._injection = await asyncio.shield(self._moving)
        except AttachError as error:
            log.info("process %d: the request stays where it was: %s", self.pid, error)
        finally:
            self._handing = False

    async def picked_up(self, within: float) -> bool:
        """Whether the target starts running the bootstrap within `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._driver is not None and not self._driver.picked_up(self._injection):
            if loop.time() >= deadline or self.phase is Phase.DETACHED:
                return False
            await asyncio.sleep(0.001)
        return True

    async def arrival_soon(self, pickup: float, arrival: float) -> AgentLink | None:
        """The agent's link if the target starts the bootstrap within `pickup` seconds and the agent says
        hello within `arrival` seconds more; None otherwise, the attach as it was (`stand_in`, then
        `arrival` later). Errors as `arrival`'s. A thread that looks up only now and then (an agent's,
        asked when one is in already) gets the time the driver says it needs; a driver that cannot see
        the pick-up gives the whole wait (`hello_within`)."""
        if self._driver is not None and self.target is not None:
            pickup = max(pickup, self._driver.pickup_within(self.target, self._injection))
            if (limit := self._driver.hello_within) is not None:
                arrival = min(arrival, limit)
        if not await self.picked_up(pickup):
            return None
        try:
            return await self.arrival(arrival)
        except TimeoutError:
            return None

    async def _follow(self, script: str) -> None:
        """Until the agent says hello: send the request again if another attach displaced it.

        A thread has room for one request. When two adapters attach at the same moment, the second write
        can replace the first before the target reads it; the target then runs only the second bootstrap
        (which gets in), and the first adapter would wait for a hello that never comes. It sees it: the
        driver says the slot was consumed holding another request, and our bootstrap has not started: it
        deletes itself as it starts, and the watch on it sees it opened. It then asks again and is refused by
        name. For another user's target the bootstrap cannot delete itself (the folder is the adapter's), so
        without a watch nothing tells that it ran, and a displaced request is left to the usual wait.
        """
        if self.target is None or self._injection is None:
            return  # (no injection: the hand-over driver, whose agent is sent over)
        if self._watch is None and self.target.uid != host.own_uid():
            return
        started = time.monotonic()
        while True:
            fast = time.monotonic() - started < 1.0
            await asyncio.sleep(FOLLOW_EVERY[0] if fast else FOLLOW_EVERY[1])
            driver, folder, target = self._driver, self.folder, self.target
            if driver is None or folder is None or target is None or self._started(folder):
                return  # the agent is in, or ours has started: its hello (or its refusal) is on the way
            if not driver.displaced(self._injection):
                continue
            log.info("process %d: the attach request was displaced by another; asking again", self.pid)
            try:
                self._injection = await asyncio.to_thread(driver.resend, target, script)
                self._requested_at = time.monotonic()
            except AttachError as error:
                log.info("process %d: stopped following the attach request: %s", self.pid, error)
                return

    def _started(self, folder: AttachFolder) -> bool:
        """Whether the target began on our bootstrap: it opened it, or the bootstrap deleted itself."""
        return (self._watch is not None and self._watch.opened()) or not folder.holds(BOOTSTRAP)

    def stand_in(self) -> None:
        """The agent did not come within the grace: the snapshot stand-in answers until it does."""
        self._move("grace over")

    async def arrival(self, timeout: float | None) -> AgentLink:
        """Wait for the agent, at most `timeout` seconds; `TimeoutError` leaves the attach as it was.

        Raises `TargetExited` when the target exits first, and `AttachError` when the agent says it cannot
        start or another agent is in; both end the attach.
        """
        if self.phase not in (Phase.INJECTED, Phase.STAND_IN):
            raise IllegalMove(f"attach to process {self.pid}: waiting for the agent while {self.phase.value}")
        assert self._listener is not None and self.target is not None
        target = self.target
        coming = asyncio.ensure_future(self._listener.arrival(timeout))
        exiting = asyncio.ensure_future(target.exited(None))
        failing = asyncio.ensure_future(self._unopened())
        noted = asyncio.ensure_future(self._failure_noted())
        tasks = (coming, exiting, failing, noted)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if coming.cancelled() and not (failing.cancelled() and noted.cancelled()):
            self.close("fail")
            raise (noted if failing.cancelled() else failing).result()
        if coming.cancelled():
            self.close("target gone")
            raise TargetExited(self.pid, f"Process {self.pid} exited before the agent got in.")
        reader, writer, hello = coming.result()
        listener = self._listener
        self._let_go()
        if "refused" in hello or "error" in hello:
            writer.close()
            self.close("fail")
            where = "" if target.pid_inside == target.pid else f"{target.describe()}: "
            if "refused" in hello:
                raise AttachError(self.pid, f"{where}{hello['refused']}: detach that session first")
            reason = _hinted(hello["error"], target)
            raise AttachError(self.pid, f"the agent could not start in {target.describe()}: {reason}")
        if hello.get("pid") != target.pid_inside:
            log.warning("the agent of %s says it is PID %s", target.describe(), hello.get("pid"))
        writer.write(json.dumps(listener.welcome(hello)).encode() + b"\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()  # gone at once (it exec'd, or exited): the link's end says so
        self.link = AgentLink(reader, writer, hello, self._on_event, pid=self.pid)
        self._move("hello")
        return self.link

    async def _unopened(self) -> AttachError:
        """Returns, with the reason, once the target has taken the request without opening the bootstrap;
        never returns while it has not taken it, or once it opened it (its agent then reports over the
        socket), or when the driver cannot tell."""
        started = time.monotonic()
        while (watch := self._watch) is not None and self._driver is not None and self._injection is not None:
            match "moving" if self._handing else self._driver.taken(self._injection):
                case None:
                    break
                case True:
                    deadline = time.monotonic() + OPEN_GRACE
                    while not watch.opened():
                        if time.monotonic() >= deadline:
                            return await self._open_failed()
                        await asyncio.sleep(0.01)
                    break
            await asyncio.sleep(FOLLOW_EVERY[0] if time.monotonic() - started < 1.0 else FOLLOW_EVERY[1])
        await asyncio.Future()
        raise AssertionError("unreachable")

    async def _failure_noted(self) -> AttachError:
        """Returns, with the reason, once the agent has left word that it could not reach the adapter
        (`FAILED_NOTE`: a target of the adapter's own user may write in the folder, and its agent does when
        something in the program refuses it a socket); never returns otherwise."""
        while (folder := self.folder) is not None and (target := self.target) is not None:
            if (note := folder.read_note(FAILED_NOTE)) is not None:
                log.warning("%s: the agent could not reach the adapter: %s", target.describe(), note)
                return AttachError(
                    self.pid,
                    f"the agent started in {target.describe()} but could not connect to the adapter "
                    f"({note}): something in the program refuses it a socket, such as an audit hook "
                    "(sys.addaudithook), seccomp or a security module (AppArmor, SELinux)",
                )
            await asyncio.sleep(FOLLOW_EVERY[1])
        await asyncio.Future()
        raise AssertionError("unreachable")

    def bootstrap_started(self) -> bool:
        """Whether the target has begun on the bootstrap (as far as can be seen: a watch, or its removal)."""
        return self.folder is not None and self._started(self.folder)

    async def _open_failed(self) -> AttachError:
        assert self.target is not None
        why = await asyncio.to_thread(_why_unopened, self.target, self.folder)
        log.warning("%s took the attach request but not the bootstrap: %s", self.target.describe(), why)
        return AttachError(
            self.pid,
            f"{self.target.describe()} took the attach request but could not open the bootstrap "
            f"{self._script}: {why}",
        )

    def stalled(self, waited: float) -> str:
        """What to tell the user when the agent did not come within `waited` seconds."""
        if self._watch is not None and self._watch.opened() and self.target is not None:
            return (
                f"{self.target.describe()} started the attach bootstrap, but its agent did not connect back "
                f"within {waited:g} s (the target may be very busy, or something in it stopped the agent's "
                "thread); attach again, or set a longer timeout"
            )
        return blocked_message(self.pid, waited)

    async def agent_reached(self) -> bool:
        """Whether an agent has come to this attach's socket and proved itself (whether or not it is still
        there): for a hand-over cut short by an exec, whose the new program is."""
        if self._listener is None:
            return self.phase is not Phase.REQUESTED
        return await self._listener.heard()

    def fail(self, message: str) -> None:
        """The agent will not come after all (it was to be sent over and is not): `arrival` raises
        `AttachError(message)` from now on."""
        if self._listener is not None:
            self._listener.fail(AttachError(self.pid, message))

    async def withdraw(self) -> None:
        """Take back a request the target has not run; an agent that started anyway is told to go."""
        if self.phase in (Phase.AGENT_IN, Phase.DETACHED):
            return
        await self._take_back()
        self.close("withdraw")

    async def _take_back(self) -> None:
        """Withdraw the request; where that cannot be done, have the driver make it harmless (the target
        then removes the folder itself when it runs it), else wait briefly for an agent to send away."""
        if self._handing_on is not None:
            self._handing_on.cancel()
        if self._moving is not None:
            with contextlib.suppress(AttachError):
                self._injection = await self._moving
        withdrawn = True
        if self._injection is not None and self._driver is not None:
            withdrawn = await asyncio.to_thread(self._driver.withdraw, self._injection)
            if not withdrawn and self.folder is not None and self._driver.defuse(self.folder):
                log.info(
                    "process %d: the attach request is pending; it now only removes its folder", self.pid
                )
                self.folder.close()
                self.folder = None
                return
        if not withdrawn and self.target is not None and self.target.alive():
            # An agent that comes after this finds no socket and leaves by itself: the wait only lets the
            # disconnect return once it is gone. Its hello comes within `HELLO_TIMEOUT` of the request
            # when it comes at all, so a request older than that is given only a moment.
            wait = max(HELLO_TIMEOUT - (time.monotonic() - self._requested_at), SEND_AWAY_LATE)
            with contextlib.suppress(TimeoutError, AttachError):
                link = await self.arrival(wait)
                await link.detach()

    async def detach(self) -> None:
        """Let the target run on without us: the agent resumes every thread and removes itself."""
        if self.link is not None and self.phase is Phase.AGENT_IN:
            await self.link.detach()
            self.close("detach")
        else:
            await self.withdraw()

    async def terminate(self, grace: float) -> int | None:
        """End the target: SIGTERM, then SIGKILL when it is still there after `grace` seconds. Returns a
        shell-style exit code (128 + the signal that ended it), None when it was gone already."""
        if self.phase in (Phase.INJECTED, Phase.STAND_IN):
            await self._take_back()
        if self.link is not None:
            self.link.close()  # the agent lets every thread go, so the target can handle the signal
        target = self.target
        try:
            if target is None or not target.alive():
                return None
            for forcefully, number in ((False, TERM), (True, KILL)):
                target.end(forcefully)
                if await target.exited(grace):
                    return 128 + number
            return None
        finally:
            self.close("terminate")

    def lost(self) -> None:
        """The agent's link closed without a detach: the target exited, or its agent stopped."""
        self.close("lost")

    def hand_over(self) -> AgentLink:
        """The link, for a caller that manages it alone from now on; the attach lets go of the rest."""
        assert self.link is not None
        link, self.link = self.link, None
        self.close("hand over")
        return link

    def close(self, why: str) -> None:
        """End the attach at once: close the link without asking, remove the folder, let go of the target."""
        self._let_go()
        if self.link is not None:
            self.link.close()
        if self.target is not None:
            self.target.close()
        if self.phase is not Phase.DETACHED:
            self._move(why)

    def _let_go(self) -> None:
        """The agent is in or will never come: the socket and the files have done their work."""
        if self._following is not None:
            self._following.cancel()
            self._following = None
        if self._handing_on is not None:
            self._handing_on.cancel()
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self.folder is not None:
            self.folder.remove()
            self.folder = None


async def inject_agent(pid: int, *, timeout: float = 10.0, on_event: EventHandler | None = None) -> AgentLink:
    """Load the agent into process `pid` and return the authenticated link to it."""
    attempt = Attempt(pid, on_event=on_event)
    await attempt.start()
    try:
        await attempt.arrival(timeout)
    except TimeoutError:
        message = attempt.stalled(timeout)
        await attempt.withdraw()
        raise AttachError(pid, message) from None
    except BaseException:
        await attempt.withdraw()
        raise
    return attempt.hand_over()


def _hinted(error: object, target: Target) -> str:
    """The agent's error, with where to look when it is one of memory or threads."""
    text = str(error).strip().removesuffix(":")
    if text.startswith("MemoryError") or "can't start new thread" in text:
        text += (
            f" ({target.describe()} may be at a limit on its memory or its threads: `prlimit --pid "
            f"{target.pid}` shows them, and raises them)"
        )
    return text


def _why_unopened(target: Target, folder: AttachFolder | None) -> str:
    if sys.platform != "linux" or target.credentials is None:
        return "the target did not say why (CPython prints it on the target's stderr)"
    from dapattach.attach import placement

    return placement.why_unopened(target, folder, BOOTSTRAP)


async def abandon(invitation: Invitation) -> None:
    """Take back an invitation that no attach took over (the request it was made for was refused): the
    request is withdrawn, or an agent that started anyway is sent away, and nothing stays behind."""
    attempt = Attempt(invitation.target.pid)
    await attempt.start(invitation)
    await attempt.withdraw()
