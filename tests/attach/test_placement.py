"""Where the attach folder goes: inside a container's own filesystem, never through a name its root user
planted, in a folder the target's user can reach; and what is said when there is no such folder."""

import asyncio
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from containers import needs, start_container
from dapattach.attach import placement
from dapattach.attach.checks import AttachError
from dapattach.attach.folder import AttachFolder
from dapattach.attach.target import Target
from interpreters import PY314
from users import NOBODY, as_user, needs_root

CONTAINER = ("mnt", "pid")


def dapattach_folders(path: str | Path) -> list[str]:
    return [name for name in os.listdir(path) if name.startswith("dapattach-")]


def own_folders(path: str | Path) -> list[str]:
    """The folders this process made as an adapter: other programs may make theirs meanwhile."""
    return [name for name in dapattach_folders(path) if name.startswith(f"dapattach-{os.getpid()}-")]


@needs(*CONTAINER)
async def test_a_container_gets_the_folder_in_its_own_tmp() -> None:
    async with start_container("container_service.py", kinds=CONTAINER) as process:
        target = Target.open(process.pid)
        before_here = own_folders(tempfile.gettempdir())
        folder = await asyncio.to_thread(placement.place, target)
        try:
            name = os.path.basename(folder.seen_as)
            assert folder.seen_as == f"/tmp/{name}"
            assert folder.path == f"/proc/{process.pid}/root/tmp/{name}"
            assert dapattach_folders(f"/proc/{process.pid}/root/tmp") == [name]
            assert own_folders(tempfile.gettempdir()) == before_here
            folder.write("bootstrap.py", b"pass\n")
            assert placement.not_seen(target, folder, "bootstrap.py") is None
        finally:
            folder.remove()
            target.close()
        assert dapattach_folders(f"/proc/{process.pid}/root/tmp") == []


@needs(*CONTAINER)
async def test_a_folder_in_the_adapters_tmp_is_one_the_container_does_not_see() -> None:
    async with start_container("container_service.py", kinds=CONTAINER) as process:
        target = Target.open(process.pid)
        folder = AttachFolder.create(tempfile.gettempdir(), os.geteuid())
        try:
            folder.write("bootstrap.py", b"pass\n")
            why = placement.not_seen(target, folder, "bootstrap.py")
            assert why is not None
            assert f"process {process.pid} (PID 1 in its PID namespace) does not see {folder.seen_as}" in why
        finally:
            folder.remove()
            target.close()


@needs(*CONTAINER)
async def test_its_tmpdir_is_used_but_never_through_a_symlink_its_root_planted() -> None:
    async with start_container("container_service.py", kinds=CONTAINER, env={"TMPDIR": "/app"}) as process:
        target = Target.open(process.pid)
        try:
            folder = await asyncio.to_thread(placement.place, target)
            assert folder.seen_as.startswith("/app/dapattach-")
            folder.remove()
        finally:
            target.close()
    with tempfile.TemporaryDirectory() as outside:
        os.chmod(outside, 0o755)
        async with start_container(
            "container_service.py", kinds=CONTAINER, env={"TMPDIR": "/app/tmp"}
        ) as process:
            Path(f"/proc/{process.pid}/root/app/tmp").symlink_to(outside)  # a host path, by name
            target = Target.open(process.pid)
            try:
                folder = await asyncio.to_thread(placement.place, target)
                assert folder.seen_as.startswith("/tmp/dapattach-"), "the link is not followed: /tmp instead"
                folder.remove()
            finally:
                target.close()
            assert dapattach_folders(outside) == []


@needs(*CONTAINER)
async def test_no_usable_folder_is_an_error_naming_each_one_tried() -> None:
    async with start_container("container_service.py", kinds=CONTAINER) as process:
        remount = ["nsenter", f"--target={process.pid}", "--mount", "--", "mount", "-o", "remount,ro"]
        subprocess.run([*remount, f"{process.image}/tmp"], check=True, timeout=30)
        target = Target.open(process.pid)
        try:
            with pytest.raises(AttachError) as refused:
                await asyncio.to_thread(placement.place, target)
        finally:
            target.close()
        message = str(refused.value)
        assert "found no folder where the adapter can create the attach files" in message
        assert "/tmp: Read-only file system" in message
        assert "cannot see /var" in message and "cannot see /dev" in message
        assert "set TMPDIR" in message


@needs_root
def test_another_users_target_gets_a_folder_it_can_reach(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    sleeper = subprocess.Popen([*as_user(NOBODY), PY314, "-c", "print(1, flush=True); input()"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    try:
        assert sleeper.stdout is not None and sleeper.stdout.readline() == b"1\n"
        target = Target.open(sleeper.pid)
        root = target.open_root()
        try:
            why = placement.unreachable(target, root, str(private))
            first_closed = next(p for p in reversed(private.parents) if p.stat().st_mode & 0o001 == 0)
            assert why == (
                f"uid {NOBODY}, which process {sleeper.pid} runs as, may not enter {first_closed} "
                f"(mode {first_closed.stat().st_mode & 0o7777:04o}, owner uid 0)"
            )
            folder = placement.place(target)
            assert folder.seen_as.startswith("/tmp/dapattach-")
            folder.remove()
        finally:
            os.close(root)
            target.close()
    finally:
        sleeper.kill()
        sleeper.wait()
