"""The attached process as one DAP session sees it: its agent link, the user's options, its paths.

Handlers talk to the target only through `Debuggee.request`, which turns the agent's failures into
messages for the user and translates paths between the editor and the target. Until the agent is in
(a target whose threads are all blocked runs the bootstrap only when it next runs Python code), requests
are answered without it: threads and stacks from an outside snapshot, breakpoints recorded and applied
the moment it arrives. When the agent's link closes without a detach (the target exited or was killed),
the editor is told at once: `exited` with the exit code (the agent reports it on the target's way out; for
`os._exit` or a signal it is read from the kernel while the dead process waits for its parent), then
`terminated`.
When the process exec'd a new Python program instead, the agent is asked in again.

A child process's own session (`subProcessOf` in its configuration) claims the process from the session
that found it, which sends over the agent it already put there (`subprocesses.claim`): its attach uses
the hand-over driver, which injects nothing.
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from dapattach.attach.attempt import Attempt, Phase
from dapattach.attach.checks import AttachError
from dapattach.attach.driver import HandOverDriver
from dapattach.attach.invitation import Invitation
from dapattach.attach.link import AgentError, AgentGone, AgentLink
from dapattach.breakpoint_book import BREAKPOINT_COMMANDS, BreakpointBook
from dapattach.held import held
from dapattach.options import AttachOptions
from dapattach.pathmap import PathMapper
from dapattach.processes import NoSuchProcess, describe_process
from dapattach.session import RequestError
from dapattach.sources import TargetSources
from dapattach.standin import SnapshotStandIn
from dapattach.subprocesses import startup, tree
from dapattach.subprocesses.claim import ChildExited, ClaimRefused, ParentSession, claim

log = logging.getLogger(__name__)

type Body = dict[str, Any]
type SendEvent = Callable[[str, Body | None], None]
type Arrival = Callable[[Body | None], None]
type BreakpointListener = Callable[[str, Body], Any]

TERMINATE_GRACE = 5.0
PICKUP_GRACE = 0.015
"""A busy main thread starts the bootstrap within a millisecond, one in `sleep(0.01)` steps within 10 ms;
one that has not after this is blocked, and `attach` is answered from a snapshot at once (the editor is
switched to the agent when it is in)."""
HELD_CHECK = 1.0
"""Seconds an agent's answer may take before the adapter looks whether the kernel holds the process
(stopped, traced, frozen: `held.py`), to tell the user why nothing comes."""
ARRIVAL_GRACE = 2.0
"""Once a thread runs the bootstrap the agent says hello within 5-10 ms (longer on a loaded machine), or
its bootstrap refuses; one displaced by another attach at the same moment is asked again first."""


CLOSE_WAIT = 1.0
"""How long a request that lost the agent waits for the link's reader to see the close too."""


class ProcessGone(RequestError):
    """The agent's link closed under a request: the process exited, exec'd, or its agent stopped."""


class EndedEarly(AttachError):
    """A child session cannot start (its process exited, or the session that found it ended): it ends at
    once, with this message and the exit code when there is one."""

    def __init__(self, pid: int, message: str, exit_code: int | None) -> None:
        super().__init__(pid, message)
        self.exit_code = exit_code


