"""Command line: `dapattach [adapter options]` serves DAP; `dapattach ps|snapshot|demo ...` are tools.

Subcommands live in their own modules, each exposing `main(argv) -> int`, so this file only routes.
Started as editors start it (no arguments, or only where and how much to log: the VS Code extension adds
`--log-dir` when asked to log), the adapter answers `initialize` first (`dapattach.greeting`) and has the
target of the `attach` that follows load the agent, and only then imports the rest of itself.
"""

import gc
import importlib
import sys

_SUBCOMMANDS = {
    "ps": "dapattach.processes",
    "snapshot": "dapattach.snapshot",
    "demo": "dapattach.demo",
}

LOG_LEVELS = ("debug", "info", "warning", "error")
"""`--log-level`'s choices, here where the start without the full parser checks them too."""
_LOG_OPTIONS = {"--log-dir": None, "--log-level": LOG_LEVELS}


def serves_stdio(args: list[str]) -> bool:
    """Whether `args` start DAP on stdio, as editors do: none, or only well-formed logging options (any
    other option, a misspelt one included, is left to the full parser, which may reject it)."""
    rest = list(args)
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        if name not in _LOG_OPTIONS:
            return False
        if not equals:
            if not rest:
                return False
            value = rest.pop(0)
        allowed = _LOG_OPTIONS[name]
        if not value or value.startswith("-") or (allowed is not None and value not in allowed):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in _SUBCOMMANDS:
        module = importlib.import_module(_SUBCOMMANDS[args[0]])
        result: int = module.main(args[1:])
        return result
    opening = None
    gc.disable()  # start-up creates tens of thousands of objects that all live on: nothing to collect
    try:
        if serves_stdio(args):  # how editors start it: `initialize` is the first thing they send
            from dapattach import greeting

            try:
                opening = greeting.answer_initialize(sys.stdin.fileno(), sys.stdout.fileno())
                if opening is not None and opening.initialize is not None:
                    greeting.attach_early(opening)
            except KeyboardInterrupt:
                return 0
        from dapattach.server import main as serve
    finally:
        # They live as long as the adapter: left to the collector, the first full collection would walk them
        # all (10-14 ms measured), in the middle of the editor's first requests.
        gc.freeze()
        gc.enable()
    return serve(args, opening)
