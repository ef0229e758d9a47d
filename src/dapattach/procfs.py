"""One process's facts as psutil gives them, read from Linux's `/proc` directly.

`processes.describe_process` runs for every attach (and for each process `dapattach ps` lists). On Linux
all it asks is a handful of files under `/proc/PID`, the very files psutil reads; but psutil takes about
20 ms to import, and the first attach of an editor's session would wait for that. This module answers the
calls `processes` makes, with psutil's meaning: the same methods of `Process`, exceptions of the same
names and kinds, the same status words. Elsewhere `processes` uses psutil itself.
"""

import contextlib
import os
from collections.abc import Iterator

STATUS_ZOMBIE = "zombie"
STATUS_DEAD = "dead"
STATES = {
    "R": "running",
    "S": "sleeping",
    "D": "disk-sleep",
    "T": "stopped",
    "t": "tracing-stop",
    "Z": STATUS_ZOMBIE,
    "X": STATUS_DEAD,
    "x": STATUS_DEAD,
    "K": "wake-kill",
    "W": "waking",
    "I": "idle",
    "P": "parked",
}
_COMM_LENGTH = 15
"""The kernel keeps a command name of at most 15 bytes (TASK_COMM_LEN - 1)."""


def stat_fields(pid: int, task: int | None = None) -> list[bytes]:
    """The fields of `/proc/PID/stat` (of thread `task`'s stat with one) after the command name, which may
    itself hold spaces and parentheses: state, ppid, ... as `man 5 proc` numbers them from 3. Raises
    `OSError` as `open` does. Every reader of those files in the adapter goes through this."""
    path = f"/proc/{pid}/stat" if task is None else f"/proc/{pid}/task/{task}/stat"
    with open(path, "rb") as file:
        return _after_name(file.read())


def open_files(pid: int, enough: int) -> tuple[int, int | None]:
    """How many files `pid` has open (at most: see below), and the soft limit on that (`RLIMIT_NOFILE`;
    None: unlimited). Raises `OSError` as `open` does.

    Counting a server's descriptors takes a while (100,000 of them: tens of milliseconds), so the size of
    its descriptor table (`FDSize`, which no descriptor reaches) stands for the count when that leaves at
    least `enough` to spare; they are counted only nearer the limit."""
    soft: int | None = None
    with open(f"/proc/{pid}/limits", encoding="ascii", errors="replace") as limits:
        for line in limits:
            if line.startswith("Max open files"):
                word = line.removeprefix("Max open files").split()[0]
                soft = None if word == "unlimited" else int(word)
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        table = next((int(line.split()[1]) for line in status if line.startswith("FDSize:")), None)
    if table is not None and (soft is None or soft - table >= enough):
        return table, soft
    return len(os.listdir(f"/proc/{pid}/fd")), soft


def thread_state(pid: int, tid: int) -> str:
    """The kernel's state letter of thread `tid` of `pid` (`R`, `S`, `D`, ...; its words in `STATES`), or
    `?` when it cannot be read (the thread has ended)."""
    try:
        fields = stat_fields(pid, tid)
    except OSError:
        return "?"
    return fields[0].decode("ascii", "replace") if fields else "?"


def _after_name(stat: bytes) -> list[bytes]:
    return stat.rpartition(b")")[2].split()


class Error(Exception):
    pass


class NoSuchProcess(Error):
    pass


class ZombieProcess(NoSuchProcess):
    pass


class AccessDenied(Error):
    pass


