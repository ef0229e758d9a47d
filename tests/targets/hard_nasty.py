"""A target full of values that fight back, for the hardening tests.

Thread `nasty-holder` sits in `hold()` with locals whose repr raises, hangs (until SIGUSR1, which prints
`RELEASED`), is 10 MB long or recursive, an object with a property that prints when it runs, and non-ASCII
names and strings.
Thread `deep` sits 10,000 frames deep in `recurse()`. `--threads N` starts N more threads that count in a
loop. `ticker` prints `tick N` every 50 ms, so a test sees the target's work go on.
"""

import os
import signal
import sys
import threading
import time


def say(line):
    """One write per line: two threads' `print` calls can interleave a line with another's."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


stop = threading.Event()
release_hang = threading.Event()
DEPTH = 10_000


class RaisingRepr:
    def __repr__(self):
        raise RuntimeError("this repr always fails")


class HangingRepr:
    def __repr__(self):
        release_hang.wait(120)
        return "HangingRepr(released)"


class HugeRepr:
    def __repr__(self):
        return "H" * 10_000_000


class SideEffects:
    def __init__(self):
        self.calls = 0

    @property
    def counted(self):
        self.calls += 1
        say(f"SIDE EFFECT {self.calls}")
        return self.calls


def hold():
    raising = RaisingRepr()
    hanging = HangingRepr()
    huge = HugeRepr()
    looped = [1, 2]
    looped.append(looped)
    mapping = {"self": None}
    mapping["self"] = mapping
    effects = SideEffects()
    café = "naïve — 日本語 ✓"
    名前 = "データ"
    while not stop.is_set():
        stop.wait(0.01)
    return raising, hanging, huge, looped, mapping, effects, café, 名前


def recurse(depth):
    if depth > 1:
        return recurse(depth - 1)
    while not stop.is_set():
        stop.wait(0.01)
    return depth


def count(counts, index):
    while not stop.is_set():
        counts[index] += 1
        time.sleep(0.01)


def tick():
    number = 0
    while not stop.is_set():
        number += 1
        say(f"tick {number}")
        stop.wait(0.05)


def release(*_):
    """SIGUSR1: the hanging repr returns from now on. Said on stdout, as the handler runs only when the main
    thread next runs Python, which a debugger's pause right after the signal would hold off."""
    release_hang.set()
    os.write(1, b"RELEASED\n")


def main():
    sys.setrecursionlimit(DEPTH + 1000)
    signal.signal(signal.SIGUSR1, release)
    extra = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 0
    counts = [0] * extra
    threads = [
        threading.Thread(target=hold, name="nasty-holder", daemon=True),
        threading.Thread(target=recurse, args=(DEPTH,), name="deep", daemon=True),
        threading.Thread(target=tick, name="ticker", daemon=True),
        *(
            threading.Thread(target=count, args=(counts, i), name=f"counter-{i}", daemon=True)
            for i in range(extra)
        ),
    ]
    for thread in threads:
        thread.start()
    say("READY")
    while not stop.is_set():
        time.sleep(0.01)


if __name__ == "__main__":
    main()
