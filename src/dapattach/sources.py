"""Sources the editor cannot open, served from the target's own filesystem by `sourceReference`.

A target in a container reports paths of its own filesystem (`/app/main.py`), which name nothing where
the editor runs, or another file. Unless `pathMappings` maps such a path, or the very same file is at that
path here, it goes to the editor with a `sourceReference` (and its path, which the editor shows and sends
back with breakpoints set there), and the editor's `source` request for it is answered with the text read
from the target's filesystem: through `/proc/PID/root`, resolved as the target would resolve it, and only
ever a regular file. Paths of a target that shares the adapter's filesystem pass as they are.
"""

import contextlib
import io
import os
import tokenize
from collections.abc import Callable
from typing import Any

from dapattach import namespaces
from dapattach.attach.checks import AttachError
from dapattach.attach.target import Target
from dapattach.pathmap import PathMapper

REFERENCE_BASE = 1 << 29
"""The adapter's references start here, far above the agent's own (code without a file)."""
SIZE_LIMIT = 16 << 20


class TargetSources:
    def __init__(self, paths: PathMapper, target: Callable[[], Target | None]) -> None:
        self._paths = paths
        self._target = target
        self._openable: dict[str, bool] = {}
        self._references: dict[str, int] = {}
        self._by_reference: dict[int, str] = {}

    def to_editor(self, source: dict[str, Any]) -> None:
        """Rewrite one `source` of an answer for the editor: mapped, left as it is, or given a reference."""
        path = source.get("path")
        if not isinstance(path, str):
            return
        if self._paths.maps_target_path(path):
            source["path"] = self._paths.to_editor(path)
        elif not self._editor_can_open(path):
            source["sourceReference"] = self._reference(path)
            source.setdefault("origin", "from the process's own filesystem")

    def to_target(self, source: dict[str, Any]) -> None:
        """Rewrite a `source` the editor sent (breakpoints) to the target's path."""
        path = source.get("path")
        if isinstance(path, str):
            source["path"] = self._paths.to_target(path)
        elif (served := self._by_reference.get(source.get("sourceReference") or 0)) is not None:
            source["path"] = served

    def text(self, reference: int) -> str | None:
        """The text of a source this adapter referenced; None for a reference of the agent's."""
        path = self._by_reference.get(reference)
        if path is None:
            return None
        target = self._target()
        if target is None:
            raise OSError(f"{path}: the process is no longer attached")
        root = target.open_root()
        try:
            data = namespaces.read_regular(root, path, SIZE_LIMIT)
        finally:
            os.close(root)
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        return data.decode(encoding, errors="replace")

    def _reference(self, path: str) -> int:
        reference = self._references.get(path)
        if reference is None:
            reference = self._references[path] = REFERENCE_BASE + len(self._references)
            self._by_reference[reference] = path
        return reference

    def _editor_can_open(self, path: str) -> bool:
        if path not in self._openable:
            self._openable[path] = self._same_here(path)
        return self._openable[path]

    def _same_here(self, path: str) -> bool:
        """Whether `path` here is the file the target means by it (or one with the same content)."""
        target = self._target()
        if target is None or target.shares_filesystem:
            return True
        if not os.path.isfile(path):
            return False
        with contextlib.suppress(OSError, AttachError):
            root = target.open_root()
            try:
                fd = namespaces.open_in_root(root, path, os.O_PATH)
                try:
                    if namespaces.same_file(fd, os.stat(path)):
                        return True
                finally:
                    os.close(fd)
                theirs = namespaces.read_regular(root, path, SIZE_LIMIT)
            finally:
                os.close(root)
            with open(path, "rb") as file:
                return file.read(SIZE_LIMIT + 1) == theirs
        return False
