"""`modules` and `loadedSources`, and their events once a client has asked, against a real target."""

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent_harness import TARGETS, Target, attach, probe, start_target
from dapattach.attach.link import AgentLink


@pytest.fixture
async def importer() -> AsyncIterator[tuple[Target, AgentLink]]:
    async with start_target("importer.py") as target:
        link = await attach(target)
        yield target, link
        await link.detach()


async def call(link: AgentLink, expression: str) -> str:
    return (await link.request("evaluate", {"expression": expression, "context": "watch"}))["result"]


async def next_event(link: AgentLink, name: str, about: str) -> dict[str, Any]:
    """The next `name` event about the module or file `about`; other events before it are dropped."""
    async with asyncio.timeout(10):
        while True:
            event, body = await link.events.get()
            item = body.get("module") or body.get("source") or {}
            if event == name and about in (item.get("name"), item.get("path")):
                return body


async def test_modules_are_listed_with_path_version_and_whose_code(importer) -> None:
    target, link = importer
    body = await link.request("modules", {})
    found = {module["name"]: module for module in body["modules"]}
    assert body["totalModules"] == len(body["modules"])
    assert found["__main__"]["path"] == str(TARGETS / "importer.py")
    assert found["__main__"]["isUserCode"] is True
    assert found["versioned"]["version"] == "1.2.3"
    assert found["versioned.lazy"]["version"] == "1.2.3"  # the package says it for its modules
    assert found["versioned"]["path"] == str(TARGETS / "versioned" / "__init__.py")
    assert found["threading"]["isUserCode"] is False
    assert "path" not in found["sys"] and found["sys"]["isUserCode"] is False
    assert not [name for name in found if "dapattach" in name]
    assert not [module for module in body["modules"] if "/dapattach/agent/" in module.get("path", "")]
    assert await call(link, "versioned.lazy.asked") == "[]"
    assert not [line for line in target.lines if "__getattr__ ran" in line]


async def test_modules_are_paged(importer) -> None:
    _, link = importer
    everything = await link.request("modules", {})
    page = await link.request("modules", {"startModule": 3, "moduleCount": 4})
    assert page["modules"] == everything["modules"][3:7]
    assert page["totalModules"] == everything["totalModules"]
    rest = await link.request("modules", {"startModule": 5})
    assert rest["modules"] == everything["modules"][5:]


async def test_imports_are_reported_only_once_a_client_asked(importer) -> None:
    _, link = importer
    assert await call(link, "load('json')") == "True"
    await link.request("modules", {})
    assert await call(link, "load('versioned.later')") == "True"
    new = await next_event(link, "module", "versioned.later")
    assert new["reason"] == "new"
    assert new["module"]["path"] == str(TARGETS / "versioned" / "later.py")
    assert new["module"]["version"] == "1.2.3"
    seen = [link.events.get_nowait() for _ in range(link.events.qsize())]
    assert not [body for event, body in seen if body.get("module", {}).get("name") == "json"]
    assert await call(link, "drop('versioned.later')") == "True"
    removed = await next_event(link, "module", "versioned.later")
    assert removed == {"reason": "removed", "module": {"id": "versioned.later", "name": "versioned.later"}}


async def test_loaded_sources_and_their_events(importer) -> None:
    _, link = importer
    sources = (await link.request("loadedSources", {}))["sources"]
    paths = {source["path"]: source["name"] for source in sources}
    assert paths[str(TARGETS / "importer.py")] == "importer.py"
    assert str(TARGETS / "versioned" / "lazy.py") in paths
    assert all(path.endswith(".py") for path in paths)
    assert await call(link, "load('versioned.later')") == "True"
    later = str(TARGETS / "versioned" / "later.py")
    new = await next_event(link, "loadedSource", later)
    assert new == {"reason": "new", "source": {"name": "later.py", "path": later}}
    seen = [link.events.get_nowait() for _ in range(link.events.qsize())]
    assert not [event for event, _ in seen if event == "module"], "modules were not asked for"


async def test_detach_stops_watching_and_leaves_no_thread() -> None:
    async with start_target("importer.py") as target:
        before = await probe(target.pid)
        tasks = len(os.listdir(f"/proc/{target.pid}/task"))
        link = await attach(target)
        await link.request("modules", {})
        await link.request("loadedSources", {})
        assert len(os.listdir(f"/proc/{target.pid}/task")) == tasks + 2  # the agent and its ticker
        await link.detach()
        assert await probe(target.pid) == before
        assert len(os.listdir(f"/proc/{target.pid}/task")) == tasks
