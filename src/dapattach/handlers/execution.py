"""Running and stopping: pause, continue, the three steps, goto.

All-stop by default, like debugpy: when one thread stops every thread running Python stops at its next
line, and `continue` resumes them all (`allThreadsContinued`); `singleThread` resumes only the thread
named. With the attach option `stopAll: false` (non-stop) only the thread that hits a breakpoint stops, and
`pause`, `continue` and the steps act on the thread named only. The agent decides and says which in its
answers and events, which are passed on as they are.
"""

from dapattach.handlers.target import forward_each
from dapattach.session import HandlerTable

handlers = HandlerTable(supports_goto_targets_request=True, supports_single_thread_execution_requests=True)

forward_each(handlers, ("continue", "pause", "next", "stepIn", "stepOut", "goto", "gotoTargets"))
