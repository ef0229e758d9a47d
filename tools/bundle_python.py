"""Put the Python side of dapattach into the VS Code extension, so installing the .vsix is the only install.

    python tools/bundle_python.py vscode-extension/python

writes, replacing what was there:

    lib/        dapattach (from src/), attrs, cattrs, typing_extensions: pure Python, any 3.14+
    psutil/<platform>-<arch>/   psutil's abi3 wheel for each platform VS Code runs on (Linux, macOS,
                Windows; x64 and arm64), unpacked; `launch.py` puts the one for the running system on
                the path
    launch.py   the adapter's entry point: `<any Python 3.14+> -I launch.py [dapattach arguments]`

The wheels come from the package index through pip (`pip download`, exact versions below), so the bundle
is the same whichever machine builds it. Run by `npm run package` (`vscode:prepublish`).
"""

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = ("attrs==26.1.0", "cattrs==26.2.1", "typing-extensions==4.15.0")
PSUTIL = "psutil==7.2.2"
PLATFORMS = {
    "linux-x64": "manylinux2014_x86_64",
    "linux-arm64": "manylinux2014_aarch64",
    "darwin-x64": "macosx_10_9_x86_64",
    "darwin-arm64": "macosx_11_0_arm64",
    "win32-x64": "win_amd64",
    "win32-arm64": "win_arm64",
}

LAUNCH = '''\
"""Run the bundled dapattach with whatever Python 3.14+ started this file (`python -I launch.py ...`)."""

import os
import platform
import sys

here = os.path.dirname(os.path.abspath(__file__))
machine = platform.machine().lower()
arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
sys.path[0:0] = [os.path.join(here, "lib"), os.path.join(here, "psutil", f"{sys.platform}-{arch}")]
if sys.version_info < (3, 14):
    sys.exit(f"dapattach needs Python 3.14 or newer; {sys.executable} is {platform.python_version()}")

from dapattach.cli import main  # noqa: E402

sys.exit(main())
'''


def pip_download(requirement: str, into: Path, *platform: str) -> Path:
    options = ["--only-binary=:all:", "--no-deps", "--dest", str(into)]
    if platform:
        options += ["--platform", platform[0], "--python-version", "3.14", "--implementation", "cp"]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", *options, requirement], check=True)
    name = requirement.split("==")[0].replace("-", "_")
    (wheel,) = [path for path in into.glob("*.whl") if path.name.lower().startswith(name.lower())]
    return wheel


def unpack(wheel: Path, into: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if ".dist-info/" not in member:
                archive.extract(member, into)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0]).resolve()
    shutil.rmtree(out, ignore_errors=True)
    lib = out / "lib"
    no_bytecode = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "src" / "dapattach", lib / "dapattach", ignore=no_bytecode)
    with tempfile.TemporaryDirectory() as scratch:
        for requirement in PURE:
            download = Path(scratch) / requirement.split("==")[0]
            unpack(pip_download(requirement, download), lib)
        for key, tag in PLATFORMS.items():
            download = Path(scratch) / key
            unpack(pip_download(PSUTIL, download, tag), out / "psutil" / key)
    (out / "launch.py").write_text(LAUNCH)
    print(f"bundled dapattach, {', '.join(PURE)} and {PSUTIL} for {', '.join(PLATFORMS)} into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
