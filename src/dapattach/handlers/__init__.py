"""Request handlers grouped by DAP area; `build_table()` assembles them for a session.

Each area module exposes `handlers`, a `HandlerTable` with the capabilities it implements; add new areas
to `AREAS`. Two areas registering one command is an error at start-up.
"""

from dapattach.handlers import attach, breakpoints, execution, inspection, lifecycle, snapshot
from dapattach.session import HandlerTable

AREAS: tuple[HandlerTable, ...] = (
    lifecycle.handlers,
    attach.handlers,
    inspection.handlers,
    execution.handlers,
    breakpoints.handlers,
    snapshot.handlers,
)


def build_table() -> HandlerTable:
    return HandlerTable.merge(*AREAS)
