"""The agent thread: says hello, serves requests, and detaches without a trace.

Commands come from `commands.COMMANDS`, where the features (`breakpoints`, `exceptions`, `stepping`,
`exits`, and the inspection commands below) register them; none of them imports this module. A command
that runs the target's code is handed to a job on the stopped thread it is about (`jobs.py`), so this
thread never runs the target's code and never waits for it: it keeps answering `threads`, `pause`,
`continue`, `cancel` and `detach`, and every `TICK` it enforces the jobs' time limits. When the adapter's
socket closes for any reason, the agent detaches by itself.
"""

import contextlib
import functools
import os
import sys
import threading

from . import (
    breakpoints,
    calltargets,
    completions,
    console,
    context,
    evaluation,
    exceptions,
    exits,
    fork_cell,
    forked_meanwhile,
    inspection,
    jobs,
    leaving,
    modules,
    output,
    reading,
    release_imports,
    router,
    stepping,
    subinterpreters,
    suspend,
    switching,
    tasks,
    ticker,
    values,
    wire,
)
from . import monitor as monitoring
from .commands import COMMANDS, RequestError, command
from .monitor import E, MonitorBusy, monitor

FEATURES = (breakpoints, calltargets, completions, exceptions, exits, reading, stepping)
"""Imported for their commands and monitoring hooks, which they register when loaded."""

THREAD_NAME = "dapattach-agent"
SUB_THREAD_NAME = "dapattach-sub"
"""The agent thread of a sub-interpreter: not the name a new attach looks for (see `attach/inject.py`)."""
READY_WAIT = 5.0
IDLE_TICK = 0.25
"""How long the agent thread sleeps when nothing happens: it then runs a bytecode, which is when a second
adapter's attach request (sent to this thread, see `attach/inject.py`) is picked up and refused."""
HELLO_WAIT = 10.0
"""How long the agent waits for the adapter's welcome (or, after an error hello, for it to close)."""


