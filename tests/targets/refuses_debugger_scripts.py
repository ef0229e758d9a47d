"""A target whose audit hook refuses every remote debugger script (`cpython.remote_debugger_script`): it
takes the attach request but never opens the bootstrap. Busy by default; with `blocked`, its only thread
sleeps in C until SIGUSR1, so a test decides when it takes the request."""

import signal
import sys
import time


def refuse(event, args):
    if event == "cpython.remote_debugger_script":
        raise PermissionError("remote debugger scripts are not allowed here")


def woken(number, frame):
    print("WOKEN", flush=True)


sys.addaudithook(refuse)
signal.signal(signal.SIGUSR1, woken)
print("READY", flush=True)
while "blocked" in sys.argv:
    time.sleep(3600)
while True:
    sum(range(1000))
    time.sleep(0.001)
