"""A `multiprocessing.Pool` made after the attach, under the start method named by argument 1.

SIGUSR1 creates a pool of two workers and maps `square` over a small range again and again (a debugger
that gets into a worker late still sees it work); SIGUSR2 closes the pool. Prints `READY`, then
`POOL <pid>,<pid>` once the workers exist and `RESULT [...]` after each map.
"""

import ctypes
import multiprocessing
import signal
import sys
import time


def die_with_the_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed test target leaves no worker


def square(number):
    return number * number  # pool line


def main():
    context = multiprocessing.get_context(sys.argv[1])
    requests = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append("start"))
    signal.signal(signal.SIGUSR2, lambda *_: requests.append("stop"))
    print("READY", flush=True)
    pool = None
    while True:
        while requests:
            match requests.pop(0):
                case "start" if pool is None:
                    pool = context.Pool(2, initializer=die_with_the_parent)
                    workers = [str(process.pid) for process in multiprocessing.active_children()]
                    print("POOL " + ",".join(sorted(workers)), flush=True)
                case "stop" if pool is not None:
                    pool.close()
                    pool.join()
                    pool = None
        if pool is not None:
            print(f"RESULT {pool.map(square, range(4))}", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
