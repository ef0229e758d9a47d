"""The direct driver's peer check: the kernel (SO_PEERCRED) must say a connection comes from the target,
and the target's pidfd that its PID still names that process. A child session's hand-over driver takes
its channel and its peer check from the driver chosen for the adapter."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from agent_harness import start_target
from attach.peer_checks import verdict_once_the_peer_ends
from dapattach.attach.attempt import Attempt
from dapattach.attach.checks import AttachError
from dapattach.attach.direct import DirectDriver
from dapattach.attach.driver import HandOverDriver
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
            assert verdict_once_the_peer_ends(DirectDriver(), connection, peer) == (
                f"process {peer.pid} has exited, so PID {peer.pid} may be another process now"
            )


TCP_CONNECT = (
    "import socket, sys; host, _, port = sys.argv[1][4:].rpartition(':'); "
    "s = socket.create_connection((host, int(port))); sys.stdin.read()"
)


def test_a_child_sessions_driver_listens_and_checks_peers_as_the_chosen_driver_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAPATTACH_DRIVER", "portable")
    monkeypatch.setenv("DAPATTACH_CHANNEL", "tcp")
    driver = HandOverDriver()
    assert driver.name.startswith("hand-over (portable") and "TCP" in driver.name
    assert driver.pidfd is False
    bystander = Target.open(os.getpid(), pidfd=driver.pidfd)
    folder = driver.place(bystander)
    server, address = driver.listen(folder)
    try:
        assert address.startswith("tcp:127.0.0.1:")
        server.setblocking(True)
        with subprocess.Popen([PY314, "-c", TCP_CONNECT, address], stdin=subprocess.PIPE) as peer:
            connection, _ = server.accept()
            target = Target.open(peer.pid, pidfd=driver.pidfd)
            try:
                assert driver.inject(target, "unused") is None, "a child's agent is sent over, not injected"
                assert driver.verify_peer(target, connection) is None
                assert driver.verify_peer(bystander, connection) == (
                    f"it comes from PID {peer.pid} (uid {os.geteuid()}), not from process {os.getpid()}"
                )
            finally:
                assert peer.stdin is not None
                peer.stdin.close()
                connection.close()
                target.close()
    finally:
        server.close()
        folder.remove()
        bystander.close()


async def test_a_driver_that_does_not_exist_here_is_an_attach_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAPATTACH_DRIVER", "ptrace")
    async with start_target("idle_server.py", ready="LISTENING") as target:
        attempt = Attempt(target.pid, driver=HandOverDriver())
        with pytest.raises(AttachError, match=r"DAPATTACH_DRIVER='ptrace': use 'direct' or 'portable'"):
            await attempt.start()
