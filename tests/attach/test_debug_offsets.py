"""The debug-offsets table of each Python this suite runs, read from the very file its runtime is in: the
header gives that Python's version, the entries fit together, and a table read from the wrong place or
by the wrong version's layout is refused before anything would be written by it."""

import dataclasses
import subprocess

import pytest

from dapattach.attach import debug_offsets, elf
from interpreters import PY314, PY315, needs_315

VERSIONS = [pytest.param(PY314, id="3.14"), pytest.param(PY315, id="3.15", marks=needs_315)]
MAPS_AND_VERSION = (
    "import sys; print(*sys.version_info[:4], not sys._is_gil_enabled()); "
    "sys.stdout.write(open('/proc/self/maps').read())"
)


def table_of(python: str) -> tuple[bytes, int, str]:
    """The bytes of `python`'s offsets table (from the file its `PyRuntime` is in), its pointer size, and
    what `sys.version_info` and the free-threaded flag say, as `PythonVersion` prints them."""
    lines = subprocess.run(
        [python, "-I", "-S", "-c", MAPS_AND_VERSION], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    major, minor, micro, level, free_threaded = lines[0].split()
    level = {"alpha": "a", "beta": "b", "candidate": "rc", "final": ""}[level]
    said = f"{major}.{minor}.{micro}{level}{'t' if free_threaded == 'True' else ''}"
    mapped = (line.split(maxsplit=5) for line in lines[1:])
    for path in dict.fromkeys(fields[5] for fields in mapped if len(fields) == 6):
        if path.startswith("/") and "python" in path.rsplit("/", 1)[-1]:
            section = elf.find_section(path, ".PyRuntime")
            if section is not None:
                with open(path, "rb") as file:
                    file.seek(section.file_offset)
                    return file.read(4096), section.pointer_size, said
    raise AssertionError(f"no file {python} maps has a .PyRuntime section")


@pytest.mark.parametrize("python", VERSIONS)
def test_the_table_of_each_python_reads_as_its_version_and_fits_together(python: str) -> None:
    data, pointer_size, said = table_of(python)
    version = debug_offsets.parse_header(data)
    assert version is not None and str(version) == said
    names = debug_offsets.entry_names(version)
    assert names is not None
    offsets = debug_offsets.parse_entries(names, data[debug_offsets.HEADER_SIZE :][: 8 * len(names)])
    assert debug_offsets.consistent(offsets, pointer_size)
    # the size of the buffer a request's script path is written into, which `consistent` requires
    assert offsets["debugger_support.debugger_script_path_size"] == debug_offsets.SCRIPT_PATH_SIZE == 512


@pytest.mark.parametrize("python", VERSIONS)
def test_a_table_read_from_the_wrong_place_or_by_another_layout_is_refused(python: str) -> None:
    data, pointer_size, _said = table_of(python)
    assert debug_offsets.parse_header(data[8:]) is None  # no cookie: not a runtime, or a Python before 3.13
    version = debug_offsets.parse_header(data)
    assert version is not None
    names = debug_offsets.entry_names(version)
    assert names is not None
    entries = data[debug_offsets.HEADER_SIZE :]
    for shift in (8, 16, 64):
        assert not debug_offsets.consistent(debug_offsets.parse_entries(names, entries[shift:]), pointer_size)
    other = dataclasses.replace(version, minor=15 if version.minor == 14 else 14)
    other_names = debug_offsets.entry_names(other)
    assert other_names is not None
    assert not debug_offsets.consistent(debug_offsets.parse_entries(other_names, entries), pointer_size)
    assert debug_offsets.entry_names(dataclasses.replace(version, minor=99)) is None
