"""`dapattach [--listen HOST:PORT | --connect HOST:PORT] [--log-dir DIR] [--log-level LEVEL]`: serve DAP.

With no option the adapter speaks DAP on stdin/stdout, as editors start it. `--log-dir` writes the
adapter's log and a trace of every DAP message in and out, with timestamps, for bug reports.
"""

import argparse
import asyncio
import itertools
import logging
import signal
import sys
from pathlib import Path

from dapattach import logs, transport
from dapattach.handlers import build_table
from dapattach.session import Connection, HandlerTable, Session

log = logging.getLogger("dapattach.server")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="dapattach",
        description="Debug Adapter Protocol server that attaches to running Python 3.14+ processes by PID.",
        epilog="Tools: `dapattach ps`, `dapattach snapshot PID`, `dapattach demo`.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--listen", metavar="HOST:PORT", help="accept DAP clients on TCP (port 0 picks one)")
    where.add_argument("--connect", metavar="HOST:PORT", help="dial a DAP client listening on TCP")
    parser.add_argument(
        "--log-dir", metavar="DIR", type=Path, help="write the adapter log and a DAP trace here"
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="level of the log file in --log-dir (stderr shows warnings and errors); default: info",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, table: HandlerTable) -> None:
    numbers = itertools.count(1)

    async def run_session(connection: Connection) -> None:
        number = next(numbers)
        log.info("session %d starts", number)
        await Session(connection, table, label=f"session {number}").run()
        log.info("session %d ended", number)

    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    if main_task is not None:
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    if args.listen is not None:
        await transport.serve_listen(*transport.parse_address(args.listen), run_session)
    elif args.connect is not None:
        await transport.serve_connect(*transport.parse_address(args.connect), run_session)
    else:
        await transport.serve_stdio(run_session)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        logs.configure(args.log_dir, args.log_level)
    except OSError as error:
        print(f"dapattach: cannot write logs to {args.log_dir}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        table = build_table()
        asyncio.run(serve(args, table))
    except transport.TransportError as error:
        print(f"dapattach: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt, asyncio.CancelledError:
        log.info("stopped by a signal")
    return 0
