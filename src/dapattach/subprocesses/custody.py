"""The children a follower holds: getting the agent in, configuring it like the root, handing it over.

A child goes `attaching` (the agent asked in, an `attach.Attempt`) → `held` (agent in, configured with
the root's options and breakpoints, running on) → `moving` → `moved` (its own session's adapter took the
agent, `rehome`); or ends `released` (its session ended, or never came: it runs on without us, and is
left alone) or `gone` (it exited, or cannot be attached: said once). A held child that execs a new
program is asked in again; its session, if any, stays.
"""

import asyncio
import contextlib
import dataclasses
import enum
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from dapattach.attach.attempt import Attempt, TargetExited
from dapattach.attach.checks import AttachError
from dapattach.attach.link import AgentError, AgentGone, AgentLink
from dapattach.attach.target import exit_code
from dapattach.subprocesses import messages, startup, tree

log = logging.getLogger(__name__)

FORK_GRACE = 0.5
"""How long a fork copy of a process with our agent is given to report through its own agent."""
EXEC_ANSWER_TIMEOUT = 10.0
"""How long a child session may take to say whether an agent cut short by an exec reached it (it listens
for a hello still on its way, at most `listener.HELLO_TIMEOUT`)."""

type Body = dict[str, Any]
type Say = Callable[[str, str], None]
"""`say(category, text)`: an output line in the root session."""
type Breakpoints = Callable[[], list[tuple[str, Body]]]


class State(enum.StrEnum):
    ATTACHING = "attaching"
    HELD = "held"
    MOVING = "moving"
    MOVED = "moved"
    RELEASED = "released"
    GONE = "gone"


@dataclasses.dataclass(eq=False)
class Claim:
    """A child session's adapter asking for its process: where the agent goes, and the line back."""

    socket: str
    secret: str
    adapter_pid: int
    writer: asyncio.StreamWriter
    detached: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    exec_answer: asyncio.Future[bool] | None = None
    """The session's answer to `exec`, while asked."""

    def send(self, message: Body) -> None:
        if not self.writer.is_closing():
            self.writer.write(messages.encode(message))

    async def agent_taken(self) -> bool:
        """Ask the session whether the agent reached it before an exec cut the hand-over short; True
        when it did (or the session is gone: either way the new program is not the follower's)."""
        answer = self.exec_answer = asyncio.get_running_loop().create_future()
        self.send({"type": "exec"})
        try:
            return await asyncio.wait_for(answer, EXEC_ANSWER_TIMEOUT)
        except TimeoutError:
            return False
        finally:
            self.exec_answer = None

    def answered(self, message: Body) -> None:
        """A message from the session: `detached`, or the answer to `exec`."""
        match message:
            case {"type": "detached"}:
                self.detached.set()
            case {"type": "exec", "taken": bool(taken)} if self.exec_answer is not None:
                if not self.exec_answer.done():
                    self.exec_answer.set_result(taken)

    def ended(self) -> None:
        """The session closed the connection."""
        self.detached.set()
        if self.exec_answer is not None and not self.exec_answer.done():
            self.exec_answer.set_result(True)


