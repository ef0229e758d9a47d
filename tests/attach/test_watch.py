"""`OpenWatch` tells an open of the watched file by another process from no open at all."""

import os
import subprocess
from pathlib import Path

from dapattach.attach.watch import OpenWatch
from interpreters import PY314


def test_an_open_by_another_process_is_seen_and_a_look_is_not(tmp_path: Path) -> None:
    script = tmp_path / "bootstrap.py"
    script.write_text("pass\n")
    (tmp_path / "other.py").write_text("pass\n")
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    watch = OpenWatch(folder, "bootstrap.py")
    try:
        os.stat(script)
        subprocess.run([PY314, "-c", f"open({str(tmp_path / 'other.py')!r}).close()"], check=True)
        assert watch.opened() is False
        subprocess.run([PY314, str(script)], check=True)
        assert watch.opened() is True
        assert watch.opened() is True, "once seen, it stays seen"
    finally:
        watch.close()
        os.close(folder)
    assert watch.opened() is True
