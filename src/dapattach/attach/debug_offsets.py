"""CPython's debug-offsets table (`_Py_DebugOffsets`), read from bytes: no process is touched here.

The table sits at the start of the target's `PyRuntime`: the cookie `xdebugpy`, `PY_VERSION_HEX`, the
free-threaded flag, then one 64-bit offset after another. Which entry is which depends on the minor version
(the struct grows between them), so `LAYOUTS` names them per minor version, taken from
`Include/internal/pycore_debug_offsets.h` of 3.14 and 3.15. The values themselves are the target build's
own; `consistent` checks they fit together before anything is written by them.
"""

import struct
from dataclasses import dataclass

COOKIE = b"xdebugpy"
HEADER_SIZE = 24
"""The cookie, the version and the free-threaded flag, before the first offset."""
SCRIPT_PATH_SIZE = 512
"""`Py_MAX_SCRIPT_PATH_SIZE` (`Include/cpython/pystate.h`), the size of a thread's script-path buffer in
3.14 and 3.15, which the table gives too: the one value known exactly, so a table read by the wrong
layout (3.15's by 3.14's reads 176 there, and sizes and offsets that pass every range check) is caught."""

_COMMON_HEAD = (
    ("runtime_state", ("size", "finalizing", "interpreters_head")),
    (
        "interpreter_state",
        ("size", "id", "next", "threads_head", "threads_main", "gc", "imports_modules", "sysdict",
         "builtins", "ceval_gil", "gil_runtime_state", "gil_runtime_state_enabled",
         "gil_runtime_state_locked", "gil_runtime_state_holder", "code_object_generation",
         "tlbc_generation"),
    ),
)  # fmt: skip
_FRAME_AND_CODE = (
    ("interpreter_frame", ("size", "previous", "executable", "instr_ptr", "localsplus", "owner",
                           "stackpointer", "tlbc_index")),
    ("code_object", ("size", "filename", "name", "qualname", "linetable", "firstlineno", "argcount",
                     "localsplusnames", "localspluskinds", "co_code_adaptive", "co_tlbc")),
)  # fmt: skip
_CONTAINERS_AND_NUMBERS = (
    ("tuple_object", ("size", "ob_item", "ob_size")),
    ("list_object", ("size", "ob_item", "ob_size")),
    ("set_object", ("size", "used", "table", "mask")),
    ("dict_object", ("size", "ma_keys", "ma_values")),
    ("float_object", ("size", "ob_fval")),
    ("long_object", ("size", "lv_tag", "ob_digit")),
    ("bytes_object", ("size", "ob_size", "ob_sval")),
)
_COMMON_TAIL = (
    ("gen_object", ("size", "gi_name", "gi_iframe", "gi_frame_state")),
    ("llist_node", ("next", "prev")),
    ("debugger_support", ("eval_breaker", "remote_debugger_support", "remote_debugging_enabled",
                          "debugger_pending_call", "debugger_script_path", "debugger_script_path_size")),
)  # fmt: skip

