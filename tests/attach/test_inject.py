"""What the target runs: for a target of the adapter's own user, the installed agent; for another user's,
a copy in the attach folder that only that user can read, with bytecode that stays valid."""

import asyncio
import contextlib
import os
import signal
import struct
import sys
import time
from pathlib import Path

import pytest

from agent_harness import attach, run_in_target, start_target
from dapattach.attach import inject
from dapattach.attach.attempt import inject_agent
from dapattach.attach.checks import AttachError
from dapattach.attach.folder import AttachFolder
from dapattach.attach.inject import AGENT_DIR, place_agent
from users import AS_NOBODY, NOBODY, needs_root, reachable_tmp


def test_a_target_of_our_own_user_loads_the_installed_agent(tmp_path: Path) -> None:
    folder = AttachFolder.create(str(tmp_path), os.geteuid())
    try:
        assert place_agent(folder, os.geteuid()) == str(AGENT_DIR)
        assert os.listdir(folder.path) == []
    finally:
        folder.remove()


@needs_root
def test_another_users_target_gets_a_private_copy_with_valid_bytecode() -> None:
    with reachable_tmp() as parent:
        folder = AttachFolder.create(str(parent), NOBODY)
        try:
            copy = Path(place_agent(folder, NOBODY))
            assert copy == Path(folder.path) / "agent"
            sources = sorted(path.name for path in AGENT_DIR.glob("*.py"))
            assert sorted(path.name for path in copy.glob("*.py")) == sources
            for name in sources:
                copied = (copy / name).stat()
                assert (copied.st_uid, copied.st_mode & 0o777) == (NOBODY, 0o400)
                assert (copy / name).read_bytes() == (AGENT_DIR / name).read_bytes()
            tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
            for name in sources:
                cached = copy / "__pycache__" / name.replace(".py", f".{tag}.pyc")
                mtime, size = struct.unpack("<II", cached.read_bytes()[8:16])
                source = (copy / name).stat()
                assert (mtime, size) == (int(source.st_mtime) & 0xFFFFFFFF, source.st_size), name
        finally:
            folder.remove()


WHERE_FROM = """\
import json, socket, sys
agent = sys.modules["_dapattach_agent"]
with socket.socket(socket.AF_UNIX) as sock:
    sock.connect(%r)
    sock.sendall(json.dumps({"file": agent.__file__}).encode())
"""


@needs_root
async def test_another_users_target_runs_the_copy() -> None:
    async with start_target("showcase.py", run_as=AS_NOBODY) as target:
        link = await inject_agent(target.pid)
        try:
            report = await run_in_target(target.pid, WHERE_FROM)
            folder = Path(report["file"]).parent.parent
            assert folder.name.startswith(f"dapattach-{os.getpid()}-") and report["file"].endswith(
                "agent/__init__.py"
            )
            assert not folder.exists(), "the copy goes with the attach folder once the agent is in"
        finally:
            await link.detach()


async def _attach_and_evaluate_in(pid: int) -> None:
    """Attach to `pid`, check that an evaluation runs in that very process, and detach."""
    link = await attach(pid)
    try:
        answer = await link.request("evaluate", {"expression": "os.getpid()", "context": "repl"})
        assert answer["result"] == str(pid)
    finally:
        await link.detach()


async def test_a_child_forked_while_its_parent_was_being_attached_can_be_attached() -> None:
    """The child inherits the parent's claim of a half-done attach, which no agent serves there: attaching
    to the child replaces it, with none of the parent's half-loaded modules, while the parent, whose claim
    is its own, still refuses by the claiming adapter's PID."""
    async with start_target("forked_mid_attach.py") as target:
        child = int((await target.expect(r"^CHILD (\d+)$"))[1])
        await _attach_and_evaluate_in(child)
        with pytest.raises(
            AttachError, match=rf"process {target.pid} is already attached by adapter PID 4242"
        ):
            await attach(target)


async def test_a_child_forked_while_another_thread_loads_the_agent_runs_on_and_can_be_attached() -> None:
    """The agent's loading imports `json`, which the target holds half done on the loading thread while its
    main thread forks. The child's own import of `json` must not wait for that thread, which the child does
    not have: the child runs on, and an attach to it works; the parent's attach completes."""
    async with start_target("forks_mid_import.py", "json") as target:
        attaching = asyncio.ensure_future(attach(target))
        child = int((await target.expect(r"^CHILD (\d+)$"))[1])
        try:
            await target.expect(rf"^IMPORTED {child}$")
            parent = await attaching
            try:
                await _attach_and_evaluate_in(child)
            finally:
                await parent.detach()
        finally:
            attaching.cancel()
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)  # stuck in its import, it would outlive the target


def test_the_agent_bytecode_is_written_again_only_when_a_source_is_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attach writes the agent's bytecode where it is missing or stale, and otherwise leaves
    it to two `stat`s a module (compileall, 4 ms to import, is not loaded for it)."""
    for name in ("one.py", "two.py"):
        (tmp_path / name).write_text(f"NAME = {name!r}\n")
    monkeypatch.setattr(inject, "AGENT_DIR", tmp_path)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert not inject._bytecode_current()  # no bytecode yet
    for edited in (None, "two"):
        if edited is not None:  # its source was changed 10 s ago, after its bytecode was written
            compiled = tmp_path / "__pycache__" / f"{edited}.{sys.implementation.cache_tag}.pyc"
            now = time.time()
            os.utime(compiled, (now - 20, now - 20))
            os.utime(tmp_path / f"{edited}.py", (now - 10, now - 10))
            assert not inject._bytecode_current()
        inject._compile_agent.cache_clear()
        inject._compile_agent()
        assert inject._bytecode_current()
    inject._compile_agent.cache_clear()
