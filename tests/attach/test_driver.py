"""The direct driver's peer check: the kernel (SO_PEERCRED) must say a connection comes from the target,
and the target's pidfd that its PID still names that process."""

import os
import socket
import subprocess
from pathlib import Path

from dapattach.attach.direct import DirectDriver
from dapattach.attach.target import Target
from interpreters import PY314

CONNECT = "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); sys.stdin.read()"


def test_a_connection_is_the_targets_only_while_the_target_lives(tmp_path: Path) -> None:
    path = str(tmp_path / "agent.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with subprocess.Popen([PY314, "-c", CONNECT, path], stdin=subprocess.PIPE) as peer:
            connection, _ = server.accept()
            target, bystander = Target.open(peer.pid), Target.open(os.getpid())
            driver = DirectDriver()
            try:
                assert driver.verify_peer(target, connection) is None
                assert driver.verify_peer(bystander, connection) == (
                    f"it comes from PID {peer.pid} (uid {os.geteuid()}), not from process {os.getpid()}"
                )
                assert peer.stdin is not None
                peer.stdin.close()
                peer.wait()
                assert driver.verify_peer(target, connection) == (
                    f"process {peer.pid} has exited, so PID {peer.pid} may be another process now"
                )
            finally:
                connection.close()
                target.close()
                bystander.close()
