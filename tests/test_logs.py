"""Log files hold what the target showed (the trace has every evaluate result): they are created 0600 and
their folders 0700 whatever the umask, never through a symlink, and the default folder must be ours."""

import os
import stat
from pathlib import Path

import pytest

from agent_harness import Target
from dapattach import logs
from dapclient import DapClient
from handlers.conftest import attach_session
from handlers.conftest import showcase as showcase
from users import NOBODY, needs_root


def modes(folder: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}


@pytest.fixture
def umask_022() -> object:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("umask_022")
async def test_log_dir_is_created_private_and_so_are_its_files(tmp_path: Path) -> None:
    log_dir = tmp_path / "new" / "logs"
    client = await DapClient.start("stdio", "--log-dir", str(log_dir))
    await client.initialize()
    assert await client.close() == 0
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    assert sorted(modes(log_dir).values()) == [0o600, 0o600]


@pytest.mark.usefixtures("umask_022")
async def test_log_to_file_makes_the_default_folder_private(showcase: Target, tmp_path: Path) -> None:
    old = tmp_path / "cache" / "dapattach" / "logs"
    old.mkdir(parents=True)
    old.chmod(0o755)  # as an earlier dapattach left it
    client = await DapClient.start("stdio", env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    await attach_session(client, showcase.pid, logToFile=True)
    result = await client.request("evaluate", {"expression": "'a value of the target'", "context": "repl"})
    assert result["result"] == "'a value of the target'"
    await client.request("disconnect", {})
    assert await client.close() == 0
    assert stat.S_IMODE(old.stat().st_mode) == 0o700
    assert sorted(modes(old).values()) == [0o600, 0o600]
    [trace] = old.glob("*.trace.log")
    assert "a value of the target" in trace.read_text()


def test_a_log_file_is_never_opened_through_a_symlink_or_reused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    (tmp_path / "link.log").symlink_to(victim)
    with pytest.raises(FileExistsError):
        logs.PrivateFileHandler(tmp_path / "link.log")
    with pytest.raises(FileExistsError):
        logs.PrivateFileHandler(victim)
    assert victim.read_text() == "untouched\n"


@needs_root
def test_a_default_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = logs.default_dir()
    folder.mkdir(parents=True)
    os.chown(folder, NOBODY, NOBODY)
    with pytest.raises(PermissionError, match=f"it belongs to uid {NOBODY}"):
        logs.write_files(folder)
    assert list(folder.iterdir()) == []
