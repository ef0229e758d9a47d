"""What every feature may know of the attach: the user's options and the way to tell the adapter.

The agent thread fills this in when the adapter has said welcome (`connect`) and empties it on detach
(`disconnect`); features read it, so none of them needs the agent object or another feature.
"""

import time

from . import codeindex

EXIT_SEND_WAIT = 0.5
"""Seconds the messages sent on the program's way out (`atexit`), all together, wait at most for an adapter
that reads nothing (stopped, or on a host that hangs): the program's exit is not the agent's to hold up."""
_exit = {"deadline": None}
options = {"justMyCode": True, "showReturnValue": False, "stopAll": True, "asyncioTasks": True}
_link = {"send": None}


def connect(send):
    """`send(message, deadline=None) -> bool` writes one message to the adapter (safe from any thread);
    with a deadline (a `time.monotonic()` time) it gives up when that has passed."""
    _link["send"] = send


def disconnect():
    _link["send"] = None


def send(message, deadline=None):
    """Send one message to the adapter; False when there is none (detached, or the socket broke), or
    when it could not be sent by `deadline` (given only on the program's way out, `exit_deadline`)."""
    write = _link["send"]
    return write is not None and write(message, deadline)


def exit_deadline():
    """When the sends of the program's way out give up: `EXIT_SEND_WAIT` after the first call."""
    if _exit["deadline"] is None:
        _exit["deadline"] = time.monotonic() + EXIT_SEND_WAIT
    return _exit["deadline"]


def emit(event, body, deadline=None):
    return send({"type": "event", "event": event, "body": body}, deadline)


def output(category, text, **extra):
    emit("output", {"category": category, "output": text, **extra})


def option(name):
    return bool(options.get(name))


def is_user(code):
    """Whether `code` is the user's own (always, unless `justMyCode` hides libraries)."""
    return codeindex.is_user(code, options["justMyCode"])
