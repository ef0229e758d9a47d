"""Attach over DAP to a process in a container: from the host, and from a sidecar that shares only its PID
namespace. Each namespace kind alone and together; attach, breakpoint hit, variables, source, a step,
detach."""

import asyncio
import contextlib
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest

from agent_harness import TARGETS
from containers import ContainerTarget, kind_params, needs, sidecar, start_container
from dapattach import namespaces
from dapattach.sources import REFERENCE_BASE
from dapclient import DapClient, DapError
from interpreters import PY315, needs_315

pytestmark = pytest.mark.direct_only(
    "containers are the direct driver's: the portable one refuses a target in one (test_portable.py)"
)

SERVICE = "container_service.py"
ALL = ("mnt", "pid", "user", "net")
FROM_HOST = kind_params([("mnt",), ("pid",), ("user",), ("net",), ("mnt", "pid", "net"), ALL])
FROM_SIDECAR = kind_params([("mnt", "pid", "net"), ALL])


def line_of(program: str, marker: str) -> int:
    lines = (TARGETS / program).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if marker in line)


def path_in(kinds: tuple[str, ...], program: str) -> str:
    """The program's path as the target names it."""
    return f"/app/{program}" if "mnt" in kinds else str(TARGETS / program)


def outputs(client: DapClient) -> list[str]:
    return [event["body"]["output"] for event in client.events if event["event"] == "output"]


async def attach_until_configured(
    client: DapClient, pid: int, breakpoints: dict[str, Any], **options: Any
) -> dict[str, Any]:
    await client.initialize(supportsProgressReporting=True)
    attach = asyncio.create_task(client.request("attach", {"processId": pid, **options}))
    await client.wait_event("initialized")
    answer: dict[str, Any] = await client.request("setBreakpoints", breakpoints)
    await client.request("configurationDone")
    await attach
    return answer


async def top_frames(client: DapClient, thread: int) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = (await client.request("stackTrace", {"threadId": thread}))["stackFrames"]
    return frames


async def locals_of(client: DapClient, frame: dict[str, Any]) -> dict[str, str]:
    scopes = (await client.request("scopes", {"frameId": frame["id"]}))["scopes"]
    values = await client.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    return {variable["name"]: variable["value"] for variable in values["variables"]}


async def source_text(client: DapClient, source: dict[str, Any]) -> str:
    answer = await client.request("source", {"source": source, "sourceReference": source["sourceReference"]})
    return str(answer["content"])


async def debug_the_service(
    client: DapClient, target: ContainerTarget, kinds: tuple[str, ...], pid: int
) -> None:
    """Attach as `pid` (as the adapter sees it), stop at the breakpoint, look, detach; check what is left."""
    path = path_in(kinds, SERVICE)
    line = line_of(SERVICE, "stop here")
    answer = await attach_until_configured(
        client, pid, {"source": {"path": path}, "breakpoints": [{"line": line}]}
    )
    assert answer["breakpoints"][0]["verified"] is True

    threads = {thread["name"]: thread["id"] for thread in (await client.request("threads"))["threads"]}
    assert threads["MainThread"] == target.pid_inside
    assert set(threads.values()) <= set(namespaces.threads_inside(target.pid)), "the target's own thread ids"

    stopped = await client.wait_event("stopped")
    assert (stopped["body"]["reason"], stopped["body"]["threadId"]) == ("breakpoint", threads["worker"])
    top = (await top_frames(client, threads["worker"]))[0]
    assert (top["name"], top["line"], top["source"]["path"]) == ("handle", line, path)
    if "mnt" in kinds:
        assert top["source"]["sourceReference"] >= REFERENCE_BASE
        assert await source_text(client, top["source"]) == (TARGETS / SERVICE).read_text()
    else:
        assert "sourceReference" not in top["source"]
    values = await locals_of(client, top)
    job = int(values["job"])
    assert (values["total"], values["label"]) == (str(job * 2), repr(f"job-{job}"))

    await client.request("setBreakpoints", {"source": top["source"], "breakpoints": []})
    await client.request("next", {"threadId": threads["worker"]})
    stepped = await client.wait_event("stopped", lambda event: event["body"]["reason"] == "step")
    assert stepped["body"]["threadId"] == threads["worker"]
    top = (await top_frames(client, threads["worker"]))[0]
    assert (top["name"], top["line"], top["source"]["path"]) == (
        "work",
        line_of(SERVICE, "        handle(job)"),
        path,
    )
    await client.request("continue", {"threadId": threads["worker"]})
    await client.request("disconnect", {})
    await client.wait_event("output", lambda event: "Detached from process" in event["body"]["output"])

    target.drain()
    await target.expect(r"handled \d+")
    assert not [name for name in _thread_names(target.pid) if "dapattach" in name]
    tmp = f"/proc/{target.pid}/root/tmp" if "mnt" in kinds else tempfile.gettempdir()
    assert not [name for name in os.listdir(tmp) if name.startswith(f"dapattach-{client.process.pid}-")]
    assert target.stderr_lines == [], "nothing may be printed into the target's stderr"


