"""A target that writes a lot of output and then ends, when its standard input says so.

`pours_then_ends.py` prints `READY` and waits in a Python loop (so an agent gets in at once) for a line on
its stdin; then it prints 3 MB in lines of 10 KB, as fast as it can, then `POURED`, and ends with exit
status 0: more than a console whose adapter reads nothing can take.
"""

import sys
import threading
import time

go = threading.Event()


def wait_for_the_word():
    sys.stdin.readline()
    go.set()


def main():
    threading.Thread(target=wait_for_the_word, daemon=True).start()
    print("READY", flush=True)
    while not go.is_set():
        time.sleep(0.01)
    line = "p" * 9999
    for _ in range(300):
        print(line)
    print("POURED", flush=True)


main()
