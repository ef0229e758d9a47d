"""The agent reports the target's exit code on its way out, however its main thread ends."""

import signal

import pytest

from agent_harness import attach, start_target


@pytest.mark.parametrize(
    ("how", "code", "returncode"),
    [
        (("exit", "3"), 3, 3),
        (("exit", "260"), 4, 4),
        (("return",), 0, 0),
        (("raise",), 1, 1),
        (("interrupt",), 130, -signal.SIGINT),
    ],
)
async def test_the_exit_code_comes_as_an_exited_event(
    how: tuple[str, ...], code: int, returncode: int
) -> None:
    async with start_target("exits.py", *how) as target:
        link = await attach(target)
        await link.request("ready", {})
        target.process.send_signal(signal.SIGUSR1)
        assert await link.wait_for_event("exited", 10) == {"exitCode": code}
        await link.wait_closed()
        assert await target.process.wait() == returncode
