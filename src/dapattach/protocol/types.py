"""DAP types generated from debugAdapterProtocol.json: generated, do not edit.

Regenerate with `python tools/gen_dap_types.py`. Attribute names are snake_case; the converter
in `dapattach.protocol.converter` maps them to the protocol's camelCase names. Each class
becomes a frozen attrs class when first used (`dapattach.protocol.deferred`).
"""

from typing import Any, Literal

import attrs

from dapattach.protocol.deferred import frozen

DataBreakpointAccessType = Literal["read", "write", "readWrite"]
SteppingGranularity = Literal["statement", "line", "instruction"]
CompletionItemType = Literal[
    "method",
    "function",
    "constructor",
    "field",
    "variable",
    "class",
    "interface",
    "module",
    "property",
    "unit",
    "value",
    "enum",
    "keyword",
    "snippet",
    "text",
    "color",
    "file",
    "reference",
    "customcolor",
]
ChecksumAlgorithm = Literal["MD5", "SHA1", "SHA256", "timestamp"]
ExceptionBreakMode = Literal["never", "always", "unhandled", "userUnhandled"]
InvalidatedAreas = str
BreakpointModeApplicability = str


@frozen
class ErrorResponseBody:
    """The `ErrorResponseBody` object."""

    error: Message | None = None
    """A structured error message."""


@frozen
class CancelArguments:
    """Arguments for `cancel` request."""

    request_id: int | None = None
    """The ID (attribute `seq`) of the request to cancel. If missing no request is cancelled.
    Both a `requestId` and a `progressId` can be specified in one request.
    """

    progress_id: str | None = None
    """The ID (attribute `progressId`) of the progress to cancel. If missing no progress is cancelled.
    Both a `requestId` and a `progressId` can be specified in one request.
    """


@frozen
class StoppedEventBody:
    """The `StoppedEventBody` object."""

    reason: str
    """The reason for the event.
    For backward compatibility this string is shown in the UI if the `description` attribute is missing (but it must not be translated).
    """

    description: str | None = None
    """The full reason for the event, e.g. 'Paused on exception'. This string is shown in the UI as is and can be translated."""

    thread_id: int | None = None
    """The thread which was stopped."""

    preserve_focus_hint: bool | None = None
    """A value of true hints to the client that this event should not change the focus."""

    text: str | None = None
    """Additional information. E.g. if reason is `exception`, text contains the exception name. This string is shown in the UI."""

    all_threads_stopped: bool | None = None
    """If `allThreadsStopped` is true, a debug adapter can announce that all threads have stopped.
    - The client should use this information to enable that all threads can be expanded to access their stacktraces.
    - If the attribute is missing or false, only the thread with the given `threadId` can be expanded.
    """

    hit_breakpoint_ids: list[int] | None = None
    """Ids of the breakpoints that triggered the event. In most cases there is only a single breakpoint but here are some examples for multiple breakpoints:
    - Different types of breakpoints map to the same location.
    - Multiple source breakpoints get collapsed to the same instruction by the compiler/runtime.
    - Multiple function breakpoints with different function names map to the same location.
    """


@frozen
class ContinuedEventBody:
    """The `ContinuedEventBody` object."""

    thread_id: int
    """The thread which was continued."""

    all_threads_continued: bool | None = None
    """If omitted or set to `true`, this event signals to the client that all threads have been resumed. The value `false` indicates that not all threads were resumed."""


@frozen
class ExitedEventBody:
    """The `ExitedEventBody` object."""

    exit_code: int
    """The exit code returned from the debuggee."""


@frozen
class TerminatedEventBody:
    """The `TerminatedEventBody` object."""

    restart: Any = None
    """A debug adapter may set `restart` to true (or to an arbitrary object) to request that the client restarts the session.
    The value is not interpreted by the client and passed unmodified as an attribute `__restart` to the `launch` and `attach` requests.
    """


@frozen
class ThreadEventBody:
    """The `ThreadEventBody` object."""

    reason: str
    """The reason for the event."""

    thread_id: int
    """The identifier of the thread."""


@frozen
class OutputEventBody:
    """The `OutputEventBody` object."""

    category: str | None = None
    """The output category. If not specified or if the category is not understood by the client, `console` is assumed."""

    output: str
    """The output to report.

    ANSI escape sequences may be used to influence text color and styling if `supportsANSIStyling` is present in both the adapter's `Capabilities` and the client's `InitializeRequestArguments`. A client may strip any unrecognized ANSI sequences.

    If the `supportsANSIStyling` capabilities are not both true, then the client should display the output literally.
    """

    group: Literal["start", "startCollapsed", "end"] | None = None
    """Support for keeping an output log organized by grouping related messages."""

    variables_reference: int | None = None
    """If an attribute `variablesReference` exists and its value is > 0, the output contains objects which can be retrieved by passing `variablesReference` to the `variables` request as long as execution remains suspended. See 'Lifetime of Object References' in the Overview section for details."""

    source: Source | None = None
    """The source location where the output was produced."""

    line: int | None = None
    """The source location's line where the output was produced."""

    column: int | None = None
    """The position in `line` where the output was produced. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    data: Any = None
    """Additional data to report. For the `telemetry` category the data is sent to telemetry, for the other categories the data is shown in JSON format."""

    location_reference: int | None = None
    """A reference that allows the client to request the location where the new value is declared. For example, if the logged value is function pointer, the adapter may be able to look up the function's location. This should be present only if the adapter is likely to be able to resolve the location.

    This reference shares the same lifetime as the `variablesReference`. See 'Lifetime of Object References' in the Overview section for details.
    """


@frozen
class BreakpointEventBody:
    """The `BreakpointEventBody` object."""

    reason: str
    """The reason for the event."""

    breakpoint: Breakpoint
    """The `id` attribute is used to find the target breakpoint, the other attributes are used as the new values."""


@frozen
class ModuleEventBody:
    """The `ModuleEventBody` object."""

    reason: Literal["new", "changed", "removed"]
    """The reason for the event."""

    module: Module
    """The new, changed, or removed module. In case of `removed` only the module id is used."""


@frozen
class LoadedSourceEventBody:
    """The `LoadedSourceEventBody` object."""

    reason: Literal["new", "changed", "removed"]
    """The reason for the event."""

    source: Source
    """The new, changed, or removed source."""


@frozen
class ProcessEventBody:
    """The `ProcessEventBody` object."""

    name: str
    """The logical name of the process. This is usually the full path to process's executable file. Example: /home/example/myproj/program.js."""

    system_process_id: int | None = None
    """The process ID of the debugged process, as assigned by the operating system. This property should be omitted for logical processes that do not map to operating system processes on the machine."""

    is_local_process: bool | None = None
    """If true, the process is running on the same computer as the debug adapter."""

    start_method: Literal["launch", "attach", "attachForSuspendedLaunch"] | None = None
    """Describes how the debug engine started debugging this process."""

    pointer_size: int | None = None
    """The size of a pointer or address for this process, in bits. This value may be used by clients when formatting addresses for display."""


@frozen
class CapabilitiesEventBody:
    """The `CapabilitiesEventBody` object."""

    capabilities: Capabilities
    """The set of updated capabilities."""


@frozen
class ProgressStartEventBody:
    """The `ProgressStartEventBody` object."""

    progress_id: str
    """An ID that can be used in subsequent `progressUpdate` and `progressEnd` events to make them refer to the same progress reporting.
    IDs must be unique within a debug session.
    """

    title: str
    """Short title of the progress reporting. Shown in the UI to describe the long running operation."""

    request_id: int | None = None
    """The request ID that this progress report is related to. If specified a debug adapter is expected to emit progress events for the long running request until the request has been either completed or cancelled.
    If the request ID is omitted, the progress report is assumed to be related to some general activity of the debug adapter.
    """

    cancellable: bool | None = None
    """If true, the request that reports progress may be cancelled with a `cancel` request.
    So this property basically controls whether the client should use UX that supports cancellation.
    Clients that don't support cancellation are allowed to ignore the setting.
    """

    message: str | None = None
    """More detailed progress message."""

    percentage: float | None = None
    """Progress percentage to display. If omitted no percentage is shown."""


@frozen
class ProgressUpdateEventBody:
    """The `ProgressUpdateEventBody` object."""

    progress_id: str
    """The ID that was introduced in the initial `progressStart` event."""

    message: str | None = None
    """More detailed progress message. If omitted, the previous message (if any) is used."""

    percentage: float | None = None
    """Progress percentage to display. If omitted no percentage is shown."""


@frozen
class ProgressEndEventBody:
    """The `ProgressEndEventBody` object."""

    progress_id: str
    """The ID that was introduced in the initial `ProgressStartEvent`."""

    message: str | None = None
    """More detailed progress message. If omitted, the previous message (if any) is used."""


@frozen
class InvalidatedEventBody:
    """The `InvalidatedEventBody` object."""

    areas: list[InvalidatedAreas] | None = None
    """Set of logical areas that got invalidated. This property has a hint characteristic: a client can only be expected to make a 'best effort' in honoring the areas but there are no guarantees. If this property is missing, empty, or if values are not understood, the client should assume a single value `all`."""

    thread_id: int | None = None
    """If specified, the client only needs to refetch data related to this thread."""

    stack_frame_id: int | None = None
    """If specified, the client only needs to refetch data related to this stack frame (and the `threadId` is ignored)."""


@frozen
class MemoryEventBody:
    """The `MemoryEventBody` object."""

    memory_reference: str
    """Memory reference of a memory range that has been updated."""

    offset: int
    """Starting offset in bytes where memory has been updated. Can be negative."""

    count: int
    """Number of bytes updated."""