def _thread_names(pid: int) -> list[str]:
    """The names of `pid`'s threads, but for one that ends while they are read."""
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            names.append((task / "comm").read_text())
    return names


@pytest.mark.parametrize("kinds", FROM_HOST)
async def test_from_the_host(kinds: tuple[str, ...]) -> None:
    async with start_container(SERVICE, kinds=kinds) as target:
        client = await DapClient.start("stdio")
        await debug_the_service(client, target, kinds, target.pid)
        if "pid" in kinds:
            said = f"Attached to process {target.pid} (PID {target.pid_inside} in its PID namespace; Python"
            assert any(text.startswith(said) for text in outputs(client)), outputs(client)
        assert await client.close() == 0


@needs("mnt", "pid", "net")
async def test_from_the_host_to_a_container_user_that_is_not_root() -> None:
    kinds = ("mnt", "pid", "net")
    async with start_container(SERVICE, kinds=kinds, user="1000:1000") as target:
        client = await DapClient.start("stdio")
        await debug_the_service(client, target, kinds, target.pid)
        assert await client.close() == 0


@pytest.mark.parametrize("kinds", FROM_SIDECAR)
async def test_from_a_sidecar_that_shares_only_the_pid_namespace(kinds: tuple[str, ...]) -> None:
    async with start_container(SERVICE, kinds=kinds) as target:
        client = await DapClient.start("stdio", prefix=sidecar(target))
        await debug_the_service(client, target, kinds, target.pid_inside)
        assert await client.close() == 0


DOCKER_DEFAULT_CAPABILITIES = (
    "chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap", "net_bind_service",
    "net_raw", "sys_chroot", "mknod", "audit_write", "setfcap",
)  # fmt: skip


@needs(*ALL)
async def test_from_a_sidecar_with_only_a_containers_capabilities_and_sys_ptrace() -> None:
    """What `kubectl debug --profile=general` or `docker run --cap-add=SYS_PTRACE` gives: no CAP_SYS_ADMIN."""
    kept = ",".join(f"+{name}" for name in (*DOCKER_DEFAULT_CAPABILITIES, "sys_ptrace"))
    capabilities = ["setpriv", f"--bounding-set=-all,{kept}", "--"]
    async with start_container(SERVICE, kinds=ALL) as target:
        client = await DapClient.start("stdio", prefix=[*sidecar(target), *capabilities])
        await debug_the_service(client, target, ALL, target.pid_inside)
        assert await client.close() == 0


@pytest.mark.py315
@needs_315
@needs(*ALL)
async def test_from_the_host_to_a_container_of_another_python_version() -> None:
    assert PY315 is not None
    async with start_container(SERVICE, kinds=ALL, python=PY315) as target:
        client = await DapClient.start("stdio")
        await debug_the_service(client, target, ALL, target.pid)
        assert any("Python 3.15" in text for text in outputs(client))
        assert await client.close() == 0


