"""`stepInTargets`: the calls on the line a frame stopped at, in the order they run.

The calls are the CALL instructions (`CALL`, `CALL_KW`, `CALL_FUNCTION_EX`) of the frame's code whose
position starts on the current line and that the frame has not reached yet (a call is never the first
instruction of its line: loading what is called comes first); bytecode order is the order
they run (an argument's call before the call it is passed to). A call's label is its callee as written,
parsed from the source the instruction's position covers; its id is the instruction's offset, which is
what `stepIn` with a `targetId` follows. Instructions that share a position are one call as written
(`with open(p)` calls `open`, then `__enter__` and `__exit__` at the same place): the first is kept.
"""

import ast
import linecache

from .commands import command

CALLS = frozenset(("CALL", "CALL_KW", "CALL_FUNCTION_EX"))


def call_offsets(code):
    """{offset: positions} of every call as written in `code`, in bytecode order."""
    import dis

    found, seen = {}, set()
    for instruction in dis.get_instructions(code):
        positions = instruction.positions
        if instruction.opname not in CALLS or positions is None or positions.lineno is None:
            continue
        where = (positions.lineno, positions.end_lineno, positions.col_offset, positions.end_col_offset)
        if where not in seen:
            seen.add(where)
            found[instruction.offset] = positions
    return found


def _source(filename, positions, namespace):
    """The source the positions cover (columns are UTF-8 byte offsets), or None."""
    if positions.col_offset is None or positions.end_col_offset is None:
        return None
    lines = [
        linecache.getline(filename, number, namespace).encode()
        for number in range(positions.lineno, positions.end_lineno + 1)
    ]
    if not lines or not lines[0]:
        return None
    lines[-1] = lines[-1][: positions.end_col_offset]
    lines[0] = lines[0][positions.col_offset :]
    return b"".join(lines).decode(errors="replace")


def _label(source):
    try:
        call = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(call, ast.Call):
        return None
    return ast.get_source_segment(source.strip(), call.func) or ast.unparse(call.func)


def _column(filename, number, offset, namespace, base):
    """A UTF-8 byte offset in a line as a character column in the client's base."""
    text = linecache.getline(filename, number, namespace).encode()
    return len(text[:offset].decode(errors="replace")) + base


def targets(frame, base=1):
    code = frame.f_code
    line = frame.f_lineno
    found = []
    for offset, positions in call_offsets(code).items():
        if positions.lineno != line or offset <= frame.f_lasti:
            continue  # a call already made, or in progress (the frame stopped as it returned)
        source = _source(code.co_filename, positions, frame.f_globals)
        label = (_label(source) if source else None) or f"call at offset {offset}"
        target = {"id": offset, "label": label, "line": positions.lineno}
        if positions.col_offset is not None and positions.end_col_offset is not None:
            target["column"] = _column(code.co_filename, line, positions.col_offset, frame.f_globals, base)
            target["endLine"] = positions.end_lineno
            target["endColumn"] = _column(
                code.co_filename, positions.end_lineno, positions.end_col_offset, frame.f_globals, base
            )
        found.append(target)
    return found


@command("stepInTargets")
def _step_in_targets(agent, arguments):
    base = 1 if arguments.get("columnsStartAt1", True) else 0
    return {"targets": targets(agent.frame(arguments), base)}
