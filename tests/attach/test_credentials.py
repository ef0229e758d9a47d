"""`Credentials.allows` says what the kernel says: checked against what a real process of that user can do."""

import asyncio
import json
import os
import subprocess
from pathlib import Path

from containers import needs, start_container
from dapattach.attach.credentials import READ, SEARCH, Credentials
from interpreters import PY314
from users import NOBODY, as_user, needs_root, reachable_tmp

TRY = """\
import json, os, sys
results = {}
for path in sys.argv[1:]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path).close()
        results[path] = True
    except PermissionError:
        results[path] = False
print(json.dumps(results))
"""

# (mode, owner, group) of a folder holding a readable file, and of that file.
LAYOUTS = {
    "mine-0700": (0o700, NOBODY, NOBODY),
    "root-0700": (0o700, 0, 0),
    "root-0711": (0o711, 0, 0),
    "root-group-0750": (0o750, 0, NOBODY),
    "root-0755": (0o755, 0, 0),
    "owner-denied-0077": (0o077, NOBODY, 0),
}


def make(folder: Path) -> list[Path]:
    paths = []
    for name, (mode, owner, group) in LAYOUTS.items():
        path = folder / name
        path.mkdir()
        (path / "file").write_text("x")
        (path / "file").chmod(0o644)
        os.chown(path, owner, group)
        path.chmod(mode)
        paths += [path, path / "file"]
    return paths


@needs_root
def test_what_another_user_may_enter_and_read() -> None:
    with reachable_tmp() as folder:
        paths = make(folder)
        sleeper = subprocess.Popen(
            [*as_user(NOBODY), "sh", "-c", "echo ready; exec sleep 60"], stdout=subprocess.PIPE
        )
        try:
            assert sleeper.stdout is not None and sleeper.stdout.readline() == b"ready\n"
            credentials = Credentials.of(sleeper.pid)
        finally:
            sleeper.kill()
            sleeper.wait()
        done = subprocess.run(
            [*as_user(NOBODY), PY314, "-c", TRY, *map(str, paths)], capture_output=True, text=True, timeout=30
        )
        reality = json.loads(done.stdout)
        for path in paths:
            wanted = SEARCH | READ if path.is_dir() else READ
            predicted = credentials.allows(path.stat(), wanted) and (
                path.is_dir() or credentials.allows(path.parent.stat(), SEARCH)
            )
            assert predicted == reality[str(path)], path
        assert credentials.uid == NOBODY
        assert credentials.own_user_namespace_ids() is None


@needs("user")
async def test_root_of_a_user_namespace_overrides_modes_only_on_files_it_can_map() -> None:
    async with start_container("container_service.py", kinds=("user",)) as target:
        credentials = Credentials.of(target.pid)
        assert credentials.uid == 100000 and credentials.own_user_namespace_ids() == (100000, 100000)
        with reachable_tmp() as folder:
            theirs, ours = folder / "theirs", folder / "ours"
            for path, owner in ((theirs, 100001), (ours, 0)):
                path.mkdir(mode=0o700)
                os.chown(path, owner, owner)
                path.chmod(0o700)
            assert credentials.allows(theirs.stat(), SEARCH | READ), (
                "its CAP_DAC_OVERRIDE covers uid 1 inside"
            )
            assert not credentials.allows(ours.stat(), SEARCH), "but not a file of the host's root"
            as_its_root = ["nsenter", f"--target={target.pid}", "--user", "--"]  # uid 0 there, 100000 here
            done = await asyncio.create_subprocess_exec(
                *as_its_root, PY314, "-c", TRY, str(theirs), str(ours), stdout=asyncio.subprocess.PIPE
            )
            out, _ = await done.communicate()
            assert json.loads(out) == {str(theirs): True, str(ours): False}
