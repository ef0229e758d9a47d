"""`./dev` finds an interpreter that is already there instead of provisioning one, and says when it cannot."""

import os
import subprocess
from pathlib import Path

import pytest

from test_processes import interpreter

ROOT = Path(__file__).resolve().parents[1]
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


def dev(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DAPATTACH_")}
    return subprocess.run(
        [str(ROOT / "dev"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean | {"DAPATTACH_NO_PROVISION": "1"} | env,
    )


def test_finds_python_on_path_without_provisioning(tmp_path: Path) -> None:
    (tmp_path / "python3.14").symlink_to(interpreter("3.14"))

    done = dev("python", "3.14", env={"PATH": f"{tmp_path}:{BASE_PATH}", "DAPATTACH_PY_ROOT": str(tmp_path)})

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{tmp_path / 'python3.14'}\n"
    assert "provision" not in done.stderr


def test_finds_python_in_its_usual_prefix(tmp_path: Path) -> None:
    (tmp_path / "py314" / "bin").mkdir(parents=True)
    (tmp_path / "py314" / "bin" / "python3.14").symlink_to(interpreter("3.14"))

    done = dev("python", "3.14", env={"PATH": BASE_PATH, "DAPATTACH_PY_ROOT": str(tmp_path)})

    assert done.stdout == f"{tmp_path / 'py314' / 'bin' / 'python3.14'}\n", done.stderr


@pytest.mark.py315
def test_rejects_an_interpreter_of_the_wrong_version(tmp_path: Path) -> None:
    (tmp_path / "python3.14").symlink_to(interpreter("3.15"))

    done = dev(
        "python",
        "3.14",
        env={"PATH": f"{tmp_path}:{BASE_PATH}", "DAPATTACH_PY_ROOT": str(tmp_path), "DAPATTACH_PY314": ""},
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert "no working Python 3.14 found (provisioning disabled)" in done.stderr


def test_unknown_command_shows_usage() -> None:
    done = dev("bogus", env={})
    assert done.returncode != 0
    assert "./dev test [ARGS]" in done.stderr and "unknown command 'bogus'" in done.stderr


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.split("#")[0].strip() for line in lines[2:6] if line.startswith("./dev")]
    assert commands == ["./dev demo", "./dev test"]
    assert os.access(ROOT / "dev", os.X_OK) and os.access(ROOT / ".ci" / "run", os.X_OK)
