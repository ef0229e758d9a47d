"""The processes below an attached one, and what the kernel says when one ends.

Children are found in the process table, not by patching the target's `subprocess` or `multiprocessing`:
`ProcessTable.refresh` walks down from the attached process through the kernel's list of each thread's
children (`/proc/PID/task/TID/children`), so what watching costs depends on the tree, not on how many
processes the host runs; a kernel built without those lists gets the whole of `/proc` listed instead.
A process's *image* (where exec put its stack and its arguments) tells a fork copy from an exec'd
program: a fork child shares its parent's image until it execs, and every exec gets a new one
(address-space randomisation). psutil does not say where a process's stack starts, so `read_stat` reads
`/proc/PID/stat` itself, and following a tree is for Linux only (`handlers/subprocesses.py` says so
elsewhere).
"""

import asyncio
import contextlib
import dataclasses
import functools
import os
import re
import signal
import sys
import time
from collections.abc import Iterator

from dapattach import procfs
from dapattach.processes import ProcessInfo, display_command

_PYTHON = re.compile(r"python[\d.]*t?$")


@dataclasses.dataclass(frozen=True, slots=True)
class Stat:
    pid: int
    ppid: int
    state: str
    start_ticks: int
    """When the process started, in clock ticks after boot."""
    image: tuple[int, int] | None
    """(start of stack, start of argv) in its memory; None while it has no memory (exiting, a zombie)."""


def read_stat(pid: int) -> Stat | None:
    """The fields of `/proc/PID/stat` used here, or None when there is no such process (or no `/proc`)."""
    if sys.platform != "linux":
        return None
    try:
        fields = procfs.stat_fields(pid)
    except OSError:
        return None
    try:
        # After the command: state(3) ppid(4) ... starttime(22) ... startstack(28) ... arg_start(48).
        startstack, arg_start = int(fields[25]), int(fields[45])
        image = (startstack, arg_start) if startstack else None
        return Stat(pid, int(fields[1]), fields[0].decode(), int(fields[19]), image)
    except IndexError, ValueError:
        return None


def age(stat: Stat) -> float:
    """Seconds since the process started."""
    if sys.platform != "linux":
        raise NotImplementedError("a `Stat` is read on Linux only")
    return time.clock_gettime(time.CLOCK_BOOTTIME) - stat.start_ticks / _clock_ticks()


@functools.cache
def _clock_ticks() -> int:
    if sys.platform == "win32":
        raise NotImplementedError("a `Stat` is read on Linux only")
    return os.sysconf("SC_CLK_TCK")


class ProcessTable:
    """Which process is whose child below one process, kept current by `refresh`, which the follower
    calls every 50 ms for as long as a session lasts: it must cost next to nothing while nothing happens.

    Listing every PID in `/proc` made an idle adapter take 1 % of a CPU on a host of 120 processes and
    5 % on one of 1,500. So where the kernel keeps each thread's children (`CONFIG_PROC_CHILDREN`, in the
    common distributions' kernels) a refresh reads those lists from the root down: one small file per
    thread of each process in the tree, about 4 µs each. Elsewhere it lists `/proc` and reads the parent
    only of PIDs it has not seen (`read_stat`, about 17 µs each here: 17 ms on a host of a thousand
    processes for the first refresh), letting the event loop serve requests between batches of `BATCH`:
    the first refresh comes right when the editor asks for threads and stacks."""

    BATCH = 100

    def __init__(self, walk: bool | None = None) -> None:
        self._parents: dict[int, int] = {}
        self._children: dict[int, set[int]] = {}
        self._walk = _children_lists() if walk is None else walk
        """True: walk down from the root through the children lists; False: list the whole of `/proc`."""

    async def refresh(self, root: int) -> None:
        if self._walk:
            self._walk_down(root)
        else:
            await self._list_all()

    def _walk_down(self, root: int) -> None:
        parents: dict[int, int] = {}
        children: dict[int, set[int]] = {}
        queue = [root]
        while queue:
            pid = queue.pop()
            found = _children_of(pid) - parents.keys() - {root}  # a loop would need a reused PID mid-walk
            if found:
                children[pid] = found
                parents.update(dict.fromkeys(found, pid))
                queue.extend(found)
        self._parents, self._children = parents, children

    async def _list_all(self) -> None:
        try:
            pids = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        except OSError:
            return
        for pid in self._parents.keys() - pids:
            self._forget(pid)
        for count, pid in enumerate(pids - self._parents.keys(), start=1):
            stat = read_stat(pid)
            parent = stat.ppid if stat is not None else 0
            self._parents[pid] = parent  # 0 too (PIDs 1 and 2, or gone): not read again at each refresh
            if parent:
                self._children.setdefault(parent, set()).add(pid)
            if count % self.BATCH == 0:
                await asyncio.sleep(0)

    def _forget(self, pid: int) -> None:
        parent = self._parents.pop(pid)
        siblings = self._children.get(parent)
        if siblings is not None:
            siblings.discard(pid)
            if not siblings:
                del self._children[parent]

    def descendants(self, root: int) -> Iterator[int]:
        """Every process below `root`, each after its parent."""
        queue = sorted(self._children.get(root, ()))
        while queue:
            pid = queue.pop(0)
            yield pid
            queue.extend(sorted(self._children.get(pid, ())))

    def parent(self, pid: int) -> int | None:
        parent = self._parents.get(pid)
        return parent or None