@frozen
class RunInTerminalRequestArguments:
    """Arguments for `runInTerminal` request."""

    kind: Literal["integrated", "external"] | None = None
    """What kind of terminal to launch. Defaults to `integrated` if not specified."""

    title: str | None = None
    """Title of the terminal."""

    cwd: str
    """Working directory for the command. For non-empty, valid paths this typically results in execution of a change directory command. If `pathFormat` is set to `uri` in the `InitializeRequestArguments`, this must be a file URI."""

    args: list[str]
    """List of arguments. The first argument is the command to run."""

    env: dict[str, str | None] | None = None
    """Environment key-value pairs that are added to or removed from the default environment."""

    args_can_be_interpreted_by_shell: bool | None = None
    """This property should only be set if the corresponding capability `supportsArgsCanBeInterpretedByShell` is true. If the client uses an intermediary shell to launch the application, then the client must not attempt to escape characters with special meanings for the shell. The user is fully responsible for escaping as needed and that arguments using special characters may not be portable across shells."""


@frozen
class RunInTerminalResponseBody:
    """The `RunInTerminalResponseBody` object."""

    process_id: int | None = None
    """The process ID."""

    shell_process_id: int | None = None
    """The process ID of the terminal shell."""


@frozen
class StartDebuggingRequestArguments:
    """Arguments for `startDebugging` request."""

    configuration: dict[str, Any]
    """Arguments passed to the new debug session. The arguments must only contain properties understood by the `launch` or `attach` requests of the debug adapter and they must not contain any client-specific properties (e.g. `type`) or client-specific features (e.g. substitutable 'variables')."""

    output_presentation: Literal["separate", "mergeWithParent"] | None = None
    """Hints whether output of the child sessions should be presented separately or merged with that of the parent session's."""

    request: Literal["launch", "attach"]
    """Indicates whether the new debug session should be started with a `launch` or `attach` request."""


@frozen
class InitializeRequestArguments:
    """Arguments for `initialize` request."""

    client_id: str | None = attrs.field(default=None, metadata={"dap_name": "clientID"})
    """The ID of the client using this adapter."""

    client_name: str | None = None
    """The human-readable name of the client using this adapter."""

    adapter_id: str = attrs.field(metadata={"dap_name": "adapterID"})
    """The ID of the debug adapter."""

    locale: str | None = None
    """The ISO-639 locale of the client using this adapter, e.g. en-US or de-CH."""

    lines_start_at1: bool | None = None
    """If true all line numbers are 1-based (default)."""

    columns_start_at1: bool | None = None
    """If true all column numbers are 1-based (default)."""

    path_format: str | None = None
    """Determines in what format paths are specified. The default is `path`, which is the native format."""

    supports_variable_type: bool | None = None
    """Client supports the `type` attribute for variables."""

    supports_variable_paging: bool | None = None
    """Client supports the paging of variables."""

    supports_run_in_terminal_request: bool | None = None
    """Client supports the `runInTerminal` request."""

    supports_memory_references: bool | None = None
    """Client supports memory references."""

    supports_progress_reporting: bool | None = None
    """Client supports progress reporting."""

    supports_invalidated_event: bool | None = None
    """Client supports the `invalidated` event."""

    supports_memory_event: bool | None = None
    """Client supports the `memory` event."""

    supports_args_can_be_interpreted_by_shell: bool | None = None
    """Client supports the `argsCanBeInterpretedByShell` attribute on the `runInTerminal` request."""

    supports_start_debugging_request: bool | None = None
    """Client supports the `startDebugging` request."""

    supports_ansi_styling: bool | None = attrs.field(
        default=None, metadata={"dap_name": "supportsANSIStyling"}
    )
    """The client will interpret ANSI escape sequences in the display of `OutputEvent.output` and `Variable.value` fields when `Capabilities.supportsANSIStyling` is also enabled."""


@frozen
class ConfigurationDoneArguments:
    """Arguments for `configurationDone` request."""


@frozen
class LaunchRequestArguments:
    """Arguments for `launch` request. Additional attributes are implementation specific."""

    no_debug: bool | None = None
    """If true, the launch request should launch the program without enabling debugging."""

    restart: Any = attrs.field(default=None, metadata={"dap_name": "__restart"})
    """Arbitrary data from the previous, restarted session.
    The data is sent as the `restart` attribute of the `terminated` event.
    The client should leave the data intact.
    """

    extra: dict[str, Any] = attrs.field(factory=dict)
    """Keys the schema does not name, kept as sent (clients add their own)."""


@frozen
class AttachRequestArguments:
    """Arguments for `attach` request. Additional attributes are implementation specific."""

    restart: Any = attrs.field(default=None, metadata={"dap_name": "__restart"})
    """Arbitrary data from the previous, restarted session.
    The data is sent as the `restart` attribute of the `terminated` event.
    The client should leave the data intact.
    """

    extra: dict[str, Any] = attrs.field(factory=dict)
    """Keys the schema does not name, kept as sent (clients add their own)."""


@frozen
class RestartArguments:
    """Arguments for `restart` request."""

    arguments: Any = None
    """The latest version of the `launch` or `attach` configuration."""


@frozen
class DisconnectArguments:
    """Arguments for `disconnect` request."""

    restart: bool | None = None
    """A value of true indicates that this `disconnect` request is part of a restart sequence."""

    terminate_debuggee: bool | None = None
    """Indicates whether the debuggee should be terminated when the debugger is disconnected.
    If unspecified, the debug adapter is free to do whatever it thinks is best.
    The attribute is only honored by a debug adapter if the corresponding capability `supportTerminateDebuggee` is true.
    """

    suspend_debuggee: bool | None = None
    """Indicates whether the debuggee should stay suspended when the debugger is disconnected.
    If unspecified, the debuggee should resume execution.
    The attribute is only honored by a debug adapter if the corresponding capability `supportSuspendDebuggee` is true.
    """


@frozen
class TerminateArguments:
    """Arguments for `terminate` request."""

    restart: bool | None = None
    """A value of true indicates that this `terminate` request is part of a restart sequence."""


@frozen
class BreakpointLocationsArguments:
    """Arguments for `breakpointLocations` request."""

    source: Source
    """The source location of the breakpoints; either `source.path` or `source.sourceReference` must be specified."""

    line: int
    """Start line of range to search possible breakpoint locations in. If only the line is specified, the request returns all possible locations in that line."""

    column: int | None = None
    """Start position within `line` to search possible breakpoint locations in. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based. If no column is given, the first position in the start line is assumed."""

    end_line: int | None = None
    """End line of range to search possible breakpoint locations in. If no end line is given, then the end line is assumed to be the start line."""

    end_column: int | None = None
    """End position within `endLine` to search possible breakpoint locations in. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based. If no end column is given, the last position in the end line is assumed."""


@frozen
class BreakpointLocationsResponseBody:
    """The `BreakpointLocationsResponseBody` object."""

    breakpoints: list[BreakpointLocation]
    """Sorted set of possible breakpoint locations."""


@frozen
class SetBreakpointsArguments:
    """Arguments for `setBreakpoints` request."""

    source: Source
    """The source location of the breakpoints; either `source.path` or `source.sourceReference` must be specified."""

    breakpoints: list[SourceBreakpoint] | None = None
    """The code locations of the breakpoints."""

    lines: list[int] | None = None
    """Deprecated: The code locations of the breakpoints."""

    source_modified: bool | None = None
    """A value of true indicates that the underlying source has been modified which results in new breakpoint locations."""


@frozen
class SetBreakpointsResponseBody:
    """The `SetBreakpointsResponseBody` object."""

    breakpoints: list[Breakpoint]
    """Information about the breakpoints.
    The array elements are in the same order as the elements of the `breakpoints` (or the deprecated `lines`) array in the arguments.
    """


@frozen
class SetFunctionBreakpointsArguments:
    """Arguments for `setFunctionBreakpoints` request."""

    breakpoints: list[FunctionBreakpoint]
    """The function names of the breakpoints."""


@frozen
class SetFunctionBreakpointsResponseBody:
    """The `SetFunctionBreakpointsResponseBody` object."""

    breakpoints: list[Breakpoint]
    """Information about the breakpoints. The array elements correspond to the elements of the `breakpoints` array."""


@frozen
class SetExceptionBreakpointsArguments:
    """Arguments for `setExceptionBreakpoints` request."""

    filters: list[str]
    """Set of exception filters specified by their ID. The set of all possible exception filters is defined by the `exceptionBreakpointFilters` capability. The `filter` and `filterOptions` sets are additive."""

    filter_options: list[ExceptionFilterOptions] | None = None
    """Set of exception filters and their options. The set of all possible exception filters is defined by the `exceptionBreakpointFilters` capability. This attribute is only honored by a debug adapter if the corresponding capability `supportsExceptionFilterOptions` is true. The `filter` and `filterOptions` sets are additive."""

    exception_options: list[ExceptionOptions] | None = None
    """Configuration options for selected exceptions.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsExceptionOptions` is true.
    """


@frozen
class SetExceptionBreakpointsResponseBody:
    """The `SetExceptionBreakpointsResponseBody` object."""

    breakpoints: list[Breakpoint] | None = None
    """Information about the exception breakpoints or filters.
    The breakpoints returned are in the same order as the elements of the `filters`, `filterOptions`, `exceptionOptions` arrays in the arguments. If both `filters` and `filterOptions` are given, the returned array must start with `filters` information first, followed by `filterOptions` information.
    """


