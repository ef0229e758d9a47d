"""Looking at the stopped (or running) target: threads, stacks, scopes, variables, sources, evaluation.

The agent answers these in DAP's own shapes; the adapter forwards them and maps source paths back to the
editor's. Each handler is registered explicitly, so the table below is the list of what is served.
"""

from dapattach.handlers.target import forward_each
from dapattach.session import HandlerTable

handlers = HandlerTable(
    supports_evaluate_for_hovers=True,
    supports_set_variable=True,
    supports_set_expression=True,
    supports_clipboard_context=True,
    supports_delayed_stack_trace_loading=True,
    supports_exception_info_request=True,
    supports_value_formatting_options=False,
)

forward_each(
    handlers,
    (
        "threads",
        "stackTrace",
        "scopes",
        "variables",
        "source",
        "evaluate",
        "setVariable",
        "setExpression",
        "exceptionInfo",
    ),
)
