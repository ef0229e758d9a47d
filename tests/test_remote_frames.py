"""Every interpreter's stacks from outside: a pool worker running code in a sub-interpreter shows that
code above its main-interpreter frames, on 3.14 (read by `remote_frames`, where `_remote_debugging` sees
only the newest interpreter) and on 3.15 (its per-interpreter stacks, merged); and the line decoder agrees
with CPython's own positions."""

import asyncio
import dis
import json
import subprocess
import types

import pytest

from agent_harness import start_target
from dapattach import pyinfo
from dapattach.remote_frames import line_at
from dapattach.snapshot import format_snapshot, take_snapshot
from interpreters import PY314, PY315, needs_315

VERSIONS = [pytest.param(PY314, id="3.14"), pytest.param(PY315, id="3.15", marks=needs_315)]


@pytest.mark.parametrize("python", VERSIONS)
async def test_a_worker_in_a_sub_interpreter_shows_its_code_there_above_its_main_frames(python: str) -> None:
    async with start_target("interpreter_pool.py", python=python, stdin=True) as target:
        assert target.process.stdin is not None
        target.process.stdin.write(b"nap\n")
        await target.process.stdin.drain()
        interpreter = (await target.expect(r"^napping in interpreter (\d+)$"))[1]
        async with asyncio.timeout(10):
            while True:  # `napping` is printed a moment before the sleep starts
                snapshot = await asyncio.to_thread(take_snapshot, target.pid)
                napping = [t for t in snapshot.threads if t.frames and t.frames[0].function == "nap"]
                if napping:
                    break
        (worker,) = napping
        assert worker.name.endswith(f" (interpreter {interpreter})") and worker.interpreter == int(
            interpreter
        )
        functions = [frame.function for frame in worker.frames]
        assert functions.index("nap") < functions.index("Interpreter.call") < functions.index("_worker")
        main = next(t for t in snapshot.threads if t.id == target.pid)
        assert main.name == "MainThread" and "main" in [frame.function for frame in main.frames]
        assert f"(interpreter {interpreter})" in format_snapshot(snapshot)
        assert json.loads(json.dumps(snapshot.to_json()))["threads"][-1]["interpreter"] in (
            0,
            int(interpreter),
        )


# Reads `pyinfo.read_stacks` as the snapshot helper does (the file itself, on the target's interpreter),
# many times over, and prints how many reads failed and the first failure.
_READ_OFTEN = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("pyinfo", sys.argv[1])
pyinfo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pyinfo)
failures = []
for _ in range(int(sys.argv[3])):
    try:
        pyinfo.read_stacks(int(sys.argv[2]))
    except RuntimeError as error:
        failures.append(str(error))
print(len(failures), failures[:1])
"""


@pytest.mark.parametrize("python", VERSIONS)
async def test_stacks_read_while_sub_interpreters_push_and_pop_frames_never_fail(python: str) -> None:
    # A read that catches a frame chain mid-change fails to parse it (3.15: about one read in 250 here);
    # the snapshot reads again rather than telling the user the process could not be read.
    async with start_target("churning_interpreters.py", python=python) as target:
        done = await asyncio.to_thread(
            subprocess.run,
            [python, "-I", "-S", "-c", _READ_OFTEN, pyinfo.__file__, str(target.pid), "3000"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr


def test_the_line_decoder_agrees_with_cpython_on_every_instruction() -> None:
    checked = 0
    for module in (dis, json.decoder, asyncio.base_events):
        for code in _codes(module):
            for index, (line, *_rest) in enumerate(code.co_positions()):
                if line is not None:
                    assert line_at(code.co_linetable, code.co_firstlineno, index) == line, (code, index)
                    checked += 1
    assert checked > 10_000


def test_a_line_table_made_to_hang_the_decoder_gives_a_bounded_line() -> None:
    # A hostile process's "line table": one entry whose line delta runs on in continuation bytes. Each
    # made the number 6 bits longer: a quadratic build-up of one huge integer, for ever on a megabyte.
    hostile = bytes([0xE8]) + b"\x7f" * 100_000
    assert line_at(hostile, 1, 0).bit_length() <= 64
    assert line_at(hostile, 1, 10**9).bit_length() <= 64


def _codes(module: types.ModuleType) -> list[types.CodeType]:
    found, stack = [], []
    for value in vars(module).values():
        if isinstance(value, types.FunctionType):
            stack.append(value.__code__)
        elif isinstance(value, type):
            stack.extend(v.__code__ for v in vars(value).values() if isinstance(v, types.FunctionType))
    while stack:
        code = stack.pop()
        found.append(code)
        stack.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return found
