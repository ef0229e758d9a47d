"""`modules` and `loadedSources`: what the target has imported, and what it imports while a client looks.

Both answer from `sys.modules`, leaving out the agent's own modules. A module is read through its
`__dict__` only (never `getattr`, which could run a module's `__getattr__`): its name, file, whether it is
the user's code, and a version where the package says one (`__version__` of the module or of its top-level
package). The first `modules` request makes the ticker report imports and removals as `module` events
from then on, the first `loadedSources` request the same as `loadedSource` events: on each of its rounds
(`ticker.py`: 50 ms, 250 ms when idle) the ticker compares the size and the newest name of `sys.modules`
with what it saw last, and looks closer only when they changed. Until a client asks, nothing runs, so
imports cost nothing more.
"""

import os
import sys

from . import codeindex, context, ticker
from .commands import command
from .inspection import AGENT_DIR

SOURCE_SUFFIXES = (".py", ".pyw")
_watch = {"modules": False, "sources": False, "emit": None, "agent": None}
_known = {}  # name -> module, as last reported
_seen = [None]


def _namespace(module):
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except Exception:
        return {}
    return namespace if isinstance(namespace, dict) else {}


def _is_agents(name, module, agent_name):
    if name == agent_name or name.startswith(agent_name + "."):
        return True
    path = _namespace(module).get("__file__")
    return isinstance(path, str) and path.startswith(AGENT_DIR + os.sep)


def _current(agent_name):
    """{name: module} of the target's modules now, in import order, without the agent's."""
    return {
        name: module
        for name, module in list(sys.modules.items())
        if module is not None and isinstance(name, str) and not _is_agents(name, module, agent_name)
    }


def _file(namespace):
    path = namespace.get("__file__")
    if not isinstance(path, str) or not path:
        return None
    return path if os.path.isabs(path) else os.path.abspath(path)


def _version(name, namespace):
    for candidate in (namespace, _namespace(sys.modules.get(name.partition(".")[0]))):
        version = candidate.get("__version__")
        if isinstance(version, str) and version:
            return version
        if isinstance(version, tuple) and version and all(isinstance(part, int) for part in version):
            return ".".join(map(str, version))
    return None


def describe(name, module, just_my_code):
    """A DAP `Module`."""
    namespace = _namespace(module)
    entry = {"id": name, "name": name}
    path = _file(namespace)
    if path is not None:
        entry["path"] = path
    entry["isUserCode"] = path is not None and codeindex.is_user_file(path, just_my_code)
    version = _version(name, namespace)
    if version is not None:
        entry["version"] = version
    return entry


def source_of(module):
    """A DAP `Source` for a module loaded from a Python file, else None."""
    path = _file(_namespace(module))
    if path is None or not path.endswith(SOURCE_SUFFIXES):
        return None
    return {"name": os.path.basename(path), "path": path}


def _start_watching(agent, what):
    _watch["agent"] = agent
    if not (_watch["modules"] or _watch["sources"]):
        _known.clear()
        _known.update(_current(agent.module_name))
        _seen[0] = _fingerprint()
        ticker.add("modules", _tick, _changed)
    _watch[what] = True


def _fingerprint():
    """Cheap to take, and different after any import: how many modules, and the newest one's name."""
    try:
        return len(sys.modules), next(reversed(sys.modules), None)
    except Exception:
        return None


def _unseen(fingerprint):
    """Whether `fingerprint` may show imports or removals not reported yet (always, when there is none)."""
    return fingerprint is None or fingerprint != _seen[0]


def _changed():
    """The ticker's `peek`: whether a round would find an import or a removal."""
    return _watch["agent"] is not None and _unseen(_fingerprint())


def _tick():
    agent = _watch["agent"]
    fingerprint = _fingerprint()
    if agent is None or not _unseen(fingerprint):
        return False
    _seen[0] = fingerprint
    now = _current(agent.module_name)
    just_my_code = context.option("justMyCode")
    for name, module in now.items():
        if _known.get(name) is not module:
            _report(agent, "new" if name not in _known else "changed", name, module, just_my_code)
    for name, module in list(_known.items()):
        if name not in now:
            _report(agent, "removed", name, module, just_my_code)
    _known.clear()
    _known.update(now)
    return True


def _report(agent, reason, name, module, just_my_code):
    if _watch["modules"]:
        shown = describe(name, module, just_my_code) if reason != "removed" else {"id": name, "name": name}
        context.emit("module", {"reason": reason, "module": shown})
    source = source_of(module) if _watch["sources"] else None
    if source is not None:
        context.emit("loadedSource", {"reason": reason, "source": source})


def release():
    ticker.remove("modules")
    _known.clear()
    _watch.update(modules=False, sources=False, agent=None)


@command("modules")
def _modules(agent, arguments):
    codeindex.is_user_file(os.__file__)  # its first call imports sysconfig: before the list is made
    _start_watching(agent, "modules")
    found = _current(agent.module_name)
    start = max(0, int(arguments.get("startModule") or 0))
    count = int(arguments.get("moduleCount") or 0)
    names = list(found)[start : start + count if count > 0 else None]
    just_my_code = context.option("justMyCode")
    return {
        "modules": [describe(name, found[name], just_my_code) for name in names],
        "totalModules": len(found),
    }


@command("loadedSources")
def _loaded_sources(agent, arguments):
    _start_watching(agent, "sources")
    sources = (source_of(module) for module in _current(agent.module_name).values())
    return {"sources": [source for source in sources if source is not None]}