@frozen
class DataBreakpointInfoArguments:
    """Arguments for `dataBreakpointInfo` request."""

    variables_reference: int | None = None
    """Reference to the variable container if the data breakpoint is requested for a child of the container. The `variablesReference` must have been obtained in the current suspended state. See 'Lifetime of Object References' in the Overview section for details."""

    name: str
    """The name of the variable's child to obtain data breakpoint information for.
    If `variablesReference` isn't specified, this can be an expression, or an address if `asAddress` is also true.
    """

    frame_id: int | None = None
    """When `name` is an expression, evaluate it in the scope of this stack frame. If not specified, the expression is evaluated in the global scope. When `variablesReference` is specified, this property has no effect."""

    bytes: int | None = None
    """If specified, a debug adapter should return information for the range of memory extending `bytes` number of bytes from the address or variable specified by `name`. Breakpoints set using the resulting data ID should pause on data access anywhere within that range.

    Clients may set this property only if the `supportsDataBreakpointBytes` capability is true.
    """

    as_address: bool | None = None
    """If `true`, the `name` is a memory address and the debugger should interpret it as a decimal value, or hex value if it is prefixed with `0x`.

    Clients may set this property only if the `supportsDataBreakpointBytes`
    capability is true.
    """

    mode: str | None = None
    """The mode of the desired breakpoint. If defined, this must be one of the `breakpointModes` the debug adapter advertised in its `Capabilities`."""


@frozen
class DataBreakpointInfoResponseBody:
    """The `DataBreakpointInfoResponseBody` object."""

    data_id: str | None
    """An identifier for the data on which a data breakpoint can be registered with the `setDataBreakpoints` request or null if no data breakpoint is available. If a `variablesReference` or `frameId` is passed, the `dataId` is valid in the current suspended state, otherwise it's valid indefinitely. See 'Lifetime of Object References' in the Overview section for details. Breakpoints set using the `dataId` in the `setDataBreakpoints` request may outlive the lifetime of the associated `dataId`."""

    description: str
    """UI string that describes on what data the breakpoint is set on or why a data breakpoint is not available."""

    access_types: list[DataBreakpointAccessType] | None = None
    """Attribute lists the available access types for a potential data breakpoint. A UI client could surface this information."""

    can_persist: bool | None = None
    """Attribute indicates that a potential data breakpoint could be persisted across sessions."""


@frozen
class SetDataBreakpointsArguments:
    """Arguments for `setDataBreakpoints` request."""

    breakpoints: list[DataBreakpoint]
    """The contents of this array replaces all existing data breakpoints. An empty array clears all data breakpoints."""


@frozen
class SetDataBreakpointsResponseBody:
    """The `SetDataBreakpointsResponseBody` object."""

    breakpoints: list[Breakpoint]
    """Information about the data breakpoints. The array elements correspond to the elements of the input argument `breakpoints` array."""


@frozen
class SetInstructionBreakpointsArguments:
    """Arguments for `setInstructionBreakpoints` request"""

    breakpoints: list[InstructionBreakpoint]
    """The instruction references of the breakpoints"""


@frozen
class SetInstructionBreakpointsResponseBody:
    """The `SetInstructionBreakpointsResponseBody` object."""

    breakpoints: list[Breakpoint]
    """Information about the breakpoints. The array elements correspond to the elements of the `breakpoints` array."""


@frozen
class ContinueArguments:
    """Arguments for `continue` request."""

    thread_id: int
    """Specifies the active thread. If the debug adapter supports single thread execution (see `supportsSingleThreadExecutionRequests`) and the argument `singleThread` is true, only the thread with this ID is resumed."""

    single_thread: bool | None = None
    """If this flag is true, execution is resumed only for the thread with given `threadId`."""


@frozen
class ContinueResponseBody:
    """The `ContinueResponseBody` object."""

    all_threads_continued: bool | None = None
    """If omitted or set to `true`, this response signals to the client that all threads have been resumed. The value `false` indicates that not all threads were resumed."""


@frozen
class NextArguments:
    """Arguments for `next` request."""

    thread_id: int
    """Specifies the thread for which to resume execution for one step (of the given granularity)."""

    single_thread: bool | None = None
    """If this flag is true, all other suspended threads are not resumed."""

    granularity: SteppingGranularity | None = None
    """Stepping granularity. If no granularity is specified, a granularity of `statement` is assumed."""


@frozen
class StepInArguments:
    """Arguments for `stepIn` request."""

    thread_id: int
    """Specifies the thread for which to resume execution for one step-into (of the given granularity)."""

    single_thread: bool | None = None
    """If this flag is true, all other suspended threads are not resumed."""

    target_id: int | None = None
    """Id of the target to step into."""

    granularity: SteppingGranularity | None = None
    """Stepping granularity. If no granularity is specified, a granularity of `statement` is assumed."""


@frozen
class StepOutArguments:
    """Arguments for `stepOut` request."""

    thread_id: int
    """Specifies the thread for which to resume execution for one step-out (of the given granularity)."""

    single_thread: bool | None = None
    """If this flag is true, all other suspended threads are not resumed."""

    granularity: SteppingGranularity | None = None
    """Stepping granularity. If no granularity is specified, a granularity of `statement` is assumed."""


@frozen
class StepBackArguments:
    """Arguments for `stepBack` request."""

    thread_id: int
    """Specifies the thread for which to resume execution for one step backwards (of the given granularity)."""

    single_thread: bool | None = None
    """If this flag is true, all other suspended threads are not resumed."""

    granularity: SteppingGranularity | None = None
    """Stepping granularity to step. If no granularity is specified, a granularity of `statement` is assumed."""


@frozen
class ReverseContinueArguments:
    """Arguments for `reverseContinue` request."""

    thread_id: int
    """Specifies the active thread. If the debug adapter supports single thread execution (see `supportsSingleThreadExecutionRequests`) and the `singleThread` argument is true, only the thread with this ID is resumed."""

    single_thread: bool | None = None
    """If this flag is true, backward execution is resumed only for the thread with given `threadId`."""


@frozen
class RestartFrameArguments:
    """Arguments for `restartFrame` request."""

    frame_id: int
    """Restart the stack frame identified by `frameId`. The `frameId` must have been obtained in the current suspended state. See 'Lifetime of Object References' in the Overview section for details."""


@frozen
class GotoArguments:
    """Arguments for `goto` request."""

    thread_id: int
    """Set the goto target for this thread."""

    target_id: int
    """The location where the debuggee will continue to run."""


@frozen
class PauseArguments:
    """Arguments for `pause` request."""

    thread_id: int
    """Pause execution for this thread."""


@frozen
class StackTraceArguments:
    """Arguments for `stackTrace` request."""

    thread_id: int
    """Retrieve the stacktrace for this thread."""

    start_frame: int | None = None
    """The index of the first frame to return; if omitted frames start at 0."""

    levels: int | None = None
    """The maximum number of frames to return. If levels is not specified or 0, all frames are returned."""

    format: StackFrameFormat | None = None
    """Specifies details on how to format the returned `StackFrame.name`. The debug adapter may format requested details in any way that would make sense to a developer.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsValueFormattingOptions` is true.
    """


@frozen
class StackTraceResponseBody:
    """The `StackTraceResponseBody` object."""

    stack_frames: list[StackFrame]
    """The frames of the stack frame. If the array has length zero, there are no stack frames available.
    This means that there is no location information available.
    """

    total_frames: int | None = None
    """The total number of frames available in the stack. If omitted or if `totalFrames` is larger than the available frames, a client is expected to request frames until a request returns less frames than requested (which indicates the end of the stack). Returning monotonically increasing `totalFrames` values for subsequent requests can be used to enforce paging in the client."""


@frozen
class ScopesArguments:
    """Arguments for `scopes` request."""

    frame_id: int
    """Retrieve the scopes for the stack frame identified by `frameId`. The `frameId` must have been obtained in the current suspended state. See 'Lifetime of Object References' in the Overview section for details."""


@frozen
class ScopesResponseBody:
    """The `ScopesResponseBody` object."""

    scopes: list[Scope]
    """The scopes of the stack frame. If the array has length zero, there are no scopes available."""


@frozen
class VariablesArguments:
    """Arguments for `variables` request."""

    variables_reference: int
    """The variable for which to retrieve its children. The `variablesReference` must have been obtained in the current suspended state. See 'Lifetime of Object References' in the Overview section for details."""

    filter: Literal["indexed", "named"] | None = None
    """Filter to limit the child variables to either named or indexed. If omitted, both types are fetched."""

    start: int | None = None
    """The index of the first variable to return; if omitted children start at 0. If the value of `start` exceeeds the number of available variables, the debug adapter should return an empty array.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsVariablePaging` is true.
    """

    count: int | None = None
    """The number of variables to return. If count is missing or 0, all variables are returned. If fewer than `count` variables are returned, the client should assume no further variables are available.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsVariablePaging` is true.
    """

    format: ValueFormat | None = None
    """Specifies details on how to format the Variable values.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsValueFormattingOptions` is true.
    """


@frozen
class VariablesResponseBody:
    """The `VariablesResponseBody` object."""

    variables: list[Variable]
    """All (or a range) of variables for the given variable reference."""


@frozen
class SetVariableArguments:
    """Arguments for `setVariable` request."""

    variables_reference: int
    """The reference of the variable container. The `variablesReference` must have been obtained in the current suspended state. See 'Lifetime of Object References' in the Overview section for details."""

    name: str
    """The name of the variable in the container."""

    value: str
    """The value of the variable."""

    format: ValueFormat | None = None
    """Specifies details on how to format the response value."""