@functools.cache
def _children_lists() -> bool:
    """Whether this kernel lists each thread's children in `/proc` (one of our own threads' lists tells,
    found through `/proc/self`: a `/proc` of another PID namespace does not know our PID)."""
    if sys.platform != "linux":
        return False
    try:
        return os.path.exists(f"/proc/self/task/{min(os.listdir('/proc/self/task'))}/children")
    except OSError, ValueError:
        return False


def _children_of(pid: int) -> set[int]:
    """The children of every thread of `pid` (a child is listed under the thread that started it); an
    empty set for a process that is gone."""
    if sys.platform == "win32":
        return set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return set()
    found: set[int] = set()
    for task in tasks:
        try:
            fd = os.open(f"/proc/{pid}/task/{task}/children", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue  # the thread has ended
        try:
            listed = b""
            while chunk := os.read(fd, 65536):
                listed += chunk
        except OSError:
            continue
        finally:
            os.close(fd)
        found.update(map(int, listed.split()))
    return found


def session_name(info: ProcessInfo, parent_argv: tuple[str, ...] | None) -> str:
    """How a child's debug session is called: its PID and what it is, e.g. `worker 4711: gunicorn app:app`
    for a forked copy of its parent, `subprocess 4712: tool.py --fast` for a program it started."""
    kind = "worker" if parent_argv is not None and info.argv == parent_argv else "subprocess"
    text = " ".join(info.argv)
    for marker, what in _MULTIPROCESSING:
        if marker in text:
            if kind == "worker":
                return f"worker {info.pid}: multiprocessing"
            return f"{what} {info.pid}: multiprocessing"
    return f"{kind} {info.pid}: {short_command(info.argv)}"


_MULTIPROCESSING = (
    ("--multiprocessing-fork", "worker"),
    ("multiprocessing.forkserver", "forkserver"),
    ("multiprocessing.resource_tracker", "resource tracker"),
)


def short_command(argv: tuple[str, ...], limit: int = 80) -> str:
    """The command line as a person names it: `gunicorn app:app` for `/usr/bin/python3 -u /usr/bin/gunicorn
    app:app` (a script's name without the interpreter and its options), `python3.14 -m app` otherwise; cut
    to `limit` characters."""
    if argv:
        argv = (os.path.basename(argv[0]), *argv[1:])
        script = _script_index(argv) if _PYTHON.match(argv[0]) else None
        if script is not None:
            argv = (os.path.basename(argv[script]), *argv[script + 1 :])
    text = display_command(argv) or "?"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _script_index(argv: tuple[str, ...]) -> int | None:
    """Where the script is in a Python command line, or None for `-c`, `-m`, `-` and no script at all."""
    index = 1
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-"):
            return index
        if arg in ("-", "--") or arg[1:2] in ("c", "m"):
            return index + 1 if arg == "--" and index + 1 < len(argv) else None
        if arg in ("-X", "-W"):
            index += 1  # its value is the next argument
        index += 1
    return None


EXEC_SETTLE = 0.5
"""How long an exec under way may show no image (see `image_after_close`) before the process counts as
ending."""


async def image_after_close(pid: int) -> tuple[int, int] | None:
    """The image of `pid` just after its agent's socket closed: the new program's if it exec'd, the old
    one's if it runs on, None once it is gone. An exec closes the old program's files (the socket with
    them) a moment before it builds the new stack, and meanwhile `/proc` shows no image, as for a process
    on its way out: look again until one shows, it becomes a zombie, or `EXEC_SETTLE` has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EXEC_SETTLE
    while (stat := read_stat(pid)) is not None and stat.state not in ("Z", "X"):
        if stat.image is not None:
            return stat.image
        if loop.time() >= deadline:
            break
        await asyncio.sleep(0.002)
    return None


async def wait_exit(pidfd: int, timeout: float | None) -> bool:
    """Wait until the process behind `pidfd` has exited (the fd becomes readable), or time out."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(pidfd, readable)
    try:
        async with asyncio.timeout(timeout):
            await done
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(pidfd)


def signal_name(code: int) -> str:
    """`exit code 137 (SIGKILL)` for a shell-style code above 128, else `exit code N`."""
    if code > 128:
        with contextlib.suppress(ValueError):
            return f"exit code {code} ({signal.Signals(code - 128).name})"
    return f"exit code {code}"
