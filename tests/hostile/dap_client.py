"""A DAP client run as another local user: `dap_client.py ADDRESS REQUESTS`.

ADDRESS is `HOST:PORT` or `unix:PATH`; REQUESTS a JSON list of `[command, arguments]`. Each request waits
for its response (an `attach` is followed by `configurationDone` once the adapter sends `initialized`, as
DAP orders). Prints one JSON line per response, then `{"closed": true}` if the adapter hangs up, or
`{"error": "..."}` if it cannot connect at all."""

import json
import socket
import sys

address, requests = sys.argv[1], json.loads(sys.argv[2])
try:
    if address.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(address[5:])
    else:
        host, _, port = address.rpartition(":")
        sock = socket.create_connection((host.strip("[]"), int(port)))
except OSError as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
    sys.exit(0)
sock.settimeout(60)
buffer = b""
seq = 0


def send(command, arguments):
    global seq
    seq += 1
    body = json.dumps({"seq": seq, "type": "request", "command": command, "arguments": arguments}).encode()
    sock.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    return seq


def receive():
    global buffer
    while True:
        head, found, rest = buffer.partition(b"\r\n\r\n")
        if found:
            length = int(head.split(b":")[1])
            if len(rest) >= length:
                buffer = rest[length:]
                return json.loads(rest[:length])
        try:
            chunk = sock.recv(65536)
        except ConnectionError:
            chunk = b""
        if not chunk:
            print(json.dumps({"closed": True}), flush=True)
            sys.exit(0)
        buffer += chunk


for command, arguments in requests:
    if command == "initialize":
        arguments = {"adapterID": "dapattach", **arguments}
    try:
        sent = send(command, arguments)
    except ConnectionError:
        print(json.dumps({"closed": True}), flush=True)
        sys.exit(0)
    while True:
        message = receive()
        if message.get("type") == "event" and message.get("event") == "initialized" and command == "attach":
            send("configurationDone", {})
        if message.get("type") == "response" and message.get("request_seq") == sent:
            print(json.dumps(message), flush=True)
            break
