"""A program that forks while another of its threads is inside an import, as `multiprocessing`'s forkserver
forks its workers while its agent loads.

Argument 1 names a module the program has not imported. The first import of it by a thread other than the
main one is held by a finder on `sys.meta_path`: that thread waits in the middle of it (the module's import
lock taken, the module in `sys.modules` not yet executed) until the main thread has forked. Until then the
main thread waits inside an import of its own, running Python every 10 ms, so an attach bootstrap it runs
loads the agent on a thread of its own, as in a forkserver still preloading `__main__`. The child prints
`CHILD pid`, imports the module itself, prints `IMPORTED pid` and runs Python every 10 ms until its parent
ends (one stuck in the import is left to the test to end); the parent prints `PARENT pid` and lets the
held import go on.
"""

import _thread
import importlib.machinery
import os
import sys
import threading
import time
import warnings

MODULE = sys.argv[1]
MAIN = _thread.get_ident()
caught = threading.Event()
forked = threading.Event()


class HeldLoader:
    """The module's own loader, which starts executing it only once the main thread has forked."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        caught.set()
        forked.wait()
        self.loader.exec_module(module)


class WaitingRoom:
    """The loader of `waiting_room`, a module whose import lasts until another thread's import is held."""

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        while not caught.wait(0.01):
            pass


class HoldFirstImport:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "waiting_room":
            return importlib.machinery.ModuleSpec(name, WaitingRoom)
        if name != MODULE or _thread.get_ident() == MAIN or caught.is_set():
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        spec.loader = HeldLoader(spec.loader)
        return spec


warnings.simplefilter("ignore", DeprecationWarning)  # "fork() may lead to deadlocks": what this shows
sys.meta_path.insert(0, HoldFirstImport)
print("READY", flush=True)
import waiting_room  # noqa: E402, F401

parent = os.getpid()
if os.fork() == 0:
    os.write(1, f"CHILD {os.getpid()}\n".encode())  # one write: parent and child share the pipe
    __import__(MODULE)
    os.write(1, f"IMPORTED {os.getpid()}\n".encode())
    while os.getppid() == parent:
        time.sleep(0.01)
    os._exit(0)
forked.set()
os.write(1, f"PARENT {os.getpid()}\n".encode())
while True:
    time.sleep(0.01)
