"""What the editor is told when the attached process ends: `exited` with its exit code, then `terminated`."""

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from agent_harness import TARGETS
from dapattach.attach.target import exit_code
from dapclient import DapClient
from handlers.conftest import attach_session
from interpreters import TARGET


@pytest.fixture
def unreaped(request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    """`exits.py` run with `request.param`, not reaped until the end: a dead one waits as a zombie, as a
    process does until its parent collects it."""
    process = subprocess.Popen(
        [TARGET, str(TARGETS / "exits.py"), *request.param], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "READY"
    yield process
    process.kill()
    process.wait()


def events_after_attach(client: DapClient) -> list[str]:
    names = [m.get("event") for m in client.messages if m.get("type") == "event"]
    return [name for name in names[names.index("initialized") :] if name in ("exited", "terminated")]


@pytest.mark.parametrize("unreaped", [("exit", "3")], indirect=True)
async def test_a_normal_exit_reports_the_code_the_program_chose(
    adapter: DapClient, unreaped: subprocess.Popen[str]
) -> None:
    await attach_session(adapter, unreaped.pid)
    unreaped.send_signal(signal.SIGUSR1)
    exited = await adapter.wait_event("exited")
    await adapter.wait_event("terminated")
    assert exited["body"] == {"exitCode": 3}
    assert events_after_attach(adapter) == ["exited", "terminated"]
    assert unreaped.wait() == 3


@pytest.mark.parametrize(
    ("unreaped", "code"), [(("os-exit", "5"), 5), (("wait",), 128 + signal.SIGKILL)], indirect=["unreaped"]
)
async def test_an_exit_without_python_is_read_from_the_kernel(
    adapter: DapClient, unreaped: subprocess.Popen[str], code: int
) -> None:
    await attach_session(adapter, unreaped.pid)
    if code == 5:
        unreaped.send_signal(signal.SIGUSR1)
    else:
        unreaped.kill()
    exited = await adapter.wait_event("exited")
    assert exited["body"] == {"exitCode": code}
    await adapter.wait_event("output", lambda e: f"Process {unreaped.pid} has exited." in e["body"]["output"])
    await adapter.wait_event("terminated")
    assert events_after_attach(adapter) == ["exited", "terminated"]


def kernel_keeps_exit_codes() -> bool:
    """Whether a pidfd still tells a process's exit code after its parent collected it (Linux 6.15+)."""
    process = subprocess.Popen(["true"])
    pidfd = os.pidfd_open(process.pid)
    try:
        process.wait()
        return exit_code(process.pid, pidfd) == 0
    finally:
        os.close(pidfd)


@pytest.mark.direct_only(
    "the pidfd the direct driver holds keeps the code; the portable driver holds the target as on macOS, "
    "by PID and start time, and nothing keeps it"
)
async def test_an_exit_code_the_parent_collected_first(adapter: DapClient) -> None:
    """`os._exit` runs no Python and the parent collects the status before the adapter looks (the
    adapter is held with SIGSTOP meanwhile, so that order is certain): the pidfd the adapter holds still
    knows the code on Linux 6.15+; on older kernels nobody can know, and the editor is told so."""
    process = subprocess.Popen([TARGET, str(TARGETS / "exits.py"), "os-exit", "7"], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"READY"
        await attach_session(adapter, process.pid)
        adapter.process.send_signal(signal.SIGSTOP)
        try:
            process.send_signal(signal.SIGUSR1)
            assert process.wait() == 7
        finally:
            adapter.process.send_signal(signal.SIGCONT)
        said = await adapter.wait_event("output", lambda e: "has exited" in e["body"]["output"])
        await adapter.wait_event("terminated")
        if kernel_keeps_exit_codes():
            assert (await adapter.wait_event("exited"))["body"] == {"exitCode": 7}
            assert events_after_attach(adapter) == ["exited", "terminated"]
        else:
            assert "its exit code is unknown" in said["body"]["output"]
            assert events_after_attach(adapter) == ["terminated"]
    finally:
        process.kill()
        process.wait()