class Process:
    """Process `pid`, or `NoSuchProcess` when there is none."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        if pid < 0 or not os.path.isdir(f"/proc/{pid}"):
            raise NoSuchProcess(f"process PID not found (pid={pid})")

    @contextlib.contextmanager
    def oneshot(self) -> Iterator[None]:
        """psutil's cache of `/proc/PID/stat` between calls; each call here reads its file anew."""
        yield

    def status(self) -> str:
        return STATES.get(self._stat()[0].decode("ascii", "replace"), "?")

    def ppid(self) -> int:
        return int(self._stat()[1])

    def uids(self) -> tuple[int, int, int]:
        """Real, effective and saved uid."""
        for line in self._read("status").decode("ascii", "replace").splitlines():
            if line.startswith("Uid:"):
                real, effective, saved = (int(field) for field in line.split()[1:4])
                return real, effective, saved
        raise Error(f"no Uid line in /proc/{self.pid}/status")

    def name(self) -> str:
        """The command name; when the kernel cut it at 15 bytes, the first argument's file name if that
        starts with it (as psutil does)."""
        raw = self._read("stat")
        name = raw[raw.index(b"(") + 1 : raw.rindex(b")")].decode(errors="surrogateescape")
        if len(name) >= _COMM_LENGTH:
            with contextlib.suppress(AccessDenied, ZombieProcess):
                argv = self.cmdline()
                if argv and os.path.basename(argv[0]).startswith(name):
                    return os.path.basename(argv[0])
        return name

    def cmdline(self) -> list[str]:
        """The arguments ([] for a kernel thread). A program that rewrote its arguments into one
        space-separated string has it split at the spaces, as psutil does."""
        data = self._read("cmdline").decode(errors="surrogateescape")
        if not data:
            self._raise_if_zombie()
            return []
        separator = "\0" if data.endswith("\0") else " "
        if data.endswith(separator):
            data = data[:-1]
        arguments = data.split(separator)
        if separator == "\0" and len(arguments) == 1 and " " in data:
            arguments = data.split(" ")
        return arguments

    def exe(self) -> str:
        """The executable's path ("" for a kernel thread). When the link may not be read (another user's
        process), an absolute first argument that is an executable file stands in, as in psutil."""
        try:
            path = os.readlink(f"/proc/{self.pid}/exe")
        except FileNotFoundError, ProcessLookupError:
            if not os.path.lexists(f"/proc/{self.pid}"):
                raise NoSuchProcess(f"process no longer exists (pid={self.pid})") from None
            self._raise_if_zombie()
            return self._guess_exe("")
        except PermissionError:
            return self._guess_exe(None)
        path = path.split("\0")[0]
        if path.endswith(" (deleted)") and not os.path.exists(path):
            path = path[: -len(" (deleted)")]
        return path

    def environ(self) -> dict[str, str]:
        data = self._read("environ").decode(errors="surrogateescape")
        variables = {}
        for entry in data.split("\0"):
            key, equals, value = entry.partition("=")
            if equals and key:
                variables[key] = value
        return variables

    def _guess_exe(self, fallback: str | None) -> str:
        """The first argument when it is an absolute path to an executable file; else `fallback`, or
        `AccessDenied` when that is None."""
        with contextlib.suppress(Error):
            argv = self.cmdline()
            if argv and os.path.isabs(argv[0]) and os.path.isfile(argv[0]) and os.access(argv[0], os.X_OK):
                return argv[0]
        if fallback is None:
            raise AccessDenied(f"not allowed to read /proc/{self.pid}/exe")
        return fallback

    def _stat(self) -> list[bytes]:
        """`stat_fields`, with this class's exceptions."""
        return _after_name(self._read("stat"))

    def _read(self, name: str) -> bytes:
        """The file's bytes; a process that is gone raises `NoSuchProcess` (`ZombieProcess` if it is one)."""
        try:
            with open(f"/proc/{self.pid}/{name}", "rb") as file:
                return file.read()
        except PermissionError:
            raise AccessDenied(f"not allowed to read /proc/{self.pid}/{name}") from None
        except FileNotFoundError, ProcessLookupError:
            self._raise_if_zombie()
            raise NoSuchProcess(f"process no longer exists (pid={self.pid})") from None

    def _raise_if_zombie(self) -> None:
        try:
            zombie = stat_fields(self.pid)[0] == b"Z"
        except OSError, IndexError:
            return
        if zombie:
            raise ZombieProcess(f"process is a zombie (pid={self.pid})")
