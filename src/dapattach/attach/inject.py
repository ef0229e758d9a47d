"""What the target is asked to run: the bootstrap script, and the agent package the bootstrap loads.

The bootstrap runs in whichever target thread took the request. Its first step claims the agent's private
module name in `sys.modules` with one atomic `setdefault` of a placeholder carrying the adapter's PID: of
two adapters attaching at once exactly one gets the claim, and the other's bootstrap (even one the target
runs inside the first, which CPython does at any check of the running thread) says so, naming that
adapter. The winner loads the agent package under the name without touching `sys.path`, starts the agent
thread (which connects back to the adapter's socket with the per-attach secret), tries to delete itself,
and reports any failure over that socket, giving the claim back. It runs only in the process it was written
for (a child forked while the request was pending inherits the request), and inside an import (a process
still starting up) it loads the agent on a thread of its own, where no module is half imported, without
holding the importing thread.

The agent is loaded from where dapattach is installed when the target runs as the adapter's user and
sees the same files; for another user's target, or one in a container (which cannot see the adapter's
files), it is loaded from a copy in the attach folder, readable by that user only, so an adapter installed
where that user cannot read (a virtualenv under /root) still attaches and nothing else is opened up.
"""

import contextlib
import functools
import os
import sys
from pathlib import Path

from dapattach import host
from dapattach.attach.folder import AttachFolder

AGENT_DIR = Path(__file__).resolve().parent.parent / "agent"
MODULE_NAME = "_dapattach_agent"

BOOTSTRAP = """\
def _dapattach_bootstrap():
    import os, sys
    if os.getpid() != {pid!r}:
        return  # a child forked while the request was pending inherited it: it is not for this process
    claim = type(sys)({module!r})
    claim.adapter_pid = {adapter_pid!r}
    claim.owner_pid = os.getpid()
    claimed = sys.modules.setdefault({module!r}, claim)
    if claimed is not claim and getattr(claimed, "owner_pid", None) not in (None, os.getpid()):
        # Inherited from a parent that forked while its agent was being loaded, before the agent's
        # at-fork hook existed: no agent runs here. Claim afresh, without the parent's half-loaded parts.
        taken = sys.modules.pop({module!r}, None)
        if taken is not claimed and taken is not None:
            sys.modules.setdefault({module!r}, taken)  # another adapter's fresh claim: it stands
        claimed = sys.modules.setdefault({module!r}, claim)
        if claimed is claim:
            for name in [name for name in sys.modules if name.startswith({module!r} + ".")]:
                sys.modules.pop(name, None)
    directory, socket_path, secret = {directory!r}, {socket_path!r}, {secret!r}
    for path in (os.path.join(directory, "bootstrap.py"),):
        try:
            os.unlink(path)
        except OSError:
            pass

    def hello(**extra):
        import hashlib, hmac, json, socket
        if socket_path.startswith("tcp:"):
            host, _, port = socket_path[4:].rpartition(":")
            sock, address = socket.socket(socket.AF_INET), (host, int(port))
        else:
            sock, address = socket.socket(socket.AF_UNIX), socket_path
        with sock:
            sock.settimeout(1.0)
            sock.connect(address)
            nonce = os.urandom(16).hex()
            proof = hmac.new(secret.encode(), ("agent:" + nonce).encode(), hashlib.sha256).hexdigest()
            message = {{"type": "hello", "protocol": 1, "nonce": nonce, "proof": proof, "pid": os.getpid()}}
            message.update(extra)
            sock.sendall(json.dumps(message).encode() + b"\\n")
            sock.settimeout(5.0)
            sock.recv(1)  # until the adapter has read it: on TCP it asks who holds this socket

    if claimed is not claim:
        try:
            hello(refused="process %d is already attached by adapter PID %s" % (
                os.getpid(), getattr(claimed, "adapter_pid", "unknown")))
        except OSError:
            pass
        return

    def load():
        ours = [claim]
        try:
            # importlib's own modules, always loaded: nothing is imported before the agent's at-fork hook
            # is registered, as another thread may fork meanwhile (see the agent's `release_imports`)
            spec = sys.modules["_frozen_importlib_external"].spec_from_file_location(
                {module!r}, {init!r}, submodule_search_locations=[{agent_dir!r}])
            module = sys.modules["_frozen_importlib"].module_from_spec(spec)
            module.adapter_pid = {adapter_pid!r}
            module.owner_pid = os.getpid()
            module.attach_folder = directory
            ours.append(module)
            sys.modules[{module!r}] = module
            spec.loader.exec_module(module)
            ours.clear()
        except BaseException as error:
            if any(sys.modules.get({module!r}) is mine for mine in ours):
                sys.modules.pop({module!r}, None)
            sys.path_importer_cache.pop({agent_dir!r}, None)
            if not isinstance(error, Exception):
                raise
            try:
                hello(error="%s: %s" % (type(error).__name__, error))
            except OSError:
                try:
                    os.rmdir(directory)
                except OSError:
                    pass
            return None
        del module
        return sys.modules[{module!r}].start(socket_path, secret, {module!r}, {adapter_pid!r})

    # Inside an import (a process still starting up), modules may be half imported here: load the agent on
    # a thread of its own, which waits for them to be complete, and do not hold this thread for it.
    frame = sys._getframe()
    while frame is not None and not frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
        frame = frame.f_back
    if frame is None:
        hold = load()
        # Held until the adapter has set its breakpoints, this thread keeps nothing of the agent alive: a
        # detach meanwhile frees it at once, whatever this thread runs then (a signal handler).
        del claim, claimed
        if hold is not None:
            hold()
    else:
        import _thread
        _thread.start_new_thread(load, ())


try:
    _dapattach_bootstrap()
except Exception:
    pass
del _dapattach_bootstrap
"""