@frozen
class SetVariableResponseBody:
    """The `SetVariableResponseBody` object."""

    value: str
    """The new value of the variable."""

    type: str | None = None
    """The type of the new value. Typically shown in the UI when hovering over the value."""

    variables_reference: int | None = None
    """If `variablesReference` is > 0, the new value is structured and its children can be retrieved by passing `variablesReference` to the `variables` request as long as execution remains suspended. See 'Lifetime of Object References' in the Overview section for details.

    If this property is included in the response, any `variablesReference` previously associated with the updated variable, and those of its children, are no longer valid.
    """

    named_variables: int | None = None
    """The number of named child variables.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    indexed_variables: int | None = None
    """The number of indexed child variables.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    memory_reference: str | None = None
    """A memory reference to a location appropriate for this result.
    For pointer type eval results, this is generally a reference to the memory address contained in the pointer.
    This attribute may be returned by a debug adapter if corresponding capability `supportsMemoryReferences` is true.
    """

    value_location_reference: int | None = None
    """A reference that allows the client to request the location where the new value is declared. For example, if the new value is function pointer, the adapter may be able to look up the function's location. This should be present only if the adapter is likely to be able to resolve the location.

    This reference shares the same lifetime as the `variablesReference`. See 'Lifetime of Object References' in the Overview section for details.
    """


@frozen
class SourceArguments:
    """Arguments for `source` request."""

    source: Source | None = None
    """Specifies the source content to load. Either `source.path` or `source.sourceReference` must be specified."""

    source_reference: int
    """The reference to the source. This is the same as `source.sourceReference`.
    This is provided for backward compatibility since old clients do not understand the `source` attribute.
    """


@frozen
class SourceResponseBody:
    """The `SourceResponseBody` object."""

    content: str
    """Content of the source reference."""

    mime_type: str | None = None
    """Content type (MIME type) of the source."""


@frozen
class ThreadsResponseBody:
    """The `ThreadsResponseBody` object."""

    threads: list[Thread]
    """All threads."""


@frozen
class TerminateThreadsArguments:
    """Arguments for `terminateThreads` request."""

    thread_ids: list[int] | None = None
    """Ids of threads to be terminated."""


@frozen
class ModulesArguments:
    """Arguments for `modules` request."""

    start_module: int | None = None
    """The index of the first module to return; if omitted modules start at 0."""

    module_count: int | None = None
    """The number of modules to return. If `moduleCount` is not specified or 0, all modules are returned."""


@frozen
class ModulesResponseBody:
    """The `ModulesResponseBody` object."""

    modules: list[Module]
    """All modules or range of modules."""

    total_modules: int | None = None
    """The total number of modules available."""


@frozen
class LoadedSourcesArguments:
    """Arguments for `loadedSources` request."""


@frozen
class LoadedSourcesResponseBody:
    """The `LoadedSourcesResponseBody` object."""

    sources: list[Source]
    """Set of loaded sources."""


@frozen
class EvaluateArguments:
    """Arguments for `evaluate` request."""

    expression: str
    """The expression to evaluate."""

    frame_id: int | None = None
    """Evaluate the expression in the scope of this stack frame. If not specified, the expression is evaluated in the global scope."""

    line: int | None = None
    """The contextual line where the expression should be evaluated. In the 'hover' context, this should be set to the start of the expression being hovered."""

    column: int | None = None
    """The contextual column where the expression should be evaluated. This may be provided if `line` is also provided.

    It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based.
    """

    source: Source | None = None
    """The contextual source in which the `line` is found. This must be provided if `line` is provided."""

    context: str | None = None
    """The context in which the evaluate request is used."""

    format: ValueFormat | None = None
    """Specifies details on how to format the result.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsValueFormattingOptions` is true.
    """


@frozen
class EvaluateResponseBody:
    """The `EvaluateResponseBody` object."""

    result: str
    """The result of the evaluate request."""

    type: str | None = None
    """The type of the evaluate result.
    This attribute should only be returned by a debug adapter if the corresponding capability `supportsVariableType` is true.
    """

    presentation_hint: VariablePresentationHint | None = None
    """Properties of an evaluate result that can be used to determine how to render the result in the UI."""

    variables_reference: int
    """If `variablesReference` is > 0, the evaluate result is structured and its children can be retrieved by passing `variablesReference` to the `variables` request as long as execution remains suspended. See 'Lifetime of Object References' in the Overview section for details."""

    named_variables: int | None = None
    """The number of named child variables.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    indexed_variables: int | None = None
    """The number of indexed child variables.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    memory_reference: str | None = None
    """A memory reference to a location appropriate for this result.
    For pointer type eval results, this is generally a reference to the memory address contained in the pointer.
    This attribute may be returned by a debug adapter if corresponding capability `supportsMemoryReferences` is true.
    """

    value_location_reference: int | None = None
    """A reference that allows the client to request the location where the returned value is declared. For example, if a function pointer is returned, the adapter may be able to look up the function's location. This should be present only if the adapter is likely to be able to resolve the location.

    This reference shares the same lifetime as the `variablesReference`. See 'Lifetime of Object References' in the Overview section for details.
    """


@frozen
class SetExpressionArguments:
    """Arguments for `setExpression` request."""

    expression: str
    """The l-value expression to assign to."""

    value: str
    """The value expression to assign to the l-value expression."""

    frame_id: int | None = None
    """Evaluate the expressions in the scope of this stack frame. If not specified, the expressions are evaluated in the global scope."""

    format: ValueFormat | None = None
    """Specifies how the resulting value should be formatted."""


@frozen
class SetExpressionResponseBody:
    """The `SetExpressionResponseBody` object."""

    value: str
    """The new value of the expression."""

    type: str | None = None
    """The type of the value.
    This attribute should only be returned by a debug adapter if the corresponding capability `supportsVariableType` is true.
    """

    presentation_hint: VariablePresentationHint | None = None
    """Properties of a value that can be used to determine how to render the result in the UI."""

    variables_reference: int | None = None
    """If `variablesReference` is > 0, the evaluate result is structured and its children can be retrieved by passing `variablesReference` to the `variables` request as long as execution remains suspended. See 'Lifetime of Object References' in the Overview section for details."""

    named_variables: int | None = None
    """The number of named child variables.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    indexed_variables: int | None = None
    """The number of indexed child variables.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    memory_reference: str | None = None
    """A memory reference to a location appropriate for this result.
    For pointer type eval results, this is generally a reference to the memory address contained in the pointer.
    This attribute may be returned by a debug adapter if corresponding capability `supportsMemoryReferences` is true.
    """

    value_location_reference: int | None = None
    """A reference that allows the client to request the location where the new value is declared. For example, if the new value is function pointer, the adapter may be able to look up the function's location. This should be present only if the adapter is likely to be able to resolve the location.

    This reference shares the same lifetime as the `variablesReference`. See 'Lifetime of Object References' in the Overview section for details.
    """


@frozen
class StepInTargetsArguments:
    """Arguments for `stepInTargets` request."""

    frame_id: int
    """The stack frame for which to retrieve the possible step-in targets."""


@frozen
class StepInTargetsResponseBody:
    """The `StepInTargetsResponseBody` object."""

    targets: list[StepInTarget]
    """The possible step-in targets of the specified source location."""


@frozen
class GotoTargetsArguments:
    """Arguments for `gotoTargets` request."""

    source: Source
    """The source location for which the goto targets are determined."""

    line: int
    """The line location for which the goto targets are determined."""

    column: int | None = None
    """The position within `line` for which the goto targets are determined. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""


@frozen
class GotoTargetsResponseBody:
    """The `GotoTargetsResponseBody` object."""

    targets: list[GotoTarget]
    """The possible goto targets of the specified location."""


@frozen
class CompletionsArguments:
    """Arguments for `completions` request."""

    frame_id: int | None = None
    """Returns completions in the scope of this stack frame. If not specified, the completions are returned for the global scope."""

    text: str
    """One or more source lines. Typically this is the text users have typed into the debug console before they asked for completion."""

    column: int
    """The position within `text` for which to determine the completion proposals. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    line: int | None = None
    """A line for which to determine the completion proposals. If missing the first line of the text is assumed."""


@frozen
class CompletionsResponseBody:
    """The `CompletionsResponseBody` object."""

    targets: list[CompletionItem]
    """The possible completions for ."""


@frozen
class ExceptionInfoArguments:
    """Arguments for `exceptionInfo` request."""

    thread_id: int
    """Thread for which exception information should be retrieved."""


@frozen
class ExceptionInfoResponseBody:
    """The `ExceptionInfoResponseBody` object."""

    exception_id: str
    """ID of the exception that was thrown."""

    description: str | None = None
    """Descriptive text for the exception."""

    break_mode: ExceptionBreakMode
    """Mode that caused the exception notification to be raised."""

    details: ExceptionDetails | None = None
    """Detailed information about the exception."""


@frozen
class ReadMemoryArguments:
    """Arguments for `readMemory` request."""

    memory_reference: str
    """Memory reference to the base location from which data should be read."""

    offset: int | None = None
    """Offset (in bytes) to be applied to the reference location before reading data. Can be negative."""

    count: int
    """Number of bytes to read at the specified location and offset."""


