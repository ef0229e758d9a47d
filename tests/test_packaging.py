"""The wheel and the sdist: built from the checkout with `python -m build`, installed with pip, pipx and uv
into fresh environments, and the installed `dapattach ps`, `snapshot` and `demo` work there.

The sdist is built from a copy of the tracked files (so the checkout gets no build leftovers), and the
wheel from the sdist, as `python -m build` does. Each install is timed; `-s` shows the numbers.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_harness import TARGETS
from interpreters import PY314, TARGET

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.timeout(600)


def run(*command: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


GENERATED = {".git", ".venv", ".venv-3.15", "node_modules", "__pycache__", "dist", "build", ".mypy_cache",
             ".ruff_cache", ".pytest_cache"}  # fmt: skip
"""What a tree without git (a source archive, CI's copy) holds beside its sources."""


def _source_files() -> list[str]:
    """The checkout's files: git's list where there is a repository, else every file but generated ones."""
    if (ROOT / ".git").exists():
        return list(filter(None, run("git", "-C", ROOT, "ls-files", "-z").split("\0")))
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in GENERATED]
        found.extend(str((Path(folder) / name).relative_to(ROOT)) for name in files)
    return found


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    source = tmp_path_factory.mktemp("source")
    for name in _source_files():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, source)
    yield out


def only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def timed(*command: str | Path, env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    run(*command, env=env)
    return time.monotonic() - started


def works(dapattach: Path, tmp_path: Path) -> None:
    """`ps`, `snapshot` and `demo` of an installed dapattach, run from outside the checkout."""
    target = subprocess.Popen([TARGET, TARGETS / "blocked_main.py", "600"], stdout=subprocess.PIPE, text=True)
    try:
        assert target.stdout is not None and target.stdout.readline()
        listed = json.loads(run(dapattach, "ps", "--json"))
        assert any(entry["pid"] == target.pid and entry["attachable"] for entry in listed), listed
        snapshot = json.loads(run(dapattach, "snapshot", str(target.pid), "--json"))
        assert snapshot["pid"] == target.pid and snapshot["threads"], snapshot
    finally:
        target.kill()
        target.wait()
    demo = run(dapattach, "demo", timeout=120)
    assert "Detached; process" in demo and "runs on" in demo, demo
    assert str(ROOT) not in run(
        dapattach.parent / "python", "-c", "import dapattach; print(dapattach.__file__)"
    )


def test_the_wheel_holds_the_agent_and_the_sample_and_no_tests(dist: Path) -> None:
    wheel = only(dist, "dapattach-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "dapattach/agent/core.py" in names and "dapattach/samples/orders.py" in names
    assert "dapattach/pyinfo.py" in names
    assert not any(name.startswith("tests/") for name in names)
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]  # fmt: skip
    assert sorted(line.split()[1].split(">")[0] for line in requires) == ["attrs", "cattrs", "psutil"]
    print(f"\nwheel {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB")


@pytest.mark.parametrize("what", ["wheel", "sdist"])
def test_pip_installs_it_into_a_fresh_environment_where_it_works(
    dist: Path, tmp_path: Path, what: str
) -> None:
    package = only(dist, "dapattach-*.whl" if what == "wheel" else "dapattach-*.tar.gz")
    run(PY314, "-m", "venv", tmp_path / "env")
    seconds = timed(tmp_path / "env/bin/python", "-m", "pip", "install", "--quiet", package)
    print(f"\npip install {package.name}: {seconds:.1f} s")
    works(tmp_path / "env/bin/dapattach", tmp_path)


def test_uv_installs_the_wheel_into_a_fresh_environment_where_it_works(dist: Path, tmp_path: Path) -> None:
    wheel = only(dist, "dapattach-*.whl")
    run(BIN / "uv", "venv", "--quiet", "--python", PY314, tmp_path / "env")
    seconds = timed(BIN / "uv", "pip", "install", "--quiet", "--python", tmp_path / "env/bin/python", wheel)
    print(f"\nuv pip install {wheel.name}: {seconds:.1f} s")
    works(tmp_path / "env/bin/dapattach", tmp_path)


def test_pipx_installs_the_wheel_as_an_application_that_works(dist: Path, tmp_path: Path) -> None:
    wheel = only(dist, "dapattach-*.whl")
    env = {"PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    seconds = timed(BIN / "pipx", "install", "--python", PY314, wheel, env=env)
    print(f"\npipx install {wheel.name}: {seconds:.1f} s")
    installed = tmp_path / "pipx/venvs/dapattach/bin/dapattach"
    assert (tmp_path / "bin/dapattach").exists() and installed.exists()
    works(installed, tmp_path)
