"""The agent thread: says hello, answers requests one at a time, and detaches without a trace.

`COMMANDS` maps a command to `handler(agent, arguments) -> body`; breakpoints and stepping register
theirs there. A handler raises `RequestError` for a failure the user should read. When the adapter's
socket closes for any reason, the agent detaches by itself.
"""

import contextlib
import functools
import gc
import operator
import os
import sys
import threading

from . import evaluation, inspection, suspend, values, wire, worker
from .inspection import RequestError
from .monitor import E, MonitorBusy, monitor

COMMANDS = {}
THREAD_NAME = "dapattach-agent"
READY_WAIT = 5.0
USER_CODE = ("variables", "evaluate", "setVariable", "setExpression", "exceptionInfo")
"""Requests that may run the target's code (reprs, properties, expressions): answered by a worker thread."""


def command(name):
    def register(handler):
        COMMANDS[name] = handler
        return handler

    return register


class Agent:
    def __init__(self, socket_path, secret, module_name, adapter_pid):
        self.socket_path = socket_path
        self.secret = secret
        self.module_name = module_name
        self.adapter_pid = adapter_pid
        self.channel = None
        self.frames = values.Handles()
        self.variables = values.Handles()
        self.sources = inspection.Sources()
        self.options = {"justMyCode": True, "showReturnValue": False}
        self.detaching = False
        self.after_response = []
        self.configured = threading.Event()
        self._fork_cell = []

    def start(self, wait=READY_WAIT):
        """Start the agent thread, and hold the calling thread until the adapter has sent its breakpoints.

        The bootstrap runs in whichever target thread picked it up, often the one about to run the code
        the user is waiting for (the next request of an idle server): holding it briefly lets the
        breakpoints set meanwhile catch exactly that code.
        """
        thread = threading.Thread(
            target=_collecting_after(), args=([self._main],), name=THREAD_NAME, daemon=True
        )
        thread.start()
        self.configured.wait(wait)

    def _main(self):
        """Serve until detached. Returns what closes the socket, which `_collecting_after` calls last: the
        adapter takes the close as "detached" and may attach again at once."""
        try:
            suspend.add_agent_thread(threading.get_ident())
            if self._connect():
                self._serve()
        except BaseException:
            pass
        finally:
            self.configured.set()
            self._remove_traces()
        if self.channel is None:
            return None
        sock, self.channel = self.channel.release(), None
        return sock.close

    def _connect(self):
        try:
            self.channel = wire.Channel(self.socket_path)
        except OSError:
            # The adapter gave up before this bootstrap ran: tidy its private directory away.
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(self.socket_path))
            return False
        try:
            monitor.claim()
        except MonitorBusy as error:
            self.channel.send(wire.hello(self.secret, error=str(error)))
            return False
        self.channel.send(wire.hello(self.secret))
        welcome = self.channel.receive()
        if not welcome or welcome.get("type") != "welcome" or welcome.get("protocol") != wire.PROTOCOL:
            return False
        suspend.wire(self.channel.send, self._line_events)
        suspend.resume_hooks.append(self._forget_handles)
        self._fork_cell.append(self._after_fork_in_child)
        os.register_at_fork(after_in_child=_fork_hook(self._fork_cell))
        return True

    def _after_fork_in_child(self):
        """A child of `os.fork()` has no agent thread: drop the agent there at once, touching no lock a
        thread that is not in the child might hold, and leaving the parent's connection up."""
        self._fork_cell.clear()
        try:
            suspend.forget_after_fork()
            monitor.release_after_fork()
            if self.channel is not None:
                self.channel.abandon()
                self.channel = None
            self._remove_traces()
        except Exception:
            pass

    def _line_events(self, on):
        if on:
            monitor.want("all-stop", E.LINE)
        else:
            monitor.unwant("all-stop")

    def _forget_handles(self):
        self.frames.clear()
        self.variables.clear()

    def _serve(self):
        while not self.detaching:
            message = self.channel.receive()
            if message is None:
                return
            if message.get("type") == "request":
                self.channel.send(self._answer(message))
                while self.after_response:
                    self.after_response.pop(0)()

    def _answer(self, message):
        name = message.get("command")
        response = {"type": "response", "request_seq": message.get("seq"), "command": name, "success": True}
        handler = COMMANDS.get(name)
        try:
            if handler is None:
                raise RequestError(f"the agent does not support {name!r}")
            arguments = message.get("arguments") or {}
            if name in USER_CODE:
                timeout = worker.REPL_TIMEOUT if arguments.get("context") == "repl" else worker.TIMEOUT
                body = worker.call(lambda: handler(self, arguments), timeout, f"the {name!r} request")
            else:
                body = handler(self, arguments)
            response["body"] = body or {}
        except RequestError as error:
            response.update(success=False, message=str(error))
        except Exception as error:
            response.update(success=False, message=f"{name} failed: {values.describe_error(error)}")
        return response

    def emit(self, event, body):
        if self.channel is not None:
            self.channel.send({"type": "event", "event": event, "body": body})

    def output(self, category, text):
        self.emit("output", {"category": category, "output": text})

    def _remove_traces(self):
        self._fork_cell.clear()
        suspend.close()
        monitor.release()
        evaluation.release_streams()
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


