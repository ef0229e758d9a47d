"""A prefork TCP server in the standard library only, shaped like gunicorn: a master and its workers.

The master listens, forks `WORKERS` workers (argument 1, default 3) that all `accept()` on the shared
socket, and then only watches them (it runs Python every 50 ms, like an arbiter's loop). Each connection
gets one line back: `<worker pid> <the request in upper case>`. SIGUSR1 makes the master fork one more
worker (a worker started after the attach); SIGTERM stops everything.

Prints `LISTENING <port>`, `WORKER <pid>` per worker, then `READY`.
"""

import ctypes
import os
import signal
import socket
import sys
import time

requests = []
PR_SET_PDEATHSIG = 1


def handle(connection):
    request = connection.recv(1024).strip()
    reply = f"{os.getpid()} {request.decode().upper()}"  # handler line
    connection.sendall(reply.encode() + b"\n")
    connection.close()


def work(server):
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the master's death ends its workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)  # worker start line
    while True:
        connection, _ = server.accept()
        handle(connection)


def spawn(server):
    pid = os.fork()
    if pid == 0:
        try:
            work(server)
        finally:
            os._exit(0)
    print(f"WORKER {pid}", flush=True)
    return pid


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    server = socket.create_server(("127.0.0.1", 0))
    print(f"LISTENING {server.getsockname()[1]}", flush=True)
    workers = [spawn(server) for _ in range(count)]
    stopping = []
    signal.signal(signal.SIGUSR1, lambda *_: requests.append("spawn"))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    print("READY", flush=True)
    while not stopping:
        while requests:
            requests.pop(0)
            workers.append(spawn(server))
        for pid in list(workers):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                workers.remove(pid)
                print(f"WORKER EXIT {pid} {os.waitstatus_to_exitcode(status)}", flush=True)
        time.sleep(0.05)
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
