"""Inject a script with `dapattach.attach.pep768` from whatever interpreter runs this file.

Usage: pep768_driver.py PID SCRIPT THREAD   (THREAD: main, auto or a native thread id)
Prints one JSON line: the result, or {"error": class name, "message": ...}.
"""

import json
import sys

from dapattach.attach import pep768

pid, script, thread_arg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
thread: int | str = int(thread_arg) if thread_arg.isdigit() else thread_arg
try:
    result = pep768.inject(pid, script, thread=thread)  # type: ignore[arg-type]
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
else:
    print(
        json.dumps(
            {
                "python": str(result.python),
                "thread": result.thread.native_id,
                "running_python": result.thread.running_python,
                "elapsed": result.elapsed,
                "adapter": "{}.{}".format(*sys.version_info[:2]),
            }
        )
    )
