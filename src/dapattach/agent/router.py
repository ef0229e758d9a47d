"""One session across interpreters: the main agent answers the adapter for every sub-interpreter too.

An agent runs in each sub-interpreter that runs code (`subinterpreters.py` puts it there) and talks to the
main agent over a socket pair, in the wire protocol the adapter speaks. The adapter sees one agent; this
router sends each request where it belongs and merges what several agents answer:

- Ids: the main agent numbers frames, variables and sources below 2**30, the agent in sub-interpreter
  slot N (1..64) from 2**30 + (N - 1) * 2**24, so an id names its agent (`slot_of`); a request about a
  frame, a variable or a source goes to that agent as it is, and its answer comes back as it is.
- Threads: a thread that runs code in a sub-interpreter is listed once, by its OS thread id, with the
  interpreter's id in its name; its stack is its frames in that interpreter above its frames in the main
  one (a pool worker's `Interpreter.call`).
- Breakpoints and options go to every agent, and are replayed to a new one before its interpreter runs
  code. Each agent numbers breakpoints its own way: a sub-interpreter's ids are translated to the main
  agent's by their position in the answers to the same request. A breakpoint is verified when any
  interpreter has code for it.
- Run control: a thread is resumed, stepped or paused by the agent of the interpreter it stopped or runs
  in. All-stop holds across interpreters: a stop that one agent reports pauses every other one silently,
  and a continue of everything reaches them all (quietly: one `continued` event is enough).
"""

import contextlib
import itertools
import select
import socket
import threading

from . import context, inspection, suspend, tasks, wire

SUB_BASE = 1 << 30
SUB_SPAN = 1 << 24
MAX_SLOTS = 64
ASK_TIMEOUT = 2.0
"""How long the main agent waits for another interpreter's agent (which answers from its own thread)."""
BROADCAST = ("configure", "setExceptionBreakpoints", "setFunctionBreakpoints", "setBreakpoints")
RUN_CONTROL = ("continue", "next", "stepIn", "stepOut")
NOT_MINE = object()
"""`route`'s answer for a request the main agent answers alone."""


def slot_of(ref):
    if not isinstance(ref, int) or isinstance(ref, bool) or ref < SUB_BASE:
        return 0
    return 1 + (ref - SUB_BASE) // SUB_SPAN


def id_range(slot):
    """[first, end) of the ids the agent in `slot` hands out."""
    if slot == 0:
        return 1, SUB_BASE
    first = SUB_BASE + (slot - 1) * SUB_SPAN
    return first, first + SUB_SPAN


class Link:
    """The main agent's end of one sub-interpreter agent's socket."""

    def __init__(self, router, interpreter_id, slot, sock):
        self.router = router
        self.interpreter_id = interpreter_id
        self.slot = slot
        self.channel = wire.Channel(sock=sock)
        self.answers = {}
        self.breakpoint_ids = {}
        self.stopped = set()
        self.threads = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, command, arguments, answer=None):
        """Send a request; `answer(response)` runs on the agent thread when it comes."""
        with self._lock:
            seq = next(self._seq)
            self.answers[seq] = answer or _ignore
        self.channel.send({"type": "request", "seq": seq, "command": command, "arguments": arguments})
        return seq

    def ask(self, command, arguments):
        """Send a request and wait for its response (on the agent thread); None if none came in time."""
        got = []
        self.send(command, arguments, got.append)
        for _round in range(int(ASK_TIMEOUT / 0.05)):
            while not got:
                message = self.channel.receive(0.05)
                if message is wire.QUIET:
                    break
                if message is None:
                    self.router.drop(self)
                    return None
                self.router.on_message(self, message)
            if got:
                return got[0]
        return None


def _ignore(response):
    return None


