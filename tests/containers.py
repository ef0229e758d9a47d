"""Containers for the tests, made of what containers are made of: `unshare`, `nsenter`, `mount`, `chroot`.

`start_container(program, kinds=...)` runs a target program in new namespaces of the given kinds:

- `mnt`: its own root filesystem (a tmpfs holding the interpreter, `/app/<program>`, a `/proc` and a
  private tmpfs `/tmp`), entered with `chroot`. The interpreter sits where the host has nothing: a
  self-contained interpreter (such as the provisioned `/opt/py314`) is bound at another path of the same
  length (`/ctr/py314`) and run from a copy whose built-in paths say so, so nothing that works here can
  work by reading the host's files under the target's names.
- `pid`: its own PID namespace (the target is PID 1 there or close to it), with its own `/proc`.
- `user`: its own user namespace, root inside mapped to host uid 100000 (as rootless Podman does).
- `net`: its own network namespace (only a loopback device, down).

`sidecar(target)` is the command prefix that runs a program (the adapter) as a debug sidecar does: in the
target's PID namespace only, with a mount namespace of its own (a private `/tmp`, a `/proc` of that PID
namespace) and a network namespace of its own.

Run as a script, this file is the launcher: it makes the user namespace and writes its id maps (what
`newuidmap` does for Podman), then runs `unshare` for the other kinds.
"""

import asyncio
import atexit
import contextlib
import ctypes
import functools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from agent_harness import TARGETS, Target
from interpreters import TARGET

KINDS = ("mnt", "pid", "user", "net")
HOST_UID = 100000
"""The host uid root inside a user namespace maps to (and 65535 more after it)."""
_UNSHARE_FLAGS = {"mnt": ["--mount"], "pid": ["--pid", "--fork", "--kill-child"], "net": ["--net"]}
_PR_SET_PDEATHSIG = 1

SETUP = r"""
set -eu
root=$1 prefix=$2 inside=$3 binary=$4 relative=$5 program=$6 own_pid=$7 user=$8
shift 8
mount -t tmpfs -o mode=0755 image "$root"
mkdir -p "$root$inside" "$root/tmp" "$root/proc" "$root/app"
mount --rbind "$prefix" "$root$inside"
mount --bind "$binary" "$root$inside/$relative"
mount -t tmpfs -o mode=1777 private-tmp "$root/tmp"
if [ "$own_pid" = yes ]; then mount -t proc proc "$root/proc"; else mount --rbind /proc "$root/proc"; fi
cp "$program" "$root/app/"
exec chroot --userspec="$user" "$root" "$inside/$relative" "$@" "/app/${program##*/}"
"""

SIDECAR = r"""
set -eu
keep=$1
shift
case $keep in
/tmp/*)
  exec 9<"$keep"
  mount -t tmpfs -o mode=1777 sidecar-tmp /tmp
  mkdir -p "$keep"
  mount --no-canonicalize --bind /proc/self/fd/9 "$keep"
  exec 9<&-
  ;;
*) mount -t tmpfs -o mode=1777 sidecar-tmp /tmp ;;
esac
mount -t proc proc /proc
exec "$@"
"""
"""A sidecar's own `/tmp`, keeping the checkout visible at its path when it lies under `/tmp` (a sidecar
image has the adapter installed; here the adapter runs from the checkout's virtual environment)."""
CHECKOUT = Path(__file__).resolve().parent.parent


