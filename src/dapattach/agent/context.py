"""What every feature may know of the attach: the user's options and the way to tell the adapter.

The agent thread fills this in when the adapter has said welcome (`connect`) and empties it on detach
(`disconnect`); features read it, so none of them needs the agent object or another feature.
"""

from . import codeindex

options = {"justMyCode": True, "showReturnValue": False, "stopAll": True, "asyncioTasks": True}
_link = {"send": None}


def connect(send):
    """`send(message) -> bool` writes one message to the adapter (safe from any thread)."""
    _link["send"] = send


def disconnect():
    _link["send"] = None


def send(message):
    """Send one message to the adapter; False when there is none (detached, or the socket broke)."""
    write = _link["send"]
    return write is not None and write(message)


def emit(event, body):
    send({"type": "event", "event": event, "body": body})


def output(category, text, **extra):
    emit("output", {"category": category, "output": text, **extra})


def option(name):
    return bool(options.get(name))


def is_user(code):
    """Whether `code` is the user's own (always, unless `justMyCode` hides libraries)."""
    return codeindex.is_user(code, options["justMyCode"])
