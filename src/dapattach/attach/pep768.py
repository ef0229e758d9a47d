"""PEP 768's remote-debugging attach protocol, spoken directly from Python.

`sys.remote_exec` has two limits that matter to a debugger adapter: it refuses a target of another
major.minor than the caller's own interpreter, and it always asks the *main* thread to run the script,
which never happens while that thread is blocked in C (`time.sleep(3600)`, `socket.accept()`, an idle
event loop) even if other threads are running Python. The protocol underneath is documented for tool
authors (CPython's howto "Remote debugging attachment protocol") and is small:

1. find the target's `PyRuntime` (the `.PyRuntime` ELF section of its executable or libpython, relocated
   by the load address from `/proc/PID/maps`);
2. read `_Py_DebugOffsets` at its start: cookie `xdebugpy`, `PY_VERSION_HEX`, free-threaded flag, and the
   offsets of the interpreter/thread-state fields in *this* build;
3. walk to a thread state; write the script path into its `remote_debugger_support` buffer, set
   `debugger_pending_call = 1`, and set `_PY_EVAL_PLEASE_STOP_BIT` in its `eval_breaker`.

The target's own eval loop then notices the bit at its next check (`_Py_HandlePending`), calls
`_PyRunRemoteDebugger`, which clears the pending flag, raises the audit event and runs the file. Since
we only write memory the interpreter reads, the target's config (`-X disable-remote-debug`), audit hooks
and `io.open_code` hook are honoured exactly as with `sys.remote_exec`.

Every offset comes from the target's own table (`debug_offsets.py`, which knows where each entry sits in
it for 3.14 and 3.15 and checks the values fit together before anything is written by them).
`_PY_EVAL_PLEASE_STOP_BIT` is `1 << 5` in both (`Include/internal/pycore_ceval.h`).
"""

import os
import stat
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Literal

assert sys.platform == "linux", "the attach protocol is spoken here through Linux interfaces"

from dapattach import namespaces, procfs  # noqa: E402
from dapattach.attach import debug_offsets, elf  # noqa: E402
from dapattach.attach.debug_offsets import PythonVersion  # noqa: E402
from dapattach.attach.procmem import ProcessMemory, read_maps  # noqa: E402

__all__ = [
    "AttachError",
    "AttachPermissionError",
    "InjectResult",
    "NoSuchProcessError",
    "NotPythonError",
    "PythonVersion",
    "RemoteDebugDisabledError",
    "StaleMemoryError",
    "ThreadInfo",
    "ThreadNotFoundError",
    "UnsupportedPythonError",
    "cancel",
    "holds",
    "inject",
    "is_pending",
    "list_threads",
    "python_version",
    "read_version",
    "request_state",
    "running_thread",
]

_PLEASE_STOP_BIT = 1 << 5
_MIN_SAMPLES = 8
_SAMPLE_BUDGET = 0.1
_SAMPLE_INTERVAL = 0.002


class AttachError(RuntimeError):
    """Injection into `pid` cannot proceed; the message says why and what to do."""

    def __init__(self, pid: int, message: str) -> None:
        super().__init__(message)
        self.pid = pid


class NoSuchProcessError(AttachError, ProcessLookupError):
    """There is no process with that PID (or it exited meanwhile)."""


class AttachPermissionError(AttachError, PermissionError):
    """The adapter may not read or write the target's memory."""


class NotPythonError(AttachError):
    """The process has no CPython runtime in any mapped file."""


class UnsupportedPythonError(AttachError):
    """CPython, but a version or build whose layout this module does not speak."""


class RemoteDebugDisabledError(AttachError):
    """The target runs with `-X disable-remote-debug` or `PYTHON_DISABLE_REMOTE_DEBUG`."""


class StaleMemoryError(AttachError):
    """A read or write hit memory the target no longer maps, typically a thread state freed by a thread
    that exited while we walked the thread list (the walk cannot take the target's lock)."""


class ThreadNotFoundError(AttachError):
    """The requested native thread id is not a Python thread of the target."""


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    native_id: int
    """The kernel thread id (`threading.get_native_id()`, `/proc/PID/task/TID`)."""
    is_main: bool
    running_python: bool | None
    """Whether its current frame or instruction moved while sampled; None when not sampled."""
    kernel_state: str
    """`R`, `S`, `D`... from `/proc/PID/task/TID/stat`, `?` when unreadable."""
    address: int = field(repr=False)