class Debuggee:
    def __init__(
        self,
        options: AttachOptions,
        send_event: SendEvent,
        drain: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`drain` waits while the client is slow to read: the program's output then waits too."""
        self.pid = options.process_id
        self.options = options
        self.paths = PathMapper(options.path_mappings)
        handed_over = options.sub_process_of is not None
        self.attempt = Attempt(
            self.pid, on_event=self._forward_event, driver=HandOverDriver() if handed_over else None
        )
        self.sources = TargetSources(self.paths, lambda: self.attempt.target)
        self.standin = SnapshotStandIn(self.pid, tasks=options.asyncio_tasks)
        self.breakpoints = BreakpointBook()
        self.on_arrival: Arrival = lambda error: None
        """Called once the agent is in (None) or waiting for it failed (the error's body)."""
        self.ended = False
        """True once the editor was told `terminated` (the target exited, or we stopped waiting for it)."""
        self.configure_extra: Body = {}
        """More for the agent's `configure` (the root of a followed tree says where children report)."""
        self.breakpoint_listeners: list[BreakpointListener] = []
        """Told of every breakpoint change (`listener(command, arguments)`), with the target's paths."""
        self.initial_stop: Body | None = None
        """The `stopped` body of a stop that happened before this session took the agent over."""
        self.parent: ParentSession | None = None
        self._send_event = send_event
        self._drain = drain
        self._leaving = False
        self._exit_reported = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._parent_task: asyncio.Task[None] | None = None
        self._image: tuple[int, int] | None = None
        self._reattaching = False
        self._said_held = False
        self._verdict: tuple[AgentLink, asyncio.Future[bool]] | None = None
        """Whether a closed link's process exec'd, judged once per link (`_exec_verdict`)."""

    @property
    def link(self) -> AgentLink | None:
        """The agent's link once it is in (kept after it closes, so requests say the target is gone)."""
        return self.attempt.link

    def describe(self) -> str:
        """How messages name the process: "process N", with its own PID when it has another one inside."""
        target = self.attempt.target
        return target.describe() if target is not None else f"process {self.pid}"

    @property
    def waiting(self) -> bool:
        """Whether the snapshot stand-in answers because the agent is not in yet."""
        return self._reattaching or self.attempt.phase is Phase.STAND_IN

    async def attach(self, invitation: Invitation | None = None) -> bool:
        """Ask the target to load the agent, or take over the `invitation` that asked it already; True
        once it is in, False while it is still on its way.

        Raises `AttachError` with the user's message when the target cannot be attached at all.
        """
        began = time.monotonic()
        stat = tree.read_stat(self.pid)
        self._image = stat.image if stat is not None else None
        await self.attempt.start(invitation)
        if self.options.sub_process_of is not None:
            await self._claim()
        link = await self.attempt.arrival_soon(PICKUP_GRACE, ARRIVAL_GRACE)
        if link is None:
            self.attempt.stand_in()
            self._spawn(self._wait_for_agent(began))
            return False
        await self._agent_in(link)
        return True

    async def _claim(self) -> None:
        """As a child session: have the session that found the process send its agent here."""
        of = self.options.sub_process_of
        assert of is not None and self.attempt.socket_path is not None and self.attempt.secret is not None
        try:
            self.parent = await claim(of, self.pid, self.attempt.socket_path, self.attempt.secret)
        except ChildExited as exited:
            self.attempt.close("target gone")
            said = "" if exited.exit_code is None else f" ({tree.signal_name(exited.exit_code)})"
            raise EndedEarly(
                self.pid, f"Process {self.pid} exited before its session started{said}.", exited.exit_code
            ) from None
        except ClaimRefused as refused:
            self.attempt.close("fail")
            raise EndedEarly(
                self.pid,
                f"Process {self.pid} is not debugged in this session: {refused}. To debug it, attach to "
                f'it in a session of its own ("processId": {self.pid}).',
                None,
            ) from None
        self._parent_task = asyncio.create_task(
            self.parent.serve(self._parent_ended, self._handover_failed, self._exec_during_handover)
        )

    async def _parent_ended(self) -> None:
        """The session of the process that started this one ended: so does this one; the process runs on."""
        if self.ended or self._leaving:
            return
        root = self.parent.root if self.parent is not None else "?"
        await self.detach()
        self._end(f"Detached from process {self.pid}, as the session of process {root} ended; it runs on.")

    async def _handover_failed(self, why: str) -> None:
        log.info("process %d was not handed over: %s", self.pid, why)
        if self.link is None:
            self.attempt.fail(why)

    async def _exec_during_handover(self) -> bool:
        """The process exec'd while its agent was moving here. If the agent got here, this session attaches
        to the new program (the agent's link closing shows the exec); if not, the follower does and sends
        that agent here, so the program to wait for is the new one."""
        taken = await self.attempt.agent_reached()
        if not taken and (stat := tree.read_stat(self.pid)) is not None and stat.image is not None:
            self._image = stat.image
        log.info("process %d exec'd as its agent moved here (it came: %s)", self.pid, taken)
        return taken

    async def give_up(self) -> None:
        """The user cancelled the wait: withdraw the request and say so."""
        await self._stop_tasks()
        if self.waiting:
            await self.attempt.withdraw()
            self.on_arrival({"message": f"Stopped waiting for process {self.pid}: the attach was cancelled."})

    async def _wait_for_agent(self, since: float) -> None:
        limit = None if self.options.timeout is None else self.options.timeout - (time.monotonic() - since)
        try:
            await self._agent_in(await self.attempt.arrival(limit))
        except TimeoutError:
            message = self.attempt.stalled(self.options.timeout or 0)
            await self.attempt.withdraw()
            self.on_arrival({"message": message})
        except AttachError as error:
            self.on_arrival({"message": str(error)})
        else:
            self.on_arrival(None)

    async def _agent_in(self, link: AgentLink) -> None:
        """Configure the agent, replay the breakpoints, and let the thread that ran the bootstrap go on.
        `configure` is not waited for before the rest: the agent takes requests in order."""
        link.flow = self._drain
        log.info("the agent is in process %d", self.pid)
        stopped = link.hello.get("stopped")
        self.initial_stop = dict(stopped) if isinstance(stopped, dict) else None
        options = {
            "justMyCode": self.options.just_my_code,
            "showReturnValue": self.options.show_return_value,
            "stopAll": self.options.stop_all,
            "asyncioTasks": self.options.asyncio_tasks,
            **self.configure_extra,
        }
        configured = asyncio.ensure_future(self._ask_agent(link.send("configure", options)))
        try:
            if self.options.redirect_output:
                await self.request("captureOutput", {"enabled": True})
            for body in await self.breakpoints.replay(self._ask_agent_now):
                self.map_sources(body)
                self._send_event("breakpoint", body)
            await self.request("ready")
            await configured
        except RequestError:
            if not link.closed.is_set():
                raise
            # The process exited or exec'd at once: `_watch` says which, and attaches again after an exec.
        finally:
            if not configured.done():
                configured.cancel()
            elif not configured.cancelled():
                configured.exception()  # seen: a failure of `configure` alone is raised above
        self._spawn(self._watch(link))

    async def _ask_agent_now(self, command: str, arguments: Body) -> Body:
        return await self.request(command, arguments)

    async def _ask_agent(self, answer: Awaitable[Body]) -> Body:
        """The agent's answer to a request already sent; a failure becomes a `RequestError`. An answer
        that takes long makes the adapter look, every `HELD_CHECK` seconds until it comes, whether the
        kernel holds the process (`_say_if_held`): a long evaluation may see the process stopped later."""
        loop = asyncio.get_running_loop()
        check: list[asyncio.TimerHandle] = []

        def look() -> None:
            self._say_if_held()
            if not self._said_held:
                check[:] = [loop.call_later(HELD_CHECK, look)]

        check.append(loop.call_later(HELD_CHECK, look))
        try:
            body = await answer
            self._said_held = False
            return body
        except AgentGone:
            raise ProcessGone(
                f"Process {self.pid} is no longer attached (it exited or the agent was stopped)."
            ) from None
        except AgentError as error:
            raise RequestError(str(error)) from None
        finally:
            check[0].cancel()

    def _say_if_held(self) -> None:
        """While a stall lasts: if the process is stopped or frozen, the user is told (once) why requests
        wait and what lets it go on (the requests are not failed: each is answered when it runs again)."""
        why = None if self._said_held else held(self.pid)
        if why is not None:
            self._said_held = True
            text = f"Process {self.pid} cannot answer: {why}. Requests wait until then.\n"
            self._send_event("output", {"category": "important", "output": text})

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work, name=f"debuggee-{self.pid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def request(self, command: str, arguments: Body | None = None) -> Body:
        """Ask the agent; a failure becomes a `RequestError` the editor shows as it is."""
        arguments = arguments or {}
        if command in BREAKPOINT_COMMANDS:
            for listener in self.breakpoint_listeners:
                self._spawn(listener(command, arguments))
        link = self.link
        if link is None or self._reattaching:
            return await self._answer_without_agent(command, arguments)
        if command in BREAKPOINT_COMMANDS:
            self.breakpoints.record(command, arguments)
        try:
            body = await self._ask_agent(link.send(command, arguments))
        except ProcessGone:
            if self._leaving or not await self._exec_verdict(link):
                raise
            return await self._answer_without_agent(command, arguments)  # as while it attaches again
        if command in BREAKPOINT_COMMANDS:
            self.breakpoints.adopted(body)
        return body

    async def _answer_without_agent(self, command: str, arguments: Body) -> Body:
        if not self.waiting:
            raise RequestError(f"{command!r} needs an attached process: attach to a PID first.")
        match command:
            case "threads":
                return await self.standin.threads()
            case "stackTrace":
                return await self.standin.stack_trace(arguments)
            case "scopes" | "variables" | "evaluate":
                return self.standin.scopes()
            case "breakpointLocations":
                return {"breakpoints": []}  # VS Code asks where the cursor is; no code is known yet
            case _ if command in BREAKPOINT_COMMANDS:
                why = (
                    f"pending: applied when process {self.pid} next runs Python code "
                    "(its threads are blocked, so the agent is not in yet)"
                )
                return self.breakpoints.answer_pending(command, arguments, why)
        raise RequestError(
            f"Process {self.pid} has not run Python code since the attach (its threads are blocked), so "
            f"{command!r} has to wait: breakpoints you set now are applied the moment it does."
        )

    async def detach(self) -> None:
        """Let the target run on without us: the agent resumes every thread and removes itself."""
        self._leaving = True
        await self._stop_tasks()
        await self.attempt.detach()
        self._leave_parent()

    async def ask_to_exit(self) -> str | None:
        """Ask the target to end itself, as Ctrl-C or `kill` would (DAP's `terminate`); returns what was
        sent, for the user, or None when the process is gone. Stopped threads are resumed first, so the
        program can run its own clean-up; whether it exits is up to the program."""
        if self.link is not None:
            with contextlib.suppress(RequestError):
                await self.request("terminate")
                await self.request("continue", {"threadId": 0})
        target = self.attempt.target
        if target is None or not target.alive():
            return None
        signum, meaning = graceful_signal(self.pid)
        target.send_signal(signum)
        return f"{signum.name}: {meaning}"

    async def terminate(self) -> int | None:
        """End the target (SIGTERM, then SIGKILL after a grace period); returns a shell-style exit code."""
        self._leaving = True
        await self._stop_tasks()
        self._leave_parent()
        return await self.attempt.terminate(TERMINATE_GRACE)

    def _forward_event(self, event: str, body: Body) -> None:
        if event == "exited":
            self._exit_reported = True
        self.breakpoints.translate_event(event, body)
        if event in ("breakpoint", "loadedSource"):
            self.map_sources(body)
        elif event == "module" and isinstance(body.get("module"), dict):
            self.map_paths([body["module"]])
        self._send_event(event, body)

    def map_paths(self, items: object) -> None:
        """Rewrite the `path` of each item (a `Module` or a `Source`) from the target's to the editor's."""
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    item["path"] = self.paths.to_editor(item["path"])

    def map_sources(self, body: object) -> None:
        """Rewrite every `source` in an answer for the editor: paths mapped to the editor's, and sources
        the editor cannot open given a reference (see `sources.TargetSources`)."""
        match body:
            case {"source": {"path": str()} as source}:
                self.sources.to_editor(source)
        if isinstance(body, dict):
            for value in body.values():
                if isinstance(value, dict | list):
                    self.map_sources(value)
        elif isinstance(body, list):
            for item in body:
                self.map_sources(item)

    async def _exec_verdict(self, link: AgentLink) -> bool:
        """Whether `link` closed because the process exec'd a new program. Judged once per link, by the
        first to ask (`_watch`, or a request the exec cut short); from then on requests are answered as
        while the agent is on its way (`waiting`), until `_watch` has it asked into the new program."""
        if self._verdict is None or self._verdict[0] is not link:
            self._verdict = (link, asyncio.ensure_future(self._judge_close(link)))
        return await asyncio.shield(self._verdict[1])

    async def _judge_close(self, link: AgentLink) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(link.closed.wait(), CLOSE_WAIT)
        image = await tree.image_after_close(self.pid)
        target = self.attempt.target
        log.info("the agent's link to process %d closed (image now %s, was %s)", self.pid, image, self._image)
        if target is None or not target.alive() or image is None or image == self._image:
            return False
        self._reattaching = True
        self._image = image
        return True

    async def _watch(self, link: AgentLink) -> None:
        await link.closed.wait()
        if self._leaving:
            return
        if await self._exec_verdict(link):
            await self._attach_after_exec()
            return
        target = self.attempt.target
        # A dying process closes its sockets (which is how we noticed) a moment before it is gone.
        exited = target is None or await target.exited(1.0)
        code = None if self._exit_reported or target is None else target.exit_status()
        self.attempt.lost()
        if not exited:
            self._end(f"Process {self.pid}: the agent in it stopped answering.", category="important")
        elif code is None and not self._exit_reported:
            self._end(
                f"Process {self.pid} has exited; its exit code is unknown (it ended without running "
                "Python's exit handlers, and its parent collected the status first)."
            )
        else:
            self._end(f"Process {self.pid} has exited.", exit_code=code)

    async def _attach_after_exec(self) -> None:
        """The process exec'd a new program (the agent's socket closed with the old one): attach again.
        `_judge_close` said so, and set `_reattaching` as it did."""
        self.attempt.lost()
        try:
            await self._attach_again()
        finally:
            self._reattaching = False

    async def _attach_again(self) -> None:
        try:
            info = describe_process(self.pid)
        except NoSuchProcess, PermissionError:
            self._end(f"Process {self.pid} has exited.")
            return
        command = tree.short_command(info.argv)
        if info.reason is not None:
            self._end(
                f"Process {self.pid} now runs {command} (exec), which cannot be debugged: {info.reason}."
            )
            return
        text = f"Process {self.pid} now runs {command} (exec): attaching again.\n"
        self._send_event("output", {"category": "console", "output": text})
        await startup.until_started(self.pid)
        self.attempt = Attempt(self.pid, on_event=self._forward_event)
        try:
            await self.attempt.start()
        except AttachError as error:
            self._end(f"Process {self.pid} now runs {command}, which cannot be attached: {error}.")
            return
        self.attempt.stand_in()
        self._spawn(self._wait_for_agent(time.monotonic()))

    def _end(self, text: str, *, exit_code: int | None = None, category: str = "console") -> None:
        """Tell the editor the session is over: what happened, the exit code when known, `terminated`."""
        self.ended = True
        self._leave_parent()
        if exit_code is not None:
            self._send_event("exited", {"exitCode": exit_code})
        self._send_event("output", {"category": category, "output": text + "\n"})
        self._send_event("terminated", None)

    def _leave_parent(self) -> None:
        """Done with the process: the session that found it (if any) leaves it alone from now on."""
        if self.parent is not None:
            self.parent.close()
        if self._parent_task is not None and self._parent_task is not asyncio.current_task():
            self._parent_task.cancel()

    async def _stop_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def graceful_signal(pid: int) -> tuple[signal.Signals, str]:
    """The signal that asks this process to end cleanly, and what it will do with it.

    SIGTERM when the program handles it itself (servers do); else SIGINT, which Python turns into
    `KeyboardInterrupt` in the main thread, so `finally` blocks and `atexit` run; else (SIGINT ignored or
    not Python's) SIGTERM, the plain request to end.
    """
    caught = 0
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigCgt:"):
                caught = int(line.split()[1], 16)
    if caught & (1 << (signal.SIGTERM - 1)):
        return signal.SIGTERM, "the program's own handler"
    if caught & (1 << (signal.SIGINT - 1)):
        return signal.SIGINT, "KeyboardInterrupt in its main thread"
    return signal.SIGTERM, "it has no handler for it"