@frozen
class ReadMemoryResponseBody:
    """The `ReadMemoryResponseBody` object."""

    address: str
    """The address of the first byte of data returned.
    Treated as a hex value if prefixed with `0x`, or as a decimal value otherwise.
    """

    unreadable_bytes: int | None = None
    """The number of unreadable bytes encountered after the last successfully read byte.
    This can be used to determine the number of bytes that should be skipped before a subsequent `readMemory` request succeeds.
    """

    data: str | None = None
    """The bytes read from memory, encoded using base64. If the decoded length of `data` is less than the requested `count` in the original `readMemory` request, and `unreadableBytes` is zero or omitted, then the client should assume it's reached the end of readable memory."""


@frozen
class WriteMemoryArguments:
    """Arguments for `writeMemory` request."""

    memory_reference: str
    """Memory reference to the base location to which data should be written."""

    offset: int | None = None
    """Offset (in bytes) to be applied to the reference location before writing data. Can be negative."""

    allow_partial: bool | None = None
    """Property to control partial writes. If true, the debug adapter should attempt to write memory even if the entire memory region is not writable. In such a case the debug adapter should stop after hitting the first byte of memory that cannot be written and return the number of bytes written in the response via the `offset` and `bytesWritten` properties.
    If false or missing, a debug adapter should attempt to verify the region is writable before writing, and fail the response if it is not.
    """

    data: str
    """Bytes to write, encoded using base64."""


@frozen
class WriteMemoryResponseBody:
    """The `WriteMemoryResponseBody` object."""

    offset: int | None = None
    """Property that should be returned when `allowPartial` is true to indicate the offset of the first byte of data successfully written. Can be negative."""

    bytes_written: int | None = None
    """Property that should be returned when `allowPartial` is true to indicate the number of bytes starting from address that were successfully written."""


@frozen
class DisassembleArguments:
    """Arguments for `disassemble` request."""

    memory_reference: str
    """Memory reference to the base location containing the instructions to disassemble."""

    offset: int | None = None
    """Offset (in bytes) to be applied to the reference location before disassembling. Can be negative."""

    instruction_offset: int | None = None
    """Offset (in instructions) to be applied after the byte offset (if any) before disassembling. Can be negative."""

    instruction_count: int
    """Number of instructions to disassemble starting at the specified location and offset.
    An adapter must return exactly this number of instructions - any unavailable instructions should be replaced with an implementation-defined 'invalid instruction' value.
    """

    resolve_symbols: bool | None = None
    """If true, the adapter should attempt to resolve memory addresses and other values to symbolic names."""


@frozen
class DisassembleResponseBody:
    """The `DisassembleResponseBody` object."""

    instructions: list[DisassembledInstruction]
    """The list of disassembled instructions."""


@frozen
class LocationsArguments:
    """Arguments for `locations` request."""

    location_reference: int
    """Location reference to resolve."""


