"""What the target may open: its filesystem ids, groups and capabilities, and the kernel's mode-bit rule.

Used before the attach request is made, so a bootstrap the target could not open is never offered to it
(CPython would print "Can't open debugger script" on the target's stderr), and afterwards to say why it
could not. Ids are as the adapter sees them: a process in a user namespace (rootless Podman) has the
host uid its own uid maps to, and its capabilities count only for files whose owner it can map.
ACLs and security modules (AppArmor, SELinux) are not read: they can still refuse what this allows.
"""

import os
import stat
from dataclasses import dataclass

_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2

READ, WRITE, SEARCH = 4, 2, 1


@dataclass(frozen=True)
class Credentials:
    uid: int
    """The filesystem uid (what the kernel checks when the process opens a file)."""
    gid: int
    groups: frozenset[int]
    capabilities: int
    """The effective capability set, as a bit mask."""
    uid_map: tuple[tuple[int, int, int], ...]
    """(first id inside, first id outside, count) rows of its user namespace; () for ours."""
    gid_map: tuple[tuple[int, int, int], ...]

    @classmethod
    def of(cls, pid: int) -> Credentials:
        status: dict[str, list[str]] = {}
        with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as file:
            for line in file:
                key, _, value = line.partition(":")
                status[key] = value.split()
        same_userns = os.readlink(f"/proc/{pid}/ns/user") == os.readlink("/proc/self/ns/user")
        return cls(
            uid=int(status["Uid"][3]),
            gid=int(status["Gid"][3]),
            groups=frozenset(int(group) for group in status.get("Groups", [])) | {int(status["Gid"][3])},
            capabilities=int(status["CapEff"][0], 16),
            uid_map=() if same_userns else _id_map(f"/proc/{pid}/uid_map"),
            gid_map=() if same_userns else _id_map(f"/proc/{pid}/gid_map"),
        )

    def own_user_namespace_ids(self) -> tuple[int, int] | None:
        """(uid, gid) when the process is in a user namespace of its own, whose files the adapter then
        makes as these ids (see `folder.acting_as`); None when it shares ours."""
        return (self.uid, self.gid) if self.uid_map else None

    def allows(self, info: os.stat_result, wanted: int) -> bool:
        """Whether the kernel lets these credentials `wanted` (READ, WRITE, SEARCH, or'ed) on that inode."""
        if self._overrides(info, wanted):
            return True
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid == self.uid:
            granted = mode >> 6
        elif info.st_gid in self.groups:
            granted = mode >> 3
        else:
            granted = mode
        return granted & wanted == wanted

    def _overrides(self, info: os.stat_result, wanted: int) -> bool:
        if not (self._mapped(self.uid_map, info.st_uid) and self._mapped(self.gid_map, info.st_gid)):
            return False
        if self.capabilities >> _CAP_DAC_OVERRIDE & 1:
            return True
        searching_or_reading = wanted & WRITE == 0 and (stat.S_ISDIR(info.st_mode) or wanted == READ)
        return searching_or_reading and bool(self.capabilities >> _CAP_DAC_READ_SEARCH & 1)

    @staticmethod
    def _mapped(rows: tuple[tuple[int, int, int], ...], outside: int) -> bool:
        return not rows or any(first <= outside < first + count for _, first, count in rows)


def _id_map(path: str) -> tuple[tuple[int, int, int], ...]:
    with open(path, encoding="ascii") as file:
        rows = [tuple(int(value) for value in line.split()) for line in file if line.strip()]
    return tuple((inside, outside, count) for inside, outside, count in rows)
