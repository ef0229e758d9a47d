"""A target whose only thread sleeps in C until SIGUSR1: then its handler runs Python code (and with it
any attach request pending), prints WOKEN, and it sleeps again. Lets a test decide when the bootstrap runs."""

import signal
import time


def woken(number, frame):
    print("WOKEN", flush=True)


signal.signal(signal.SIGUSR1, woken)
print("READY", flush=True)
while True:
    time.sleep(3600)
