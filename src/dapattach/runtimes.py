"""Which container a process belongs to: its runtime's container id from its cgroup, and the name the runtime
gave it, read from the runtime's own state files where they can be read.

Runtimes name a container's cgroup after its 64-hex id: `docker-<id>.scope` or `/docker/<id>` (Docker),
`libpod-<id>.scope` (Podman), `cri-containerd-<id>.scope` (containerd under Kubernetes), `crio-<id>.scope`
(CRI-O), `/kubepods/.../<id>` (Kubernetes with the cgroupfs driver). Names come from
`containers/<id>/config.v2.json` (Docker), `overlay-containers/containers.json` (Podman), the OCI
`config.json` annotations of containerd and CRI-O (Kubernetes' namespace, pod and container), each at
the runtime's usual place for root and, for rootless runtimes, under the owner's home.
"""

import contextlib
import json
import os
import pwd
import re
from dataclasses import dataclass
from typing import Any

STATE_ROOT = "/"
"""Where the runtimes' state folders are looked for (a test may point it elsewhere)."""

_ID = r"([0-9a-f]{64})"
_CGROUP_PATTERNS = (
    (re.compile(rf"docker-{_ID}\.scope"), "docker"),
    (re.compile(rf"/docker/{_ID}(?:/|$)"), "docker"),
    (re.compile(rf"libpod-(?:conmon-)?{_ID}(?:\.scope)?"), "podman"),
    (re.compile(rf"cri-containerd-{_ID}\.scope"), "containerd"),
    (re.compile(rf"crio-(?:conmon-)?{_ID}\.scope"), "cri-o"),
    (re.compile(rf"/kubepods[^\n]*/{_ID}$"), "kubernetes"),
)
_ROOTLESS_OWNER = re.compile(r"/user-(\d+)\.slice/")


@dataclass(frozen=True)
class Container:
    runtime: str
    """"docker", "podman", "containerd", "cri-o" or "kubernetes" (its runtime not told by the cgroup)."""
    id: str
    name: str | None
    """The runtime's name for it: Docker's or Podman's name, or `namespace/pod/container` under Kubernetes."""

    def __str__(self) -> str:
        return f"{self.name} ({self.id[:12]})" if self.name else self.id[:12]

    def to_json(self) -> dict[str, Any]:
        return {"runtime": self.runtime, "id": self.id, "name": self.name}


def container_of(pid: int) -> Container | None:
    """The container process `pid` runs in, or None when its cgroup names none."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as file:
            cgroups = file.read()
    except OSError:
        return None
    found = parse_cgroup(cgroups)
    if found is None:
        return None
    runtime, container_id, owner = found
    return Container(runtime, container_id, _name(runtime, container_id, owner))


def parse_cgroup(text: str) -> tuple[str, str, int | None] | None:
    """(runtime, container id, uid of a rootless runtime's owner or None) from `/proc/PID/cgroup` text."""
    for line in text.splitlines():
        path = line.split(":", 2)[-1]
        for pattern, runtime in _CGROUP_PATTERNS:
            if found := pattern.search(path):
                owner = _ROOTLESS_OWNER.search(path)
                return runtime, found[1], int(owner[1]) if owner else None
    return None


def _name(runtime: str, container_id: str, owner: int | None) -> str | None:
    homes = [STATE_ROOT]
    if owner is not None:
        with contextlib.suppress(KeyError):
            homes.insert(0, os.path.join(STATE_ROOT, pwd.getpwuid(owner).pw_dir.lstrip("/")))
    readers = {
        "docker": (_docker,),
        "podman": (_podman,),
        "containerd": (_containerd,),
        "cri-o": (_cri_o,),
        "kubernetes": (_containerd, _cri_o, _docker),
    }[runtime]
    for read in readers:
        for home in homes:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
                if name := read(home, container_id):
                    return name
    return None


def _load(*parts: str) -> Any:
    with open(os.path.join(*parts), encoding="utf-8") as file:
        return json.load(file)


def _docker(home: str, container_id: str) -> str | None:
    for data_root in ("var/lib/docker", ".local/share/docker"):
        with contextlib.suppress(OSError):
            name = _load(home, data_root, "containers", container_id, "config.v2.json")["Name"]
            return str(name).lstrip("/") or None
    return None


def _podman(home: str, container_id: str) -> str | None:
    for storage in ("var/lib/containers/storage", ".local/share/containers/storage"):
        with contextlib.suppress(OSError):
            for entry in _load(home, storage, "overlay-containers", "containers.json"):
                if entry.get("id") == container_id and entry.get("names"):
                    return str(entry["names"][0])
    return None


def _kubernetes(annotations: dict[str, str], container: str, pod: str, namespace: str) -> str | None:
    parts = [annotations.get(key) for key in (namespace, pod, container)]
    return "/".join(part for part in parts if part) or None


def _containerd(home: str, container_id: str) -> str | None:
    tasks = os.path.join(home, "run/containerd/io.containerd.runtime.v2.task")
    for namespace in os.listdir(tasks):
        with contextlib.suppress(OSError):
            annotations = _load(tasks, namespace, container_id, "config.json").get("annotations") or {}
            return _kubernetes(
                annotations,
                "io.kubernetes.cri.container-name",
                "io.kubernetes.cri.sandbox-name",
                "io.kubernetes.cri.sandbox-namespace",
            ) or annotations.get("nerdctl/name")
    return None


def _cri_o(home: str, container_id: str) -> str | None:
    folder = os.path.join(home, "run/containers/storage/overlay-containers", container_id, "userdata")
    annotations = _load(folder, "config.json").get("annotations") or {}
    return _kubernetes(
        annotations, "io.kubernetes.container.name", "io.kubernetes.pod.name", "io.kubernetes.pod.namespace"
    )
