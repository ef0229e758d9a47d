"""Which local processes run Python, which version, and whether dapattach may attach to them.

Used by `dapattach ps` (a process picker for people and editors) and by the attach code, which calls
`describe_process` / `require_attachable` to turn a bad PID into a message that says what to do.
The process facts (PIDs, state, owner, command line, executable, environment) come from `/proc` on Linux
(`procfs`, which answers as psutil would, without its import) and from psutil elsewhere, and the exact
version from the interpreter binary on disk, so listing stays cheap: on Linux it
is the `_Py_DebugOffsets` header CPython places at the start of its `.PyRuntime` ELF section (cookie
`xdebugpy`, then `PY_VERSION_HEX`, then the free-threading flag), read from the file (`/proc/PID/exe`, or
the libpython in `/proc/PID/maps`) without touching the process's memory. Elsewhere the major.minor comes
from the names of the executable and the Python library it loaded. On Linux a process in a container also
shows its PID inside and its container (`runtimes`).
"""

import dataclasses
import enum
import json
import os
import re
import struct
import sys
from typing import Any

from dapattach import host
from dapattach.runtimes import Container, container_of

MIN_VERSION = (3, 14)
_PYTHON_NAME = re.compile(r"python(\d)\.(\d+)(t?)$")
_LIBPYTHON = re.compile(r"/libpython(\d)\.(\d+)(t?)\.so")
_LIBRARY_NAMES = re.compile(
    r"(?:libpython(\d)\.(\d+)t?\.(?:so|dylib)|Python\.framework/Versions/(\d)\.(\d+)/|python(\d)(\d\d)t?\.dll)",
    re.IGNORECASE,
)
_DEBUG_COOKIE = b"xdebugpy"


class ProcessError(Exception):
    """A PID that cannot be attached to; the message is meant for the user as it is."""


class NoSuchProcess(ProcessError):
    pass


class Problem(enum.StrEnum):
    EXITED = "exited"
    NOT_PYTHON = "not-python"
    OLD_VERSION = "old-version"
    PERMISSION = "permission"
    REMOTE_DEBUG_DISABLED = "remote-debug-disabled"


@dataclasses.dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int | None
    """The parent's PID (`dapattach ps --tree` and editors' pickers group workers under their master)."""
    uid: int | None
    user: str | None
    name: str
    argv: tuple[str, ...]
    executable: str | None
    python: str | None
    """Exact version ("3.14.10", "3.14.0t" when free-threaded) or None when it cannot be read."""
    version: str | None
    """major.minor ("3.14"), known more often than `python` (e.g. from the executable's name)."""
    remote_debug: bool | None
    remote_debug_off_by: str | None
    """What turned remote debugging off ("it was started with -X disable-remote-debug"), if it is off."""
    attachable: bool
    reason: str | None
    problem: Problem | None
    """Why not attachable, as a value callers can match on; `reason` is the same for people."""
    pid_inside: int | None = None
    """Its PID in its own PID namespace (a container), when that differs from `pid`."""
    container: Container | None = None
    """The container it runs in, from its cgroup."""

    @property
    def is_python(self) -> bool:
        return self.version is not None

    @property
    def command_line(self) -> str:
        return display_command(self.argv) or f"[{self.name}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "ppid": self.ppid,
            "user": self.user,
            "uid": self.uid,
            "python": self.python,
            "version": self.version,
            "remoteDebug": self.remote_debug,
            "attachable": self.attachable,
            "reason": self.reason,
            "name": self.name,
            "commandLine": self.command_line,
            "argv": list(self.argv),
            "executable": self.executable,
            "pidInside": self.pid_inside or self.pid,
            "container": None if self.container is None else self.container.to_json(),
        }


def display_command(argv: tuple[str, ...]) -> str:
    """One line a person can read and paste: quotes where needed, control characters escaped."""
    return " ".join(_display_arg(arg) for arg in argv)


