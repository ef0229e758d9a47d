"""Breakpoints of every kind: line (conditions, hit counts, logpoints), function and exception.

Source paths go to the agent translated to the target's paths (`pathMappings`), and the breakpoints it
answers come back with the editor's paths.
"""

from typing import Any

from dapattach.handlers.target import forward_each, plain, require
from dapattach.protocol import types
from dapattach.session import HandlerTable, RequestContext

EXCEPTION_FILTERS = (
    types.ExceptionBreakpointsFilter(
        filter="raised",
        label="Raised Exceptions",
        description="Stop whenever an exception is raised, even if it is caught later.",
        default=False,
        supports_condition=True,
        condition_description="A Python expression; `__exception__` is the exception, e.g. "
        "isinstance(__exception__, KeyError)",
    ),
    types.ExceptionBreakpointsFilter(
        filter="uncaught",
        label="Uncaught Exceptions",
        description="Stop when an exception is about to end a thread or the program.",
        default=True,
        supports_condition=True,
        condition_description="A Python expression; `__exception__` is the exception",
    ),
    types.ExceptionBreakpointsFilter(
        filter="userUnhandled",
        label="User Uncaught Exceptions",
        description="Stop when an exception leaves your code into library code (with justMyCode).",
        default=False,
        supports_condition=True,
        condition_description="A Python expression; `__exception__` is the exception",
    ),
)

handlers = HandlerTable(
    supports_conditional_breakpoints=True,
    supports_hit_conditional_breakpoints=True,
    supports_log_points=True,
    supports_function_breakpoints=True,
    supports_breakpoint_locations_request=True,
    supports_exception_filter_options=True,
    supports_exception_options=True,
    exception_breakpoint_filters=list(EXCEPTION_FILTERS),
)


async def _with_target_paths(context: RequestContext, arguments: object) -> dict[str, Any]:
    debuggee = require(context)
    request = plain(context, arguments)
    source = request.get("source")
    if isinstance(source, dict):
        debuggee.sources.to_target(source)
    body = await debuggee.request(context.request.command, request)
    debuggee.map_sources(body)
    return body


forward_each(
    handlers,
    (
        "setBreakpoints",
        "setFunctionBreakpoints",
        "setExceptionBreakpoints",
        "breakpointLocations",
    ),
    _with_target_paths,
)
