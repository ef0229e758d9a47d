"""Bench target whose main thread runs no Python code for a while: the case an attach has to wait for.

`idle.py MODE [CPU]` prints {"ready": pid} and then, by MODE:
`sleep:SECONDS` sleeps in steps of SECONDS (a poller, a worker between jobs);
`accept` waits in `socket.accept()` on a listening socket (an idle threaded server);
`asyncio` runs an asyncio server with no clients (its loop waits in `select`).
"""

import asyncio
import json
import os
import socket
import sys
import time


def ready():
    print(json.dumps({"ready": os.getpid()}), flush=True)


def sleep_loop(seconds):
    ready()
    while True:
        time.sleep(seconds)


def accept_loop():
    server = socket.create_server(("127.0.0.1", 0))
    ready()
    while True:
        connection, _ = server.accept()
        connection.close()


async def serve():
    async def handle(reader, writer):
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    ready()
    async with server:
        await server.serve_forever()


def main():
    mode = sys.argv[1]
    if len(sys.argv) > 2:
        os.sched_setaffinity(0, {int(sys.argv[2])})
    match mode.partition(":"):
        case "sleep", _, seconds:
            sleep_loop(float(seconds))
        case "accept", _, _:
            accept_loop()
        case "asyncio", _, _:
            asyncio.run(serve())


main()
