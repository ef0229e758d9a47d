"""Target for the PEP 768 injection tests: its main thread blocks (or ticks) while a worker may compute.

Usage: pep768_target.py MODE [--worker]
MODE: tick (main thread runs bytecode every 10 ms), spin (main thread computes), sleep
(time.sleep(3600)), accept (socket.accept()), asyncio (an idle event loop).
Prints `ready MAIN_TID WORKER_TID` once set up, every audit event about remote debugger scripts as
`audit EVENT ARG`, and `usr1 BUFFER` when SIGUSR1 arrives (a Python-level handler makes a blocked main
thread run bytecode; BUFFER is a 6-byte buffer whose address it prints as `buffer ADDRESS`, for memory
writes to show).
"""

import asyncio
import ctypes
import signal
import socket
import sys
import threading
import time


def audit(event: str, args: tuple[object, ...]) -> None:
    if "remote_debugger" in event:
        print("audit", event, *args, flush=True)


def compute() -> None:
    n = 0
    while True:
        n += 1


def main() -> None:
    mode = sys.argv[1]
    sys.addaudithook(audit)
    buffer = bytearray(b"before")
    print("buffer", ctypes.addressof(ctypes.c_char.from_buffer(buffer)), flush=True)
    signal.signal(signal.SIGUSR1, lambda *_: print("usr1", buffer.decode(errors="replace"), flush=True))
    worker_tid = 0
    if "--worker" in sys.argv:
        worker = threading.Thread(target=compute, name="worker", daemon=True)
        worker.start()
        worker_tid = worker.native_id or 0
    ready = f"ready {threading.get_native_id()} {worker_tid}"
    match mode:
        case "tick":
            print(ready, flush=True)
            while True:
                time.sleep(0.01)
        case "spin":
            print(ready, flush=True)
            compute()
        case "sleep":
            print(ready, flush=True)
            time.sleep(3600)
        case "accept":
            with socket.socket() as server:
                server.bind(("127.0.0.1", 0))
                server.listen()
                print(ready, flush=True)
                server.accept()
        case "asyncio":

            async def idle() -> None:
                print(ready, flush=True)
                await asyncio.Event().wait()

            asyncio.run(idle())


main()