@dataclass(frozen=True, slots=True)
class InjectResult:
    pid: int
    python: PythonVersion
    thread: ThreadInfo
    script_path: str
    elapsed: float
    """Seconds spent in `inject` (locating, reading, sampling threads, writing)."""
    pending_flag_address: int = field(repr=False)
    native_id_address: int = field(repr=False)
    script_path_address: int = field(repr=False, default=0)


def read_version(pid: int) -> tuple[int, int, bool]:
    """(major, minor, free_threaded) of the CPython running as `pid`, from its debug-offsets header."""
    version = python_version(pid)
    return version.major, version.minor, version.free_threaded


def python_version(pid: int) -> PythonVersion:
    """The full version of the CPython running as `pid` (3.13+: earlier ones have no offsets table)."""
    with _Target.open(pid) as target:
        return target.version


def list_threads(pid: int, *, sample: bool = True) -> list[ThreadInfo]:
    """The main interpreter's Python threads, main thread first; `sample` checks which run Python."""
    with _Target.open(pid) as target:
        target.require_supported()
        threads = target.threads()
        running = target.sample_running(threads) if sample else None
        return [target.describe(t, running) for t in threads]


def running_thread(pid: int) -> int | None:
    """The native id of the thread "auto" would choose, sampled the same way, or None when no thread is
    running Python: a caller can then leave a request where it is rather than move it."""
    with _Target.open(pid) as target:
        target.require_supported()
        threads = target.threads()
        chosen = target.best_running(threads, target.sample_running(threads)) if threads else None
        return None if chosen is None else target.native_id(chosen)


def inject(
    pid: int, script_path: str, *, thread: int | Literal["main", "auto"] = "main", verified: bool = False
) -> InjectResult:
    """Ask thread `thread` of `pid` to run `script_path`; see `_inject_once`. A walk that met a thread
    exiting under it (`StaleMemoryError`) is done again, at most three times in all.

    `script_path` is as the target names it. Unless the caller `verified` that the target sees that file
    (in a container it may not exist under that name here), it must exist here."""
    for attempt in range(3):
        try:
            return _inject_once(pid, script_path, thread=thread, verified=verified)
        except StaleMemoryError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _inject_once(
    pid: int, script_path: str, *, thread: int | Literal["main", "auto"] = "main", verified: bool = False
) -> InjectResult:
    """Ask thread `thread` of `pid` to run the Python file `script_path` at its next bytecode check.

    `thread` is "main" (what `sys.remote_exec` does), a native thread id, or "auto": the thread that is
    executing bytecode right now. "auto" samples every thread's current frame pointer and that frame's
    instruction pointer every 2 ms for 16 ms (up to 100 ms while none moves): a thread whose pair still
    moves in the second half of the samples is running Python and will check its eval breaker within
    microseconds; a thread blocked in C (sleep, accept, select, waiting on a lock) shows the same pair
    every time. The main thread wins when it moves (it is where `sys.remote_exec` would run the script);
    otherwise the last GIL holder among the moving threads, otherwise the first moving one. When no
    thread moves, "auto" falls back to the main thread and the result says `running_python=False`: the
    script runs when that thread next executes bytecode, and the caller may `cancel` it and retry later.
    Only the main interpreter's threads are considered (subinterpreters have their own thread lists).

    Returns once the request is written; the script itself runs later, in the target. `is_pending`
    tells whether the target has picked it up yet. The file must stay readable until then.
    """
    started = time.perf_counter()
    if verified and not os.path.isabs(script_path):
        raise ValueError(f"script path for PID {pid} must be absolute as the target sees it: {script_path}")
    path = script_path if verified else os.path.abspath(script_path)
    if not verified and not os.path.isfile(path):
        raise FileNotFoundError(f"script to inject into PID {pid} does not exist: {path}")
    encoded = os.fsencode(path)
    with _Target.open(pid) as target:
        target.require_supported()
        if len(encoded) >= target.offset("debugger_support.debugger_script_path_size"):
            raise ValueError(
                f"script path is {len(encoded)} bytes; Python {target.version} accepts at most "
                f"{target.offset('debugger_support.debugger_script_path_size') - 1}: {path}"
            )
        target.require_enabled()
        threads = target.threads()
        chosen, running = target.choose(threads, thread)
        support = chosen + target.offset("debugger_support.remote_debugger_support")
        pending_flag = support + target.offset("debugger_support.debugger_pending_call")
        path_address = support + target.offset("debugger_support.debugger_script_path")
        target.write(path_address, encoded + b"\0")
        target.write(pending_flag, struct.pack("=i", 1))
        target.set_please_stop(chosen)
        info = target.describe(chosen, running)
        return InjectResult(
            pid=pid,
            python=target.version,
            thread=info,
            script_path=path,
            elapsed=time.perf_counter() - started,
            pending_flag_address=pending_flag,
            native_id_address=chosen + target.offset("thread_state.native_thread_id"),
            script_path_address=path_address,
        )


