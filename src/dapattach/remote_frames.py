"""Every interpreter's thread stacks of a Python process, read from its memory without stopping it.

3.14's `_remote_debugging.RemoteUnwinder` reads the threads of the *newest* interpreter only (the head of
the runtime's interpreter list): in a process with a sub-interpreter (an `InterpreterPoolExecutor`) it
shows that sub-interpreter's threads and none of the main interpreter's, often no thread at all. 3.15
reads every interpreter. So for a 3.14 target with more than one interpreter, the snapshot walks the
structures itself, with the offsets the target publishes (`_Py_DebugOffsets`, read by `pep768.py`):

    runtime → interpreters (id, next) → thread states (native id, next) → current frame → previous ...

For each frame: its code object (the executable, a tagged stack reference), the code's file name, name
and line table, and the line of the instruction it is at, decoded from the line table as CPython's
`PyCode_Addr2Line` does. A frame whose executable is not a code object (the C stack's entry frames) is
skipped. The target keeps running, so a thread may move while it is read: a read that fails or finds
nonsense ends that thread's stack where it is (the next snapshot sees it again).

The process may also be hostile (a container's, read by root): whatever its memory holds, the reading
ends. Each list is cut at a count, each text and line table at a size, each number of a line table at
36 bits (a real one needs 32), and the whole read at `READ_BUDGET` seconds, after which the threads
not yet read are left out.
"""

import struct
import sys
import time
from typing import Any

assert sys.platform == "linux", "another process's memory is read here through Linux interfaces"

from dapattach.attach.pep768 import AttachError, _Target  # noqa: E402

MAX_FRAMES = 1024
MAX_THREADS = 4096
MAX_LINE_TABLE = 1 << 20
READ_BUDGET = 2.0
"""Seconds a snapshot may spend reading; a real process's threads are read in milliseconds."""
CODE_UNIT = 2


def count_interpreters(pid: int) -> int:
    with _Target.open(pid) as target:
        target.require_supported()
        return len(_interpreters(target))


def read_stacks(pid: int) -> list[dict[str, Any]]:
    """[{"id": native thread id, "interpreter": id, "frames": [{"path", "line", "function"}]}] for
    every thread state of every interpreter, innermost frame first."""
    with _Target.open(pid) as target:
        target.require_supported()
        reader = _Reader(target, time.monotonic() + READ_BUDGET)
        threads: list[dict[str, Any]] = []
        for interpreter in _interpreters(target):
            interpreter_id = target.int64(interpreter + target.offset("interpreter_state.id"))
            tstate = target.pointer(interpreter + target.offset("interpreter_state.threads_head"))
            while tstate and len(threads) < MAX_THREADS and not reader.out_of_time():
                native = target.pointer(tstate + target.offset("thread_state.native_thread_id"))
                frame = target.pointer(tstate + target.offset("thread_state.current_frame"))
                threads.append({"id": native, "interpreter": interpreter_id, "frames": reader.frames(frame)})
                tstate = target.pointer(tstate + target.offset("thread_state.next"))
        return threads


def _interpreters(target: _Target) -> list[int]:
    found: list[int] = []
    interpreter = target.pointer(target.runtime + target.offset("runtime_state.interpreters_head"))
    while interpreter and len(found) < 4096:
        found.append(interpreter)
        interpreter = target.pointer(interpreter + target.offset("interpreter_state.next"))
    return found


class _Reader:
    def __init__(self, target: _Target, deadline: float) -> None:
        self.target = target
        self.deadline = deadline
        self._type_names: dict[int, str] = {}
        self._codes: dict[int, tuple[str, str, int, bytes] | None] = {}

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def frames(self, frame: int) -> list[dict[str, Any]]:
        t = self.target
        result: list[dict[str, Any]] = []
        try:
            while frame and len(result) < MAX_FRAMES and not self.out_of_time():
                executable = t.pointer(frame + t.offset("interpreter_frame.executable")) & ~3
                code = self._code(executable) if executable else None
                if code is not None:
                    path, name, first_line, table = code
                    instruction = t.pointer(frame + t.offset("interpreter_frame.instr_ptr"))
                    start = executable + t.offset("code_object.co_code_adaptive")
                    line = line_at(table, first_line, (instruction - start) // CODE_UNIT)
                    result.append({"path": path, "line": line, "function": name})
                frame = t.pointer(frame + t.offset("interpreter_frame.previous"))
        except AttachError, ValueError, LookupError, OverflowError, struct.error:
            pass  # memory that moved, or that is not what it should be: the stack ends here
        return result

    def _code(self, address: int) -> tuple[str, str, int, bytes] | None:
        if address in self._codes:
            return self._codes[address]
        t = self.target
        found = None
        if self._type_name(t.pointer(address + t.offset("pyobject.ob_type"))) == "code":
            path = self._text(t.pointer(address + t.offset("code_object.filename")))
            name = self._text(t.pointer(address + t.offset("code_object.qualname")))
            first_line = struct.unpack("=i", t.read(address + t.offset("code_object.firstlineno"), 4))[0]
            table = self._bytes(t.pointer(address + t.offset("code_object.linetable")))
            found = (path, name, first_line, table)
        self._codes[address] = found
        return found

    def _type_name(self, address: int) -> str:
        if address not in self._type_names:
            t = self.target
            name = t.read(t.pointer(address + t.offset("type_object.tp_name")), 64).split(b"\0", 1)[0]
            self._type_names[address] = name.decode("ascii", "replace")
        return self._type_names[address]

    def _text(self, address: int) -> str:
        t = self.target
        state = struct.unpack("=I", t.read(address + t.offset("unicode_object.state"), 4))[0]
        length = t.int64(address + t.offset("unicode_object.length"))
        kind, compact, ascii_only = state >> 2 & 7, state >> 5 & 1, state >> 6 & 1
        if not compact or not 0 <= length < 1 << 16:
            return "?"
        if ascii_only:
            return t.read(address + t.offset("unicode_object.asciiobject_size"), length).decode("ascii")
        header = t.offset("unicode_object.asciiobject_size") + 2 * t.pointer_size  # utf8_length, utf8
        raw = t.read(address + header, length * kind)
        return raw.decode({1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[kind])

    def _bytes(self, address: int) -> bytes:
        t = self.target
        size = t.int64(address + t.offset("bytes_object.ob_size"))
        if not 0 <= size <= MAX_LINE_TABLE:
            return b""
        return t.read(address + t.offset("bytes_object.ob_sval"), size)


def line_at(table: bytes, first_line: int, index: int) -> int:
    """The line of code unit `index` from a code object's location table (`co_linetable`, 3.11+)."""
    line, unit, position = first_line, 0, 0
    found = first_line
    while position < len(table):
        head = table[position]
        position += 1
        kind, length = head >> 3 & 15, (head & 7) + 1
        delta = 0
        if kind == 15:
            pass
        elif kind == 14:
            delta, position = _signed(table, position)
            for _field in range(3):
                _value, position = _varint(table, position)
        elif kind == 13:
            delta, position = _signed(table, position)
        elif kind >= 10:
            delta = kind - 10
            position += 2
        else:
            position += 1
        line += delta
        if kind != 15:
            found = line
        if unit <= index < unit + length:
            return found
        unit += length
    return found


def _varint(table: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while position < len(table) and shift < 36:  # six 6-bit chunks: every 32-bit value
        byte = table[position]
        position += 1
        value |= (byte & 63) << shift
        shift += 6
        if not byte & 64:
            break
    return value, position


def _signed(table: bytes, position: int) -> tuple[int, int]:
    value, position = _varint(table, position)
    return (-(value >> 1) if value & 1 else value >> 1), position