def _display_arg(arg: str) -> str:
    if arg and not re.search(r"[\s'\"\\$`]|[^\x20-\x7e\u00a0-\U0010ffff]", arg):
        return arg
    escaped = repr(arg)
    return escaped if escaped.startswith("'") else "'" + escaped[1:-1].replace("'", "\\'") + "'"


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _readable(arg: str) -> str:
    """An argument psutil decoded with surrogate escapes, with undecodable bytes shown as escapes."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _user_name(uid: int) -> str:
    return host.user_name(uid)


def _uids(process: Any) -> tuple[int, ...]:
    """Real, effective and saved uid (the kernel's ptrace check compares them all); () on Windows."""
    if host.WINDOWS:
        return ()
    return tuple(process.uids())


def _runtime_header(path: str) -> tuple[int, bool] | None:
    """(PY_VERSION_HEX, free_threaded) from the `.PyRuntime` section of an ELF64 file, if it has one."""
    try:
        with open(path, "rb") as file:
            header = file.read(64)
            if header[:6] != b"\x7fELF\x02\x01":
                return None
            shoff, shentsize, shnum, shstrndx = (
                struct.unpack_from("<Q", header, 0x28)[0],
                *struct.unpack_from("<HHH", header, 0x3A),
            )
            if shentsize != 64 or not 0 < shnum < 4096 or shstrndx >= shnum:
                return None
            file.seek(shoff)
            table = file.read(shnum * 64)
            sections = [struct.unpack_from("<IIQQQQ", table, index * 64) for index in range(shnum)]
            names_offset, names_size = sections[shstrndx][4], sections[shstrndx][5]
            file.seek(names_offset)
            names = file.read(min(names_size, 1 << 16))
            for name_at, _type, _flags, _addr, offset, size in sections:
                if names[name_at : name_at + 11] == b".PyRuntime\0" and size >= 24:
                    file.seek(offset)
                    data = file.read(24)
                    if data[:8] == _DEBUG_COOKIE:
                        version, free_threaded = struct.unpack_from("<QQ", data, 8)
                        return version, bool(free_threaded)
    except OSError, struct.error:
        return None
    return None


_headers: dict[tuple[int, int, int], tuple[int, bool] | None] = {}


def _header_of(path: str) -> tuple[int, bool] | None:
    """Cached per file (device, inode, mtime): most processes share a handful of binaries."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (status.st_dev, status.st_ino, status.st_mtime_ns)
    if key not in _headers:
        _headers[key] = _runtime_header(path)
    return _headers[key]


def _format_hexversion(hexversion: int, free_threaded: bool) -> str:
    major, minor, micro = hexversion >> 24, (hexversion >> 16) & 0xFF, (hexversion >> 8) & 0xFF
    level, serial = (hexversion >> 4) & 0xF, hexversion & 0xF
    suffix = {0xA: f"a{serial}", 0xB: f"b{serial}", 0xC: f"rc{serial}"}.get(level, "")
    return f"{major}.{minor}.{micro}{suffix}{'t' if free_threaded else ''}"


def _libpython(pid: int) -> str | None:
    try:
        maps = _read(f"/proc/{pid}/maps").decode(errors="replace")
    except OSError:
        return None
    for line in maps.splitlines():
        if _LIBPYTHON.search(line):
            return line.split(None, 5)[-1]
    return None


def _library_version(process: Any) -> str | None:
    """major.minor from the Python library a process loaded (`libpython3.14.dylib`, `Python.framework/
    Versions/3.14/Python`, `python314.dll`), where psutil lists the mapped files (not on macOS)."""
    psutil = host.psutil()
    try:
        paths = [region.path for region in process.memory_maps(grouped=True)]
    except psutil.Error, AttributeError, NotImplementedError, OSError:
        return None
    for path in paths:
        if found := _LIBRARY_NAMES.search(path):
            major, minor = [group for group in found.groups() if group is not None]
            return f"{major}.{minor}"
    return None


def _python_version(
    pid: int, exe: str | None, argv: tuple[str, ...], process: Any
) -> tuple[str | None, str | None]:
    """(exact version, "major.minor"): the binary's header first (Linux), then names (exe, the library,
    argv[0])."""
    candidates = []
    if exe is not None and host.LINUX:
        candidates.append(f"/proc/{pid}/exe")
        library = _libpython(pid)
        if library is not None:
            candidates.append(library)
    for path in candidates:
        header = _header_of(path)
        if header is not None:
            exact = _format_hexversion(*header)
            return exact, ".".join(exact.split(".")[:2])
    names = [os.path.basename(exe)] if exe else []
    names += [os.path.basename(argv[0])] if argv else []
    for name in names:
        match = _PYTHON_NAME.search(name)
        if match:
            return None, f"{match[1]}.{match[2]}"
    if exe and (framework := _LIBRARY_NAMES.search(exe)):
        major, minor = [group for group in framework.groups() if group is not None]
        return None, f"{major}.{minor}"
    if not host.LINUX:
        return None, _library_version(process)
    return None, None


def _interpreter_options(argv: tuple[str, ...]) -> tuple[bool, list[str]]:
    """(environment ignored by -E/-I, list of -X values) from the options before the script/-c/-m."""
    ignores_env, xoptions = False, []
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if not arg.startswith("-") or arg in ("-", "--"):
            break
        if arg.startswith("--"):
            continue
        for index, flag in enumerate(arg[1:], start=1):
            if flag in "EI":
                ignores_env = True
            elif flag in "XW":
                value = arg[index + 1 :] or (args.pop(0) if args else "")
                if flag == "X":
                    xoptions.append(value)
                break
            elif flag in "cm":
                return ignores_env, xoptions
    return ignores_env, xoptions


def _remote_debug_off(process: Any, argv: tuple[str, ...]) -> str | None:
    """Why PEP 768's switch is off: `-X disable-remote-debug`, or PYTHON_DISABLE_REMOTE_DEBUG set (unless
    -E/-I); None when it is on. Raises psutil's `Error` when the environment cannot be read."""
    ignores_env, xoptions = _interpreter_options(argv)
    if any(option.split("=")[0] == "disable-remote-debug" for option in xoptions):
        return "it was started with -X disable-remote-debug"
    if ignores_env:
        return None
    if process.environ().get("PYTHON_DISABLE_REMOTE_DEBUG"):
        return "PYTHON_DISABLE_REMOTE_DEBUG is set in its environment"
    return None


