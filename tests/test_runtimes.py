"""Which container a process is in: real processes moved into cgroups named as each runtime names them,
and the runtimes' own state files for the names."""

import contextlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dapattach import processes, runtimes
from dapattach.runtimes import Container, container_of, parse_cgroup

UNIFIED = Path("/sys/fs/cgroup/unified")
"""A cgroup2 hierarchy this machine lets root create cgroups in (else /sys/fs/cgroup itself)."""


def cgroup_root() -> Path | None:
    for root in (UNIFIED, Path("/sys/fs/cgroup")):
        if (root / "cgroup.procs").is_file() and os.access(root, os.W_OK):
            return root
    return None


needs_cgroups = pytest.mark.skipif(
    os.geteuid() != 0 or cgroup_root() is None, reason="needs root and a writable cgroup2 hierarchy"
)


@contextlib.contextmanager
def process_in_cgroup(relative: str) -> Iterator[int]:
    """A sleeping process moved into cgroup `relative` (created, and removed afterwards)."""
    root = cgroup_root()
    assert root is not None
    path = root / relative
    path.mkdir(parents=True)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (path / "cgroup.procs").write_text(str(sleeper.pid))
        yield sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()
        for folder in [path, *path.relative_to(root).parents][:-1]:
            with contextlib.suppress(OSError):
                (root / folder).rmdir()


def test_each_runtimes_cgroup_names_its_container() -> None:
    cid = "0123456789abcdef" * 4
    rootless = "0::/user.slice/user-1000.slice/user@1000.service/user.slice"
    kubepods = "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice"
    lines = {
        f"0::/system.slice/docker-{cid}.scope": ("docker", cid, None),
        f"12:pids:/docker/{cid}": ("docker", cid, None),
        f"0::/machine.slice/libpod-{cid}.scope/container": ("podman", cid, None),
        f"{rootless}/libpod-{cid}.scope": ("podman", cid, 1000),
        f"{kubepods}/cri-containerd-{cid}.scope": ("containerd", cid, None),
        f"0::/kubepods.slice/kubepods-pod1a2b.slice/crio-{cid}.scope": ("cri-o", cid, None),
        f"4:memory:/kubepods/besteffort/pod1a2b-33/{cid}": ("kubernetes", cid, None),
    }  # fmt: skip
    for line, expected in lines.items():
        assert parse_cgroup(f"1:name=systemd:/\n{line}\n") == expected, line
    for line in (
        "0::/",
        "0::/user.slice/user-1000.slice/session-3.scope",
        "4:memory:/process_api/c6170fc01339",
    ):
        assert parse_cgroup(line) is None, line


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@needs_cgroups
@pytest.mark.parametrize("runtime", ["docker", "podman", "containerd", "cri-o"])
def test_a_process_in_a_runtimes_cgroup_shows_its_container_and_name(
    runtime: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = secrets.token_hex(32)
    monkeypatch.setattr(runtimes, "STATE_ROOT", str(tmp_path))
    match runtime:
        case "docker":
            cgroup, name = f"system.slice/docker-{cid}.scope", "orders-worker"
            write_json(
                tmp_path / f"var/lib/docker/containers/{cid}/config.v2.json", {"Name": "/orders-worker"}
            )
        case "podman":
            cgroup, name = f"machine.slice/libpod-{cid}.scope", "orders-worker"
            containers = [{"id": "f" * 64, "names": ["other"]}, {"id": cid, "names": ["orders-worker"]}]
            write_json(tmp_path / "var/lib/containers/storage/overlay-containers/containers.json", containers)
        case "containerd":
            cgroup, name = (
                f"kubepods.slice/kubepods-pod1.slice/cri-containerd-{cid}.scope",
                "shop/orders-7f9/worker",
            )
            annotations = {
                "io.kubernetes.cri.container-name": "worker",
                "io.kubernetes.cri.sandbox-name": "orders-7f9",
                "io.kubernetes.cri.sandbox-namespace": "shop",
            }
            config = tmp_path / f"run/containerd/io.containerd.runtime.v2.task/k8s.io/{cid}/config.json"
            write_json(config, {"annotations": annotations})
        case "cri-o":
            cgroup, name = f"kubepods.slice/pod1.slice/crio-{cid}.scope", "shop/orders-7f9/worker"
            annotations = {
                "io.kubernetes.container.name": "worker",
                "io.kubernetes.pod.name": "orders-7f9",
                "io.kubernetes.pod.namespace": "shop",
            }
            config = tmp_path / f"run/containers/storage/overlay-containers/{cid}/userdata/config.json"
            write_json(config, {"annotations": annotations})
    with process_in_cgroup(f"dapattach-test-{secrets.token_hex(4)}/{cgroup}") as pid:
        assert container_of(pid) == Container(runtime, cid, name)
        info = processes.describe_process(pid)
        assert info.container == Container(runtime, cid, name)
        assert info.to_json()["container"] == {"runtime": runtime, "id": cid, "name": name}
        assert str(info.container) == f"{name} ({cid[:12]})"
    monkeypatch.setattr(runtimes, "STATE_ROOT", str(tmp_path / "nothing here"))
    with process_in_cgroup(f"dapattach-test-{secrets.token_hex(4)}/{cgroup}") as pid:
        assert container_of(pid) == Container(runtime, cid, None), "no state to read: the id alone"
        assert str(container_of(pid)) == cid[:12]


def test_a_process_in_no_container_has_none() -> None:
    assert container_of(os.getpid()) is None
