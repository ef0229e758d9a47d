"""Two sub-interpreters whose threads push and pop frames without pause, so an outside read of their stacks
races frames being linked and unlinked. Prints `READY` once both run; the main thread sleeps."""

import threading
import time
from concurrent import interpreters


def churn():
    import time

    def descend(depth):
        return descend(depth - 1) if depth else time.sleep(0.0001)

    while True:
        descend(20)


def main():
    for _ in range(2):
        threading.Thread(target=interpreters.create().call, args=(churn,), daemon=True).start()
    time.sleep(0.1)
    print("READY", flush=True)
    while True:
        time.sleep(0.01)


if __name__ == "__main__":
    main()