def _permission_problem(uids: tuple[int, ...], user: str | None) -> str | None:
    """What keeps us from the target's memory, by each system's rule (see the README's platform table)."""
    if sys.platform == "win32":
        me = host.psutil().Process().username()
        if user is None or user == me:
            return None
        return (
            f"owned by user {user}; dapattach runs as {me}: another user's process needs an elevated "
            "adapter (run as administrator, with SeDebugPrivilege)"
        )
    our_uid = os.geteuid()
    if our_uid == 0:
        return None
    if host.MACOS:
        return (
            "on macOS only root (or a program with the debugger entitlement) may read another process's "
            "memory: run dapattach with sudo"
        )
    if uids and all(uid == our_uid for uid in uids):
        return None
    return (
        f"owned by user {user}; dapattach runs as {_user_name(our_uid)} and needs the same user "
        "or root (CAP_SYS_PTRACE)"
    )


def _problem(
    pid: int, name: str, state: str, version: str | None, off_by: str | None, permission: str | None
) -> tuple[Problem, str] | None:
    if state in ("zombie", "dead"):
        return Problem.EXITED, f"process {pid} has exited (zombie)"
    if version is None:
        return Problem.NOT_PYTHON, f"process {pid} ({name}) is not running Python"
    if tuple(int(part) for part in version.split(".")) < MIN_VERSION:
        return (
            Problem.OLD_VERSION,
            f"process {pid} runs Python {version}; attaching needs Python 3.14 or newer",
        )
    if permission is not None:
        return Problem.PERMISSION, f"process {pid} is {permission}"
    if off_by is not None:
        return Problem.REMOTE_DEBUG_DISABLED, (
            f"remote debugging is disabled in process {pid} ({off_by}): restart it without that to attach"
        )
    return None


def _system() -> Any:
    """What reads the facts of processes: `procfs` on Linux, psutil elsewhere (the same calls)."""
    if host.LINUX:
        from dapattach import procfs

        return procfs
    return host.psutil()


def describe_process(pid: int) -> ProcessInfo:
    """Everything `ps` shows about one PID; raises NoSuchProcess when it does not exist (or just exited)."""
    psutil = _system()
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            state = process.status()
            ppid: int | None = process.ppid() or None
            uids = _uids(process)
            argv = tuple(_readable(arg) for arg in _cmdline(process))
            name = process.name()
            owner = process.username() if host.WINDOWS else None
    except psutil.NoSuchProcess:
        raise NoSuchProcess(f"no process with PID {pid} (it may have exited)") from None
    except psutil.AccessDenied as error:
        raise PermissionError(f"not allowed to look at process {pid}") from error
    try:
        exe: str | None = process.exe() or None
    except psutil.Error, OSError:
        exe = None
    uid = uids[1] if len(uids) > 1 else None
    user = owner if host.WINDOWS else (_user_name(uid) if uid is not None else None)
    zombie = state in ("zombie", "dead")
    python, version = _python_version(pid, exe, argv, process) if not zombie else (None, None)
    remote_debug: bool | None = None
    off_by = None
    if version is not None:
        try:
            off_by = _remote_debug_off(process, argv)
            remote_debug = off_by is None
        except psutil.Error, OSError:
            pass
    permission = _permission_problem(uids, user)
    problem, reason = _problem(pid, name, state, version, off_by, permission) or (None, None)
    inside = host.pid_inside(pid)
    if not host.exists(pid):
        raise NoSuchProcess(f"no process with PID {pid} (it exited while being inspected)")
    return ProcessInfo(
        pid=pid,
        ppid=ppid,
        uid=uid,
        user=user,
        name=name,
        argv=argv,
        executable=exe,
        python=python,
        version=version,
        remote_debug=remote_debug,
        remote_debug_off_by=off_by,
        attachable=reason is None,
        reason=reason,
        problem=problem,
        pid_inside=None if inside == pid else inside,
        container=container_of(pid),
    )


