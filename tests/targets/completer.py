"""A target for debug console completions: a thread waits in `wait_here` with objects of every kind.

Anything that must not run while completing says so on stdout when it does: a property
(`property ran`), a `__getattr__` (`getattr ran`) and a `__getattribute__` (`getattribute ran`). `Listed`
has a `__dir__` of its own (`dir ran`); `Spinning`'s `__dir__` loops in Python for ever and `Stuck`'s waits
(blocked in C) until `unstick.set()`.
"""

import threading
import time

stop = threading.Event()
unstick = threading.Event()


class Account:
    kind = "savings"

    def __init__(self):
        self.balance = 10
        self.owner = "ann"

    @property
    def audited(self):
        print("property ran", flush=True)
        return True

    def deposit(self, amount):
        self.balance += amount


class Dynamic:
    def __getattr__(self, name):
        print("getattr ran", flush=True)
        return 1


class Listed:
    def __dir__(self):
        print("dir ran", flush=True)
        return ["alpha", "beta"]


class Spinning:
    def __dir__(self):
        turns = 0
        while turns >= 0:
            turns += 1
        return ["never"]


class Stuck:
    def __dir__(self):
        unstick.wait()
        return ["never"]


class Proxy:
    def __init__(self):
        self.inner = 1

    def __getattribute__(self, name):
        print("getattribute ran", flush=True)
        return object.__getattribute__(self, name)


def wait_here(account, settings, accounts, listed, stuck, proxy, dynamic, spinning):
    local_total = 1
    while not stop.is_set():
        time.sleep(0.005)
    return local_total


def main():
    arguments = (Account(), {"theme": "dark", "size": 3, 7: "seven"}, [Account()], Listed(), Stuck(), Proxy(),
                 Dynamic(), Spinning())  # fmt: skip
    threading.Thread(target=wait_here, args=arguments, name="waiter", daemon=True).start()
    print("READY", flush=True)
    while not stop.is_set():
        time.sleep(0.01)


main()
