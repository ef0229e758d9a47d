"""The `attach` configuration: what users write in launch.json, checked field by field.

Clients put keys of their own into `attach` (`type`, `name`, `request`, `__sessionId`...), so unknown keys
are ignored; keys we know are checked strictly and every problem is named by its launch.json path, the
way a user would look for it.
"""

import functools
from collections.abc import Callable

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from dapattach.protocol.converter import describe_error


class OptionsError(ValueError):
    """The attach configuration is wrong; the message names each bad field and why."""


@attrs.frozen
class PathMapping:
    """Maps a directory as the editor sees it (`local_root`) to the same directory in the target."""

    local_root: str
    remote_root: str


@attrs.frozen
class SubProcessOf:
    """Set in the configuration of a child process's own session (the root session's follower writes
    it into `startDebugging`): which session found the child, and how to claim it from there."""

    process_id: int
    socket: str
    token: str


def _process_id(value: object, _: type) -> int:
    match value:
        case bool():
            raise TypeError(f"must be a process id number, not {value!r}")
        case int() if value > 0:
            return value
        case str() if value.strip().isdigit() and int(value) > 0:
            return int(value)
        case str() if value.startswith("${"):
            raise ValueError(f"{value!r} was not replaced by the editor: pick a process or give its PID")
        case _:
            raise ValueError(f"must be a positive process id (a number or a numeric string), not {value!r}")


def _strict(kind: type, expected: str) -> Callable[[object, type], object]:
    def structure(value: object, _: type) -> object:
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            raise TypeError(f"must be {expected}, not {value!r}")
        return value

    return structure


def _seconds(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"must be a positive number of seconds, not {value!r}")
    return float(value)


@attrs.frozen
class AttachOptions:
    process_id: int
    just_my_code: bool = True
    show_return_value: bool = True
    timeout: float | None = None
    """How long to wait for the target to run the attach bootstrap, in seconds; None waits as long as the
    session lasts (an idle server runs it only when its next request comes in)."""
    path_mappings: tuple[PathMapping, ...] = ()
    log_to_file: bool = False
    stop_all: bool = True
    """All-stop (a stop stops every thread) or, when False, non-stop (only the thread that hits stops)."""
    asyncio_tasks: bool = True
    """List each asyncio task as an entry of its own in `threads`, with its await chain as its stack."""
    redirect_output: bool = True
    """Show what the program writes to stdout and stderr in the editor's console as well."""
    sub_process: bool = True
    """Attach to every Python process below this one too, each in a session of its own."""
    sub_process_of: SubProcessOf | None = None
    stopped_timeout: float | None = None
    """Seconds the target may stay stopped with no request from the editor before the session lets it
    go (detaches); None: as long as the session lasts (see `unattended.py`)."""


@functools.cache
def _converter() -> cattrs.Converter:
    """Built on the first `attach`, not at import: its structuring functions are compiled code."""
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(
        PathMapping,
        make_dict_structure_fn(
            PathMapping,
            converter,
            local_root=override(rename="localRoot"),
            remote_root=override(rename="remoteRoot"),
        ),
    )

    converter.register_structure_hook(
        SubProcessOf,
        make_dict_structure_fn(
            SubProcessOf,
            converter,
            process_id=override(rename="processId", struct_hook=_process_id),
        ),
    )

    def attach_options(value: object, cls: type) -> AttachOptions:
        if not isinstance(value, dict):
            raise TypeError(f"the attach configuration must be an object, not {value!r}")
        return structure_fields(value, cls)

    structure_fields = make_dict_structure_fn(
        AttachOptions,
        converter,
        process_id=override(rename="processId", struct_hook=_process_id),
        just_my_code=override(rename="justMyCode"),
        show_return_value=override(rename="showReturnValue"),
        timeout=override(struct_hook=_seconds),
        path_mappings=override(rename="pathMappings"),
        log_to_file=override(rename="logToFile"),
        stop_all=override(rename="stopAll"),
        asyncio_tasks=override(rename="asyncioTasks"),
        redirect_output=override(rename="redirectOutput"),
        sub_process=override(rename="subProcess"),
        sub_process_of=override(rename="subProcessOf"),
        stopped_timeout=override(rename="stoppedTimeout", struct_hook=_seconds),
    )
    converter.register_structure_hook(AttachOptions, attach_options)
    return converter


def parse_attach_options(raw: object) -> AttachOptions:
    """Check an `attach` request's arguments; raises `OptionsError` naming every bad field."""
    if raw is None:
        raw = {}
    if isinstance(raw, dict):
        raw = {key: value for key, value in raw.items() if value is not None}
        if "processId" not in raw:
            raise OptionsError(
                "attach.processId is required: give the PID of the Python process to attach to "
                "(`dapattach ps` lists them)"
            )
    try:
        return _converter().structure(raw, AttachOptions)
    except Exception as error:
        raise OptionsError(describe_error(error, root="attach")) from error