def is_pending(result: InjectResult) -> bool:
    """True while the chosen thread has not yet started the injected script.

    The target clears `debugger_pending_call` just before it runs the file, so this is the only
    completion signal the protocol gives. False as well when the thread has exited since.
    """
    with ProcessMemory(result.pid) as memory:
        try:
            if not _same_thread(memory, result):
                return False
            return int(struct.unpack("=i", memory.read(result.pending_flag_address, 4))[0]) == 1
        except ProcessLookupError:
            return False


def holds(result: InjectResult) -> bool:
    """Whether the chosen thread's slot still holds our script's path: another debugger attaching at the
    same moment may have written its own over it (the slot has room for one request)."""
    encoded = os.fsencode(result.script_path) + b"\0"
    with ProcessMemory(result.pid) as memory:
        try:
            held = memory.read(result.script_path_address, len(encoded))
            return _same_thread(memory, result) and held == encoded
        except ProcessLookupError:
            return False


def request_state(result: InjectResult) -> Literal["pending", "taken", "displaced", "gone"]:
    """Where the request stands: still `pending`; `taken` (the thread cleared the flag, which it does just
    before it opens the script, while the slot still holds our path; or we cancelled it); `displaced` (the
    flag is clear and the slot holds another debugger's path); or `gone` with the thread that had it."""
    encoded = os.fsencode(result.script_path) + b"\0"
    with ProcessMemory(result.pid) as memory:
        try:
            if not _same_thread(memory, result):
                return "gone"
            flag = struct.unpack("=i", memory.read(result.pending_flag_address, 4))[0]
            ours = memory.read(result.script_path_address, len(encoded)) == encoded
        except ProcessLookupError:
            return "gone"
    if flag == 1:
        return "pending"
    return "taken" if ours else "displaced"


def cancel(result: InjectResult) -> bool:
    """Withdraw an injection the target has not picked up yet; True if it was still pending.

    Another debugger's request that replaced ours in the same slot is left alone. The stop bit stays
    set: the thread clears it itself at its next check, which is harmless.
    """
    with ProcessMemory(result.pid) as memory:
        try:
            if not _same_thread(memory, result):
                return False
            if struct.unpack("=i", memory.read(result.pending_flag_address, 4))[0] != 1:
                return False
            encoded = os.fsencode(result.script_path) + b"\0"
            if memory.read(result.script_path_address, len(encoded)) != encoded:
                return False
            memory.write(result.pending_flag_address, struct.pack("=i", 0))
            return True
        except ProcessLookupError:
            return False


def _same_thread(memory: ProcessMemory, result: InjectResult) -> bool:
    raw = memory.read(result.native_id_address, 8)
    return int.from_bytes(raw, sys.byteorder) == result.thread.native_id