@frozen
class LocationsResponseBody:
    """The `LocationsResponseBody` object."""

    source: Source
    """The source containing the location; either `source.path` or `source.sourceReference` must be specified."""

    line: int
    """The line number of the location. The client capability `linesStartAt1` determines whether it is 0- or 1-based."""

    column: int | None = None
    """Position of the location within the `line`. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based. If no column is given, the first position in the start line is assumed."""

    end_line: int | None = None
    """End line of the location, present if the location refers to a range.  The client capability `linesStartAt1` determines whether it is 0- or 1-based."""

    end_column: int | None = None
    """End position of the location within `endLine`, present if the location refers to a range. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""


@frozen
class Capabilities:
    """Information about the capabilities of a debug adapter."""

    supports_configuration_done_request: bool | None = None
    """The debug adapter supports the `configurationDone` request."""

    supports_function_breakpoints: bool | None = None
    """The debug adapter supports function breakpoints."""

    supports_conditional_breakpoints: bool | None = None
    """The debug adapter supports conditional breakpoints."""

    supports_hit_conditional_breakpoints: bool | None = None
    """The debug adapter supports breakpoints that break execution after a specified number of hits."""

    supports_evaluate_for_hovers: bool | None = None
    """The debug adapter supports a (side effect free) `evaluate` request for data hovers."""

    exception_breakpoint_filters: list[ExceptionBreakpointsFilter] | None = None
    """Available exception filter options for the `setExceptionBreakpoints` request."""

    supports_step_back: bool | None = None
    """The debug adapter supports stepping back via the `stepBack` and `reverseContinue` requests."""

    supports_set_variable: bool | None = None
    """The debug adapter supports setting a variable to a value."""

    supports_restart_frame: bool | None = None
    """The debug adapter supports restarting a frame."""

    supports_goto_targets_request: bool | None = None
    """The debug adapter supports the `gotoTargets` request."""

    supports_step_in_targets_request: bool | None = None
    """The debug adapter supports the `stepInTargets` request."""

    supports_completions_request: bool | None = None
    """The debug adapter supports the `completions` request."""

    completion_trigger_characters: list[str] | None = None
    """The set of characters that should automatically trigger a completion request in a REPL. If not specified, the client should assume the `.` character. The client may trigger additional completion requests on characters such as ones that make up common identifiers, or as otherwise requested by a user."""

    supports_modules_request: bool | None = None
    """The debug adapter supports the `modules` request."""

    additional_module_columns: list[ColumnDescriptor] | None = None
    """The set of additional module information exposed by the debug adapter."""

    supported_checksum_algorithms: list[ChecksumAlgorithm] | None = None
    """Checksum algorithms supported by the debug adapter."""

    supports_restart_request: bool | None = None
    """The debug adapter supports the `restart` request. In this case a client should not implement `restart` by terminating and relaunching the adapter but by calling the `restart` request."""

    supports_exception_options: bool | None = None
    """The debug adapter supports `exceptionOptions` on the `setExceptionBreakpoints` request."""

    supports_value_formatting_options: bool | None = None
    """The debug adapter supports a `format` attribute on the `stackTrace`, `variables`, and `evaluate` requests."""

    supports_exception_info_request: bool | None = None
    """The debug adapter supports the `exceptionInfo` request."""

    support_terminate_debuggee: bool | None = None
    """The debug adapter supports the `terminateDebuggee` attribute on the `disconnect` request."""

    support_suspend_debuggee: bool | None = None
    """The debug adapter supports the `suspendDebuggee` attribute on the `disconnect` request."""

    supports_delayed_stack_trace_loading: bool | None = None
    """The debug adapter supports the delayed loading of parts of the stack, which requires that both the `startFrame` and `levels` arguments and the `totalFrames` result of the `stackTrace` request are supported."""

    supports_loaded_sources_request: bool | None = None
    """The debug adapter supports the `loadedSources` request."""

    supports_log_points: bool | None = None
    """The debug adapter supports log points by interpreting the `logMessage` attribute of the `SourceBreakpoint`."""

    supports_terminate_threads_request: bool | None = None
    """The debug adapter supports the `terminateThreads` request."""

    supports_set_expression: bool | None = None
    """The debug adapter supports the `setExpression` request."""

    supports_terminate_request: bool | None = None
    """The debug adapter supports the `terminate` request."""

    supports_data_breakpoints: bool | None = None
    """The debug adapter supports data breakpoints."""

    supports_read_memory_request: bool | None = None
    """The debug adapter supports the `readMemory` request."""

    supports_write_memory_request: bool | None = None
    """The debug adapter supports the `writeMemory` request."""

    supports_disassemble_request: bool | None = None
    """The debug adapter supports the `disassemble` request."""

    supports_cancel_request: bool | None = None
    """The debug adapter supports the `cancel` request."""

    supports_breakpoint_locations_request: bool | None = None
    """The debug adapter supports the `breakpointLocations` request."""

    supports_clipboard_context: bool | None = None
    """The debug adapter supports the `clipboard` context value in the `evaluate` request."""

    supports_stepping_granularity: bool | None = None
    """The debug adapter supports stepping granularities (argument `granularity`) for the stepping requests."""

    supports_instruction_breakpoints: bool | None = None
    """The debug adapter supports adding breakpoints based on instruction references."""

    supports_exception_filter_options: bool | None = None
    """The debug adapter supports `filterOptions` as an argument on the `setExceptionBreakpoints` request."""

    supports_single_thread_execution_requests: bool | None = None
    """The debug adapter supports the `singleThread` property on the execution requests (`continue`, `next`, `stepIn`, `stepOut`, `reverseContinue`, `stepBack`)."""

    supports_data_breakpoint_bytes: bool | None = None
    """The debug adapter supports the `asAddress` and `bytes` fields in the `dataBreakpointInfo` request."""

    breakpoint_modes: list[BreakpointMode] | None = None
    """Modes of breakpoints supported by the debug adapter, such as 'hardware' or 'software'. If present, the client may allow the user to select a mode and include it in its `setBreakpoints` request.

    Clients may present the first applicable mode in this array as the 'default' mode in gestures that set breakpoints.
    """

    supports_ansi_styling: bool | None = attrs.field(
        default=None, metadata={"dap_name": "supportsANSIStyling"}
    )
    """The debug adapter supports ANSI escape sequences in styling of `OutputEvent.output` and `Variable.value` fields."""


@frozen
class ExceptionBreakpointsFilter:
    """An `ExceptionBreakpointsFilter` is shown in the UI as an filter option for configuring how exceptions are dealt with."""

    filter: str
    """The internal ID of the filter option. This value is passed to the `setExceptionBreakpoints` request."""

    label: str
    """The name of the filter option. This is shown in the UI."""

    description: str | None = None
    """A help text providing additional information about the exception filter. This string is typically shown as a hover and can be translated."""

    default: bool | None = None
    """Initial value of the filter option. If not specified a value false is assumed."""

    supports_condition: bool | None = None
    """Controls whether a condition can be specified for this filter option. If false or missing, a condition can not be set."""

    condition_description: str | None = None
    """A help text providing information about the condition. This string is shown as the placeholder text for a text box and can be translated."""


@frozen
class Message:
    """A structured message object. Used to return errors from requests."""

    id: int
    """Unique (within a debug adapter implementation) identifier for the message. The purpose of these error IDs is to help extension authors that have the requirement that every user visible error message needs a corresponding error number, so that users or customer support can find information about the specific error more easily."""

    format: str
    """A format string for the message. Embedded variables have the form `{name}`.
    If variable name starts with an underscore character, the variable does not contain user data (PII) and can be safely used for telemetry purposes.
    """

    variables: dict[str, str] | None = None
    """An object used as a dictionary for looking up the variables in the format string."""

    send_telemetry: bool | None = None
    """If true send to telemetry."""

    show_user: bool | None = None
    """If true show user."""

    url: str | None = None
    """A url where additional information about this message can be found."""

    url_label: str | None = None
    """A label that is presented to the user as the UI for opening the url."""


@frozen
class Module:
    """A Module object represents a row in the modules view.
    The `id` attribute identifies a module in the modules view and is used in a `module` event for identifying a module for adding, updating or deleting.
    The `name` attribute is used to minimally render the module in the UI.

    Additional attributes can be added to the module. They show up in the module view if they have a corresponding `ColumnDescriptor`.

    To avoid an unnecessary proliferation of additional attributes with similar semantics but different names, we recommend to re-use attributes from the 'recommended' list below first, and only introduce new attributes if nothing appropriate could be found.
    """

    id: int | str
    """Unique identifier for the module."""

    name: str
    """A name of the module."""

    path: str | None = None
    """Logical full path to the module. The exact definition is implementation defined, but usually this would be a full path to the on-disk file for the module."""

    is_optimized: bool | None = None
    """True if the module is optimized."""

    is_user_code: bool | None = None
    """True if the module is considered 'user code' by a debugger that supports 'Just My Code'."""

    version: str | None = None
    """Version of Module."""

    symbol_status: str | None = None
    """User-understandable description of if symbols were found for the module (ex: 'Symbols Loaded', 'Symbols not found', etc.)"""

    symbol_file_path: str | None = None
    """Logical full path to the symbol file. The exact definition is implementation defined."""

    date_time_stamp: str | None = None
    """Module created or modified, encoded as a RFC 3339 timestamp."""

    address_range: str | None = None
    """Address range covered by this module."""


@frozen
class ColumnDescriptor:
    """A `ColumnDescriptor` specifies what module attribute to show in a column of the modules view, how to format it,
    and what the column's label should be.
    It is only used if the underlying UI actually supports this level of customization.
    """

    attribute_name: str
    """Name of the attribute rendered in this column."""

    label: str
    """Header UI label of column."""

    format: str | None = None
    """Format to use for the rendered values in this column. TBD how the format strings looks like."""

    type: Literal["string", "number", "boolean", "unixTimestampUTC"] | None = None
    """Datatype of values in this column. Defaults to `string` if not specified."""

    width: int | None = None
    """Width of this column in characters (hint only)."""


@frozen
class Thread:
    """A Thread"""

    id: int
    """Unique identifier for the thread."""

    name: str
    """The name of the thread."""


@frozen
class Source:
    """A `Source` is a descriptor for source code.
    It is returned from the debug adapter as part of a `StackFrame` and it is used by clients when specifying breakpoints.
    """

    name: str | None = None
    """The short name of the source. Every source returned from the debug adapter has a name.
    When sending a source to the debug adapter this name is optional.
    """

    path: str | None = None
    """The path of the source to be shown in the UI.
    It is only used to locate and load the content of the source if no `sourceReference` is specified (or its value is 0).
    """

    source_reference: int | None = None
    """If the value > 0 the contents of the source must be retrieved through the `source` request (even if a path is specified).
    Since a `sourceReference` is only valid for a session, it can not be used to persist a source.
    The value should be less than or equal to 2147483647 (2^31-1).
    """

    presentation_hint: Literal["normal", "emphasize", "deemphasize"] | None = None
    """A hint for how to present the source in the UI.
    A value of `deemphasize` can be used to indicate that the source is not available or that it is skipped on stepping.
    """

    origin: str | None = None
    """The origin of this source. For example, 'internal module', 'inlined content from source map', etc."""

    sources: list[Source] | None = None
    """A list of sources that are related to this source. These may be the source that generated this source."""

    adapter_data: Any = None
    """Additional data that a debug adapter might want to loop through the client.
    The client should leave the data intact and persist it across sessions. The client should not interpret the data.
    """

    checksums: list[Checksum] | None = None
    """The checksums associated with this file."""


@frozen
class StackFrame:
    """A Stackframe contains the source location."""

    id: int
    """An identifier for the stack frame. It must be unique across all threads.
    This id can be used to retrieve the scopes of the frame with the `scopes` request or to restart the execution of a stack frame.
    """

    name: str
    """The name of the stack frame, typically a method name."""

    source: Source | None = None
    """The source of the frame."""

    line: int
    """The line within the source of the frame. If the source attribute is missing or doesn't exist, `line` is 0 and should be ignored by the client."""

    column: int
    """Start position of the range covered by the stack frame. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based. If attribute `source` is missing or doesn't exist, `column` is 0 and should be ignored by the client."""

    end_line: int | None = None
    """The end line of the range covered by the stack frame."""

    end_column: int | None = None
    """End position of the range covered by the stack frame. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    can_restart: bool | None = None
    """Indicates whether this frame can be restarted with the `restartFrame` request. Clients should only use this if the debug adapter supports the `restart` request and the corresponding capability `supportsRestartFrame` is true. If a debug adapter has this capability, then `canRestart` defaults to `true` if the property is absent."""

    instruction_pointer_reference: str | None = None
    """A memory reference for the current instruction pointer in this frame."""

    module_id: int | str | None = None
    """The module associated with this frame, if any."""

    presentation_hint: Literal["normal", "label", "subtle"] | None = None
    """A hint for how to present this frame in the UI.
    A value of `label` can be used to indicate that the frame is an artificial frame that is used as a visual label or separator. A value of `subtle` can be used to change the appearance of a frame in a 'subtle' way.
    """


@frozen
class Scope:
    """A `Scope` is a named container for variables. Optionally a scope can map to a source or a range within a source."""

    name: str
    """Name of the scope such as 'Arguments', 'Locals', or 'Registers'. This string is shown in the UI as is and can be translated."""

    presentation_hint: str | None = None
    """A hint for how to present this scope in the UI. If this attribute is missing, the scope is shown with a generic UI."""

    variables_reference: int
    """The variables of this scope can be retrieved by passing the value of `variablesReference` to the `variables` request as long as execution remains suspended. See 'Lifetime of Object References' in the Overview section for details."""

    named_variables: int | None = None
    """The number of named variables in this scope.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    """

    indexed_variables: int | None = None
    """The number of indexed variables in this scope.
    The client can use this information to present the variables in a paged UI and fetch them in chunks.
    """

    expensive: bool
    """If true, the number of variables in this scope is large or expensive to retrieve."""

    source: Source | None = None
    """The source for this scope."""

    line: int | None = None
    """The start line of the range covered by this scope."""

    column: int | None = None
    """Start position of the range covered by the scope. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    end_line: int | None = None
    """The end line of the range covered by this scope."""

    end_column: int | None = None
    """End position of the range covered by the scope. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""


@frozen
class Variable:
    """A Variable is a name/value pair.
    The `type` attribute is shown if space permits or when hovering over the variable's name.
    The `kind` attribute is used to render additional properties of the variable, e.g. different icons can be used to indicate that a variable is public or private.
    If the value is structured (has children), a handle is provided to retrieve the children with the `variables` request.
    If the number of named or indexed children is large, the numbers should be returned via the `namedVariables` and `indexedVariables` attributes.
    The client can use this information to present the children in a paged UI and fetch them in chunks.
    """

    name: str
    """The variable's name."""

    value: str
    """The variable's value.
    This can be a multi-line text, e.g. for a function the body of a function.
    For structured variables (which do not have a simple value), it is recommended to provide a one-line representation of the structured object. This helps to identify the structured object in the collapsed state when its children are not yet visible.
    An empty string can be used if no value should be shown in the UI.
    """

    type: str | None = None
    """The type of the variable's value. Typically shown in the UI when hovering over the value.
    This attribute should only be returned by a debug adapter if the corresponding capability `supportsVariableType` is true.
    """

    presentation_hint: VariablePresentationHint | None = None
    """Properties of a variable that can be used to determine how to render the variable in the UI."""

    evaluate_name: str | None = None
    """The evaluatable name of this variable which can be passed to the `evaluate` request to fetch the variable's value."""

    variables_reference: int
    """If `variablesReference` is > 0, the variable is structured and its children can be retrieved by passing `variablesReference` to the `variables` request as long as execution remains suspended. See 'Lifetime of Object References' in the Overview section for details."""

    named_variables: int | None = None
    """The number of named child variables.
    The client can use this information to present the children in a paged UI and fetch them in chunks.
    """

    indexed_variables: int | None = None
    """The number of indexed child variables.
    The client can use this information to present the children in a paged UI and fetch them in chunks.
    """

    memory_reference: str | None = None
    """A memory reference associated with this variable.
    For pointer type variables, this is generally a reference to the memory address contained in the pointer.
    For executable data, this reference may later be used in a `disassemble` request.
    This attribute may be returned by a debug adapter if corresponding capability `supportsMemoryReferences` is true.
    """

    declaration_location_reference: int | None = None
    """A reference that allows the client to request the location where the variable is declared. This should be present only if the adapter is likely to be able to resolve the location.

    This reference shares the same lifetime as the `variablesReference`. See 'Lifetime of Object References' in the Overview section for details.
    """

    value_location_reference: int | None = None
    """A reference that allows the client to request the location where the variable's value is declared. For example, if the variable contains a function pointer, the adapter may be able to look up the function's location. This should be present only if the adapter is likely to be able to resolve the location.

    This reference shares the same lifetime as the `variablesReference`. See 'Lifetime of Object References' in the Overview section for details.
    """