class Router:
    def __init__(self, local, send):
        """`local(message)` answers a request in the main agent (a response, or None for a job);
        `send(message)` writes to the adapter."""
        self.local = local
        self.send = send
        self.links = {}
        self.relayed = {}
        self._recorded = {}
        self._lock = threading.Lock()
        self._wake = None
        """A socket pair that wakes the agent thread when a link is added (made with the first one)."""

    # -- links -----------------------------------------------------------------------------------------

    def add(self, interpreter_id, sock):
        """A new sub-interpreter agent (from any thread): it gets the options and breakpoints before it
        says anything, then `ready`; the agent thread starts reading it at once."""
        with self._lock:
            slot = next(n for n in range(1, MAX_SLOTS + 1) if n not in self.links)
            link = Link(self, interpreter_id, slot, sock)
            self.links[slot] = link
            self._replay(link)
            if self._wake is None:
                self._wake = socket.socketpair()
                self._wake[0].setblocking(False)
            wake = self._wake
        with contextlib.suppress(OSError):
            wake[1].send(b"x")
        return link

    def _replay(self, link):
        link.send("configure", dict(context.options))
        for key, (command, arguments, body) in list(self._recorded.items()):
            if key != "configure":
                link.send(command, arguments, lambda response, body=body: self._adopt(link, body, response))
        link.send("ready", {})

    def drop(self, link):
        with self._lock:
            if self.links.get(link.slot) is link:
                del self.links[link.slot]
        link.channel.close()
        for owner, seq in list(self.relayed.items()):
            if seq[0] is link:
                del self.relayed[owner]
        if self.on_drop is not None:
            self.on_drop(link.interpreter_id)

    on_drop = None

    def channels(self):
        with self._lock:
            return list(self.links.values())

    def wait(self, adapter, timeout):
        """[(source, message)] of what came within `timeout`: source is `adapter` or a `Link`."""
        links = self.channels()
        pending = [(adapter, adapter)] + [(link, link.channel) for link in links]
        if not any(channel.has_line() for _source, channel in pending):
            sockets = [channel for _source, channel in pending if channel.fileno() >= 0]
            wake = [] if self._wake is None else [self._wake[0]]
            try:
                readable = select.select([*sockets, *wake], [], [], timeout)[0]
            except OSError, ValueError:
                readable = sockets
            if wake and wake[0] in readable:
                with contextlib.suppress(OSError):
                    wake[0].recv(4096)
            readable = set(readable)
        else:
            readable = set()
        found = []
        for source, channel in pending:
            if channel.has_line() or channel in readable:
                found.append((source, channel.receive(0)))
        return found

    def on_message(self, link, message):
        """A message from a sub-interpreter's agent (on the agent thread)."""
        if message is wire.QUIET:
            return
        if message is None:
            self.drop(link)
            return
        match message.get("type"):
            case "response":
                with link._lock:
                    answer = link.answers.pop(message.get("request_seq"), None)
                if answer is not None:
                    answer(message)
            case "event":
                self._event(link, message)

    def on_local_event(self, message):
        """An event the main agent sent: all-stop reaches the other interpreters."""
        if message.get("event") != "stopped" or not self.links:
            return
        if suspend.all_stop():
            for link in self.channels():
                link.send("pause", {"silent": True})

    def _event(self, link, message):
        body = message.get("body") or {}
        match message.get("event"):
            case "stopped":
                link.stopped.add(body.get("threadId"))
                ids = body.get("hitBreakpointIds")
                if ids:
                    body["hitBreakpointIds"] = [link.breakpoint_ids.get(n, n) for n in ids]
                if body.get("allThreadsStopped"):
                    suspend.request_pause(silent=True)
                    for other in self.channels():
                        if other is not link:
                            other.send("pause", {"silent": True})
            case "continued":
                if body.get("allThreadsContinued"):
                    link.stopped.clear()
                else:
                    link.stopped.discard(body.get("threadId"))
            case "breakpoint":
                found = body.get("breakpoint") or {}
                if not found.get("verified"):
                    return
                found["id"] = link.breakpoint_ids.get(found.get("id"), found.get("id"))
        self.send(message)

    # -- requests --------------------------------------------------------------------------------------

    def route(self, message):
        """The response to an adapter request, None when a sub-interpreter's agent answers it later, or
        `NOT_MINE` when the main agent answers it alone."""
        name = message.get("command")
        arguments = message.get("arguments") or {}
        if name in BROADCAST:
            return self._broadcast(message, name, arguments)
        if not self.links:
            return NOT_MINE
        match name:
            case "threads":
                return self._threads(message)
            case "stackTrace":
                return self._stack_trace(message, arguments)
            case "pause":
                return self._pause(message, arguments)
            case "continue" | "next" | "stepIn" | "stepOut":
                return self._run_control(message, name, arguments)
            case "exceptionInfo" | "goto":
                link = self._stopped_in(arguments.get("threadId"))
                return NOT_MINE if link is None else self._forward(link, message)
            case "cancel":
                found = self.relayed.get(arguments.get("requestId"))
                if found is not None:
                    found[0].send("cancel", {"requestId": found[1]})
                return NOT_MINE
            case "detach":
                for link in self.channels():
                    link.send("detach", {})
                return NOT_MINE
            case "breakpointLocations":
                return self._union_locations(message, arguments)
        refs = [arguments.get(field) for field in ("frameId", "variablesReference", "sourceReference")]
        refs.append((arguments.get("source") or {}).get("sourceReference"))
        for ref in refs:
            link = self.links.get(slot_of(ref))
            if link is not None:
                return self._forward(link, message)
        return NOT_MINE

    def _forward(self, link, message):
        """Hand the request to `link` as it is; its response goes to the adapter under the request's seq."""
        original = message.get("seq")

        def relay(response):
            self.relayed.pop(original, None)
            self.send({**response, "request_seq": original})

        seq = link.send(message.get("command"), message.get("arguments") or {}, relay)
        self.relayed[original] = (link, seq)
        return None

    def _broadcast(self, message, name, arguments):
        response = self.local(message)
        if response is None or not response.get("success"):
            return response
        body = response.get("body") or {}
        key = name if name != "setBreakpoints" else (name, (arguments.get("source") or {}).get("path"))
        with self._lock:
            self._recorded[key] = (name, arguments, body)
        for link in self.channels():
            answer = link.ask(name, arguments)
            if answer is not None:
                self._adopt(link, body, answer)
        return response

    def _adopt(self, link, body, response):
        """Learn a sub-interpreter's breakpoint ids from its answer to a request the main agent answered
        with `body` (same order), and take its verification where the main interpreter had no code."""
        mine = body.get("breakpoints") or []
        theirs = (response.get("body") or {}).get("breakpoints") or []
        for ours, other in zip(mine, theirs, strict=False):
            if "id" in ours and "id" in other:
                link.breakpoint_ids[other["id"]] = ours["id"]
            if other.get("verified") and not ours.get("verified"):
                ours.update({key: value for key, value in other.items() if key != "id"})
                ours.pop("message", None)

    def _threads(self, message):
        response = self.local(message)
        if not response.get("success"):
            return response
        entries = response["body"]["threads"]
        by_id = {entry["id"]: entry for entry in entries}
        known = inspection.thread_ids()
        for link in self.channels():
            answer = link.ask("threads", {"idents": True})
            if answer is None or not answer.get("success"):
                continue
            link.threads = {}
            for entry in answer["body"]["threads"]:
                ident = entry.pop("ident", None)
                if ident is None:  # an asyncio task of that interpreter
                    link.threads[entry["id"]] = None
                    entries.append(entry)
                    continue
                main = known.get(ident)
                dap_id, name = main if main is not None else (entry["id"], entry["name"])
                link.threads[dap_id] = ident
                named = f"{name} (interpreter {link.interpreter_id})"
                if dap_id in by_id:
                    by_id[dap_id]["name"] = named
                else:
                    by_id[dap_id] = {"id": dap_id, "name": named}
                    entries.append(by_id[dap_id])
        return response

    def _running_in(self, thread_id):
        """The link of the interpreter thread `thread_id` runs in (stopped there, or as last listed)."""
        if not thread_id:
            return None
        for refresh in (False, True):
            if refresh:
                self._threads({"type": "request", "command": "threads", "arguments": {}})
            for link in self.channels():
                if thread_id in link.stopped or thread_id in link.threads:
                    return link
        return None

    def _stopped_in(self, thread_id):
        for link in self.channels():
            if thread_id in link.stopped:
                return link
        return None

    def _stack_trace(self, message, arguments):
        thread_id = arguments.get("threadId")
        if suspend.by_thread_id(thread_id) is not None:
            return NOT_MINE
        link = self._running_in(thread_id)
        if link is None:
            return NOT_MINE
        if tasks.is_task_id(thread_id):
            return self._forward(link, message)
        whole = {"threadId": thread_id, "ident": link.threads.get(thread_id)}
        answer = link.ask("stackTrace", whole)
        if answer is None or not answer.get("success"):
            return {**(answer or _failure(message, "the agent in the sub-interpreter did not answer")),
                    "request_seq": message.get("seq")}  # fmt: skip
        frames = list(answer["body"]["stackFrames"])
        if thread_id in {dap_id for dap_id, _name in inspection.thread_ids().values()}:
            below = self.local({**message, "arguments": {"threadId": thread_id}})
            if below is not None and below.get("success"):
                frames += below["body"]["stackFrames"]
        body = inspection.page(frames, arguments, lambda frame: frame)
        return {"type": "response", "request_seq": message.get("seq"), "command": "stackTrace",
                "success": True, "body": body}  # fmt: skip

    def _pause(self, message, arguments):
        thread_id = arguments.get("threadId") or None
        if thread_id is None or suspend.all_stop():
            for link in self.channels():
                link.send("pause", {})
            return NOT_MINE
        link = self._running_in(thread_id)
        if link is None:
            return NOT_MINE
        return self._forward(
            link, {**message, "arguments": {**arguments, "ident": link.threads.get(thread_id)}}
        )

    def _run_control(self, message, name, arguments):
        thread_id = arguments.get("threadId") or None
        everyone = suspend.all_stop() and not arguments.get("singleThread")
        everyone = everyone or (name == "continue" and thread_id is None)
        link = self._stopped_in(thread_id) if thread_id else None
        if link is None:
            response = self.local(message)
            if everyone and response is not None and response.get("success"):
                for other in self.channels():
                    other.send("continue", {"quiet": True})
                    other.stopped.clear()
            return response
        link.stopped.discard(thread_id)  # before it goes on: its next stop may come in while we wait
        answer = link.ask(name, arguments) or _failure(message, "the sub-interpreter's agent did not answer")
        if not answer.get("success"):
            link.stopped.add(thread_id)
        elif everyone:
            suspend.resume()
            for other in self.channels():
                if other is not link:
                    other.send("continue", {"quiet": True})
                    other.stopped.clear()
        return {**answer, "request_seq": message.get("seq")}

    def _union_locations(self, message, arguments):
        response = self.local(message)
        if response is None or not response.get("success"):
            return response
        lines = {entry["line"] for entry in response["body"].get("breakpoints", [])}
        for link in self.channels():
            answer = link.ask("breakpointLocations", arguments)
            if answer is not None and answer.get("success"):
                lines.update(entry["line"] for entry in answer["body"].get("breakpoints", []))
        response["body"]["breakpoints"] = [{"line": line} for line in sorted(lines)]
        return response

    def abandon(self):
        """In a forked child: close this process's copies of the sockets without reading from them (what
        arrives there is the parent's) and without the lock (a thread that is not here may hold it)."""
        self._lock = threading.Lock()
        links, self.links = list(self.links.values()), {}
        for link in links:
            link.channel.abandon()
        wake, self._wake = self._wake, None
        for sock in wake or ():
            with contextlib.suppress(OSError):
                sock.close()

    def close(self):
        """Detach: wait a moment for every sub-interpreter's agent to close its end, then close ours."""
        for link in self.channels():
            for _round in range(20):
                message = link.channel.receive(0.05)
                if message is None:
                    break
                if message is not wire.QUIET:
                    self.on_message(link, message)
            link.channel.close()
        with self._lock:
            self.links.clear()
            wake, self._wake = self._wake, None
        for sock in wake or ():
            sock.close()


def _failure(message, text):
    return {"type": "response", "request_seq": message.get("seq"), "command": message.get("command"),
            "success": False, "message": text}  # fmt: skip