def _collecting_after():
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


def _fork_hook(cell):
    """The hook `os.register_at_fork` keeps for the life of the process (there is no way to unregister).

    It must outlive the agent without keeping any of it alive, so it is built of builtins only around
    `cell`, a list holding the child's cleanup while attached and emptied on detach: it calls `cell[0]()`
    when there is one and does nothing otherwise. What stays behind per attach is this partial and an
    empty list, about 150 bytes.
    """
    return functools.partial(functools.reduce, operator.call, cell, operator.call)


@command("threads")
def _threads(agent, arguments):
    return inspection.threads()


@command("stackTrace")
def _stack_trace(agent, arguments):
    return inspection.stack_trace(arguments, agent.frames, agent.sources)


@command("scopes")
def _scopes(agent, arguments):
    frame = inspection.frame_of(agent.frames, arguments.get("frameId"))
    return inspection.scopes(frame, agent.variables, lambda kind, f: values.Ref(kind, None, None, f))


@command("variables")
def _variables(agent, arguments):
    return {"variables": values.children(agent.variables, agent.variable_ref(arguments), arguments)}


@command("source")
def _source(agent, arguments):
    ref = arguments.get("sourceReference") or (arguments.get("source") or {}).get("sourceReference")
    if not ref:
        raise RequestError("source needs a sourceReference; files with a path are read by the client")
    return {"content": agent.sources.text(ref), "mimeType": "text/x-python"}


@command("evaluate")
def _evaluate(agent, arguments):
    return evaluation.evaluate(arguments, agent.frame(arguments), agent.variables, agent.output)


@command("setVariable")
def _set_variable(agent, arguments):
    return evaluation.set_variable(arguments, agent.variable_ref(arguments), agent.variables)


@command("setExpression")
def _set_expression(agent, arguments):
    return evaluation.set_expression(arguments, agent.frame(arguments), agent.variables)


@command("pause")
def _pause(agent, arguments):
    suspend.request_pause()
    return {}


@command("continue")
def _continue(agent, arguments):
    suspend.resume()
    body = {"threadId": arguments.get("threadId") or 0, "allThreadsContinued": True}
    agent.after_response.append(lambda: agent.emit("continued", body))
    return {"allThreadsContinued": True}


@command("configure")
def _configure(agent, arguments):
    for key in agent.options:
        if key in arguments:
            agent.options[key] = bool(arguments[key])
    return {}


@command("ready")
def _ready(agent, arguments):
    """The adapter has applied the initial configuration: release the thread that ran the bootstrap."""
    agent.configured.set()
    return {}


@command("detach")
def _detach(agent, arguments):
    agent.detaching = True
    suspend.close()
    return {}


# Imported last: they register their commands and monitoring hooks in the tables above.
from . import breakpoints, exceptions, stepping  # noqa: E402, F401
