"""A service whose SIGUSR1 handler (a reload) runs until the line `done` arrives on stdin.

The handler runs on the main thread inside whatever that thread was doing, and says where:
`RELOADING <function names of the interrupted stack, innermost first>`. Lets a test keep a thread busy
in the program's own code at a moment it chooses, such as while an attach holds that thread.
"""

import signal
import sys
import threading
import time

done = threading.Event()


def reload(number, frame):
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    print("RELOADING", *names, flush=True)
    done.wait()
    print("RELOADED", flush=True)


def read_commands():
    for line in sys.stdin:
        if line.strip() == "done":
            done.set()


signal.signal(signal.SIGUSR1, reload)
threading.Thread(target=read_commands, name="commands", daemon=True).start()
print("READY", flush=True)
while True:
    time.sleep(0.01)
