"""A program whose audit hook refuses every new socket (a hardened service may): the attach bootstrap
runs, but its agent cannot reach the adapter. Prints READY, then `tick N` every 50 ms."""

import sys
import time


def refuse_sockets(event, args):
    if event == "socket.__new__":
        raise PermissionError("sockets are not allowed here")


sys.addaudithook(refuse_sockets)
print("READY", flush=True)
count = 0
while True:
    count += 1
    print(f"tick {count}", flush=True)
    time.sleep(0.05)