@dataclasses.dataclass(eq=False)
class Child:
    pid: int
    name: str
    token: str
    state: State = State.ATTACHING
    attempt: Attempt | None = None
    """The attach under way while `attaching`."""
    link: AgentLink | None = None
    claim: Claim | None = None
    claimed: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    pidfd: int | None = None
    exit_code: int | None = None
    image: tuple[int, int] | None = None
    attaching: asyncio.Task[None] | None = None
    cut_short: bool = False
    """The agent was lost while moving to the child's session (an exec): which side has it is unknown."""

    @property
    def has_agent(self) -> bool:
        return self.state in (State.HELD, State.MOVING, State.MOVED)


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the follower needs of the root session."""

    root: int
    configuration: Body
    """The root's `attach` arguments, the template of every child's."""
    just_my_code: bool
    show_return_value: bool
    sessions: bool
    """Whether the editor starts child sessions (`supportsStartDebuggingRequest`)."""
    stop_all: bool = True
    asyncio_tasks: bool = True


class Custody:
    """Every child of one follower, by PID and by claim token."""

    def __init__(
        self,
        settings: Settings,
        say: Say,
        breakpoints: Breakpoints,
        agent_settings: Callable[[], Body | None],
    ) -> None:
        self.settings = settings
        self.children: dict[int, Child] = {}
        self.tokens: dict[str, Child] = {}
        self.closing = False
        self._say = say
        self._breakpoints = breakpoints
        self._agent_settings = agent_settings
        self._tasks: set[asyncio.Future[Any]] = set()

    def has_agent(self, pid: int) -> bool:
        child = self.children.get(pid)
        return child is not None and child.has_agent

    def add(self, pid: int, name: str) -> Child:
        token = secrets.token_hex(16)
        child = Child(pid=pid, name=name, token=token)
        if sys.platform == "linux":
            with contextlib.suppress(OSError):
                child.pidfd = os.pidfd_open(pid)
        stat = tree.read_stat(pid)
        child.image = stat.image if stat is not None else None
        old = self.children.get(pid)
        if old is not None:
            self.tokens.pop(old.token, None)
        self.children[pid] = child
        self.tokens[token] = child
        return child

    async def breakpoints_changed(self, command: str, arguments: Body) -> None:
        """The root's breakpoints changed: children whose session has not taken over get them too."""
        for child in list(self.children.values()):
            if child.state is State.HELD and child.link is not None:
                with contextlib.suppress(AgentError):
                    await child.link.request(command, arguments)

    async def close(self) -> int:
        """Detach every child still with us (their sessions are told to end); returns how many."""
        self.closing = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        live = [child for child in self.children.values() if child.state not in (State.RELEASED, State.GONE)]
        await asyncio.gather(*(self.detach(child) for child in live), return_exceptions=True)
        for child in self.children.values():
            if child.pidfd is not None:
                os.close(child.pidfd)
                child.pidfd = None
        return len(live)

    def attach(self, child: Child) -> None:
        """Ask the agent into a child found in the process table, or one that exec'd a new program."""
        if child.attaching is not None:
            child.attaching.cancel()
        if child.attempt is not None:
            self.spawn(child.attempt.withdraw())
            child.attempt = None
        child.state = State.ATTACHING
        stat = tree.read_stat(child.pid)
        child.image = stat.image if stat is not None else None
        child.attaching = asyncio.ensure_future(self._attach(child))
        self._tasks.add(child.attaching)
        child.attaching.add_done_callback(self._tasks.discard)

    async def _attach(self, child: Child, *, again: bool = True) -> None:
        await startup.until_started(child.pid)
        try:
            link = await self._agent_of(child)
        except AttachError as error:
            if again and f"adapter PID {os.getpid()}:" in str(error):
                # An agent of ours is there: the child's own, reporting any moment (then this task is
                # cancelled), or one it inherited from a parent that forked while asked in, leaving.
                await asyncio.sleep(FORK_GRACE)
                await self._attach(child, again=False)
                return
            log.info("child %d cannot be attached: %s", child.pid, error)
            self._say("important", f"Child process {child.pid} cannot be debugged: {error}.\n")
            await self._gone(child, exited=False)
            return
        if link is None:
            await self._gone(child, exited=True)
            return
        await self.adopt(child, link)

    async def _agent_of(self, child: Child) -> AgentLink | None:
        """Ask the agent in and wait for it; None when the child exits first."""
        attempt = child.attempt = Attempt(child.pid, on_event=self.events_of(child))
        await attempt.start()
        log.info("asked child %d to load the agent", child.pid)
        try:
            await attempt.arrival(None)
        except TargetExited:
            child.attempt = None
            return None
        except AttachError:
            child.attempt = None
            raise
        # Cancelled: `child.attempt` stays, for whoever cancelled to withdraw (`release`, `attach`).
        child.attempt = None
        return attempt.hand_over()

    async def adopt(self, child: Child, link: AgentLink) -> None:
        """Configure a child's agent like the root, then hand it to its session if that one is there (which
        lets it run on), else let it run on here until the session asks."""
        log.info("the agent is in child %d (%s)", child.pid, child.state)
        child.link, child.attempt, child.attaching = link, None, None
        try:
            await link.request(
                "configure",
                {
                    "justMyCode": self.settings.just_my_code,
                    "showReturnValue": self.settings.show_return_value,
                    "stopAll": self.settings.stop_all,
                    "asyncioTasks": self.settings.asyncio_tasks,
                    "subProcess": self._agent_settings(),
                },
            )
            for command, arguments in self._breakpoints():
                with contextlib.suppress(AgentError):
                    await link.request(command, arguments)
        except AgentError:
            pass  # gone already: the link's end says why
        if child.state is State.RELEASED or self.closing:
            await link.detach()
            return
        child.state = State.HELD
        self.spawn(self._watch_link(child, link))
        if child.claim is None or not await self.rehome(child):
            with contextlib.suppress(AgentError):
                await link.request("ready")

    def events_of(self, child: Child) -> Callable[[str, Body], None]:
        def on_event(event: str, body: Body) -> None:
            if event == "output" and isinstance(body.get("output"), str):
                self._say(str(body.get("category") or "console"), f"[process {child.pid}] {body['output']}")

        return on_event

    async def _watch_link(self, child: Child, link: AgentLink) -> None:
        await link.closed.wait()
        if child.state is not State.HELD or child.link is not link or self.closing:
            return
        child.link = None
        image = await tree.image_after_close(child.pid)
        if image is None or image == child.image:
            if child.pidfd is not None:
                await tree.wait_exit(child.pidfd, 1.0)
            await self._gone(child, exited=True)
            return
        cut_short, child.cut_short = child.cut_short, False
        if cut_short and child.claim is not None and await child.claim.agent_taken():
            log.info("child %d exec'd as its agent moved: its session attaches to the new program", child.pid)
            child.state = State.MOVED
            return
        self.attach(child)  # it exec'd a new program: attach again, its session stays

    async def _gone(self, child: Child, *, exited: bool) -> None:
        log.info("child %d is gone (%s)", child.pid, "exited" if exited else "cannot be attached")
        child.state = State.GONE
        child.attempt = None
        if exited and child.pidfd is not None:
            child.exit_code = exit_code(child.pid, child.pidfd)
        if child.claim is not None:
            child.claim.send({"type": "exited" if exited else "failed", "exitCode": child.exit_code,
                              "message": f"process {child.pid} could not be attached"})  # fmt: skip

    async def rehome(self, child: Child) -> bool:
        """Send the child's agent to its session's adapter, which takes it from there (`ready` included)."""
        claim, link = child.claim, child.link
        assert claim is not None and link is not None
        log.info("handing child %d over to adapter %d", child.pid, claim.adapter_pid)
        child.state = State.MOVING
        try:
            await link.request(
                "rehome", {"socket": claim.socket, "secret": claim.secret, "adapterPid": claim.adapter_pid}
            )
        except AgentError as error:
            child.state = State.HELD
            if isinstance(error, AgentGone) or link.closed.is_set():
                log.info("child %d went away while handed over", child.pid)
                child.cut_short = True
                self.spawn(self._watch_link(child, link))  # it exited or exec'd: deal with it as such
                return True
            claim.send(
                {"type": "failed", "message": f"process {child.pid} could not be handed over: {error}"}
            )
            return False
        child.state = State.MOVED
        child.link = None
        return True

    async def release(self, child: Child) -> None:
        """Let a child run on without us, for good (its session ended, or never came)."""
        state, child.state = child.state, State.RELEASED
        if child.attempt is not None:
            await child.attempt.withdraw()
            child.attempt = None
        if state in (State.HELD, State.MOVING) and child.link is not None:
            await child.link.detach()

    async def detach(self, child: Child) -> None:
        claim = child.claim
        if claim is not None and not claim.writer.is_closing():
            claim.send({"type": "detach"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(claim.detached.wait(), messages.ANSWER_TIMEOUT)
        await self.release(child)
        if claim is not None:
            claim.writer.close()

    def spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
