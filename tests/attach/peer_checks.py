"""A driver's peer check against a real peer process, as the direct and the portable driver's tests run it."""

import os
import socket
import subprocess
from typing import Any

from dapattach.attach.target import Target


def verdict_once_the_peer_ends(
    driver: Any, connection: socket.socket, peer: subprocess.Popen[bytes], **open_options: bool
) -> str | None:
    """Check that `connection`, which `peer` holds, passes as `peer`'s and, checked as this process's,
    fails naming the real peer; then end `peer` and return what the driver says of the connection."""
    target = Target.open(peer.pid, **open_options)
    bystander = Target.open(os.getpid(), **open_options)
    try:
        assert driver.verify_peer(target, connection) is None
        assert driver.verify_peer(bystander, connection) == (
            f"it comes from PID {peer.pid} (uid {os.geteuid()}), not from process {os.getpid()}"
        )
        assert peer.stdin is not None
        peer.stdin.close()
        peer.wait()
        verdict: str | None = driver.verify_peer(target, connection)
        return verdict
    finally:
        connection.close()
        target.close()
        bystander.close()