class Agent:
    def __init__(self, socket_path, secret, module_name, adapter_pid, hello_extra=None, sub=None):
        """`sub` is (socket fd, interpreter id, slot) for the agent of a sub-interpreter, which talks to
        the main agent over that socket (`router.py`); None for the main agent, which talks to the
        adapter over `socket_path`. `hello_extra` goes into the main agent's hello."""
        self.socket_path = socket_path
        self.secret = secret
        self.module_name = module_name
        self.adapter_pid = adapter_pid
        self.sub = sub
        self.hello_extra = hello_extra or {}
        self.channel = None
        self.subprocesses = None
        """Where a forked child's own agent reports (`{"socket", "secret", "adapterPid", "agentDir"}`),
        when the adapter follows subprocesses; set by `configure`."""
        self._switching = threading.Lock()
        first, end = router.id_range(0 if sub is None else sub[2])
        self.frames = values.Handles(first, end)
        self.variables = values.Handles(first, end)
        self.sources = inspection.Sources(first)
        self.detaching = False
        self.after_response = []
        self.configured = threading.Event()
        self.switching = switching.Switching(enabled=sub is None)
        self.router = None
        self.presence = None
        self._fork_cell = fork_cell
        self._pid = os.getpid()
        self._starter = None
        """(ident, code) of the thread that started the agent and of the function it called `start` from."""

    def start(self):
        """Start the agent thread; return `hold`, which holds the calling thread (at most `READY_WAIT`)
        until the adapter has sent its breakpoints.

        The bootstrap runs in whichever target thread picked it up, often the one about to run the code
        the user is waiting for (the next request of an idle server): holding it briefly lets the
        breakpoints set meanwhile catch exactly that code. The caller holds itself, once it has let go
        of the agent's modules: `hold` is a `threading.Event`'s `wait`, so the held thread keeps nothing
        of the agent alive, and a detach meanwhile frees the agent at once even if that thread does not
        run again soon (a signal handler of the program's may be running on it). Only until `start` has
        returned does the thread hold the agent; a detach waits for that (`leaving.wait_until_left`).
        """
        self._starter = (threading.get_ident(), sys._getframe(1).f_code)
        if self.sub is None:
            self._fork_cell[:] = [self._at_fork]  # `start` registered the hook
        else:
            # An isolated sub-interpreter refuses daemon threads; this one ends when it is closed.
            threading._register_atexit(self._leave)
        name = THREAD_NAME if self.sub is None else SUB_THREAD_NAME
        thread = threading.Thread(
            target=leaving.collecting_after(), args=([self._main],), name=name, daemon=self.sub is None
        )
        thread.start()
        return functools.partial(self.configured.wait, READY_WAIT)

    def _leave(self):
        """The sub-interpreter is being closed: stop serving, so that its threads can be joined."""
        self.detaching = True
        channel = self.channel
        if channel is not None:
            channel.shutdown()

    def _main(self):
        """Serve until detached. Returns what closes the socket, which `leaving.collecting_after` calls
        last: the adapter takes the close as "detached" and may attach again at once."""
        try:
            suspend.add_agent_thread(threading.get_ident())
            if self._connect():
                self._serve()
        except BaseException as error:
            if self.channel is None:
                self._say_failed(error)
        finally:
            self.configured.set()
            leaving.rename_thread(leaving.LEAVING_NAME)
            self._remove_traces()
        if self.channel is None:
            return None
        sock, self.channel = self.channel.release(), None
        return sock.close

    def _connect(self):
        if self.sub is not None:
            return self._connect_sub()
        try:
            self.channel = wire.Channel(self.socket_path)
        except FileNotFoundError, ConnectionRefusedError:
            # The adapter gave up before this bootstrap ran: tidy its private directory away.
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(self.socket_path))
            return False
        nonce = os.urandom(16).hex()
        try:
            monitor.claim()
        except MonitorBusy as error:
            self.channel.send(wire.hello(self.secret, nonce, error=str(error)))
            self.channel.receive(timeout=HELLO_WAIT)  # until the adapter has read it (and closes)
            return False
        self.router = router.Router(self._answer_here, self.send)
        self.presence = subinterpreters.Presence(self.router, self.module_name, self._agent_in_folder())
        self.router.on_drop = self.presence.forget
        self.channel.send(wire.hello(self.secret, nonce, **self.hello_extra))
        if not wire.welcomed(self.channel.receive(timeout=HELLO_WAIT), self.secret, nonce):
            return False
        context.connect(self.send)
        exits.watch()
        suspend.wire(self._send_from_target, self._line_events, self._pause_codes)
        suspend.resume_hooks.append(self._forget_handles)
        jobs.interrupted_hooks.append(evaluation.release_streams)
        return True

    def _connect_sub(self):
        """The agent of a sub-interpreter: its socket is already connected to the main agent, which
        sends the options and breakpoints first; it says hello only to report its interpreter."""
        import socket

        fd, interpreter_id, _slot = self.sub
        self.channel = wire.Channel(sock=socket.socket(fileno=fd))
        try:
            monitor.claim()
        except MonitorBusy as error:
            context.connect(self.channel.send)
            context.output(
                "console", f"dapattach: no breakpoints in sub-interpreter {interpreter_id}: {error}\n"
            )
            return False
        context.connect(self.channel.send)
        suspend.wire(self.channel.send, self._line_events, self._pause_codes)
        suspend.resume_hooks.append(self._forget_handles)
        jobs.interrupted_hooks.append(evaluation.release_streams)
        return True

    def _agent_in_folder(self):
        """Whether this agent was loaded from a copy in the attach folder, which the adapter removes once
        it has our hello: then its sources are read before, for sub-interpreters it may enter later."""
        folder = os.path.dirname(os.path.abspath(self.socket_path)) + os.sep
        return inspection.AGENT_DIR.startswith(folder)

    def _send_from_target(self, message):
        """A `stopped` event from a thread of this interpreter; all-stop reaches the others too."""
        sent = self.send(message)
        found = self.router
        if found is not None:
            found.on_local_event(message)
        return sent

    def _say_failed(self, error):
        """The agent could not start: tell the adapter why (it would otherwise wait for a hello)."""
        folder = getattr(sys.modules.get(self.module_name), "attach_folder", None)
        wire.report_failure(self.socket_path, self.secret, error, folder, HELLO_WAIT)

    def send(self, message, deadline=None):
        """Send on the current channel; a `rehome` in progress makes this wait until it is done. With a
        `deadline`, give up when it has passed (see `wire.Channel._write`)."""
        return self._on_channel(lambda channel: channel.send(message, deadline), deadline)

    def send_output(self, category, encoding, payload, deadline=None):
        """`send` for the program's output (`output.py`), which goes as raw bytes after a header."""
        return self._on_channel(
            lambda channel: channel.send_output(category, encoding, payload, deadline), deadline
        )

    def _on_channel(self, write, deadline):
        if not wire.acquire_by(self._switching, deadline):
            return False  # a thread stuck in a send holds it: the adapter reads nothing
        try:
            channel = self.channel
            return channel is not None and write(channel)
        finally:
            self._switching.release()

    def _at_fork(self, after_in_parent=False):
        """Every side of an `os.fork()`: before it, in this process, the output streams write what they
        hold, so that it goes out once and ahead of the child's, and the ticker flushes none until the fork
        is over (`output.before_fork`); after it, in this process, the ticker may again; in the child, the
        agent goes."""
        if after_in_parent:
            output.after_fork_in_parent()
        elif os.getpid() == self._pid:
            output.before_fork()
        else:
            self._after_fork_in_child()

    def _after_fork_in_child(self):
        """A child of `os.fork()` has no agent thread: drop the agent there at once, touching no lock a
        thread that is not in the child might hold, and leaving the parent's connection up. When the
        adapter follows subprocesses, a fresh agent then starts in the child and reports to it, holding
        the forking thread until the child's breakpoints are set. First of all, the import locks the
        agent's threads held go (`release_imports`): the child imports in a moment, and so does the fresh
        agent."""
        self._fork_cell.clear()
        self.switching.restore(forked=True)
        release_imports(suspend.agent_threads())
        follow = self.subprocesses
        try:
            suspend.forget_after_fork()
            jobs.jobs.forget_after_fork()
            monitor.release_after_fork()
            ticker.forget_after_fork()
            console.forget_after_fork()
            output.release_after_fork()
            modules.release()
            if self.channel is not None:
                self.channel.abandon()
                self.channel = None
            if self.router is not None:
                self.router.abandon()  # the sub-interpreters and their agents stayed in the parent
            self._remove_traces(wait=False)
        except Exception:
            pass
        if follow is not None and not _forked_to_exec():
            _start_fresh_agent(follow, self.module_name)

    def _line_events(self, on):
        if on:
            monitor.want("all-stop", E.LINE)
        else:
            monitor.unwant("all-stop")

    def _pause_codes(self, codes):
        """LINE events for a non-stop pause: on `codes` only, or on every line when None."""
        if codes is None:
            monitor.want("pause", E.LINE)
            return
        monitor.unwant("pause")
        for code in monitor.local_codes("pause"):
            if code not in codes:
                monitor.set_local("pause", code, 0)
        for code in codes:
            monitor.set_local("pause", code, E.LINE)
        monitoring.keep_lines("pause", bool(codes))

    def _forget_handles(self, kind, idents):
        """Ids of the threads resumed die (all of them when every thread was); others stay valid."""
        if idents is None:
            self.frames.clear()
            self.variables.clear()
            return
        dying = {id(frame) for frame in self.frames.drop(lambda frame, owner: owner in idents)}
        self.variables.drop(lambda ref, owner: ref.frame is None or id(ref.frame) in dying)

    def _serve(self):
        while not self.detaching:
            timeout = jobs.TICK if jobs.jobs.busy() else IDLE_TICK
            lowered = self.switching.settle()
            if lowered is not None:
                timeout = min(timeout, lowered)
            if self.router is not None and self.router.links:
                arrived = self.router.wait(self.channel, timeout)
            else:
                arrived = [(self.channel, self.channel.receive(timeout))]
            for source, message in arrived:
                if source is not self.channel:
                    self.router.on_message(source, message)
                    continue
                if message is None:
                    return
                if message is not wire.QUIET and message.get("type") == "request":
                    self.switching.boost()
                    channel = self.channel  # a `rehome` answers on the channel it came from
                    response = self._answer(message)
                    if response is not None:
                        channel.send(response)
                    while self.after_response:
                        self.after_response.pop(0)()
            jobs.jobs.tick()
            ticker.look()
            if self.presence is not None:
                self.presence.tick()

    def _answer(self, message):
        """The response to `message`, or None when a job or another interpreter's agent will answer it."""
        if self.router is not None:
            routed = self.router.route(message)
            if routed is not router.NOT_MINE:
                return routed
        return self._answer_here(message)

    def _answer_here(self, message):
        """The response to `message` from this interpreter, or None when a job will answer it."""
        name = message.get("command")
        response = {"type": "response", "request_seq": message.get("seq"), "command": name, "success": True}
        found = COMMANDS.get(name)
        try:
            if found is None:
                raise RequestError(f"the agent does not support {name!r}")
            arguments = message.get("arguments") or {}
            if found.job:
                job = jobs.Job(self, message, found)
                place = self._thread_for(name, arguments)
                if isinstance(place, tuple):
                    place, job.context = place
                jobs.jobs.start(job, place)
                return None
            response["body"] = found.handler(self, arguments) or {}
        except RequestError as error:
            response.update(success=False, message=str(error))
        except Exception as error:
            response.update(success=False, message=f"{name} failed: {values.describe_error(error)}")
        return response

    def _thread_for(self, name, arguments):
        """The stopped thread a job is about (its frame's, or the one named), or None for a worker;
        a job about a suspended asyncio task's frame runs there in that task's context."""
        match name:
            case "evaluate" | "setExpression":
                frame = self.frame(arguments)
                if frame is None:
                    return None
                return self._place(frame) or _not_stopped(inspection.thread_of(frame))
            case "variables" | "setVariable":
                frame = self.variable_ref(arguments).frame
                return None if frame is None else self._place(frame) or _not_stopped(None, quiet=True)
            case "completions":
                frame = self.frame(arguments)
                entry = None if frame is None else self._place(frame)
                if isinstance(entry, tuple):
                    entry = entry[0]
                return None if entry is None or entry.ident in jobs.jobs.blocked() else entry
            case _:
                return suspend.by_thread_id(arguments.get("threadId"))

    def _place(self, frame):
        """The stopped thread `frame` is on; else, for a frame of a task whose loop's thread is stopped,
        that thread and the task's context (as a pair)."""
        entry = suspend.owner_of(frame)
        if entry is not None:
            return entry
        for ident in self.frames.owners_of(frame):
            entry = suspend.stopped_thread(ident)
            task = None if entry is None else tasks.task_of(frame, ident)
            if task is not None:
                return entry, task.get_context()
        return None

    def _remove_traces(self, wait=True):
        """Leave. A child forked meanwhile gets no agent, but the import locks its threads held go."""
        self._fork_cell[:] = [functools.partial(forked_meanwhile, self._pid, suspend.agent_threads())]
        try:
            self._undo(wait)
        finally:
            self._fork_cell.clear()

    def _undo(self, wait):
        self.switching.restore()
        if self.presence is not None:
            self.presence.leave()
        jobs.jobs.stop_all("the debugger detached")
        released = suspend.close()
        if self.router is not None:
            self.router.close()
        if self.sub is not None:
            with contextlib.suppress(Exception):
                threading._threading_atexits.remove(self._leave)
        if wait:
            leaving.wait_until_left(released, self._starter)
        console.release()
        context.disconnect()
        exits.forget()
        monitor.release()
        evaluation.release_streams()
        output.stop()
        modules.release()
        ticker.release()
        prefix = self.module_name + "."
        for name in list(sys.modules):
            if name == self.module_name or name.startswith(prefix):
                sys.modules.pop(name, None)
        sys.path_importer_cache.pop(inspection.AGENT_DIR, None)
        try:
            import linecache

            for filename in list(linecache.cache):
                if filename.startswith(inspection.AGENT_DIR):
                    linecache.cache.pop(filename, None)
        except Exception:
            pass

    def variable_ref(self, arguments):
        ref = self.variables.get(arguments.get("variablesReference"))
        if ref is None:
            raise RequestError(
                f"unknown variablesReference {arguments.get('variablesReference')}: references are "
                "valid only until the target resumes"
            )
        return ref

    def frame(self, arguments):
        frame_id = arguments.get("frameId")
        return None if frame_id is None else inspection.frame_of(self.frames, frame_id)


