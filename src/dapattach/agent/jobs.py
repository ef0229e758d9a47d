"""Requests that run the target's code, answered by the thread they are about, never by the agent thread.

An `evaluate`, `setVariable`, `setExpression`, `exceptionInfo` or `variables` runs the target's code
(the expression, reprs, properties). Such a request becomes a `Job`:

- It runs on the stopped thread that owns the frame it is about (`suspend.submit`), in that thread's own
  context: `threading.local` values and `ContextVar`s are those of the code the user is looking at. A
  request about no frame, or about a running thread's frame, runs on a fresh worker thread instead.
- The agent thread hands it over and goes on serving: `threads`, `stackTrace`, `pause`, `continue`,
  `cancel` and `disconnect` are answered while the job runs. The job answers by itself when done.
- The target's code runs inside `guard` (or `row`), each a `Section` of `interrupt.py` with a time limit
  that the agent thread enforces (`Jobs.tick`): past it, `EvaluationInterrupted` is raised into the code.
  `cancel`, resuming the thread and detaching interrupt it the same way.
- A `variables` answer has one budget for the whole listing and a limit per row: a repr that hangs or
  raises costs its own row (`<repr timed out after 1 s>`), never its neighbours. When the thread does not
  take the interruption (it is blocked in C: a lock held by another stopped thread, a sleep), the job is
  *stuck*: a listing goes on with its remaining rows on a worker thread, anything else is answered with
  what happened. The stuck thread takes the interruption the moment its blocking call returns.

Worker threads are agent threads for `sys.monitoring` (they never stop at a breakpoint or in an
all-stop); they are started with `_thread`, because `threading`'s bootstrap is Python code that would stop
in an all-stop before it could say it is the agent's.
"""

import _thread
import collections
import threading
import time

from . import context, interrupt, suspend, values
from .commands import RequestError

TIMEOUT = 3.0
"""Seconds allowed for hovers, watches, assignments and exception details."""
REPL_TIMEOUT = 30.0
"""Seconds allowed for what the user typed in the debug console (it may legitimately compute a while)."""
LISTING_BUDGET = 3.0
"""Seconds for all the target's code one `variables` answer runs."""
ROW_LIMIT = 1.0
"""Seconds for one row of a listing (its repr, its length, ...)."""
STUCK_AFTER = 0.25
"""An interruption not taken within this means the thread is blocked in C."""
TICK = 0.1
"""How often the agent thread looks at running jobs' time limits."""


class Job:
    """One request whose answer needs the target's code; answered exactly once, by whoever gets there."""

    def __init__(self, agent, message, command):
        self.agent = agent
        self.seq = message.get("seq")
        self.name = command.name
        self.handler = command.handler
        self.arguments = message.get("arguments") or {}
        self.limit = REPL_TIMEOUT if self.arguments.get("context") == "repl" else TIMEOUT
        self.section = None
        self.section_limit = None
        self.row_section = False
        self.listing = None
        self.owner = None
        self.dropped = False
        self.budget_end = None
        self._stuck_section = None
        self._answer = [True]
        self.context = None
        """The `contextvars.Context` to run in (a suspended asyncio task's), or None: the thread's own."""

    # -- on the thread that runs it -----------------------------------------------------------------

    def run(self):
        """Run the handler here and answer; never raises."""
        if self.dropped:
            return
        me = threading.get_ident()
        self.owner = me
        self.budget_end = time.monotonic() + LISTING_BUDGET
        try:
            if self.context is None:
                body = self.handler(self.agent, self.arguments, self)
            else:
                body = self.context.run(self.handler, self.agent, self.arguments, self)
        except RequestError as error:
            self.fail(str(error))
        except Exception as error:
            self.fail(f"{self.name} failed: {values.describe_error(error)}")
        except BaseException as error:
            self.fail(f"{self.name} raised {type(error).__name__}, which the agent does not pass on")
        else:
            if self.owner == me:
                self.succeed(body or {})
        finally:
            jobs.unblock(me)

    def guard(self, work, limit=None):
        """`work()`, interrupted past `limit` seconds (the request's limit by default) or when the request
        is cancelled, its thread resumed or the debugger detached; an interruption raises `RequestError`."""
        limit = self.limit if limit is None else limit
        if self.dropped:
            raise RequestError(f"{self._what()} was cancelled")
        value, reason = self._in_section(work, limit, row=False)
        if reason is not None:
            raise RequestError(f"{self._what()} was interrupted: {reason}")
        return value

    def row(self, name, work):
        """One row of a listing: `work()`'s row, or a row saying why it could not be shown."""
        left = self.budget_end - time.monotonic()
        if left <= 0:
            return _note(name, f"<not shown: this listing's {LISTING_BUDGET:g} s were used up>")
        try:
            row, reason = self._in_section(work, min(ROW_LIMIT, left), row=True)
        except Exception as error:
            return _note(name, f"<{values.describe_error(error)}>")
        if reason is not None:
            return _note(name, f"<repr {reason}>")
        return row

    def render(self, cells):
        """The rows of `cells` [(name, work)], each a `row` (a `work` that is a row already is taken as it
        is); a stuck row lets a worker go on with the rest."""
        self.listing = Listing(cells)
        self._drain()
        return self.listing.rows

    def _in_section(self, work, limit, row):
        section = interrupt.Section(time.monotonic() + limit)
        self.section, self.section_limit, self.row_section = section, limit, row
        try:
            return interrupt.run(section, work)
        finally:
            if self.section is section:
                self.section = None
            if section.reason is not None:
                for hook in list(interrupted_hooks):
                    hook()

    def _drain(self):
        me = threading.get_ident()
        listing = self.listing
        while self.owner == me and not self.dropped:
            index = listing.take()
            if index is None:
                return
            listing.current = index
            name, work = listing.cells[index]
            row = work if type(work) is dict else self.row(name, work)
            if listing.rows[index] is None:
                listing.rows[index] = row

    # -- answering ----------------------------------------------------------------------------------

    def succeed(self, body):
        self._send({"success": True, "body": body})

    def fail(self, message):
        self._send({"success": False, "message": message})

    def _send(self, fields):
        try:
            self._answer.pop()
        except IndexError:
            return
        jobs.finished(self)
        context.send({"type": "response", "request_seq": self.seq, "command": self.name, **fields})

    def _what(self):
        return "the expression" if self.name == "evaluate" else f"the {self.name!r} request"

    # -- from the agent thread ----------------------------------------------------------------------

    def abandon(self, why):
        """Not started (or between two pieces of the target's code): answer that it was not run."""
        self.dropped = True
        self.fail(f"{self._what()} was not run: {why}")

    def interrupt(self, why):
        section = self.section
        if section is not None and not section.ended:
            section.interrupt(why)

    def tick(self, now):
        section = self.section
        if section is None or section.ended or section is self._stuck_section:
            return
        if section.interrupted_at is None:
            if now >= section.deadline:
                seconds = f"{self.section_limit:g} s"
                why = f"timed out after {seconds}" if self.row_section else f"it did not finish in {seconds}"
                section.interrupt(why)
        elif section.delivered_at is None:
            if now - section.interrupted_at >= STUCK_AFTER:
                self._stuck(section)
        elif now - section.delivered_at >= STUCK_AFTER:
            section.interrupt(section.reason)  # the code caught the interruption and went on: again

    def _stuck(self, section):
        """The thread did not take the interruption: it is blocked in C until something else happens."""
        self._stuck_section = section
        jobs.mark_blocked(section.ident)
        section.narrow()
        if self.listing is not None and self.row_section:
            listing = self.listing
            name = listing.cells[listing.current][0]
            listing.rows[listing.current] = _note(name, f"<repr {section.reason}>")
            self.owner = None
            jobs.on_worker(self._continue_listing)
            return
        reason = section.reason or "it did not finish"
        self.fail(
            f"{self._what()} was interrupted ({reason}) but has not stopped yet: it is blocked in a call "
            "outside Python (a sleep, a lock, a socket) and stops the moment that call returns"
        )

    def _continue_listing(self):
        self.owner = threading.get_ident()
        self._drain()
        self.succeed({"variables": self.listing.rows})


