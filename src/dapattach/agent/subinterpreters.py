"""Getting an agent into every sub-interpreter that runs code (3.14's `concurrent.interpreters`).

Each interpreter has its own modules, its own `sys.monitoring` state and its own GIL, and the main
interpreter cannot see the frames of code another one runs: a breakpoint in a function that an
`InterpreterPoolExecutor` worker runs is hit only if an agent is in that worker's interpreter. So one is
put there (`router.py` says how the main agent and these talk):

- Code enters a sub-interpreter through the main interpreter's `_interpreters` module (`exec`, `call`,
  `run_string`, `run_func`: what `concurrent.interpreters` and the pool use). While attached, those four
  are wrapped: before a thread enters an interpreter that has no agent yet, it runs the bootstrap there
  (`_interpreters.exec` with the code and a socket pair's end in `shared`), which starts that
  interpreter's agent and waits until it has the breakpoints. Interpreters that exist at attach time and
  are idle get an agent from the agent thread at once; one running code since before the attach gets one
  when it is next entered (its code runs on until then without breakpoints).
- The agent's code is handed over compiled (`marshal`), as a sub-interpreter has its own module objects
  and cannot share ours, and is loaded under the same private module name through a finder that is on
  `sys.meta_path` only while it loads. Nothing else of ours stays in the interpreter's `__main__`.
- The agent in a sub-interpreter runs a thread of its own there (non-daemon: isolated interpreters refuse
  daemon threads), which ends through `threading._register_atexit` when that interpreter is closed, as
  `Interpreter.close()` waits for its threads first.
- Detach restores the four functions and ends every sub-interpreter's agent, which removes itself there
  as the main agent does. A thread that is inside a wrapper at that moment (a pool worker running a call)
  keeps that frame until its call returns; the wrapper then only calls the original.

Interpreters created inside a sub-interpreter get no agent.
"""

import contextlib
import marshal
import os
import socket
import sys
import threading

from . import context

ENTRY_POINTS = ("exec", "call", "run_string", "run_func")
AGENT_DIR = os.path.dirname(os.path.abspath(__file__))

BOOTSTRAP = """\
def _dapattach_enter(given):
    import sys
    blobs, paths, fd, interpreter_id, slot, name = given
    blobs, paths = dict(blobs), dict(paths)
    if name in sys.modules:
        import os
        os.close(fd)
        return
    import importlib.machinery, marshal

    class Loader:
        @staticmethod
        def create_module(spec):
            return None

        @staticmethod
        def exec_module(module):
            exec(marshal.loads(blobs[module.__name__]), module.__dict__)

    class Finder:
        @staticmethod
        def find_spec(fullname, path=None, target=None):
            if fullname not in blobs:
                return None
            package = fullname == name
            origin = paths[fullname]
            spec = importlib.machinery.ModuleSpec(fullname, Loader, origin=origin, is_package=package)
            spec.has_location = True
            if package:
                spec.submodule_search_locations = [paths[fullname].rpartition("/")[0]]
            return spec

    sys.meta_path.insert(0, Finder)
    try:
        module = __import__(name)
        for submodule in blobs:
            __import__(submodule)
    except BaseException:
        for loaded in [loaded for loaded in sys.modules if loaded == name or loaded.startswith(name + ".")]:
            sys.modules.pop(loaded, None)
        import os
        os.close(fd)
        raise
    finally:
        sys.meta_path.remove(Finder)
    del module  # while held, this thread keeps nothing of the agent alive
    hold = sys.modules[name].start_sub(fd, interpreter_id, slot, name)
    if hold is not None:
        hold()


try:
    _dapattach_enter(_dapattach_given)
finally:
    del _dapattach_enter, _dapattach_given
"""


