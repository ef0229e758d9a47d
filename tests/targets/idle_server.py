"""An idle TCP server: its only thread waits in accept() until a client connects.

Prints `LISTENING <port>`; each connection gets its first line back in upper case.
"""

import socket


def handle(connection):
    request = connection.recv(1024)
    reply = request.upper()  # handler line
    connection.sendall(reply)
    connection.close()


def main():
    server = socket.create_server(("127.0.0.1", 0))
    print(f"LISTENING {server.getsockname()[1]}", flush=True)
    while True:
        connection, _ = server.accept()
        handle(connection)


if __name__ == "__main__":
    main()