class Listing:
    """The rows of one listing, filled in order by whichever thread serves the job."""

    __slots__ = ("_todo", "cells", "current", "rows")

    def __init__(self, cells):
        self.cells = cells
        self.rows = [None] * len(cells)
        self.current = 0
        self._todo = collections.deque(range(len(cells)))

    def take(self):
        try:
            return self._todo.popleft()
        except IndexError:
            return None


def _note(name, text):
    return {"name": name, "value": text, "variablesReference": 0}


interrupted_hooks = []
"""Functions run on a job's thread after the target's code it ran was interrupted (evaluation puts back
the streams it captured)."""


class Jobs:
    """The jobs in flight, as the agent thread sees them: time limits, cancel, stopping them all."""

    def __init__(self):
        self._running = {}
        self._blocked = set()
        self._lock = threading.Lock()

    def start(self, job, entry):
        """Run `job` on the stopped thread `entry`, or on a worker when there is none or it is blocked."""
        with self._lock:
            self._running[job.seq] = job
        if entry is not None and entry.ident in self._blocked:
            context.output(
                "console",
                f"dapattach: thread {entry.thread_id} is still blocked in an earlier request's code, so "
                f"{job._what()} runs on a helper thread: thread-locals and context variables are not that "
                "thread's\n",
            )
            entry = None
        if entry is None or not suspend.submit(entry, job):
            self.on_worker(job.run)

    def on_worker(self, work):
        def run():
            ident = threading.get_ident()
            suspend.add_agent_thread(ident)
            try:
                work()
            except BaseException:
                pass
            finally:
                self.unblock(ident)
                suspend.remove_agent_thread(ident)

        _thread.start_new_thread(run, ())

    def finished(self, job):
        with self._lock:
            self._running.pop(job.seq, None)

    def mark_blocked(self, ident):
        self._blocked.add(ident)

    def unblock(self, ident):
        self._blocked.discard(ident)

    def threads(self):
        """The threads running a job's code now (stopped threads and workers)."""
        return {section.ident for section in self._sections()}

    def blocked(self):
        """Threads blocked in C in a request's code: known stuck, or not taking an interruption yet."""
        late = {section.ident for section in self._sections() if section.undelivered >= STUCK_AFTER}
        return self._blocked | late

    def _sections(self):
        with self._lock:
            running = list(self._running.values())
        sections = [job.section for job in running]
        return [section for section in sections if section is not None]

    def forget_after_fork(self):
        """In a forked child the jobs' threads do not exist: start from nothing, with a new lock."""
        self._lock = threading.Lock()
        self._running.clear()
        self._blocked.clear()

    def busy(self):
        with self._lock:
            return bool(self._running)

    def tick(self):
        now = time.monotonic()
        with self._lock:
            running = list(self._running.values())
        for job in running:
            job.tick(now)
        interrupt.tidy()

    def cancel(self, seq):
        with self._lock:
            job = self._running.get(seq)
        if job is not None:
            if job.section is None:
                job.abandon("the request was cancelled")
            else:
                job.interrupt("the request was cancelled")

    def stop_all(self, why):
        with self._lock:
            running = list(self._running.values())
        for job in running:
            job.interrupt(why)


jobs = Jobs()