def _forked_to_exec():
    """Whether this fork is `subprocess` starting a program with a `preexec_fn` (the only kind of its forks
    that runs at-fork hooks): the child execs at once, so no agent should start there."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "_execute_child" and frame.f_globals.get("__name__") == "subprocess":
            return True
        frame = frame.f_back
    return False


def _start_fresh_agent(follow, module_name):
    """Load a new copy of the agent package in a forked child (the parent's copy was just dropped) and
    start it on the adapter's subprocess socket, holding this thread as the attach bootstrap would."""
    try:
        # importlib's own modules, as the attach bootstrap uses: they are loaded in every process
        agent_dir = follow.get("agentDir") or inspection.AGENT_DIR
        spec = sys.modules["_frozen_importlib_external"].spec_from_file_location(
            module_name, os.path.join(agent_dir, "__init__.py"), submodule_search_locations=[agent_dir]
        )
        module = sys.modules["_frozen_importlib"].module_from_spec(spec)
        adapter_pid = follow.get("adapterPid", 0)
        module.adapter_pid = adapter_pid
        module.owner_pid = os.getpid()
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            sys.path_importer_cache.pop(agent_dir, None)
            raise
        del module  # while held, this frame keeps nothing of the new agent alive (see `Agent.start`)
        hold = sys.modules[module_name].start(
            follow["socket"], follow["secret"], module_name, adapter_pid, forkedFrom=os.getppid()
        )
    except Exception:
        return
    if hold is not None:
        hold()


def _not_stopped(thread_id, quiet=False):
    """A frame of a thread that is not stopped: with the GIL its values are read on a helper thread (and
    the debug console says so); without it they are not read at all, as that thread may change them."""
    where = "its thread has ended" if thread_id is None else f"thread {thread_id} is not stopped"
    if suspend.free_threaded():
        raise RequestError(
            f"{'this frame is not on a stopped thread' if quiet else where}, and this process runs without "
            "the GIL (free-threaded Python): values are read only from stopped threads. Pause the thread "
            "or stop it at a breakpoint first"
        )
    if quiet:
        return None
    context.output(
        "console",
        f"dapattach: {where} (it runs, or waits outside Python), so this runs on a helper thread: "
        "thread-locals and context variables are not that thread's\n",
    )
    return None


def _thread_of_request(arguments):
    """The thread a run-control request names: (DAP id of an OS thread, or None for every thread, and the
    task it named, if any). A task stands for the thread that runs its loop."""
    thread_id = arguments.get("threadId") or None
    if not tasks.is_task_id(thread_id):
        return thread_id, None
    task, ident = tasks.require(thread_id)
    return inspection.thread_ids()[ident][0], task


@command("pause")
def _pause(agent, arguments):
    """`silent` (from `router.py`): another interpreter's thread stopped and said so; `ident` names a
    thread this interpreter's `threading` does not know (a pool worker that entered it)."""
    thread_id, _task = _thread_of_request(arguments)
    ident = arguments.get("ident") or (thread_id and inspection.ident_of(thread_id))
    suspend.request_pause(None if thread_id is None else {ident}, silent=bool(arguments.get("silent")))
    return {}


@command("continue")
def _continue(agent, arguments):
    """Answered before the threads go on: a program that then ends at once takes this daemon thread
    with it, and the answer would be lost. Non-stop (or `singleThread`) resumes the thread named only."""
    thread_id, _task = _thread_of_request(arguments)
    single = bool(arguments.get("singleThread"))
    alone = thread_id is not None and (single or not suspend.all_stop())
    if alone and suspend.by_thread_id(thread_id) is None:
        raise RequestError(f"thread {thread_id} is not stopped")
    body = {"threadId": thread_id or 0, "allThreadsContinued": not alone}
    agent.after_response.append(lambda: suspend.resume("continue", thread_id, single))
    if not arguments.get("quiet"):  # `router.py` resumes other interpreters quietly: one event is enough
        agent.after_response.append(lambda: context.emit("continued", body))
    return {"allThreadsContinued": not alone}


@command("cancel")
def _cancel(agent, arguments):
    """The adapter's client cancelled a request the adapter forwarded: stop its job (agent seq)."""
    jobs.jobs.cancel(arguments.get("requestId"))
    return {}


@command("configure")
def _configure(agent, arguments):
    for key in context.options:
        if key in arguments:
            context.options[key] = bool(arguments[key])
    suspend.set_all_stop(context.option("stopAll"))
    if "subProcess" in arguments:
        follow = arguments["subProcess"]
        agent.subprocesses = dict(follow) if isinstance(follow, dict) else None
    return {}


@command("rehome")
def _rehome(agent, arguments):
    """Move to another adapter (the session of a child process takes over from the one that found it):
    connect to its socket, say hello with its secret and the stop in progress, and switch over. Events
    target threads send meanwhile wait, so none is lost; this answer still goes to the old adapter."""
    try:
        channel = wire.Channel(arguments["socket"])
    except (OSError, KeyError, TypeError) as error:
        raise RequestError(f"cannot reach the adapter that takes over: {error}") from None
    secret, nonce = str(arguments.get("secret")), os.urandom(16).hex()
    with agent._switching:
        channel.send(wire.hello(secret, nonce, rehomed=True, stopped=suspend.reported()))
        if not wire.welcomed(channel.receive(READY_WAIT), secret, nonce):
            channel.close()
            raise RequestError("the adapter that takes over did not welcome the agent")
        old, agent.channel = agent.channel, channel
    package = sys.modules.get(agent.module_name)
    if package is not None:
        package.adapter_pid = arguments.get("adapterPid", agent.adapter_pid)
    agent.after_response.append(old.close)
    return {}


@command("ready")
def _ready(agent, arguments):
    """The adapter has applied the initial configuration: release the thread that ran the bootstrap."""
    agent.configured.set()
    return {}


@command("detach")
def _detach(agent, arguments):
    """Answered first; then the serving loop ends and `_remove_traces` resumes every thread."""
    agent.detaching = True
    return {}
