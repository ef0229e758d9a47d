"""PIDs and files of a process in namespaces of its own, seen from here, with real namespaces."""

import errno
import os
import stat
from pathlib import Path

import pytest

from containers import needs, start_container
from dapattach import namespaces

ALL = ("mnt", "pid", "user", "net")


def root_of(pid: int) -> int:
    proc = os.open(f"/proc/{pid}", os.O_PATH | os.O_DIRECTORY)
    try:
        return namespaces.open_root(proc)
    finally:
        os.close(proc)


@needs(*ALL)
async def test_pids_threads_and_namespaces_of_a_containerised_process() -> None:
    async with start_container("container_service.py", kinds=ALL) as target:
        assert namespaces.ns_pids(target.pid) == (target.pid, target.pid_inside)
        assert namespaces.pid_inside(target.pid) == target.pid_inside == 1
        threads = namespaces.threads_inside(target.pid)
        assert threads[1] == target.pid
        tasks = sorted(int(task) for task in os.listdir(f"/proc/{target.pid}/task"))
        assert sorted(threads.values()) == tasks
        assert namespaces.differing(target.pid) >= set(ALL)
        assert namespaces.shares_filesystem(target.pid) is False
    assert namespaces.differing(os.getpid()) == frozenset()
    assert namespaces.shares_filesystem(os.getpid()) is True
    assert namespaces.ns_pids(os.getpid()) == (os.getpid(),)


@needs("mnt")
async def test_paths_resolve_inside_the_targets_root_and_never_out_of_it() -> None:
    async with start_container("container_service.py", kinds=("mnt",)) as target:
        root_dir = Path(f"/proc/{target.pid}/root")
        # What its root user could plant: absolute symlinks, `..` and a link into the host's /proc.
        (root_dir / "tmp/absolute").symlink_to("/app")
        (root_dir / "tmp/host-etc").symlink_to("/../../../../etc")
        (root_dir / "tmp/magic").symlink_to(f"/proc/{target.pid}/root/../../etc")
        root = root_of(target.pid)

        service = namespaces.read_regular(root, "/tmp/absolute/container_service.py", 1 << 20)
        assert service.startswith(b'"""A small service')
        assert (root_dir / "tmp/host-etc/passwd").exists(), "by name, the link leads to the host's /etc"
        with pytest.raises(FileNotFoundError):
            namespaces.read_regular(root, "/tmp/host-etc/passwd", 1 << 20)  # its own /etc has no passwd
        with pytest.raises(OSError):
            namespaces.read_regular(root, "/tmp/magic/passwd", 1 << 20)
        with pytest.raises(OSError) as no_symlinks:
            namespaces.open_in_root(root, "/tmp/absolute", os.O_PATH, symlinks=False)
        assert no_symlinks.value.errno == errno.ELOOP
        os.close(root)


@needs("mnt")
async def test_only_regular_files_are_read() -> None:
    async with start_container("container_service.py", kinds=("mnt",)) as target:
        os.mkfifo(f"/proc/{target.pid}/root/tmp/fifo")
        os.mknod(f"/proc/{target.pid}/root/tmp/null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        root = root_of(target.pid)
        try:
            with pytest.raises(OSError, match="not a regular file"):
                namespaces.read_regular(root, "/tmp/fifo", 1 << 20)  # would block for ever if opened
            with pytest.raises(OSError, match="not a regular file"):
                namespaces.read_regular(root, "/tmp/null", 1 << 20)
            with pytest.raises(OSError, match="larger than 100 bytes"):
                namespaces.read_regular(root, "/app/container_service.py", 100)
        finally:
            os.close(root)
