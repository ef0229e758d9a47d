"""No local user gains anything through dapattach. Each test plays one attack of a hostile local user
(`nobody`) against an adapter run by root, the way the attack was first carried out, and shows it fails:

1. talking DAP to a root adapter's `--listen` port;
2. racing symlinks and renames against the attach folder of a root adapter attaching to its process;
3. reading the secret from the bootstrap and posing as the agent;
4. (log files: `tests/test_logs.py`);
5. the folder an adapter killed mid-attach leaves behind;
6. an adapter installed where the target's user cannot read.

Also: what is on disk during an attach is private and gone after it, `--listen` binds loopback unless
told otherwise, and a target with remote debugging disabled is never forced.
"""

import asyncio
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from agent_harness import start_target, wait_until_blocked
from dapattach.attach.attempt import Attempt
from dapclient import ROOT, DapClient, DapError
from handlers.conftest import attach_session, ticks_after
from interpreters import PY314
from users import AS_NOBODY, HOSTILE, NOBODY, needs_root, reachable_tmp

SRC = ROOT / "src"


@needs_root
async def test_another_user_gets_nothing_from_a_root_adapters_listen_port() -> None:
    async with start_target("showcase.py") as target:
        adapter = await DapClient.start("tcp")
        try:
            await attach_session(adapter, target.pid)
            host, port = await adapter.listening_address()
            attack = [
                ("initialize", {}),
                ("attach", {"processId": target.pid}),
                ("evaluate", {"expression": "__import__('os').getuid()", "context": "repl"}),
            ]
            done = await asyncio.to_thread(
                subprocess.run,
                [*AS_NOBODY, PY314, str(HOSTILE / "dap_client.py"), f"{host}:{port}", json.dumps(attack)],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            answers = [json.loads(line) for line in done.stdout.splitlines()]
            assert answers[0]["success"] is False and "refused this connection" in answers[0]["message"]
            assert answers[1:] == [{"closed": True}], "nothing after the refusal is served"
            evaluated = await adapter.request("evaluate", {"expression": "6 * 7", "context": "repl"})
            assert evaluated["result"] == "42", "root's own session goes on"
        finally:
            assert await adapter.close() == 0


@needs_root
@pytest.mark.timeout(300)
async def test_racing_symlinks_and_renames_never_reaches_a_root_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target runs each bootstrap only when the test signals it, once the racer has seen that attach's
    folder: every one of the 100 attaches is raced, for as long as the racer needs, and after."""
    canary = tmp_path / "canary"
    canary.write_text("root's own\n")
    canary.chmod(0o600)
    with reachable_tmp(0o1777) as shared_tmp:
        monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))  # a /tmp of our own: others' tests are safe
        racer = await asyncio.create_subprocess_exec(
            *AS_NOBODY, PY314, str(HOSTILE / "racer.py"), str(shared_tmp), str(canary),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert racer.stdout is not None
        assert await racer.stdout.readline() == b"RACING\n"
        try:
            async with start_target("blocked_until_signal.py", run_as=AS_NOBODY) as target:
                for _ in range(100):
                    await asyncio.to_thread(wait_until_blocked, target.pid)
                    attempt = Attempt(target.pid)
                    await attempt.start()
                    assert attempt.folder is not None
                    name = os.path.basename(attempt.folder.path)
                    async with asyncio.timeout(10):
                        while (await racer.stdout.readline()).decode().split() != ["SAW", name]:
                            pass
                    target.process.send_signal(signal.SIGUSR1)
                    await attempt.arrival(10)
                    await attempt.detach()
        finally:
            racer.send_signal(signal.SIGTERM)
            report = json.loads((await racer.stdout.read()).splitlines()[-1])
            await racer.wait()
        assert report["folders_seen"] == 100 and report["tries"] > 1000, report
        assert report["planted"] == 0, report
        info = canary.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode), canary.read_text()) == (0, 0o600, "root's own\n")
        assert [path for path in shared_tmp.glob("dapattach-*") if not path.is_symlink()] == []


@needs_root
async def test_an_impostor_that_read_the_secret_is_refused_and_the_session_attaches() -> None:
    with reachable_tmp(0o1777) as shared_tmp:
        async with start_target("blocked_until_signal.py", run_as=AS_NOBODY) as target:
            await asyncio.to_thread(wait_until_blocked, target.pid)
            adapter = await DapClient.start("stdio", env={"TMPDIR": str(shared_tmp)})
            try:
                await attach_session(adapter, target.pid, agent=False)  # a snapshot: the target is blocked
                impostor = await asyncio.to_thread(
                    subprocess.run,
                    [*AS_NOBODY, PY314, str(HOSTILE / "impostor.py"), str(shared_tmp)],
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
                assert "the adapter answered b''" in impostor.stdout, impostor.stderr
                impostor_pid = impostor.stdout.split()[1]
                warning = await adapter.wait_stderr(lambda line: "refused a connection" in line)
                assert (
                    f"it comes from PID {impostor_pid} (uid {NOBODY}), not from process {target.pid}"
                    in warning
                )
                target.process.send_signal(signal.SIGUSR1)
                await adapter.wait_event("output", lambda e: "Attached to process" in e["body"]["output"])
                console = "".join(e["body"]["output"] for e in adapter.events if e["event"] == "output")
                assert "impostor" not in console
                threads = (await adapter.request("threads"))["threads"]
                assert [thread["id"] for thread in threads] == [target.pid]
                await adapter.request("disconnect", {})
            finally:
                assert await adapter.close() == 0


@needs_root
@pytest.mark.direct_only(
    "the live adapter takes its pending request back; a sys.remote_exec request stays, and its folder goes "
    "only when the blocked target runs it"
)
async def test_the_folder_of_an_adapter_killed_mid_attach_goes_with_the_next_attach() -> None:
    with reachable_tmp(0o1777) as shared_tmp:
        env = {"TMPDIR": str(shared_tmp)}
        async with start_target("blocked_main.py", "600") as blocked, start_target("showcase.py") as busy:
            await asyncio.to_thread(wait_until_blocked, blocked.pid)
            killed = await DapClient.start("stdio", env=env)
            await attach_session(killed, blocked.pid, agent=False)  # pending: the target is blocked
            [left] = shared_tmp.glob(f"dapattach-{killed.process.pid}-*")
            killed.process.kill()
            await killed.process.wait()
            assert (left / "bootstrap.py").exists(), "SIGKILL leaves the folder: nothing can run at exit"
            alive = await DapClient.start("stdio", env=env)
            await attach_session(alive, blocked.pid, agent=False)
            [kept] = shared_tmp.glob(f"dapattach-{alive.process.pid}-*")
            adapter = await DapClient.start("stdio", env=env)
            try:
                await attach_session(adapter, busy.pid)
                assert not left.exists(), "the dead adapter's folder is removed"
                assert kept.exists(), "a live adapter's folder is left alone"
                await adapter.request("disconnect", {})
            finally:
                assert await adapter.close() == 0
                await alive.request("disconnect", {})
                assert await alive.close() == 0
            assert list(shared_tmp.glob("dapattach-*")) == []


@needs_root
async def test_an_adapter_installed_where_the_target_user_cannot_read_still_attaches(tmp_path: Path) -> None:
    install = tmp_path / "root-only"
    shutil.copytree(SRC / "dapattach", install / "dapattach", ignore=shutil.ignore_patterns("__pycache__"))
    install.chmod(0o700)
    env = {"PYTHONPATH": str(install)}
    which = subprocess.run(
        [sys.executable, "-c", "import dapattach; print(dapattach.__file__)"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert which.stdout.startswith(str(install)), "the adapter runs from the root-only copy"
    async with start_target("showcase.py", run_as=AS_NOBODY) as target:
        adapter = await DapClient.start("stdio", env=env)
        try:
            await attach_session(adapter, target.pid)
            agent = "__import__('sys').modules['_dapattach_agent'].__file__"
            where = (await adapter.request("evaluate", {"expression": agent, "context": "repl"}))["result"]
            assert "/dapattach-" in where and str(install) not in where, "the agent came from a private copy"
            await adapter.request("disconnect", {})
        finally:
            assert await adapter.close() == 0


@needs_root
async def test_files_of_an_attach_are_private_and_gone_once_the_agent_is_in() -> None:
    async with start_target("blocked_until_signal.py", run_as=AS_NOBODY) as target:
        await asyncio.to_thread(wait_until_blocked, target.pid)
        attempt = Attempt(target.pid)
        await attempt.start()
        assert attempt.folder is not None
        folder = Path(attempt.folder.path)
        try:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o711
            assert (folder / "bootstrap.py").stat().st_uid == NOBODY
            assert stat.S_IMODE((folder / "bootstrap.py").stat().st_mode) == 0o400
            target.process.send_signal(signal.SIGUSR1)
            link = await attempt.arrival(10)
            assert not folder.exists(), "the folder outlives the attach"
        finally:
            await attempt.detach()
        assert link.closed.is_set()


async def start_listening(*options: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dapattach", *options, stderr=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert process.stderr is not None
    lines: list[str] = []
    async with asyncio.timeout(15):
        while not lines or not lines[-1].startswith("dapattach: listening on"):
            lines.append((await process.stderr.readline()).decode())
    return process, lines


@pytest.mark.parametrize(("address", "bound"), [("0", "127.0.0.1"), ("127.0.0.1:0", "127.0.0.1")])
async def test_listen_binds_loopback_unless_told(address: str, bound: str) -> None:
    process, lines = await start_listening("--listen", address)
    try:
        assert lines[-1].startswith(f"dapattach: listening on {bound}:")
    finally:
        process.terminate()
        assert await process.wait() == 0


@pytest.mark.parametrize(
    ("python_args", "env", "why"),
    [
        ((), {"PYTHON_DISABLE_REMOTE_DEBUG": "1"}, "PYTHON_DISABLE_REMOTE_DEBUG is set"),
        (("-X", "disable-remote-debug"), {}, "-X disable-remote-debug"),
    ],
)
async def test_a_target_with_remote_debugging_disabled_is_reported_never_forced(
    adapter: DapClient, python_args: tuple[str, ...], env: dict[str, str], why: str
) -> None:
    async with start_target("showcase.py", python_args=python_args, env=env) as target:
        await adapter.initialize()
        with pytest.raises(DapError, match=rf"remote debugging is disabled in process {target.pid} .*{why}"):
            await adapter.request("attach", {"processId": target.pid})
        target.drain()
        first = await ticks_after(target)
        assert await ticks_after(target) == first + 1