# Checked against the .PyRuntime data of Debian's 3.14.10 and 3.15.2: debugger_support starts at entry 88
# and 104 of the table and reads (24, 304|344, 8076|8028, 0, 4, 512).
LAYOUTS: dict[tuple[int, int], tuple[tuple[str, tuple[str, ...]], ...]] = {
    (3, 14): (
        *_COMMON_HEAD,
        ("thread_state", ("size", "prev", "next", "interp", "current_frame", "thread_id",
                          "native_thread_id", "datastack_chunk", "status")),
        *_FRAME_AND_CODE,
        ("pyobject", ("size", "ob_type")),
        ("type_object", ("size", "tp_name", "tp_repr", "tp_flags")),
        *_CONTAINERS_AND_NUMBERS,
        ("unicode_object", ("size", "state", "length", "asciiobject_size")),
        ("gc", ("size", "collecting")),
        *_COMMON_TAIL,
    ),
    (3, 15): (
        *_COMMON_HEAD,
        ("thread_state", ("size", "prev", "next", "interp", "current_frame", "base_frame",
                          "last_profiled_frame", "last_profiled_frame_seq", "thread_id", "native_thread_id",
                          "datastack_chunk", "status", "holds_gil", "gil_requested", "current_exception",
                          "exc_state")),
        ("err_stackitem", ("exc_value",)),
        *_FRAME_AND_CODE,
        ("pyobject", ("size", "ob_type")),
        ("type_object", ("size", "tp_name", "tp_repr", "tp_flags", "tp_basicsize", "tp_dictoffset")),
        ("heap_type_object", ("size", "ht_cached_keys")),
        *_CONTAINERS_AND_NUMBERS,
        ("unicode_object", ("size", "state", "length", "asciiobject_size", "compactunicodeobject_size")),
        ("gc", ("size", "collecting", "frame", "generation_stats_size", "generation_stats")),
        *_COMMON_TAIL,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PythonVersion:
    major: int
    minor: int
    micro: int
    releaselevel: str
    free_threaded: bool

    def __str__(self) -> str:
        suffix = "" if self.releaselevel == "final" else self.releaselevel
        return f"{self.major}.{self.minor}.{self.micro}{suffix}{'t' if self.free_threaded else ''}"


_LEVELS = {0xA: "a", 0xB: "b", 0xC: "rc", 0xF: "final"}


def parse_header(header: bytes) -> PythonVersion | None:
    """The version the table's first `HEADER_SIZE` bytes give, or None without the cookie (a CPython
    older than 3.13, or not a runtime at all)."""
    if header[:8] != COOKIE:
        return None
    version_hex, free_threaded = struct.unpack_from("=QQ", header, 8)
    return PythonVersion(
        major=version_hex >> 24 & 0xFF,
        minor=version_hex >> 16 & 0xFF,
        micro=version_hex >> 8 & 0xFF,
        releaselevel=_LEVELS.get(version_hex >> 4 & 0xF, "?"),
        free_threaded=bool(free_threaded),
    )


def entry_names(version: PythonVersion) -> list[str] | None:
    """The table's entries after the header, in order (`"group.field"`), or None for a layout not known."""
    layout = LAYOUTS.get((version.major, version.minor))
    if layout is None:
        return None
    return [f"{group}.{name}" for group, fields in layout for name in fields]


def parse_entries(names: list[str], data: bytes) -> dict[str, int]:
    """The offsets `data` (the `8 * len(names)` bytes after the header) holds, by name."""
    values = struct.unpack_from(f"={len(names)}Q", data)
    return dict(zip(names, values, strict=True))


def consistent(o: dict[str, int], pointer_size: int) -> bool:
    """Whether the offsets fit together as a real build's do: sizes in range, and every field the attach
    writes or follows inside its struct. A table read from the wrong place, or a layout that moved, fails."""
    tstate, interp = o["thread_state.size"], o["interpreter_state.size"]
    support_end = (
        o["debugger_support.remote_debugger_support"]
        + o["debugger_support.debugger_script_path"]
        + o["debugger_support.debugger_script_path_size"]
    )
    return all(
        (
            64 <= tstate <= 1 << 16,
            1024 <= interp <= 1 << 24,
            o["debugger_support.debugger_script_path_size"] == SCRIPT_PATH_SIZE,
            support_end <= tstate,
            o["debugger_support.eval_breaker"] + pointer_size <= tstate,
            o["debugger_support.debugger_pending_call"] + 4 <= o["debugger_support.debugger_script_path"],
            o["thread_state.native_thread_id"] + 8 <= tstate,
            o["debugger_support.remote_debugging_enabled"] + 4 <= interp,
            o["interpreter_state.threads_main"] + pointer_size <= interp,
            o["runtime_state.interpreters_head"] + pointer_size <= o["runtime_state.size"],
        )
    )