def _cmdline(process: Any) -> list[str]:
    """The arguments; [] for a zombie or a process whose arguments we may not read (psutil's error)."""
    psutil = _system()
    try:
        return list(process.cmdline())
    except psutil.ZombieProcess, psutil.AccessDenied:
        return []


def _pids() -> list[int]:
    if host.LINUX:
        return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    return list(host.psutil().pids())


def require_attachable(pid: int) -> ProcessInfo:
    """describe_process, raising ProcessError with the reason when dapattach cannot attach."""
    info = describe_process(pid)
    if info.reason is not None:
        raise ProcessError(info.reason)
    return info


def list_processes() -> list[ProcessInfo]:
    """Every process but this one, Python processes first, each group by PID."""
    found = []
    own = os.getpid()
    for pid in _pids():
        if pid == own or pid == 0:
            continue
        try:
            found.append(describe_process(pid))
        except NoSuchProcess:
            continue
        except PermissionError:
            continue
    return sorted(found, key=lambda info: (not info.is_python, info.pid))


def list_python_processes() -> list[ProcessInfo]:
    return [info for info in list_processes() if info.is_python]


def tree_order(infos: list[ProcessInfo]) -> list[tuple[ProcessInfo, str]]:
    """The processes depth first, each under its nearest listed ancestor (a worker under its master even
    with a shell between them), with the branch to draw before its command (`├─ `, `└─ `)."""
    listed = {info.pid for info in infos}
    parents = _parent_links(infos)

    def listed_ancestor(pid: int) -> int | None:
        parent, seen = parents.get(pid), set()
        while parent is not None and parent not in seen:
            if parent in listed:
                return parent
            seen.add(parent)
            parent = parents.get(parent)
        return None

    children: dict[int | None, list[ProcessInfo]] = {}
    for info in infos:
        children.setdefault(listed_ancestor(info.pid), []).append(info)
    ordered: list[tuple[ProcessInfo, str]] = []

    def walk(parent: int | None, indent: str) -> None:
        below = children.get(parent, [])
        for index, info in enumerate(below):
            last = index == len(below) - 1
            ordered.append((info, "" if parent is None else indent + ("└─ " if last else "├─ ")))
            walk(info.pid, "" if parent is None else indent + ("   " if last else "│  "))

    walk(None, "")
    return ordered


def _parent_links(infos: list[ProcessInfo]) -> dict[int, int | None]:
    """Each listed process's parent, and the parents of ancestors that are not listed."""
    parents: dict[int, int | None] = {info.pid: info.ppid for info in infos}
    for info in infos:
        parent = info.ppid
        while parent and parent not in parents:
            grandparent = host.parent_of(parent)
            if not grandparent:
                break
            parents[parent] = grandparent
            parent = grandparent
    return parents


def _format_table(infos: list[ProcessInfo], tree: bool = False) -> str:
    def remote(info: ProcessInfo) -> str:
        return {True: "enabled", False: "disabled", None: "unknown" if info.is_python else "-"}[
            info.remote_debug
        ]

    rows = [("PID", "USER", "PYTHON", "REMOTE-DEBUG", "ATTACH", "PID-INSIDE", "CONTAINER", "COMMAND")]
    ordered = tree_order(infos) if tree else [(info, "") for info in infos]
    for info, branch in ordered:
        command = branch + info.command_line
        if len(command) > 300:
            command = command[:299] + "…"
        rows.append(
            (
                str(info.pid),
                info.user or "?",
                info.python or info.version or "-",
                remote(info),
                "yes" if info.attachable else "no",
                str(info.pid_inside or "-"),
                str(info.container or "-"),
                command,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)] + [0]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str]) -> int:
    import argparse  # here, not at the top: the adapter imports this module and never needs it

    parser = argparse.ArgumentParser(
        prog="dapattach ps", description="List the Python processes dapattach could attach to."
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array (for editors and scripts)")
    parser.add_argument("--all", action="store_true", help="list every process, not only Python ones")
    parser.add_argument(
        "--tree", action="store_true", help="show each process under its parent (workers under their master)"
    )
    options = parser.parse_args(argv)
    infos = list_processes() if options.all else list_python_processes()
    if options.tree:
        infos = [info for info, _ in tree_order(infos)]
    if options.json:
        print(json.dumps([info.to_json() for info in infos], ensure_ascii=False, indent=1))
        return 0
    print(_format_table(infos, tree=options.tree))
    if not options.all:
        attachable = sum(info.attachable for info in infos)
        print(f"\n{len(infos)} Python process(es), {attachable} attachable", file=sys.stderr)
    return 0
