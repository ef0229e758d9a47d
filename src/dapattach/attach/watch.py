"""Whether anyone has opened a file since we began to watch it (inotify `IN_OPEN`).

PEP 768 gives one signal: the target clears its pending flag just before it opens the script. Whether the
open then worked it does not say; CPython reports a failure only on the target's own stderr. Watching
the bootstrap for an open tells the two apart at once, so the user hears within a second that the target
could not open it, instead of waiting for an agent that will never come.
"""

import ctypes
import errno
import os
import struct

IN_OPEN = 0x20
IN_DONT_FOLLOW = 0x02000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_EVENT = struct.Struct("iIII")

_libc = ctypes.CDLL(None, use_errno=True)


class OpenWatch:
    def __init__(self, dir_fd: int, name: str) -> None:
        """Watch file `name` of the directory open as `dir_fd` (no symlink is followed to it)."""
        self._fd = _libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self._fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), "inotify_init1")
        self._opened = False
        path = os.fsencode(f"/proc/self/fd/{dir_fd}/{name}")
        if _libc.inotify_add_watch(self._fd, path, IN_OPEN | IN_DONT_FOLLOW) < 0:
            code = ctypes.get_errno()
            os.close(self._fd)
            raise OSError(code, os.strerror(code), name)

    def opened(self) -> bool:
        """Whether the file was opened since the watch began (by anyone but this descriptor's reads)."""
        while not self._opened and self._fd >= 0:
            try:
                data = os.read(self._fd, 4096)
            except BlockingIOError:
                break
            except OSError as error:
                if error.errno != errno.EINTR:
                    raise
                continue
            offset = 0
            while offset + _EVENT.size <= len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                self._opened = self._opened or bool(mask & IN_OPEN)
                offset += _EVENT.size + length
        return self._opened

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
