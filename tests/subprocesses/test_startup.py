"""A young process counts as starting until its interpreter runs `__main__`, and not afterwards."""

import os
import subprocess
from pathlib import Path

from dapattach.subprocesses import startup
from interpreters import TARGET


def test_a_process_is_starting_until_it_runs_main(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    (tmp_path / "sitecustomize.py").write_text(f"print('site', flush=True)\nopen({str(gate)!r}).read()\n")
    child = subprocess.Popen(
        [TARGET, "-c", "print('main', flush=True)\nimport time\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "site\n"
        assert startup.starting(child.pid)
        with open(gate, "w") as opened:
            opened.write("go")
        assert child.stdout.readline() == "main\n"
        assert not startup.starting(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not startup.starting(child.pid)  # gone: nothing to wait for
