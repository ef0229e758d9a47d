"""The agent's command table: what each request is answered by, and where it runs.

Features register their commands here (`@command("name")`); the agent thread looks them up. A command
that may run the target's own code (a `__repr__`, a property, an expression the user typed) is registered
with `job=True`: it is answered by a job (`jobs.py`) on the stopped thread it is about, while
the agent thread goes on serving. Its handler takes the job as a third argument and runs the target's code
through `job.guard`, so that a time limit, `cancel`, `continue` or a detach can interrupt it.
"""

COMMANDS = {}


class RequestError(Exception):
    """A request the agent cannot answer; the message goes to the user as is."""


class Command:
    __slots__ = ("handler", "job", "name")

    def __init__(self, name, handler, job):
        self.name = name
        self.handler = handler
        self.job = job


def command(name, *, job=False):
    def register(handler):
        COMMANDS[name] = Command(name, handler, job)
        return handler

    return register
