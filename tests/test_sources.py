"""Which sources of a containerised target the editor gets by path and which by reference, and their text."""

import os
import tempfile
from pathlib import Path

import pytest

from agent_harness import TARGETS
from containers import needs, start_container
from dapattach.attach.target import Target
from dapattach.options import PathMapping
from dapattach.pathmap import PathMapper
from dapattach.sources import REFERENCE_BASE, TargetSources

SERVICE = "container_service.py"


@needs("mnt", "pid")
async def test_a_path_is_kept_only_when_it_names_the_same_file_here() -> None:
    async with start_container(SERVICE, kinds=("mnt", "pid")) as process:
        target = Target.open(process.pid)
        with tempfile.TemporaryDirectory(dir="/tmp") as here:
            inside = Path(f"/proc/{process.pid}/root")
            (inside / "tmp/same.py").write_text("print('same')\n")
            (inside / "tmp/other.py").write_text("print('theirs')\n")
            Path(here, "same.py").write_text("print('same')\n")
            Path(here, "other.py").write_text("print('ours')\n")
            os.symlink(f"/proc/{process.pid}/root/tmp/same.py", inside / "tmp/link.py")
            mapper = PathMapper([PathMapping(local_root=str(TARGETS), remote_root="/app")])
            sources = TargetSources(mapper, lambda: target)

            def seen(path: str) -> dict[str, object]:
                source: dict[str, object] = {"name": os.path.basename(path), "path": path}
                sources.to_editor(source)
                return source

            assert seen(f"/app/{SERVICE}") == {"name": SERVICE, "path": str(TARGETS / SERVICE)}
            # The same bytes at the same path here: the editor opens its own file.
            (inside / "tmp" / Path(here).name).mkdir()
            (inside / "tmp" / Path(here).name / "same.py").write_text("print('same')\n")
            assert seen(f"{here}/same.py") == {"name": "same.py", "path": f"{here}/same.py"}
            # Other bytes at that path here: served from the target, with its path kept for breakpoints.
            (inside / "tmp" / Path(here).name / "other.py").write_text("print('theirs')\n")
            other = seen(f"{here}/other.py")
            assert other["path"] == f"{here}/other.py"
            reference = other["sourceReference"]
            assert isinstance(reference, int) and reference >= REFERENCE_BASE
            assert sources.text(reference) == "print('theirs')\n"
            missing = seen("/tmp/other.py")
            assert sources.text(int(str(missing["sourceReference"]))) == "print('theirs')\n"
            assert seen("/tmp/other.py")["sourceReference"] == missing["sourceReference"], "one per path"
            assert sources.text(12) is None, "a reference of the agent's"

            # A symlink the target's root planted through /proc to the host's files is not followed.
            planted = seen("/tmp/link.py")
            with pytest.raises(OSError):
                sources.text(int(str(planted["sourceReference"])))

            breakpoint_source: dict[str, object] = {"sourceReference": reference}
            sources.to_target(breakpoint_source)
            assert breakpoint_source["path"] == f"{here}/other.py"
            mapped: dict[str, object] = {"path": str(TARGETS / SERVICE)}
            sources.to_target(mapped)
            assert mapped["path"] == f"/app/{SERVICE}"
        target.close()


def test_a_target_that_shares_our_files_keeps_every_path() -> None:
    target = Target.open(os.getpid())
    try:
        sources = TargetSources(PathMapper(), lambda: target)
        source: dict[str, object] = {"path": "/no/such/file.py"}
        sources.to_editor(source)
        assert source == {"path": "/no/such/file.py"}
    finally:
        target.close()
