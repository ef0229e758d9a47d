"""The attach folder on Windows: a fresh folder in the user's own temporary directory.

Windows has no descriptor-relative file calls, and none are needed there: `%TEMP%` lies in the user's
profile, which only that user (and administrators) may open, so no other user can see, swap or read a
name in it. The target is always of the adapter's own user here (attaching to another user's process
needs an elevated adapter, which dapattach does not ask for), so nothing is handed over, and the agent
channel is loopback TCP (`listen_tcp`).
"""

import os
import shutil
import socket
import tempfile
from typing import NoReturn

from dapattach.attach.channel import loopback_listener
from dapattach.attach.folder import PREFIX


class PlainFolder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.seen_as = path

    @classmethod
    def create(cls) -> PlainFolder:
        return cls(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))

    def write(self, name: str, data: bytes, *, mtime_ns: int | None = None) -> str:
        path = os.path.join(self.path, name)
        with open(path, "xb") as file:
            file.write(data)
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns))
        return path

    for_own_user = True

    def replace(self, name: str, data: bytes) -> None:
        fresh = f".{name}.new"
        self.write(fresh, data)
        os.replace(os.path.join(self.path, fresh), os.path.join(self.path, name))

    def holds(self, name: str) -> bool:
        return os.path.lexists(os.path.join(self.path, name))

    def listen(self, name: str) -> tuple[socket.socket, str]:
        raise OSError("no Unix sockets on Windows: the agent channel is loopback TCP")

    def listen_tcp(self) -> tuple[socket.socket, str]:
        return loopback_listener()

    def watch(self, name: str) -> NoReturn:
        raise OSError("no inotify on Windows")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def close(self) -> None:
        pass
