"""An idle asyncio server: the event loop waits in select() until a client connects.

Prints `LISTENING <port>`; each connection gets its first line back reversed.
"""

import asyncio


async def handle(reader, writer):
    request = await reader.readline()
    reply = request.strip()[::-1] + b"\n"  # handler line
    writer.write(reply)
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
