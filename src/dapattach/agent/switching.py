"""Answers that do not wait for the program's busy threads: a shorter GIL switch interval while serving.

A thread that wants the GIL while another thread runs Python code waits `sys.getswitchinterval()` (5 ms
unless the program set another) before it asks that thread to let go. The agent thread pays that wait
each time it gets the GIL back after a call that released it: waking from `select`, then `recv`, `send`,
a `stat` of a source file, handing a job to another thread. Against a program keeping its CPU busy, one
`stackTrace` took 7 to 25 ms that way, nearly all of it waiting, and an editor sends several requests for
each thing the user does.

So when a request arrives, the interval is lowered to `BOOSTED` until `LINGER` seconds after the last
one (the editor's next requests usually follow within that), then the program's own value is put back.
Only a program whose own threads contend for the GIL meanwhile notices anything: they take turns more
often for that while. A program that changes the interval itself meanwhile keeps its value.

Only the main agent thread calls `boost` and `settle`; a forked child, which has no agent thread, calls
`restore` (`core.Agent._after_fork_in_child`), and so does the detach.
"""

import sys
import time

BOOSTED = 0.0005
"""Seconds. At 0.5 ms, `threads` and `stackTrace` against a busy loop took 1 to 2.5 ms instead of 7 to 25."""
LINGER = 0.5
"""Seconds after the last request during which the interval stays lowered."""


class Switching:
    def __init__(self, enabled=True):
        self._enabled = enabled
        self._program = None
        """The program's interval while ours is set, else None."""
        self._ours = None
        """Our interval as the interpreter reports it back (it keeps whole microseconds); None until set."""
        self._until = 0.0

    def boost(self):
        """A request arrived: answer it, and the ones that follow shortly, without the long waits."""
        if not self._enabled:
            return
        self._until = time.monotonic() + LINGER
        if self._program is not None:
            return
        current = sys.getswitchinterval()
        if current <= BOOSTED:
            return  # the program's own interval is already as short
        self._program = current  # first: a child forked from here on gets it back (`restore`)
        sys.setswitchinterval(BOOSTED)
        self._ours = sys.getswitchinterval()

    def settle(self):
        """Put the program's interval back once the linger is over; returns the seconds until then, or
        None when nothing is lowered (the serving loop waits no longer than that for its next request)."""
        if self._program is None:
            return None
        left = self._until - time.monotonic()
        if left > 0:
            return left
        self.restore()
        return None

    def restore(self, forked=False):
        """Put the program's interval back now, unless the program has set one of its own meanwhile.

        In a forked child (`forked`) it is put back whatever the interval is: the fork may have come
        between two steps of `boost`. The steps here and there are ordered so that a child forked between
        any two of them gets the program's value."""
        program = self._program
        if program is None:
            return
        if forked or sys.getswitchinterval() == self._ours:
            sys.setswitchinterval(program)
        self._program = None
