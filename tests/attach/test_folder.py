"""The attach folder: the target's user reads and connects, no one else does, no one but the adapter's user
writes, whatever the umask; and the folders dead adapters left are removed, and only those."""

import json
import os
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from dapattach.attach.folder import AttachFolder, remove_stale, start_time
from interpreters import PY314
from users import NOBODY, OTHER, as_user, needs_root, reachable_tmp

SRC = Path(__file__).resolve().parents[2] / "src"

TRY = """\
import json, os, socket, sys, tempfile
folder = sys.argv[1]
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as error:
        return error.__class__.__name__
def replace():
    link = os.path.join(tempfile.gettempdir(), "link-%d" % os.getpid())
    os.symlink("/etc/shadow", link)
    try:
        os.rename(link, os.path.join(folder, "bootstrap.py"))
    finally:
        if os.path.lexists(link):
            os.unlink(link)
def connect():
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(os.path.join(folder, "agent.sock"))
print(json.dumps({
    "read bootstrap": attempt(lambda: open(os.path.join(folder, "bootstrap.py")).read()),
    "read agent": attempt(lambda: open(os.path.join(folder, "agent", "core.py")).read()),
    "list agent": attempt(lambda: os.listdir(os.path.join(folder, "agent"))),
    "connect": attempt(connect),
    "list folder": attempt(lambda: os.listdir(folder)),
    "create": attempt(lambda: open(os.path.join(folder, "mine"), "x").close()),
    "replace": attempt(replace),
    "remove": attempt(lambda: os.unlink(os.path.join(folder, "bootstrap.py"))),
    "write agent": attempt(lambda: open(os.path.join(folder, "agent", "x.py"), "x").close()),
}))
"""


def attempts_as(uid: int, folder: str) -> dict[str, str]:
    done = subprocess.run(
        [*as_user(uid), PY314, "-c", TRY, folder], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout)
    return result


def mode_and_owner(path: str) -> tuple[int, int]:
    info = os.lstat(path)
    return stat.S_IMODE(info.st_mode), info.st_uid


def fill(folder: AttachFolder) -> tuple[str, socket.socket]:
    folder.write("bootstrap.py", b"print('bootstrap')\n")
    sock, path = folder.listen("agent.sock")
    agent = folder.folder("agent")
    agent.write("core.py", b"print('agent')\n")
    agent.close()
    return path, sock


@needs_root
@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_another_users_target_reads_and_connects_and_nobody_else_does(umask: int) -> None:
    previous = os.umask(umask)
    try:
        with reachable_tmp() as parent:
            folder = AttachFolder.create(str(parent), NOBODY)
            socket_path, sock = fill(folder)
            try:
                assert mode_and_owner(folder.path) == (0o711, 0)
                assert mode_and_owner(f"{folder.path}/bootstrap.py") == (0o400, NOBODY)
                assert mode_and_owner(socket_path) == (0o600, NOBODY)
                assert mode_and_owner(f"{folder.path}/agent") == (0o755, 0)
                assert mode_and_owner(f"{folder.path}/agent/core.py") == (0o400, NOBODY)
                assert attempts_as(NOBODY, folder.path) == {
                    "read bootstrap": "ok",
                    "read agent": "ok",
                    "list agent": "ok",
                    "connect": "ok",
                    "list folder": "PermissionError",
                    "create": "PermissionError",
                    "replace": "PermissionError",
                    "remove": "PermissionError",
                    "write agent": "PermissionError",
                }
                other = attempts_as(OTHER, folder.path)
                assert {other[key] for key in ("read bootstrap", "read agent", "connect")} == {
                    "PermissionError"
                }
            finally:
                sock.close()
                folder.remove()
            assert not os.path.exists(folder.path)
    finally:
        os.umask(previous)


def test_the_adapters_own_user_gets_a_0700_folder_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        folder = AttachFolder.create(str(tmp_path), os.geteuid())
        socket_path, sock = fill(folder)
    finally:
        os.umask(previous)
    try:
        assert mode_and_owner(folder.path) == (0o700, os.geteuid())
        assert mode_and_owner(f"{folder.path}/bootstrap.py")[0] == 0o600
        assert mode_and_owner(socket_path)[0] == 0o600
        assert mode_and_owner(f"{folder.path}/agent")[0] == 0o700
        with pytest.raises(FileExistsError):
            folder.write("bootstrap.py", b"a second time")
    finally:
        sock.close()
        folder.remove()


def dead_process() -> tuple[int, int]:
    """The PID and start time of a process that has exited."""
    with subprocess.Popen(["sleep", "60"]) as process:
        started = start_time(process.pid)
        process.kill()
    assert started is not None
    return process.pid, started