def bootstrap_text(
    folder: AttachFolder, socket_path: str, secret: str, agent_dir: str, pid_inside: int
) -> str:
    """The bootstrap for one attach to the process that calls itself `pid_inside` (its PID in its own PID
    namespace); every path in it is as the target sees it."""
    return BOOTSTRAP.format(
        pid=pid_inside,
        directory=folder.seen_as,
        socket_path=socket_path,
        secret=secret,
        module=MODULE_NAME,
        init=os.path.join(agent_dir, "__init__.py"),
        agent_dir=agent_dir,
        adapter_pid=os.getpid(),
    )


def place_agent(folder: AttachFolder, target_uid: int | None, shares_filesystem: bool = True) -> str:
    """The agent folder the target should load, as it sees it: the installed one for a target of the
    adapter's own user that sees the adapter's files, else a copy in `folder` (sources and this version's
    bytecode, modification times kept so the bytecode stays valid)."""
    _compile_agent()
    if (target_uid is None or target_uid == host.own_uid()) and shares_filesystem:
        return str(AGENT_DIR)
    sources = sorted(path.name for path in AGENT_DIR.glob("*.py"))
    modules = {name.removesuffix(".py") for name in sources}
    cache = AGENT_DIR / "__pycache__"
    compiled = sorted(path.name for path in cache.glob("*.pyc") if path.name.split(".")[0] in modules)
    agent = folder.folder("agent")
    try:
        agent.copy_from(str(AGENT_DIR), sources)
        if compiled:
            bytecode = agent.folder("__pycache__")
            try:
                bytecode.copy_from(str(cache), compiled)
            finally:
                bytecode.close()
    finally:
        agent.close()
    return agent.seen_as


@functools.cache
def _compile_agent() -> None:
    """Write the agent's bytecode once, so targets of our version load it without compiling (30 ms less
    per attach, and less memory churn in the target). Skipped where the user asked for no bytecode files."""
    if sys.dont_write_bytecode or _bytecode_current():
        return
    import compileall  # with what it imports, about 4 ms of the first attach: only when needed

    with contextlib.suppress(OSError):
        compileall.compile_dir(AGENT_DIR, quiet=2)


def _bytecode_current() -> bool:
    """Whether every agent module has bytecode for this Python written after its source was (an installed
    package always has, a checkout after `./dev`): two `stat`s a module, where `compile_dir` reads each."""
    tag = sys.implementation.cache_tag
    cache = os.path.join(AGENT_DIR, "__pycache__")
    try:
        with os.scandir(AGENT_DIR) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    compiled = os.path.join(cache, f"{entry.name[:-3]}.{tag}.pyc")
                    if os.stat(compiled).st_mtime < entry.stat().st_mtime:
                        return False
    except OSError:
        return False
    return True
