"""A service that has opened every file its limit lets it (64): prints READY then. A line `free` on stdin
closes 16 of them and prints FREED; the main thread goes on running Python code in 20 ms slices."""

import os
import queue
import resource
import sys
import threading

resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(line.strip()) for line in sys.stdin], daemon=True).start()
held = []
try:
    while True:
        held.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
print("READY", flush=True)
while True:
    try:
        command = lines.get(timeout=0.02)
    except queue.Empty:
        continue
    if command == "free":
        for fd in held[-16:]:
            os.close(fd)
        del held[-16:]
        print("FREED", flush=True)
