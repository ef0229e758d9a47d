"""Path mappings between the editor's files and the target's (`pathMappings` in launch.json).

A target in a container or on a copy of the tree sees other paths than the editor; breakpoints go out
translated to the target's paths and stack frames come back translated to the editor's. The longest
matching root wins, and a path outside every mapping passes unchanged.
"""

import posixpath
from collections.abc import Iterable, Sequence

from dapattach.options import PathMapping


def _under(path: str, root: str) -> str | None:
    root = root.rstrip("/") or "/"
    if path == root:
        return ""
    prefix = root if root.endswith("/") else root + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


class PathMapper:
    def __init__(self, mappings: Sequence[PathMapping] = ()) -> None:
        def longest_first(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
            return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)

        self._to_target = longest_first((m.local_root, m.remote_root) for m in mappings)
        self._to_editor = longest_first((m.remote_root, m.local_root) for m in mappings)

    def maps_target_path(self, path: str) -> bool:
        """Whether a mapping covers `path` of the target."""
        return any(_under(path, root) is not None for root, _ in self._to_editor)

    def to_target(self, path: str) -> str:
        return self._map(path, self._to_target)

    def to_editor(self, path: str) -> str:
        return self._map(path, self._to_editor)

    @staticmethod
    def _map(path: str, pairs: list[tuple[str, str]]) -> str:
        for source, destination in pairs:
            rest = _under(path, source)
            if rest is not None:
                return posixpath.join(destination, rest) if rest else destination
        return path