@needs(*ALL)
@pytest.mark.parametrize(
    "python", [pytest.param(None, id="same-python"), pytest.param(PY315, id="3.15", marks=[needs_315])]
)
async def test_a_blocked_target_in_a_container_is_shown_from_a_snapshot_until_it_runs(
    python: str | None,
) -> None:
    """Of the adapter's own Python (read by `_remote_debugging`) or another (read with the offsets the
    target publishes, as no interpreter from inside the container is run)."""
    program = "blocked_until_signal.py"
    line = line_of(program, 'print("WOKEN"')
    async with start_container(program, kinds=ALL, **({"python": python} if python else {})) as target:
        client = await DapClient.start("stdio")
        breakpoints = {"source": {"path": f"/app/{program}"}, "breakpoints": [{"line": line}]}
        await attach_until_configured(client, target.pid, breakpoints)
        waiting = await client.wait_event("output", lambda event: event["body"]["category"] == "important")
        inside = (
            f"Process {target.pid} (PID {target.pid_inside} in its PID namespace) has not run Python code"
        )
        assert inside in waiting["body"]["output"]
        threads = (await client.request("threads"))["threads"]
        assert threads == [{"id": target.pid_inside, "name": "MainThread (snapshot)"}]
        snapshot_top = (await top_frames(client, target.pid_inside))[1]
        assert snapshot_top["source"]["path"] == f"/app/{program}"
        assert await source_text(client, snapshot_top["source"]) == (TARGETS / program).read_text()

        os.kill(target.pid, signal.SIGUSR1)  # its handler runs first, then the bootstrap: the agent is in
        await client.wait_event("output", lambda event: "Attached to" in event["body"]["output"])
        os.kill(target.pid, signal.SIGUSR1)  # and now the handler runs into the breakpoint
        stopped = await client.wait_event("stopped")
        assert stopped["body"]["threadId"] == target.pid_inside
        top = (await top_frames(client, target.pid_inside))[0]
        assert (top["name"], top["line"]) == ("woken", line)
        assert (await locals_of(client, top))["number"] == str(int(signal.SIGUSR1))
        await client.request("disconnect", {})
        await target.expect("WOKEN")
        assert await client.close() == 0
        assert target.stderr_lines == []


@needs("mnt", "pid")
async def test_path_mappings_still_name_the_editors_files_and_the_rest_is_served() -> None:
    local = str(TARGETS / SERVICE)
    async with start_container(SERVICE, kinds=("mnt", "pid")) as target:
        client = await DapClient.start("stdio")
        mapping = [{"localRoot": str(TARGETS), "remoteRoot": "/app"}]
        breakpoints = {"source": {"path": local}, "breakpoints": [{"line": line_of(SERVICE, "stop here")}]}
        answer = await attach_until_configured(client, target.pid, breakpoints, pathMappings=mapping)
        assert answer["breakpoints"][0]["source"] == {"path": local}
        stopped = await client.wait_event("stopped")
        frames = await top_frames(client, stopped["body"]["threadId"])
        assert frames[0]["source"] == {"name": SERVICE, "path": local}
        library = next(
            frame["source"] for frame in frames if frame["source"]["path"].endswith("/threading.py")
        )
        assert not os.path.exists(library["path"]), (
            "the container's standard library is not at that path here"
        )
        assert library["sourceReference"] >= REFERENCE_BASE
        assert "class Thread" in await source_text(client, library)
        await client.request("disconnect", {})
        assert await client.close() == 0


@needs(*ALL)
async def test_a_second_adapter_is_refused_naming_the_first() -> None:
    """The second request goes to the agent's own thread, named by its id inside the PID namespace."""
    async with start_container(SERVICE, kinds=ALL) as target:
        first, second = await DapClient.start("stdio"), await DapClient.start("stdio")
        await attach_until_configured(first, target.pid, {"source": {"path": "/app/x.py"}, "breakpoints": []})
        await second.initialize()
        with pytest.raises(DapError) as refused:
            await second.request("attach", {"processId": target.pid})
        expected = f"process {target.pid} (PID 1 in its PID namespace): process 1 is already attached"
        assert str(refused.value).startswith(expected), str(refused.value)
        assert f"by adapter PID {first.process.pid}" in str(refused.value)
        await first.request("disconnect", {})
        assert await first.close() == 0 and await second.close() == 0
        assert target.stderr_lines == []