class Presence:
    """The agent's presence in the sub-interpreters, run from the main agent; `router` keeps the links."""

    def __init__(self, router, module_name, keep_sources):
        self.router = router
        self.module_name = module_name
        self._originals = {}
        self._cell = []
        self._present = set()
        self._failed = {}
        self._not_yet = set()  # idle interpreters the agent thread could not enter: left to their first call
        self._lock = threading.Lock()
        self._blobs = None
        self._sources = _read_sources(module_name) if keep_sources else None

    def tick(self):
        """On the agent thread: wrap the entry points once `_interpreters` is loaded, and enter the
        interpreters that have no agent and are idle."""
        module = sys.modules.get("_interpreters")
        if module is None:
            return
        if not self._originals:
            self._wrap(module)
        try:
            listed = [interpreter_id for interpreter_id, _whence in module.list_all()]
            main = module.get_main()[0]
        except Exception:
            return
        for interpreter_id in listed:
            if (
                interpreter_id != main
                and interpreter_id not in self._present
                and interpreter_id not in self._not_yet
                and not self._is_running(module, interpreter_id)
            ):
                self.ensure(interpreter_id, early=True)

    def _is_running(self, module, interpreter_id):
        try:
            return module.is_running(interpreter_id)
        except Exception:
            return True

    def _wrap(self, module):
        self._cell.append(self.ensure)
        for name in ENTRY_POINTS:
            original = getattr(module, name, None)
            if original is not None:
                self._originals[name] = original
                setattr(module, name, _entering(original, self._cell))

    def ensure(self, interpreter_id, early=False):
        """Before this thread enters `interpreter_id`: put an agent there unless one is there (or could
        not be put there). Never raises.

        `early`: the agent thread tries an idle interpreter ahead of any call. One that was just created
        may not take code yet (seen on a loaded machine: `InterpreterError: failed to get __main__
        namespace`): that is no verdict, and the call that enters it tries again, holding that call."""
        try:
            key = int(interpreter_id)
        except Exception:
            return
        if key in self._present or key in self._failed:
            return
        with self._lock:
            if key in self._present or key in self._failed:
                return
            try:
                self._enter(key)
            except Exception as error:
                if early:
                    self._not_yet.add(key)
                    return
                self._failed[key] = error
                context.output(
                    "console",
                    f"dapattach: no breakpoints in sub-interpreter {key}: the agent could not be put there "
                    f"({type(error).__name__}: {error})\n",
                )
            else:
                self._present.add(key)

    def _enter(self, interpreter_id):
        run = self._originals["exec"]
        blobs, paths = self._code()
        ours, theirs = socket.socketpair()
        link = self.router.add(interpreter_id, ours)
        fd = theirs.detach()
        given = (blobs, paths, fd, interpreter_id, link.slot, self.module_name)
        try:
            failure = run(interpreter_id, BOOTSTRAP, shared={"_dapattach_given": given})
        except BaseException:
            self.router.drop(link)
            _close_quietly(fd)
            raise
        if failure is not None:
            self.router.drop(link)
            raise RuntimeError(
                getattr(failure, "formatted", None) or getattr(failure, "msg", None) or failure
            )

    def forget(self, interpreter_id):
        """That interpreter's agent is gone (the interpreter was closed): a new one with the id may come."""
        self._present.discard(interpreter_id)
        self._not_yet.discard(interpreter_id)

    def _code(self):
        """The agent's modules compiled, as ((name, marshalled code), ...) with the package first, and
        ((name, path), ...): tuples of bytes and strings are what may cross into another interpreter."""
        if self._blobs is None:
            sources = self._sources or _read_sources(self.module_name)
            if "core.py" not in sources:
                raise RuntimeError("the agent's source files can no longer be read")
            blobs, paths = {}, {}
            for filename, text in sources.items():
                stem = filename.removesuffix(".py")
                name = self.module_name if stem == "__init__" else f"{self.module_name}.{stem}"
                path = os.path.join(AGENT_DIR, filename)
                blobs[name] = marshal.dumps(compile(text, path, "exec", dont_inherit=True))
                paths[name] = path
            self._blobs = (
                tuple(sorted(blobs.items(), key=lambda item: item[0] != self.module_name)),
                tuple(paths.items()),
            )
        return self._blobs

    def leave(self):
        """Detach: give `_interpreters` its functions back (each still ours); later calls of a wrapper
        someone kept only call the original."""
        self._cell.clear()
        module = sys.modules.get("_interpreters")
        if module is not None:
            for name, original in self._originals.items():
                current = getattr(module, name, None)
                if getattr(current, "__wrapped__", None) is original:
                    setattr(module, name, original)
        self._originals.clear()


def _entering(original, cell):
    def entering(interpreter_id, *args, **kwargs):
        if cell:
            with contextlib.suppress(Exception):
                cell[0](interpreter_id)
        return original(interpreter_id, *args, **kwargs)

    entering.__wrapped__ = original
    entering.__name__ = getattr(original, "__name__", "entering")
    entering.__doc__ = getattr(original, "__doc__", None)
    return entering


def _read_sources(module_name):
    """{file name: source} of the agent's modules, read through the modules loaded (a folder of
    another user's target may be closed to listing); {} when they cannot be read."""
    sources = {}
    for name, module in list(sys.modules.items()):
        if name != module_name and not name.startswith(module_name + "."):
            continue
        path = getattr(module, "__file__", None)
        if not path or os.path.dirname(os.path.abspath(path)) != AGENT_DIR:
            continue
        try:
            with open(path, encoding="utf-8") as file:
                sources[os.path.basename(path)] = file.read()
        except OSError:
            return {}
    return sources


def _close_quietly(fd):
    with contextlib.suppress(OSError):
        os.close(fd)
