"""A program whose audit hook refuses every new socket (a hardened service may): the attach bootstrap
runs, but its agent cannot reach the adapter. Prints READY, then `tick N` every 50 ms."""

import sys

from ticking import ready_then_tick


def refuse_sockets(event, args):
    if event == "socket.__new__":
        raise PermissionError("sockets are not allowed here")


sys.addaudithook(refuse_sockets)
ready_then_tick()