@functools.cache
def cannot_create(kind: str) -> str | None:
    """Why a namespace of `kind` cannot be made on this machine (None when it can)."""
    if os.geteuid() != 0:
        return "needs root"
    for tool in ("unshare", "nsenter", "mount", "chroot"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if kind == "mnt":
        try:
            relocated(TARGET)
        except RuntimeError as error:
            return str(error)
    command = [sys.executable, __file__, json.dumps([kind]), "true"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return None if done.returncode == 0 else f"cannot create a {kind} namespace here: {done.stderr.strip()}"


def needs(*kinds: str) -> pytest.MarkDecorator:
    """Skip a test, saying why, when one of the namespace kinds it uses cannot be created here."""
    reasons = [why for kind in kinds if (why := cannot_create(kind)) is not None]
    return pytest.mark.skipif(bool(reasons), reason="; ".join(reasons))


def kind_params(combinations: Sequence[tuple[str, ...]]) -> list[object]:
    """pytest parameters for namespace combinations, each skipped alone when its kinds cannot be made."""
    return [pytest.param(kinds, id="+".join(kinds), marks=needs(*kinds)) for kinds in combinations]


class Relocated:
    """A self-contained interpreter (its loader and libraries under its own prefix) bound at another path
    of the same length inside the image, run from a copy of its binary whose built-in paths say so."""

    def __init__(self, python: str, folder: Path) -> None:
        real = Path(os.path.realpath(python))
        data = real.read_bytes()
        prefix = Path(os.path.commonpath([real, _program_interpreter(data)]))
        if len(prefix.parts) < 3:
            raise RuntimeError(
                f"{python} uses the system's loader; the container tests need a self-contained build"
            )
        self.prefix = str(prefix)
        self.inside = "/" + "/".join((("ctr" + "x" * 64)[: len(prefix.parts[1])], *prefix.parts[2:]))
        self.relative = str(real.relative_to(prefix))
        self.binary = folder / real.name
        self.binary.write_bytes(data.replace(self.prefix.encode() + b"/", self.inside.encode() + b"/"))
        self.binary.chmod(0o755)
        self.python = f"{self.inside}/{self.relative}"
        """The interpreter's path inside the container."""


def _program_interpreter(elf: bytes) -> str:
    """The PT_INTERP path of a 64-bit little-endian ELF executable."""
    (phoff,) = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for index in range(phnum):
        kind, _flags, offset, _vaddr, _paddr, size = struct.unpack_from(
            "<IIQQQQ", elf, phoff + index * phentsize
        )
        if kind == 3:
            return elf[offset : offset + size].rstrip(b"\0").decode()
    return "/"


@functools.cache
def relocated(python: str) -> Relocated:
    folder = Path(tempfile.mkdtemp(prefix="container-image-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    folder.chmod(0o755)
    return Relocated(python, folder)


class ContainerTarget(Target):
    """A target running in a container: `pid` is its PID here, `pid_inside` its own."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        super().__init__(process)
        self.launcher = process
        self.pid_inside = 0
        self.image = ""
        """Where its root filesystem is mounted in its own mount namespace (with `mnt`)."""
        self.stderr_lines: list[str] = []
        self._stderr = asyncio.get_running_loop().create_task(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.stderr_lines.append(line.decode(errors="replace").rstrip("\n"))

    def find(self, program: str) -> None:
        """Learn which process here is the target: the Python process the launcher started."""
        for pid in [*_descendants(self.launcher.pid), self.launcher.pid]:
            with contextlib.suppress(OSError):
                runs_python = os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith("python")
                if runs_python and program.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    self.pid = pid
                    self.pid_inside = _ns_pid(pid)
                    return
        raise AssertionError(f"no Python process running {program} under launcher {self.launcher.pid}")

    async def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self.pid != self.launcher.pid:
                os.kill(self.pid, signal.SIGKILL)
        await super().stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._stderr


@contextlib.asynccontextmanager
async def start_container(
    program: str,
    *args: str,
    kinds: Sequence[str] = KINDS,
    python: str = TARGET,
    python_args: Sequence[str] = (),
    user: str = "0:0",
    ready: str = "READY",
    env: dict[str, str] | None = None,
) -> AsyncIterator[ContainerTarget]:
    """Run `program` (a name in tests/targets/) in namespaces of `kinds`; yield it once it printed `ready`.

    `user` is `uid:gid` inside the container (with `mnt`); outside a user namespace it is the host's.
    `env` is added to its environment."""
    source = TARGETS / program
    image = tempfile.mkdtemp(prefix="container-root-")
    os.chmod(image, 0o755)
    if "mnt" in kinds:
        image_python = relocated(python)
        command = [
            "sh", "-c", SETUP, "setup", image, image_python.prefix, image_python.inside,
            str(image_python.binary), image_python.relative, str(source),
            "yes" if "pid" in kinds else "no", user, *python_args,
        ]  # fmt: skip
        tail = list(args)
    else:
        command, tail = [python, *python_args, str(source)], list(args)
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, json.dumps(list(kinds)), *command, *tail,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    target = ContainerTarget(process)
    target.image = image
    try:
        await target.expect(re.escape(ready), timeout=30)
        target.find(program)
        yield target
    finally:
        await target.stop()
        with contextlib.suppress(OSError):
            os.rmdir(image)


def sidecar(target: ContainerTarget) -> list[str]:
    """The command prefix that runs a program in `target`'s PID namespace and nowhere else of its."""
    return [
        "nsenter", f"--target={target.pid}", "--pid", "--",
        "unshare", "--mount", "--net", "--", "sh", "-c", SIDECAR, "sidecar", str(CHECKOUT),
    ]  # fmt: skip


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                found += [int(child) for child in children]
                todo += [int(child) for child in children]
    return found


def _ns_pid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return pid


def _launch(kinds: list[str], command: list[str]) -> int:
    """Make the namespaces of `kinds` and run `command` in them (the launcher's entry point)."""
    flags = [flag for kind in KINDS if kind in kinds for flag in _UNSHARE_FLAGS.get(kind, [])]
    unshare = ["unshare", *flags, "--", *command]
    if "user" not in kinds:
        os.execvp("unshare", unshare)
    unshared_r, unshared_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.unshare(os.CLONE_NEWUSER)
        os.write(unshared_w, b"u")
        os.read(mapped_r, 1)
        os.setresgid(0, 0, 0)
        os.setgroups([])
        os.setresuid(0, 0, 0)
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        os.execvp("unshare", unshare)
    os.read(unshared_r, 1)
    for name in ("uid_map", "gid_map"):
        Path(f"/proc/{child}/{name}").write_text(f"0 {HOST_UID} 65536\n")
    os.write(mapped_w, b"m")
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(_launch(json.loads(sys.argv[1]), sys.argv[2:]))
