"""`stoppedTimeout`: a target left stopped while nobody is at the editor is let go.

An editor can stay connected long after its user left: a remote editor's server outlives the laptop that
closed, a terminal client sits open over a weekend. The connection is healthy, so no transport timeout
notices, and a service stopped at a breakpoint would stay stopped for as long as the editor stays up.
With `stoppedTimeout` in the attach configuration, or `--stopped-timeout` given to the adapter (which
caps every session's), once the target has been stopped that long with no request from the editor the
session lets it go: the agent resumes every thread and removes itself, the console says why, and the
editor is told the session ended. `WARN_LEAD` seconds before (a quarter of the time, for a shorter one)
the console says it is coming and what keeps the target stopped, for a user who is there but reading.

`StoppedWatch` decides when: it sees every event the session sends and every request it receives.
Stopped means a `stopped` event went out and no resuming request (`continue`, a step, `goto`) and no
`continued` event came after it. Any request starts the count again: an editor whose user is there sends
them (a hover, a click in the call stack, a step); one whose user is gone sends none. Where the watch
cannot tell which threads are still stopped (non-stop mode, a thread resumed after all were stopped) it
takes the target for running: the cost of a wrong guess is a stop that lasts, as without this, never a
session ended under a user's hands.
"""

import asyncio
from collections.abc import Callable

RESUMING = frozenset({"continue", "next", "stepIn", "stepOut", "stepBack", "reverseContinue", "goto"})
"""Requests after which the thread they name (every thread, in all-stop mode) runs again."""
CEILING = "unattended.ceiling"
"""`session.state` key: the adapter's `--stopped-timeout`, which no session's may exceed."""
EVERY = -1
"""Stands for "every thread" among the stopped ones."""
WARN_LEAD = 30.0
"""Seconds before letting go that `warn` is called (at most a quarter of `stoppedTimeout`)."""


def effective(option: float | None, ceiling: float | None) -> float | None:
    """The seconds a session's target may stay stopped unattended: the lower of what is set, or None."""
    given = [seconds for seconds in (option, ceiling) if seconds is not None]
    return min(given) if given else None


class StoppedWatch:
    """Calls `expired()` once the target has been stopped `seconds` with no request in between or
    under way, and `warn(lead)` `lead` seconds before."""

    def __init__(
        self,
        seconds: float,
        all_stop: bool,
        expired: Callable[[], None],
        busy: Callable[[], bool],
        warn: Callable[[float], None] = lambda lead: None,
    ) -> None:
        """`busy()`: whether a request is still being answered (the user waits for it: a long
        evaluation), in which case the count starts again instead of ending."""
        self.seconds = seconds
        self.lead = min(WARN_LEAD, seconds / 4)
        self.all_stop = all_stop
        self._expired = expired
        self._busy = busy
        self._warn = warn
        self._stopped: set[int] = set()
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    @property
    def stopped(self) -> bool:
        return bool(self._stopped)

    def event_sent(self, event: str, body: object) -> None:
        fields = body if isinstance(body, dict) else {}
        match event:
            case "stopped":
                thread = fields.get("threadId")
                every = self.all_stop or fields.get("allThreadsStopped")
                self._stopped.add(thread if isinstance(thread, int) and not every else EVERY)
            case "continued":
                self._resumed(fields.get("threadId"), bool(fields.get("allThreadsContinued")))
            case "terminated" | "exited":
                self._stopped.clear()
            case _:
                return
        self._restart()

    def request_received(self, command: str, arguments: object) -> None:
        if command in RESUMING:
            fields = arguments if isinstance(arguments, dict) else {}
            self._resumed(fields.get("threadId"), False)
        self._restart()

    def close(self) -> None:
        self.closed = True
        self._stopped.clear()
        self._cancel()

    def _resumed(self, thread: object, every: bool) -> None:
        if self.all_stop or every or EVERY in self._stopped or not isinstance(thread, int):
            self._stopped.clear()
        else:
            self._stopped.discard(thread)

    def _restart(self) -> None:
        self._cancel()
        if self._stopped and not self.closed:
            self._timer = asyncio.get_running_loop().call_later(self.seconds - self.lead, self._due, False)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _due(self, final: bool) -> None:
        """The time to warn, or (`final`) to let go; a request still being answered starts the count
        again instead."""
        self._timer = None
        if self._busy():
            self._restart()
        elif not self._stopped or self.closed:
            return
        elif final:
            self.closed = True
            self._expired()
        else:
            self._warn(self.lead)
            self._timer = asyncio.get_running_loop().call_later(self.lead, self._due, True)
