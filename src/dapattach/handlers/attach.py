"""`attach`: get the agent into the process, then follow DAP's order.

DAP orders attach as: `initialized` event → the client's breakpoints → `configurationDone` → the
`attach` response. Detaching (the default on disconnect) leaves the process running as if nothing had
happened; `terminateDebuggee` ends it (SIGTERM, then SIGKILL). `terminate` only *asks* the program to
exit, with the signal it would get from Ctrl-C or `kill`, so its own clean-up runs; the session ends
when the process does, and goes on if the program chooses not to exit.
"""

import asyncio
import logging
import os
import platform
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from dapattach import logs, unattended
from dapattach.attach.attempt import abandon
from dapattach.attach.checks import AttachError
from dapattach.attach.invitation import Invitation
from dapattach.debuggee import Debuggee, EndedEarly
from dapattach.handlers import lifecycle, subprocesses, target
from dapattach.held import held
from dapattach.options import OptionsError, parse_attach_options
from dapattach.protocol import types
from dapattach.session import Cleanup, HandlerTable, RequestContext, RequestError, Session

log = logging.getLogger(__name__)

handlers = HandlerTable(support_terminate_debuggee=True, supports_terminate_request=True)
ADAPTER_HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""Where this dapattach is loaded from (a virtualenv, a checkout, the VS Code extension's bundle)."""


EARLY_INVITATION = "attach.early-invitation"
"""Session state: the invitation made for the client's first `attach` before the session existed."""


def hold_invitation(session: Session, invitation: Invitation) -> None:
    """Keep the invitation `greeting.attach_early` made for the first `attach` until that request takes it
    over; if the session ends first, it is taken back."""
    session.state[EARLY_INVITATION] = invitation

    async def abandon_unused(arguments: types.DisconnectArguments) -> None:
        unused = session.state.pop(EARLY_INVITATION, None)
        if unused is not None:
            await abandon(unused)

    session.add_cleanup(abandon_unused)


@handlers.on("attach")
async def attach(arguments: types.AttachRequestArguments, context: RequestContext) -> None:
    invitation: Invitation | None = context.session.state.pop(EARLY_INVITATION, None)
    try:
        await _attach(arguments, context, invitation)
    finally:
        if invitation is not None and not invitation.taken:
            await abandon(invitation)  # the request was refused before the attach began


async def _attach(
    arguments: types.AttachRequestArguments, context: RequestContext, invitation: Invitation | None
) -> None:
    session = context.session
    attached = target.current(session)
    if attached is not None:
        raise RequestError(
            f"This session is already attached to process {attached.pid}: "
            "disconnect first, or start another session."
        )
    configuration = target.plain(context, arguments)
    try:
        options = parse_attach_options(configuration)
    except OptionsError as error:
        raise RequestError(str(error)) from None
    if options.log_to_file:
        _log_to_file(session)
    debuggee = Debuggee(options, session.send_event, drain=session.connection.drain)
    follower = await subprocesses.follow(session, debuggee, configuration)
    progress = Progress(session, f"Attaching to process {options.process_id}")
    try:
        made_for = invitation is not None and invitation.target.pid == options.process_id
        arrived = await debuggee.attach(invitation if made_for and options.sub_process_of is None else None)
    except EndedEarly as ended:
        progress.end()
        await subprocesses.end_early(session, ended)
        return
    except AttachError as error:
        progress.end()
        if follower is not None:
            await follower.close()
        raise RequestError(str(error)) from None
    session.state[target.KEY] = debuggee
    session.add_cleanup(_disconnect_from(session, debuggee))
    _watch_unattended(session, debuggee)
    if follower is not None:
        session.add_cleanup(subprocesses.stop_following(session, follower))
        follower.start()
    debuggee.on_arrival = _arrival(session, debuggee, progress)
    if arrived:
        progress.end()
        _say_attached(session, debuggee)
    else:
        await _wait_in_background(session, debuggee, progress)
    session.send_event("initialized")
    await session.configured.wait()
    if debuggee.initial_stop is not None:
        _after_response(session, [("stopped", debuggee.initial_stop)])
        debuggee.initial_stop = None


@handlers.on("terminate")
async def terminate(arguments: types.TerminateArguments, context: RequestContext) -> None:
    debuggee = target.current(context.session)
    if debuggee is None or debuggee.ended:
        return  # nothing attached, or already gone: clients send this after `terminated` too
    asked = await debuggee.ask_to_exit()
    if asked is not None:
        text = f"Asked process {debuggee.pid} to exit ({asked}).\n"
        context.session.send_event("output", {"category": "console", "output": text})


def _log_to_file(session: Session) -> None:
    try:
        path = logs.write_files(logs.default_dir())
    except OSError as error:
        text = f"logToFile: cannot write logs to {logs.default_dir()}: {error.strerror}; use --log-dir.\n"
    else:
        text = f"dapattach writes its log to {path} and the DAP trace beside it.\n"
    session.send_event("output", {"category": "console", "output": text})


def _say_attached(session: Session, debuggee: Debuggee) -> None:
    link = debuggee.link
    assert link is not None
    target = debuggee.attempt.target
    own = target is not None and target.pid_inside != target.pid
    inside = f"PID {target.pid_inside} in its PID namespace; " if target is not None and own else ""
    adapter = f"Python {platform.python_version()} ({sys.executable}), dapattach from {ADAPTER_HOME}"
    text = (
        f"Attached to process {debuggee.pid} ({inside}Python {link.python}, {link.executable}); attach "
        f"driver: {debuggee.attempt.driver_name}. The adapter runs on {adapter}.\n"
    )
    if link.free_threaded:
        text += (
            "It runs without the GIL (free-threaded Python): stacks and values are read only from stopped "
            "threads, as a running thread may change them under the debugger (`dapattach snapshot` shows "
            "where running threads are). dapattach has not been tested on such a build.\n"
        )
    session.send_event("output", {"category": "console", "output": text})


async def _wait_in_background(session: Session, debuggee: Debuggee, progress: Progress) -> None:
    """Tell the user what we wait for (`_arrival` says when it ends)."""
    where = await _where_blocked(debuggee)
    if not debuggee.waiting:
        return  # the agent came (or waiting ended) while the snapshot was read: `arrived` said so
    who = debuggee.describe()
    who = who[:1].upper() + who[1:]
    if debuggee.attempt.bootstrap_started():
        # It ran the bootstrap: its agent is slow to load (a loaded machine), or cannot reach us.
        state = (
            f"{who} has started the attach bootstrap, but its agent has not said hello yet ({where}): it may "
            "still be loading on a busy machine, or something in the program refuses it a socket (an audit "
            "hook, seccomp, a security module)"
        )
        then = ""
    else:
        why = held(debuggee.pid) or f"its threads are blocked ({where})"
        state = f"{who} has not run Python code since the attach request: {why}"
        then = (
            ", and breakpoints are applied the moment it runs (for an idle server, when its next request "
            "comes in)"
        )
    text = (
        f"{state}. dapattach waits for it: threads and stacks are a snapshot read from outside until "
        f"then{then}. Disconnect to give up.\n"
    )
    session.send_event("output", {"category": "important", "output": text})
    progress.update(
        f"Waiting for process {debuggee.pid} to run Python code", cancel=debuggee_giving_up(debuggee)
    )


def _arrival(
    session: Session, debuggee: Debuggee, progress: Progress
) -> Callable[[dict[str, Any] | None], None]:
    """What happens when a late agent arrives (an idle target woke, a process exec'd), or never does."""

    def arrived(error: dict[str, Any] | None) -> None:
        if error is None:
            progress.end(f"The agent is in process {debuggee.pid}")
            _say_attached(session, debuggee)
            client = session.client
            if client is not None and client.supports_invalidated_event:
                session.send_event("invalidated", {"areas": ["threads", "stacks"]})
            if debuggee.initial_stop is not None and session.configured.is_set():
                session.send_event("stopped", debuggee.initial_stop)  # it stopped before this session took it
                debuggee.initial_stop = None
            return
        progress.end("Gave up waiting")
        debuggee.ended = True
        session.state.pop(target.KEY, None)
        session.send_event("output", {"category": "important", "output": f"{error['message']}\n"})
        session.send_event("terminated", None)

    return arrived


def debuggee_giving_up(debuggee: Debuggee) -> Callable[[], Awaitable[None]]:
    async def give_up() -> None:
        await debuggee.give_up()

    return give_up


async def _where_blocked(debuggee: Debuggee) -> str:
    try:
        snapshot = await debuggee.standin.snapshot()
    except RequestError:
        return "no snapshot could be read"
    for thread in snapshot.threads:
        if thread.frames:
            top = thread.frames[0]
            return f"{thread.name} is in {top.function} at {top.path}:{top.line}"
    return "no thread is in Python code"


class Progress:
    """A progress indicator in clients that show one (`supportsProgressReporting`)."""

    def __init__(self, session: Session, title: str) -> None:
        self._session = session
        client = session.client
        self._on = bool(client is not None and client.supports_progress_reporting)
        self._id = f"attach-{os.getpid()}-{id(self)}"
        if self._on:
            session.send_event("progressStart", {"progressId": self._id, "title": title, "cancellable": True})

    def update(self, message: str, cancel: Callable[[], Awaitable[None]]) -> None:
        cancellers: dict[str, Callable[[], Awaitable[None]]] = self._session.state.setdefault(
            lifecycle.PROGRESS_CANCELLERS, {}
        )
        cancellers[self._id] = cancel
        if self._on:
            self._session.send_event("progressUpdate", {"progressId": self._id, "message": message})

    def end(self, message: str | None = None) -> None:
        self._session.state.get(lifecycle.PROGRESS_CANCELLERS, {}).pop(self._id, None)
        if self._on:
            body = {"progressId": self._id} | ({"message": message} if message else {})
            self._session.send_event("progressEnd", body)
            self._on = False


def _disconnect_from(session: Session, debuggee: Debuggee) -> Cleanup:
    async def disconnect(arguments: types.DisconnectArguments) -> None:
        session.state.pop(target.KEY, None)
        if debuggee.ended:
            return  # already told `terminated`; clients then send disconnect/terminate, harmless now
        if arguments.terminate_debuggee:
            code = await debuggee.terminate()
            after: list[tuple[str, dict[str, object]]] = []
            if code is not None:
                after.append(("exited", {"exitCode": code}))
            after.append(("terminated", {}))
            _after_response(session, after)
        else:
            await debuggee.detach()
            session.send_event(
                "output",
                {"category": "console", "output": f"Detached from {debuggee.describe()}; it runs on.\n"},
            )

    return disconnect


def _watch_unattended(session: Session, debuggee: Debuggee) -> None:
    """Let the target go once it has been stopped `stoppedTimeout` seconds with no request (see
    `unattended.py`)."""
    seconds = unattended.effective(debuggee.options.stopped_timeout, session.state.get(unattended.CEILING))
    if seconds is None:
        return
    letting_go: set[asyncio.Task[None]] = set()

    def expired() -> None:
        task = asyncio.get_running_loop().create_task(_let_go(session, debuggee, seconds))
        letting_go.add(task)
        task.add_done_callback(letting_go.discard)

    def warn(lead: float) -> None:
        text = (
            f"dapattach: {debuggee.describe()} has been stopped for {seconds - lead:g} s with no request "
            f"from the editor; in {lead:g} s it will be let go (stoppedTimeout): detached, it runs on. Any "
            "request keeps it stopped: a step, a look at a variable or the call stack.\n"
        )
        session.send_event("output", {"category": "important", "output": text})

    watch = unattended.StoppedWatch(
        seconds, debuggee.options.stop_all, expired, busy=session.answering, warn=warn
    )
    session.watchers.append(watch)

    async def unwatch(arguments: types.DisconnectArguments) -> None:
        watch.close()
        session.watchers.remove(watch)

    session.add_cleanup(unwatch)


async def _let_go(session: Session, debuggee: Debuggee, seconds: float) -> None:
    who = debuggee.describe()
    log.warning(
        "%s: %s stayed stopped %g s with no request from the client (stoppedTimeout): detaching",
        session.label,
        who,
        seconds,
    )
    text = (
        f"dapattach: {who} stayed stopped for {seconds:g} s with no request from the editor "
        "(stoppedTimeout), so this session lets it go: it is detached and runs on. Attach again to go on "
        "debugging.\n"
    )
    session.send_event("output", {"category": "important", "output": text})
    await session.run_cleanups(types.DisconnectArguments())
    session.send_event("terminated")


def _after_response(session: Session, events: list[tuple[str, dict[str, object]]]) -> None:
    """Send events once the current response is written (nvim-dap drops responses after `terminated`)."""
    loop = asyncio.get_running_loop()
    for name, body in events:
        loop.call_soon(session.send_event, name, body or None)
