"""`dapattach [--listen ADDRESS | --connect HOST:PORT] [--allow-user USER] [--allow-token] [--log-dir DIR]`
(and the options `parse_args` lists).

With no option the adapter speaks DAP on stdin/stdout, as editors start it. Over `--listen` and `--connect`
only the adapter's own user is served unless `--allow-user` / `--allow-token` say otherwise (`access.py`).
`--log-dir` writes the adapter's log and a trace of every DAP message in and out, for bug reports.
"""

import asyncio
import itertools
import logging
import signal
import sys
from pathlib import Path

from attrs import Factory, frozen

from dapattach import host, logs, transport, unattended
from dapattach.access import Access
from dapattach.attach.attempt import abandon
from dapattach.cli import LOG_LEVELS
from dapattach.greeting import Opening
from dapattach.handlers import build_table
from dapattach.handlers.attach import hold_invitation
from dapattach.host import user_name
from dapattach.session import Connection, Gate, HandlerTable, Session

log = logging.getLogger("dapattach.server")


@frozen
class ServerOptions:
    """The command line's options; their defaults are how editors start the adapter (no arguments)."""

    listen: str | None = None
    connect: str | None = None
    allow_user: list[str] = Factory(list)
    allow_token: bool = False
    log_dir: Path | None = None
    log_level: str = "info"
    peer_timeout: float = transport.PEER_TIMEOUT
    stopped_timeout: float | None = None


def parse_args(argv: list[str]) -> ServerOptions:
    """The options in `argv`; argparse is imported only when there are any, as editors give none."""
    if not argv:
        return ServerOptions()
    import argparse

    parser = argparse.ArgumentParser(
        prog="dapattach",
        description="Debug Adapter Protocol server that attaches to running Python 3.14+ processes by PID.",
        epilog="Tools: `dapattach ps`, `dapattach snapshot PID`, `dapattach demo`.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--listen",
        metavar="ADDRESS",
        help="accept DAP clients on HOST:PORT (loopback unless a host is given; port 0 picks one) or on a "
        "Unix socket unix:PATH (created 0600); only your own user is served unless allowed below",
    )
    where.add_argument("--connect", metavar="HOST:PORT", help="dial a DAP client listening on TCP")
    parser.add_argument(
        "--allow-user",
        metavar="USER",
        action="append",
        default=[],
        help="also serve this local user's connections (name or uid; repeatable): they can then run code "
        "in every process this adapter can attach to",
    )
    parser.add_argument(
        "--allow-token",
        action="store_true",
        help='also serve any peer that sends the token printed at start as "token" in its attach '
        "arguments (needed to listen on a non-loopback address)",
    )
    parser.add_argument(
        "--log-dir", metavar="DIR", type=Path, help="write the adapter log and a DAP trace here"
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=LOG_LEVELS,
        help="level of the log file in --log-dir (stderr shows warnings and errors); default: info",
    )
    parser.add_argument(
        "--peer-timeout",
        metavar="SECONDS",
        type=float,
        default=transport.PEER_TIMEOUT,
        help="with --listen HOST:PORT or --connect: a client that stops answering (its machine asleep, "
        "its network gone) is taken for gone after about this long, and the target it attached to runs "
        f"on; default: {transport.PEER_TIMEOUT:g}",
    )
    parser.add_argument(
        "--stopped-timeout",
        metavar="SECONDS",
        type=float,
        help="a target left stopped this long with no request from its editor (its user gone) is let go: "
        "the session detaches and the target runs on; caps every session's stoppedTimeout; default: none",
    )
    args = parser.parse_args(argv)
    if args.peer_timeout < 1:
        parser.error("--peer-timeout must be at least 1 second")
    if args.stopped_timeout is not None and not 0 < args.stopped_timeout < float("inf"):
        parser.error("--stopped-timeout must be a positive number of seconds")
    if (args.allow_user or args.allow_token) and args.listen is None and args.connect is None:
        parser.error("--allow-user and --allow-token apply to --listen and --connect only")
    if args.allow_token and args.listen is None:
        parser.error("--allow-token applies to --listen only")
    return ServerOptions(**vars(args))


async def serve(
    args: ServerOptions, table: HandlerTable, access: Access, opening: Opening | None = None
) -> None:
    numbers = itertools.count(1)

    async def run_session(connection: Connection, gate: Gate | None) -> None:
        number = next(numbers)
        log.info("session %d starts", number)
        first = opening if number == 1 else None
        session = Session(connection, table, label=f"session {number}", gate=gate, opening=first)
        if args.stopped_timeout is not None:
            session.state[unattended.CEILING] = args.stopped_timeout
        if first is not None and first.invitation is not None:
            hold_invitation(session, first.invitation)
        await session.run()
        log.info("session %d ended", number)

    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    if main_task is not None and sys.platform != "win32":  # Windows' event loops take no signal handlers
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    if args.listen is not None:
        address = transport.parse_listen(args.listen)
        await transport.serve_listen(address, access, run_session, peer_timeout=args.peer_timeout)
    elif args.connect is not None:
        address = transport.parse_address(args.connect)
        await transport.serve_connect(*address, access, run_session, peer_timeout=args.peer_timeout)
    else:
        await transport.serve_stdio(run_session)


def main(argv: list[str], opening: Opening | None = None) -> int:
    """Serve DAP; `opening` is the stdio stream as `dapattach.greeting` left it, if it went first."""
    args = parse_args(argv)
    try:
        logs.configure(args.log_dir, args.log_level)
    except OSError as error:
        print(f"dapattach: cannot write logs to {args.log_dir}: {error.strerror}", file=sys.stderr)
        if opening is not None and opening.invitation is not None:
            asyncio.run(abandon(opening.invitation))  # made before the options were read in full
        return 2
    try:
        access = Access.build(args.allow_user, args.allow_token)
    except ValueError as error:
        print(f"dapattach: {error}", file=sys.stderr)
        return 2
    if access.token is not None:
        _say_token(access)
    if opening is not None and opening.initialize is not None and not opening.more_waiting():
        host.warm_up()  # as the `initialize` handler does, while the editor lets the adapter idle
    try:
        table = build_table()
        asyncio.run(serve(args, table, access, opening))
    except transport.TransportError as error:
        print(f"dapattach: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt, asyncio.CancelledError:
        log.info("stopped by a signal")
    return 0


def _say_token(access: Access) -> None:
    """Print the token once, on stderr only (never into a log file)."""
    served = ", ".join(user_name(uid) for uid in sorted(access.users))
    print(
        f"dapattach: clients of users other than {served} must send this in their attach arguments: "
        f'"token": "{access.token}"',
        file=sys.stderr,
        flush=True,
    )