@needs_root
def test_only_folders_of_dead_adapters_of_this_user_are_removed() -> None:
    with reachable_tmp() as parent:
        dead_pid, dead_start = dead_process()
        ours = start_time(os.getpid())
        names = {
            "dead": f"dapattach-{dead_pid}-{dead_start}-abcd0123",
            "alive": f"dapattach-{os.getpid()}-{ours}-abcd0123",
            "reused PID": f"dapattach-{os.getpid()}-{dead_start}-00ff00ff",
            "another user's": f"dapattach-{dead_pid}-{dead_start}-0a0b0c0d",
            "not our name": f"dapattach-{dead_pid}-{dead_start}-toolongsuffix",
            "a file": f"dapattach-{dead_pid}-{dead_start}-f11ef11e",
            "a symlink": f"dapattach-{dead_pid}-{dead_start}-11111111",
        }
        for key, name in names.items():
            path = parent / name
            match key:
                case "a file":
                    path.write_text("")
                case "a symlink":
                    target = tempfile.mkdtemp()
                    path.symlink_to(target)
                case _:
                    path.mkdir()
                    (path / "agent.sock").write_text("")
        os.chown(parent / names["another user's"], NOBODY, NOBODY)
        removed = remove_stale(str(parent))
        assert sorted(removed) == sorted([names["dead"], names["reused PID"]])
        assert sorted(os.listdir(parent)) == sorted(set(names.values()) - set(removed))
        assert os.path.isdir(target), "a symlink is never followed"
        os.rmdir(target)


GIVE_AWAY = """\
import sys
from dapattach.attach.folder import AttachFolder, HandOverError
folder = AttachFolder.create(sys.argv[1], 0)
try:
    folder.write("bootstrap.py", b"")
except HandOverError:
    print("HandOverError")
finally:
    folder.remove()
"""


@needs_root
def test_an_adapter_that_may_not_give_files_away_says_so() -> None:
    with reachable_tmp(0o1777) as parent:
        done = subprocess.run(
            [*as_user(NOBODY), PY314, "-c", GIVE_AWAY, str(parent)],
            capture_output=True, text=True, timeout=30, env={"PYTHONPATH": str(SRC)},
        )  # fmt: skip
        assert done.stdout == "HandOverError\n", done.stderr
        assert os.listdir(parent) == []


@needs_root
def test_made_as_the_target_user_everything_is_its_own_and_private() -> None:
    """For a target in another user namespace: what the adapter makes is that user's, 0700 and 0600."""
    owner = (100000, 100000)
    with reachable_tmp(0o1777) as parent:
        folder = AttachFolder.create_at(os.open(parent, os.O_RDONLY | os.O_DIRECTORY), str(parent),
                                        str(parent), owner[0], acting=owner)  # fmt: skip
        socket_path, sock = fill(folder)
        try:
            assert mode_and_owner(folder.path) == (0o700, owner[0])
            assert mode_and_owner(f"{folder.path}/bootstrap.py") == (0o600, owner[0])
            assert mode_and_owner(socket_path) == (0o600, owner[0])
            assert mode_and_owner(f"{folder.path}/agent/core.py") == (0o600, owner[0])
            assert os.stat(f"{folder.path}/bootstrap.py").st_gid == owner[1]
            assert (os.getresuid(), os.getresgid()) == ((0, 0, 0), (0, 0, 0))
            with open("/proc/thread-self/status") as status:
                assert next(line for line in status if line.startswith("Uid:")).split()[1:] == ["0"] * 4
        finally:
            sock.close()
            folder.remove()
        assert os.listdir(parent) == []


@needs_root
def test_removal_never_enters_a_mount_put_in_the_folder() -> None:
    """Someone who may mount in the target's filesystem (a container's root) puts a mount where the
    adapter removes: what is in it stays."""
    with reachable_tmp() as parent, reachable_tmp() as precious:
        (precious / "keep").write_text("precious")
        folder = AttachFolder.create(str(parent), os.geteuid())
        agent = folder.folder("agent")
        agent.close()
        folder.write("bootstrap.py", b"")
        subprocess.run(["mount", "--bind", str(precious), f"{folder.path}/agent"], check=True)
        try:
            folder.remove()
            assert (precious / "keep").read_text() == "precious"
            assert os.listdir(f"{parent}") == [os.path.basename(folder.path)], "its folder stays: not empty"
            assert os.listdir(folder.path) == ["agent"]
        finally:
            subprocess.run(["umount", f"{folder.path}/agent"], check=True)
