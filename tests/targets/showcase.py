"""A target with named threads, nested calls and values of every kind, for agent tests.

Threads: `nested-worker` (outer -> middle -> inner, holding the values), `marker-printer` (prints its
local `marker` every 50 ms, so a test can see setVariable land), `ticker` (prints `tick N`, so a test can
see the target's work goes on) and `exec-runner` (runs a function from exec'd code that has no file).
"""

import sys
import threading
import time


def say(line):
    """One write per line: two threads' `print` calls can interleave a line with another's."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


stop = threading.Event()


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    @property
    def norm(self):
        say("norm property ran")
        return (self.x**2 + self.y**2) ** 0.5


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = "slot a"


class BadRepr:
    def __repr__(self):
        raise ValueError("no repr for you")


class Node:
    def __init__(self, value, *children):
        self.value = value
        self.children = list(children)


EXEC_NAMESPACE = {"stop": stop}
exec("def spin_without_file(stop):\n    while not stop.is_set():\n        stop.wait(0.01)\n", EXEC_NAMESPACE)


def inner(values):
    small_list = [1, "two", 3.0]
    big_list = list(range(1000))
    small_tuple = (1, 2)
    small_dict = {"a": 1, "b": [1, 2], 3: "three"}
    big_dict = {
        (index if index % 2 else f"k{index}"): ([index] if index % 3 == 0 else index) for index in range(3000)
    }
    big_dict[(1, 2)] = "tuple key"
    big_dict["y" * 300] = 2.5
    small_set = {"x", "y"}
    empty_list = []
    point = Point(3, 4)
    slotted = Slotted()
    bad = BadRepr()
    tree = Node(1, Node(2, Node(3)), Node(4))
    text = "naïve café — 日本語 ✓"
    long_text = "x" * 5000
    while not stop.is_set():
        time.sleep(0.005)
    return (small_list, big_list, small_tuple, small_dict, big_dict, small_set, empty_list, point, slotted,
            bad, tree, text, long_text)  # fmt: skip


def middle(values):
    depth = 2
    return inner([*values, depth])


def outer():
    depth = 1
    return middle([depth])


def print_marker():
    marker = "original"
    while not stop.is_set():
        say(f"marker={marker}")
        stop.wait(0.05)


def tick():
    count = 0
    while not stop.is_set():
        count += 1
        say(f"tick {count}")
        stop.wait(0.05)


def main():
    threads = [
        threading.Thread(target=outer, name="nested-worker", daemon=True),
        threading.Thread(target=print_marker, name="marker-printer", daemon=True),
        threading.Thread(target=tick, name="ticker", daemon=True),
        threading.Thread(
            target=EXEC_NAMESPACE["spin_without_file"], args=(stop,), name="exec-runner", daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    say("READY")
    while not stop.is_set():
        time.sleep(0.01)
    sys.exit(0)


if __name__ == "__main__":
    main()