@frozen
class VariablePresentationHint:
    """Properties of a variable that can be used to determine how to render the variable in the UI."""

    kind: str | None = None
    """The kind of variable. Before introducing additional values, try to use the listed values."""

    attributes: list[str] | None = None
    """Set of attributes represented as an array of strings. Before introducing additional values, try to use the listed values."""

    visibility: str | None = None
    """Visibility of variable. Before introducing additional values, try to use the listed values."""

    lazy: bool | None = None
    """If true, clients can present the variable with a UI that supports a specific gesture to trigger its evaluation.
    This mechanism can be used for properties that require executing code when retrieving their value and where the code execution can be expensive and/or produce side-effects. A typical example are properties based on a getter function.
    Please note that in addition to the `lazy` flag, the variable's `variablesReference` is expected to refer to a variable that will provide the value through another `variable` request.
    """


@frozen
class BreakpointLocation:
    """Properties of a breakpoint location returned from the `breakpointLocations` request."""

    line: int
    """Start line of breakpoint location."""

    column: int | None = None
    """The start position of a breakpoint location. Position is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    end_line: int | None = None
    """The end line of breakpoint location if the location covers a range."""

    end_column: int | None = None
    """The end position of a breakpoint location (if the location covers a range). Position is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""


@frozen
class SourceBreakpoint:
    """Properties of a breakpoint or logpoint passed to the `setBreakpoints` request."""

    line: int
    """The source line of the breakpoint or logpoint."""

    column: int | None = None
    """Start position within source line of the breakpoint or logpoint. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    condition: str | None = None
    """The expression for conditional breakpoints.
    It is only honored by a debug adapter if the corresponding capability `supportsConditionalBreakpoints` is true.
    """

    hit_condition: str | None = None
    """The expression that controls how many hits of the breakpoint are ignored.
    The debug adapter is expected to interpret the expression as needed.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsHitConditionalBreakpoints` is true.
    If both this property and `condition` are specified, `hitCondition` should be evaluated only if the `condition` is met, and the debug adapter should stop only if both conditions are met.
    """

    log_message: str | None = None
    """If this attribute exists and is non-empty, the debug adapter must not 'break' (stop)
    but log the message instead. Expressions within `{}` are interpolated.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsLogPoints` is true.
    If either `hitCondition` or `condition` is specified, then the message should only be logged if those conditions are met.
    """

    mode: str | None = None
    """The mode of this breakpoint. If defined, this must be one of the `breakpointModes` the debug adapter advertised in its `Capabilities`."""


@frozen
class FunctionBreakpoint:
    """Properties of a breakpoint passed to the `setFunctionBreakpoints` request."""

    name: str
    """The name of the function."""

    condition: str | None = None
    """An expression for conditional breakpoints.
    It is only honored by a debug adapter if the corresponding capability `supportsConditionalBreakpoints` is true.
    """

    hit_condition: str | None = None
    """An expression that controls how many hits of the breakpoint are ignored.
    The debug adapter is expected to interpret the expression as needed.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsHitConditionalBreakpoints` is true.
    """


@frozen
class DataBreakpoint:
    """Properties of a data breakpoint passed to the `setDataBreakpoints` request."""

    data_id: str
    """An id representing the data. This id is returned from the `dataBreakpointInfo` request."""

    access_type: DataBreakpointAccessType | None = None
    """The access type of the data."""

    condition: str | None = None
    """An expression for conditional breakpoints."""

    hit_condition: str | None = None
    """An expression that controls how many hits of the breakpoint are ignored.
    The debug adapter is expected to interpret the expression as needed.
    """


@frozen
class InstructionBreakpoint:
    """Properties of a breakpoint passed to the `setInstructionBreakpoints` request"""

    instruction_reference: str
    """The instruction reference of the breakpoint.
    This should be a memory or instruction pointer reference from an `EvaluateResponse`, `Variable`, `StackFrame`, `GotoTarget`, or `Breakpoint`.
    """

    offset: int | None = None
    """The offset from the instruction reference in bytes.
    This can be negative.
    """

    condition: str | None = None
    """An expression for conditional breakpoints.
    It is only honored by a debug adapter if the corresponding capability `supportsConditionalBreakpoints` is true.
    """

    hit_condition: str | None = None
    """An expression that controls how many hits of the breakpoint are ignored.
    The debug adapter is expected to interpret the expression as needed.
    The attribute is only honored by a debug adapter if the corresponding capability `supportsHitConditionalBreakpoints` is true.
    """

    mode: str | None = None
    """The mode of this breakpoint. If defined, this must be one of the `breakpointModes` the debug adapter advertised in its `Capabilities`."""


@frozen
class Breakpoint:
    """Information about a breakpoint created in `setBreakpoints`, `setFunctionBreakpoints`, `setInstructionBreakpoints`, or `setDataBreakpoints` requests."""

    id: int | None = None
    """The identifier for the breakpoint. It is needed if breakpoint events are used to update or remove breakpoints."""

    verified: bool
    """If true, the breakpoint could be set (but not necessarily at the desired location)."""

    message: str | None = None
    """A message about the state of the breakpoint.
    This is shown to the user and can be used to explain why a breakpoint could not be verified.
    """

    source: Source | None = None
    """The source where the breakpoint is located."""

    line: int | None = None
    """The start line of the actual range covered by the breakpoint."""

    column: int | None = None
    """Start position of the source range covered by the breakpoint. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    end_line: int | None = None
    """The end line of the actual range covered by the breakpoint."""

    end_column: int | None = None
    """End position of the source range covered by the breakpoint. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based.
    If no end line is given, then the end column is assumed to be in the start line.
    """

    instruction_reference: str | None = None
    """A memory reference to where the breakpoint is set."""

    offset: int | None = None
    """The offset from the instruction reference.
    This can be negative.
    """

    reason: Literal["pending", "failed"] | None = None
    """A machine-readable explanation of why a breakpoint may not be verified. If a breakpoint is verified or a specific reason is not known, the adapter should omit this property. Possible values include:

    - `pending`: Indicates a breakpoint might be verified in the future, but the adapter cannot verify it in the current state.
     - `failed`: Indicates a breakpoint was not able to be verified, and the adapter does not believe it can be verified without intervention.
    """


@frozen
class StepInTarget:
    """A `StepInTarget` can be used in the `stepIn` request and determines into which single target the `stepIn` request should step."""

    id: int
    """Unique identifier for a step-in target."""

    label: str
    """The name of the step-in target (shown in the UI)."""

    line: int | None = None
    """The line of the step-in target."""

    column: int | None = None
    """Start position of the range covered by the step in target. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""

    end_line: int | None = None
    """The end line of the range covered by the step-in target."""

    end_column: int | None = None
    """End position of the range covered by the step in target. It is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based."""


@frozen
class GotoTarget:
    """A `GotoTarget` describes a code location that can be used as a target in the `goto` request.
    The possible goto targets can be determined via the `gotoTargets` request.
    """

    id: int
    """Unique identifier for a goto target. This is used in the `goto` request."""

    label: str
    """The name of the goto target (shown in the UI)."""

    line: int
    """The line of the goto target."""

    column: int | None = None
    """The column of the goto target."""

    end_line: int | None = None
    """The end line of the range covered by the goto target."""

    end_column: int | None = None
    """The end column of the range covered by the goto target."""

    instruction_pointer_reference: str | None = None
    """A memory reference for the instruction pointer value represented by this target."""


@frozen
class CompletionItem:
    """`CompletionItems` are the suggestions returned from the `completions` request."""

    label: str
    """The label of this completion item. By default this is also the text that is inserted when selecting this completion."""

    text: str | None = None
    """If text is returned and not an empty string, then it is inserted instead of the label."""

    sort_text: str | None = None
    """A string that should be used when comparing this item with other items. If not returned or an empty string, the `label` is used instead."""

    detail: str | None = None
    """A human-readable string with additional information about this item, like type or symbol information."""

    type: CompletionItemType | None = None
    """The item's type. Typically the client uses this information to render the item in the UI with an icon."""

    start: int | None = None
    """Start position (within the `text` attribute of the `completions` request) where the completion text is added. The position is measured in UTF-16 code units and the client capability `columnsStartAt1` determines whether it is 0- or 1-based. If the start position is omitted the text is added at the location specified by the `column` attribute of the `completions` request."""

    length: int | None = None
    """Length determines how many characters are overwritten by the completion text and it is measured in UTF-16 code units. If missing the value 0 is assumed which results in the completion text being inserted."""

    selection_start: int | None = None
    """Determines the start of the new selection after the text has been inserted (or replaced). `selectionStart` is measured in UTF-16 code units and must be in the range 0 and length of the completion text. If omitted the selection starts at the end of the completion text."""

    selection_length: int | None = None
    """Determines the length of the new selection after the text has been inserted (or replaced) and it is measured in UTF-16 code units. The selection can not extend beyond the bounds of the completion text. If omitted the length is assumed to be 0."""


@frozen
class Checksum:
    """The checksum of an item calculated by the specified algorithm."""

    algorithm: ChecksumAlgorithm
    """The algorithm used to calculate this checksum."""

    checksum: str
    """Value of the checksum, encoded as a hexadecimal value."""


@frozen
class ValueFormat:
    """Provides formatting information for a value."""

    hex: bool | None = None
    """Display the value in hex."""


@frozen
class StackFrameFormat:
    """Provides formatting information for a stack frame."""

    hex: bool | None = None
    """Display the value in hex."""

    parameters: bool | None = None
    """Displays parameters for the stack frame."""

    parameter_types: bool | None = None
    """Displays the types of parameters for the stack frame."""

    parameter_names: bool | None = None
    """Displays the names of parameters for the stack frame."""

    parameter_values: bool | None = None
    """Displays the values of parameters for the stack frame."""

    line: bool | None = None
    """Displays the line number of the stack frame."""

    module: bool | None = None
    """Displays the module of the stack frame."""

    include_all: bool | None = None
    """Includes all stack frames, including those the debug adapter might otherwise hide."""


@frozen
class ExceptionFilterOptions:
    """An `ExceptionFilterOptions` is used to specify an exception filter together with a condition for the `setExceptionBreakpoints` request."""

    filter_id: str
    """ID of an exception filter returned by the `exceptionBreakpointFilters` capability."""

    condition: str | None = None
    """An expression for conditional exceptions.
    The exception breaks into the debugger if the result of the condition is true.
    """

    mode: str | None = None
    """The mode of this exception breakpoint. If defined, this must be one of the `breakpointModes` the debug adapter advertised in its `Capabilities`."""


@frozen
class ExceptionOptions:
    """An `ExceptionOptions` assigns configuration options to a set of exceptions."""

    path: list[ExceptionPathSegment] | None = None
    """A path that selects a single or multiple exceptions in a tree. If `path` is missing, the whole tree is selected.
    By convention the first segment of the path is a category that is used to group exceptions in the UI.
    """

    break_mode: ExceptionBreakMode
    """Condition when a thrown exception should result in a break."""


@frozen
class ExceptionPathSegment:
    """An `ExceptionPathSegment` represents a segment in a path that is used to match leafs or nodes in a tree of exceptions.
    If a segment consists of more than one name, it matches the names provided if `negate` is false or missing, or it matches anything except the names provided if `negate` is true.
    """

    negate: bool | None = None
    """If false or missing this segment matches the names provided, otherwise it matches anything except the names provided."""

    names: list[str]
    """Depending on the value of `negate` the names that should match or not match."""


@frozen
class ExceptionDetails:
    """Detailed information about an exception that has occurred."""

    message: str | None = None
    """Message contained in the exception."""

    type_name: str | None = None
    """Short type name of the exception object."""

    full_type_name: str | None = None
    """Fully-qualified type name of the exception object."""

    evaluate_name: str | None = None
    """An expression that can be evaluated in the current scope to obtain the exception object."""

    stack_trace: str | None = None
    """Stack trace at the time the exception was thrown."""

    inner_exception: list[ExceptionDetails] | None = None
    """Details of the exception contained by this exception, if any."""


@frozen
class DisassembledInstruction:
    """Represents a single disassembled instruction."""

    address: str
    """The address of the instruction. Treated as a hex value if prefixed with `0x`, or as a decimal value otherwise."""

    instruction_bytes: str | None = None
    """Raw bytes representing the instruction and its operands, in an implementation-defined format."""

    instruction: str
    """Text representing the instruction and its operands, in an implementation-defined format."""

    symbol: str | None = None
    """Name of the symbol that corresponds with the location of this instruction, if any."""

    location: Source | None = None
    """Source location that corresponds to this instruction, if any.
    Should always be set (if available) on the first instruction returned,
    but can be omitted afterwards if this instruction maps to the same source file as the previous instruction.
    """

    line: int | None = None
    """The line within the source location that corresponds to this instruction, if any."""

    column: int | None = None
    """The column within the line that corresponds to this instruction, if any."""

    end_line: int | None = None
    """The end line of the range that corresponds to this instruction, if any."""

    end_column: int | None = None
    """The end column of the range that corresponds to this instruction, if any."""

    presentation_hint: Literal["normal", "invalid"] | None = None
    """A hint for how to present the instruction in the UI.

    A value of `invalid` may be used to indicate this instruction is 'filler' and cannot be reached by the program. For example, unreadable memory addresses may be presented is 'invalid.'
    """


@frozen
class BreakpointMode:
    """A `BreakpointMode` is provided as a option when setting breakpoints on sources or instructions."""

    mode: str
    """The internal ID of the mode. This value is passed to the `setBreakpoints` request."""

    label: str
    """The name of the breakpoint mode. This is shown in the UI."""

    description: str | None = None
    """A help text providing additional information about the breakpoint mode. This string is typically shown as a hover and can be translated."""

    applies_to: list[BreakpointModeApplicability]
    """Describes one or more type of breakpoint this mode applies to."""


@frozen
class EmptyArguments:
    """Arguments of a request the schema gives none."""


"""Command -> (arguments class, response body class or None when the response has no body)."""
REQUESTS: dict[str, tuple[type, type | None]] = {
    "cancel": (CancelArguments, None),
    "runInTerminal": (RunInTerminalRequestArguments, RunInTerminalResponseBody),
    "startDebugging": (StartDebuggingRequestArguments, None),
    "initialize": (InitializeRequestArguments, Capabilities),
    "configurationDone": (ConfigurationDoneArguments, None),
    "launch": (LaunchRequestArguments, None),
    "attach": (AttachRequestArguments, None),
    "restart": (RestartArguments, None),
    "disconnect": (DisconnectArguments, None),
    "terminate": (TerminateArguments, None),
    "breakpointLocations": (BreakpointLocationsArguments, BreakpointLocationsResponseBody),
    "setBreakpoints": (SetBreakpointsArguments, SetBreakpointsResponseBody),
    "setFunctionBreakpoints": (SetFunctionBreakpointsArguments, SetFunctionBreakpointsResponseBody),
    "setExceptionBreakpoints": (SetExceptionBreakpointsArguments, SetExceptionBreakpointsResponseBody),
    "dataBreakpointInfo": (DataBreakpointInfoArguments, DataBreakpointInfoResponseBody),
    "setDataBreakpoints": (SetDataBreakpointsArguments, SetDataBreakpointsResponseBody),
    "setInstructionBreakpoints": (SetInstructionBreakpointsArguments, SetInstructionBreakpointsResponseBody),
    "continue": (ContinueArguments, ContinueResponseBody),
    "next": (NextArguments, None),
    "stepIn": (StepInArguments, None),
    "stepOut": (StepOutArguments, None),
    "stepBack": (StepBackArguments, None),
    "reverseContinue": (ReverseContinueArguments, None),
    "restartFrame": (RestartFrameArguments, None),
    "goto": (GotoArguments, None),
    "pause": (PauseArguments, None),
    "stackTrace": (StackTraceArguments, StackTraceResponseBody),
    "scopes": (ScopesArguments, ScopesResponseBody),
    "variables": (VariablesArguments, VariablesResponseBody),
    "setVariable": (SetVariableArguments, SetVariableResponseBody),
    "source": (SourceArguments, SourceResponseBody),
    "threads": (EmptyArguments, ThreadsResponseBody),
    "terminateThreads": (TerminateThreadsArguments, None),
    "modules": (ModulesArguments, ModulesResponseBody),
    "loadedSources": (LoadedSourcesArguments, LoadedSourcesResponseBody),
    "evaluate": (EvaluateArguments, EvaluateResponseBody),
    "setExpression": (SetExpressionArguments, SetExpressionResponseBody),
    "stepInTargets": (StepInTargetsArguments, StepInTargetsResponseBody),
    "gotoTargets": (GotoTargetsArguments, GotoTargetsResponseBody),
    "completions": (CompletionsArguments, CompletionsResponseBody),
    "exceptionInfo": (ExceptionInfoArguments, ExceptionInfoResponseBody),
    "readMemory": (ReadMemoryArguments, ReadMemoryResponseBody),
    "writeMemory": (WriteMemoryArguments, WriteMemoryResponseBody),
    "disassemble": (DisassembleArguments, DisassembleResponseBody),
    "locations": (LocationsArguments, LocationsResponseBody),
}
"""Event -> body class, or None when the event has no body."""
EVENTS: dict[str, type | None] = {
    "initialized": None,
    "stopped": StoppedEventBody,
    "continued": ContinuedEventBody,
    "exited": ExitedEventBody,
    "terminated": TerminatedEventBody,
    "thread": ThreadEventBody,
    "output": OutputEventBody,
    "breakpoint": BreakpointEventBody,
    "module": ModuleEventBody,
    "loadedSource": LoadedSourceEventBody,
    "process": ProcessEventBody,
    "capabilities": CapabilitiesEventBody,
    "progressStart": ProgressStartEventBody,
    "progressUpdate": ProgressUpdateEventBody,
    "progressEnd": ProgressEndEventBody,
    "invalidated": InvalidatedEventBody,
    "memory": MemoryEventBody,
}
"""Classes that keep keys the schema does not name in their `extra` field."""
OPEN_TYPES: frozenset[type] = frozenset({LaunchRequestArguments, AttachRequestArguments})