class _Target:
    """One open target: its memory, `PyRuntime` address and parsed offsets table."""

    def __init__(self, pid: int, memory: ProcessMemory, runtime: int, pointer_size: int) -> None:
        self.pid = pid
        self.memory = memory
        self.runtime = runtime
        self.pointer_size = pointer_size
        version = debug_offsets.parse_header(self.read(runtime, debug_offsets.HEADER_SIZE))
        if version is None:
            raise UnsupportedPythonError(
                pid,
                f"PID {pid} runs a CPython older than 3.13 (no debug offsets in its runtime); "
                "attaching needs Python 3.14 or newer",
            )
        self.version = version
        self._offsets: dict[str, int] = {}

    @classmethod
    def open(cls, pid: int) -> _Target:
        runtime, pointer_size = _locate_runtime(pid)
        memory = ProcessMemory(pid)
        try:
            with _os_errors(pid):
                return cls(pid, memory, runtime, pointer_size)
        except BaseException:
            memory.close()
            raise

    def __enter__(self) -> _Target:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.memory.close()

    def read(self, address: int, size: int) -> bytes:
        with _os_errors(self.pid):
            return self.memory.read(address, size)

    def write(self, address: int, data: bytes) -> None:
        with _os_errors(self.pid):
            self.memory.write(address, data)

    def pointer(self, address: int) -> int:
        return int.from_bytes(self.read(address, self.pointer_size), sys.byteorder)

    def int64(self, address: int) -> int:
        return int.from_bytes(self.read(address, 8), sys.byteorder, signed=True)

    def offset(self, name: str) -> int:
        return self._offsets[name]

    def require_supported(self) -> None:
        """Parse the offsets table, or explain why this target's layout is not one we know."""
        v = self.version
        if (v.major, v.minor) < (3, 14):
            raise UnsupportedPythonError(
                self.pid, f"PID {self.pid} runs Python {v}; remote attach (PEP 768) needs Python 3.14+"
            )
        names = debug_offsets.entry_names(v)
        if names is None:
            known = ", ".join(f"{a}.{b}" for a, b in debug_offsets.LAYOUTS)
            raise UnsupportedPythonError(
                self.pid,
                f"PID {self.pid} runs Python {v}, whose debug-offsets layout dapattach does not know "
                f"(it knows {known}); attach with that Python's own `sys.remote_exec` instead",
            )
        if v.releaselevel not in ("rc", "final"):
            raise UnsupportedPythonError(
                self.pid,
                f"PID {self.pid} runs the pre-release Python {v}; its debug-offsets layout may differ "
                "from the release's, so dapattach will not write into it",
            )
        start = self.runtime + debug_offsets.HEADER_SIZE
        self._offsets = debug_offsets.parse_entries(names, self.read(start, 8 * len(names)))
        if not debug_offsets.consistent(self._offsets, self.pointer_size):
            raise UnsupportedPythonError(
                self.pid,
                f"the debug-offsets table of PID {self.pid} (Python {v}) is not laid out as "
                "dapattach expects for that version; refusing to write into the process",
            )

    def main_interpreter(self) -> int:
        if self.pointer(self.runtime + self.offset("runtime_state.finalizing")):
            raise AttachError(self.pid, f"PID {self.pid} is shutting down (Python is finalizing)")
        interp = self.pointer(self.runtime + self.offset("runtime_state.interpreters_head"))
        for _ in range(4096):
            if not interp:
                break
            if self.int64(interp + self.offset("interpreter_state.id")) == 0:
                return interp
            interp = self.pointer(interp + self.offset("interpreter_state.next"))
        raise AttachError(self.pid, f"PID {self.pid} has no running main interpreter (starting or exiting?)")

    def require_enabled(self) -> None:
        interp = self.main_interpreter()
        raw = self.read(interp + self.offset("debugger_support.remote_debugging_enabled"), 4)
        if struct.unpack("=i", raw)[0] != 1:
            raise RemoteDebugDisabledError(
                self.pid,
                f"remote debugging is disabled in PID {self.pid} (Python {self.version}): it was started "
                "with -X disable-remote-debug or PYTHON_DISABLE_REMOTE_DEBUG set, or built "
                "--without-remote-debug; restart it without these to attach",
            )

    def threads(self) -> list[int]:
        """Thread-state addresses of the main interpreter, the main thread first."""
        interp = self.main_interpreter()
        main = self.pointer(interp + self.offset("interpreter_state.threads_main"))
        found: list[int] = []
        tstate = self.pointer(interp + self.offset("interpreter_state.threads_head"))
        while tstate and len(found) < 1 << 16:
            found.append(tstate)
            tstate = self.pointer(tstate + self.offset("thread_state.next"))
        found.sort(key=lambda t: t != main)
        return found

    def native_id(self, tstate: int) -> int:
        return self.pointer(tstate + self.offset("thread_state.native_thread_id"))

    def is_main(self, tstate: int) -> bool:
        interp = self.main_interpreter()
        return tstate == self.pointer(interp + self.offset("interpreter_state.threads_main"))

    def describe(self, tstate: int, running: set[int] | None) -> ThreadInfo:
        native_id = self.native_id(tstate)
        return ThreadInfo(
            native_id=native_id,
            is_main=self.is_main(tstate),
            running_python=None if running is None else tstate in running,
            kernel_state=_kernel_state(self.pid, native_id),
            address=tstate,
        )

    def _position(self, tstate: int) -> tuple[int, int]:
        frame = self.pointer(tstate + self.offset("thread_state.current_frame"))
        if not frame:
            return 0, 0
        try:
            return frame, self.pointer(frame + self.offset("interpreter_frame.instr_ptr"))
        except AttachError:
            return frame, -1

    def sample_running(self, threads: list[int]) -> set[int]:
        """Threads whose (frame, instruction) pair moves in the second half of the samples taken.

        Only the second half counts: a thread that was finishing some bytecode when sampling began and
        then blocked (a main thread entering `time.sleep`) must not be mistaken for a running one.
        Sampling goes on past the first 16 ms, up to `_SAMPLE_BUDGET`, while no thread moves: on a
        loaded machine a computing thread can be off the CPU for several milliseconds.
        """
        history: dict[int, list[tuple[int, int]]] = {t: [self._position(t)] for t in threads}
        deadline = time.monotonic() + _SAMPLE_BUDGET
        while True:
            time.sleep(_SAMPLE_INTERVAL)
            for t in threads:
                history[t].append(self._position(t))
            taken = len(history[threads[0]]) if threads else 0
            if taken <= _MIN_SAMPLES:
                continue
            running = {
                t
                for t, seen in history.items()
                if len(set(seen[taken // 2 :])) > 1 and (0, 0) not in seen[taken // 2 :]
            }
            if running or time.monotonic() >= deadline:
                return running

    def choose(self, threads: list[int], wanted: int | str) -> tuple[int, set[int] | None]:
        """The thread state to inject into, and the sampled running set when sampling happened."""
        if not threads:
            raise AttachError(self.pid, f"PID {self.pid} has no Python thread to run the script")
        main = threads[0] if self.is_main(threads[0]) else None
        match wanted:
            case "main":
                if main is None:
                    raise ThreadNotFoundError(self.pid, f"PID {self.pid} has no main Python thread state")
                return main, None
            case "auto":
                running = self.sample_running(threads)
                chosen = self.best_running(threads, running)
                if chosen is not None:
                    return chosen, running
                return (main if main is not None else threads[0]), running
            case int() as native_id:
                for t in threads:
                    if self.native_id(t) == native_id:
                        return t, None
                ids = ", ".join(str(self.native_id(t)) for t in threads)
                raise ThreadNotFoundError(
                    self.pid,
                    f"PID {self.pid} has no Python thread with native id {native_id} (it has: {ids})",
                )
            case _:
                raise ValueError(f"thread must be 'main', 'auto' or a native thread id, not {wanted!r}")

    def best_running(self, threads: list[int], running: set[int]) -> int | None:
        """Among the threads seen running Python: the main thread, else the GIL holder, else the first."""
        if not running:
            return None
        if threads[0] in running and self.is_main(threads[0]):
            return threads[0]
        holder = self.pointer(
            self.main_interpreter() + self.offset("interpreter_state.gil_runtime_state_holder")
        )
        if holder in running:
            return holder
        return next(t for t in threads if t in running)

    def set_please_stop(self, tstate: int) -> None:
        """OR the stop bit into the thread's eval breaker, writing only the byte that holds it.

        The target updates `eval_breaker` with atomic read-modify-writes that we cannot join from
        outside; touching one byte instead of the whole word keeps the instrumentation version in the
        upper bits safe from a concurrent `sys.monitoring` change, and shrinks the window to the
        low event bits (exactly the read-modify-write `sys.remote_exec` itself does on the full word).
        """
        address = tstate + self.offset("debugger_support.eval_breaker")
        if sys.byteorder == "big":
            address += self.pointer_size - 1
        (low,) = self.read(address, 1)
        self.write(address, bytes([low | _PLEASE_STOP_BIT]))


class _os_errors:
    """Turn the OS errors of memory access into `AttachError`s that name the PID."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        match exc:
            case AttachError() | None:
                return
            case ProcessLookupError():
                raise NoSuchProcessError(self.pid, f"no process with PID {self.pid} (did it exit?)") from exc
            case PermissionError():
                raise AttachPermissionError(self.pid, str(exc.strerror or exc)) from exc
            case OSError():
                raise StaleMemoryError(self.pid, f"PID {self.pid}: {exc.strerror or exc}") from exc


def _locate_runtime(pid: int) -> tuple[int, int]:
    """Address of `PyRuntime` in `pid` and the target's pointer size.

    Probes the executable first, then every mapped file whose name contains "python" (libpython in
    embedding applications). Files are opened through `/proc/PID/map_files` (or `/proc/PID/exe` for the
    executable, which needs no CAP_SYS_ADMIN), so a binary replaced on disk since the process started (a
    package upgrade) or living in another mount namespace is still the one that is mapped.
    """
    with _os_errors(pid):
        maps = read_maps(pid)
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            exe = ""
    bases: dict[str, tuple[int, int]] = {}
    for m in maps:
        if m.path.startswith("/") and m.offset == 0 and m.path not in bases:
            bases[m.path] = (m.start, m.end)
    candidates = [p for p in bases if p == exe or p.removesuffix(" (deleted)") == exe]
    candidates += [p for p in bases if "python" in os.path.basename(p) and p not in candidates]
    unread: list[str] = []
    for path in candidates:
        start, end = bases[path]
        is_exe = path.removesuffix(" (deleted)") == exe
        try:
            section = _find_runtime_section(pid, path, start, end, is_exe=is_exe)
        except OSError as error:
            unread.append(f"{path} ({error.strerror or error})")
            continue
        if section is not None:
            return section.runtime_address(start), section.pointer_size
    if unread:
        raise AttachError(
            pid,
            f"cannot read the interpreter file PID {pid} maps: {'; '.join(unread)}; reading it through "
            "/proc/PID/map_files needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE)",
        )
    pythons = [p for p in candidates if "python" in os.path.basename(p)]
    if pythons:
        raise UnsupportedPythonError(
            pid,
            f"PID {pid} maps {pythons[0]}, which has no .PyRuntime section: a Python too old for "
            "remote attach (it needs 3.14+) or a build without it",
        )
    raise NotPythonError(
        pid,
        f"PID {pid} ({exe or 'unknown executable'}) is not a CPython process: no mapped file has a "
        ".PyRuntime section (Python 3.13+ executables and libpython have one)",
    )


def _find_runtime_section(pid: int, path: str, start: int, end: int, *, is_exe: bool) -> elf.Section | None:
    """The `.PyRuntime` section of the file mapped at `start`-`end` (named `path` in the maps), or None when
    it has none. Raises the last `OSError` when the file could be read no way: through `map_files` (the
    mapped file itself), `/proc/PID/exe` for the executable, its name resolved inside the target's root
    (a regular file only: a name in a container may have been changed since), or its name here."""
    names = [f"/proc/{pid}/map_files/{start:x}-{end:x}"] + ([f"/proc/{pid}/exe"] if is_exe else [])
    error: OSError = FileNotFoundError(path)
    for name in [*names, None, path]:
        held = _open_in_root(pid, path) if name is None else None
        if name is None and held is None:
            continue
        try:
            return elf.find_section(name or f"/proc/self/fd/{held}", ".PyRuntime")
        except elf.NotElfError:
            return None
        except OSError as failed:
            error = failed
        finally:
            if held is not None:
                os.close(held)
    raise error


def _open_in_root(pid: int, path: str) -> int | None:
    """An `O_PATH` descriptor of `path` as the target resolves it, when that is a regular file."""
    try:
        root = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            held = namespaces.open_in_root(root, path.removesuffix(" (deleted)"), os.O_PATH)
        finally:
            os.close(root)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(held).st_mode):
        os.close(held)
        return None
    return held


def _kernel_state(pid: int, tid: int) -> str:
    """The kernel's state letter of thread `tid` (its id as the target knows it, which differs from ours
    in another PID namespace)."""
    try:
        if namespaces.pid_inside(pid) != pid:
            tid = namespaces.threads_inside(pid).get(tid, tid)
    except OSError:
        return "?"
    return procfs.thread_state(pid, tid)
