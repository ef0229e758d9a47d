"""An asyncio line server whose connections each run in a task of their own, for tests of task entries.

Each connection's task is renamed `conn-N` (N counts connections from 1), sets the context variable
`connection` to that name and waits in `read_request` for a line; a line `work K` runs `process`, whose
line marked `@process` is where tests stop, inside `handle`; a line `ping` is answered `pong`. The main
task waits in `report` for a shutdown that never comes, so with no request under way every thread is
blocked. Prints `LISTENING <port>`, then `CONNECTED N` as each connection's task starts.
"""

import asyncio
import contextvars
import itertools
import sys

connection = contextvars.ContextVar("connection", default="none")
counter = itertools.count(1)
served = []
shutdown = None


async def read_request(reader):
    line = await reader.readline()
    return line.decode().strip()


async def process(number, request):
    words = request.split()
    result = {"conn": number, "work": int(words[1]) * 2}  # @process
    served.append(result)
    return result


async def handle(reader, writer):
    number = next(counter)
    asyncio.current_task().set_name(f"conn-{number}")
    connection.set(f"conn-{number}")
    sys.stdout.write(f"CONNECTED {number}\n")
    sys.stdout.flush()
    while request := await read_request(reader):
        if request == "ping":
            writer.write(b"pong\n")
            continue
        result = await process(number, request)
        writer.write(f"{result['work']}\n".encode())
        await writer.drain()
    writer.close()


async def report():
    await shutdown.wait()
    return len(served)


async def main():
    global shutdown
    shutdown = asyncio.Event()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    sys.stdout.write(f"LISTENING {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    async with server:
        await report()


if __name__ == "__main__":
    asyncio.run(main())
