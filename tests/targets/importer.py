"""A target that imports modules when a test asks, for `modules` and `loadedSources`.

At start it imports `versioned` (a package with `__version__`) and `versioned.lazy` (a module with a
`__getattr__` that prints when called). `load(name)` and `drop(name)` are called through `evaluate`.
"""

import importlib
import sys
import threading
import time

import versioned
import versioned.lazy  # noqa: F401

stop = threading.Event()


def load(name):
    importlib.import_module(name)
    return name in sys.modules


def drop(name):
    return sys.modules.pop(name, None) is not None


def main():
    print("READY", flush=True)
    while not stop.is_set():
        time.sleep(0.01)


main()
