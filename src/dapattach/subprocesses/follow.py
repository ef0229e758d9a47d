"""Following the processes below an attached one, so every Python child gets a debug session of its own.

The session the user attached (the root) finds children two ways: its agent's at-fork hook starts a
fresh agent in a forked child, which reports on this follower's socket before the child runs on (so the
child's breakpoints are set from its first line); and the process table, looked at every
`POLL_INTERVAL`, shows the children that exec'd a program (`subprocess`, `spawn`, `forkserver`,
`os.exec*`) and those that were there before the attach. The follower gets the agent into each Python
child itself, configures it like the root (options, breakpoints) and asks the editor for a child session
(`startDebugging`); that session's adapter claims the child with the token of its configuration, and the
agent moves over to it (`rehome`). When the editor cannot start sessions, children are listed in the debug
console instead, with how to attach to them. A child that cannot be attached is said once.

Detaching the root detaches every child it brought in (child sessions are told to end); a child session
that ends alone leaves its process to run on, and the follower leaves it alone from then on.
"""

import asyncio
import hmac
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from dapattach import host, peers
from dapattach.attach import channel
from dapattach.attach.folder import AttachFolder
from dapattach.attach.inject import place_agent
from dapattach.attach.link import AgentLink
from dapattach.attach.target import Target
from dapattach.processes import NoSuchProcess, ProcessInfo, describe_process
from dapattach.subprocesses import messages, tree
from dapattach.subprocesses.custody import (
    FORK_GRACE,
    Body,
    Breakpoints,
    Child,
    Claim,
    Custody,
    Say,
    Settings,
    State,
)

log = logging.getLogger(__name__)


def _place(target: Target) -> AttachFolder:
    """The folder as an attach's is placed: inside the target's own filesystem on Linux (`placement`)."""
    if sys.platform == "linux":
        from dapattach.attach import placement

        return placement.place(target)
    return AttachFolder.create(host.temp_dir(), target.uid)


POLL_INTERVAL = 0.05
CLAIM_LIMIT = 30.0
"""How long a child waits for its session before it is let go."""

type StartSession = Callable[[Body], Awaitable[None]]


class Follower:
    def __init__(self, settings: Settings, say: Say, start_session: StartSession, breakpoints: Breakpoints):
        self.settings = settings
        self.root = settings.root
        self._say = say
        self._start_session = start_session
        self._custody = Custody(settings, say, breakpoints, self.agent_settings)
        self._children = self._custody.children
        self._table = tree.ProcessTable()
        self._decided: dict[int, tuple[int, tuple[int, int]]] = {}
        self._waiting_since: dict[int, float] = {}
        self._listed_first = False
        self._secret = secrets.token_hex(32)
        self._folder: AttachFolder | None = None
        self.socket_path = ""
        """The subprocess socket as the tree names it (for its agents)."""
        self.claim_path = ""
        """The same socket as the adapter names it (for child sessions' adapters): another path for a tree
        in a container, reached through the root's `/proc/PID/root`."""
        self._agent_dir = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Future[Any]] = set()

    # -- for the root session ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Listen on the subprocess socket (before the root's agent is configured with it), in an attach
        folder of its own (as private, and handed to the tree's user as an attach's) that also holds the
        agent a forked child loads afresh: the root's own attach folder is gone once its agent is in. It is
        placed as an attach's is, so a tree in a container (its children are in its namespaces) sees it
        inside its own filesystem. An editor that opens no child sessions needs none of this: children are
        only listed then."""
        if not self.settings.sessions:
            return
        target = Target.open(self.root)
        try:
            self._folder = folder = await asyncio.to_thread(_place, target)
        finally:
            target.close()
        sock, self.socket_path = folder.listen("subprocesses.sock")
        self.claim_path = os.path.join(folder.path, "subprocesses.sock")
        try:
            if sys.platform == "win32":
                raise OSError("following children needs Unix sockets")
            self._agent_dir = await asyncio.to_thread(
                place_agent, folder, target.uid, target.shares_filesystem
            )
            self._server = await asyncio.start_unix_server(
                self._on_connection, sock=sock, limit=messages.LINE_LIMIT
            )
        except BaseException:
            sock.close()
            folder.remove()
            raise

    def agent_settings(self) -> Body | None:
        """The `subProcess` value of `configure`: where a forked child's new agent reports, or None (off)."""
        if not self.settings.sessions:
            return None
        return {
            "socket": self.socket_path,
            "secret": self._secret,
            "adapterPid": os.getpid(),
            "agentDir": self._agent_dir,
        }

    def start(self) -> None:
        self._spawn(self._watch())

    async def breakpoints_changed(self, command: str, arguments: Body) -> None:
        await self._custody.breakpoints_changed(command, arguments)

    async def close(self) -> int:
        """Detach every child this follower brought in; returns how many there were."""
        self._custody.closing = True
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        count = await self._custody.close()
        if self._folder is not None:
            self._folder.remove()
        return count

    # -- finding children -------------------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            try:
                await self._scan()
            except Exception:
                log.exception("looking for children of %d failed", self.root)
            await asyncio.sleep(POLL_INTERVAL)

    async def _scan(self) -> None:
        await self._table.refresh(self.root)
        listed: list[ProcessInfo] = []
        ours = os.getpid()
        for pid in list(self._table.descendants(self.root)):
            if pid == ours or self._below(pid, ours):
                continue
            stat = tree.read_stat(pid)
            if stat is None or stat.image is None or self._decided.get(pid) == (stat.start_ticks, stat.image):
                continue
            child = self._children.get(pid)
            if child is not None and child.state is State.ATTACHING and child.image != stat.image:
                log.info("child %d exec'd before the agent got in: asking the new program", pid)
                self._custody.attach(child)
            if child is not None and child.state is not State.GONE:
                continue
            if self._decide(stat, listed):
                self._decided[pid] = (stat.start_ticks, stat.image)
                self._waiting_since.pop(pid, None)
        self._list(listed)

    def _decide(self, stat: tree.Stat, listed: list[ProcessInfo]) -> bool:
        """Deal with a process first seen (or seen with a new program); False to look again later."""
        if self._under_released(stat.pid):
            return True
        parent = tree.read_stat(stat.ppid)
        if (
            self.settings.sessions
            and parent is not None
            and parent.image == stat.image
            and self._has_agent(parent.pid)
        ):
            since = self._waiting_since.setdefault(stat.pid, asyncio.get_running_loop().time())
            if asyncio.get_running_loop().time() - since < FORK_GRACE:
                return False  # its own agent reports in a moment, or it execs
        try:
            info = describe_process(stat.pid)
        except NoSuchProcess, PermissionError:
            return True
        if not info.is_python:
            return True
        if info.reason is not None:
            self._say(
                "important",
                f"Child process {stat.pid} ({tree.short_command(info.argv)}) cannot be debugged: "
                f"{info.reason}.\n",
            )
            return True
        if not self.settings.sessions:
            listed.append(info)
            return True
        parent_info = self._describe(stat.ppid)
        child = self._custody.add(
            info.pid, tree.session_name(info, parent_info.argv if parent_info else None)
        )
        log.info("found child %d (%s) in the process table", child.pid, child.name)
        self._custody.attach(child)
        self._spawn(self._open_session(child))
        return True

    def _list(self, found: list[ProcessInfo]) -> None:
        """Without child sessions: say which children there are and how to attach to them."""
        how = 'attach to it in a session of its own with "processId": {}'
        if not self._listed_first:
            self._listed_first = True
            if found:
                names = ", ".join(f"{info.pid} ({tree.short_command(info.argv, 40)})" for info in found)
                self._say(
                    "important",
                    f"Process {self.root} has {len(found)} Python child process(es): {names}. This editor "
                    "does not open a debug session per process (no startDebugging support): attach to each "
                    'one in a session of its own, with its "processId".\n',
                )
            return
        for info in found:
            self._say(
                "important",
                f"New Python child process {info.pid} of {self.root} ({tree.short_command(info.argv)}): "
                f"{how.format(info.pid)}.\n",
            )

    def _has_agent(self, pid: int) -> bool:
        if pid == self.root:
            return True
        return self._custody.has_agent(pid)

    def _under_released(self, pid: int) -> bool:
        parent = self._table.parent(pid)
        while parent is not None and parent != self.root:
            child = self._children.get(parent)
            if child is not None and child.state is State.RELEASED:
                return True
            parent = self._table.parent(parent)
        return False

    def _below(self, pid: int, ancestor: int) -> bool:
        parent = self._table.parent(pid)
        while parent is not None and parent not in (0, 1, self.root):
            if parent == ancestor:
                return True
            parent = self._table.parent(parent)
        return False

    @staticmethod
    def _describe(pid: int) -> ProcessInfo | None:
        try:
            return describe_process(pid)
        except NoSuchProcess, PermissionError:
            return None

    # -- getting the agent in ---------------------------------------------------------------------------

    # -- child sessions ---------------------------------------------------------------------------------

    def configuration(self, child: Child) -> Body:
        """The `attach` configuration of a child's session: the root's, for the child's PID, plus how to
        claim it (`subProcessOf`)."""
        root = self.settings.configuration
        config = {
            key: value
            for key, value in root.items()
            if not key.startswith("__") and key not in ("processId", "name", "request", "subProcessOf")
        }
        return config | {
            "request": "attach",
            "name": child.name,
            "processId": child.pid,
            "subProcessOf": {"processId": self.root, "socket": self.claim_path, "token": child.token},
        }

    async def _open_session(self, child: Child) -> None:
        try:
            await self._start_session(self.configuration(child))
        except Exception as error:
            self._say(
                "important",
                f"The editor did not open a session for child process {child.pid} ({error}); it runs on "
                "without the debugger.\n",
            )
            await self._custody.release(child)
            return
        try:
            await asyncio.wait_for(child.claimed.wait(), CLAIM_LIMIT)
        except TimeoutError:
            self._say(
                "important",
                f"No session took child process {child.pid} within {CLAIM_LIMIT:g} s; it runs on without "
                "the debugger.\n",
            )
            await self._custody.release(child)

    # -- the socket -------------------------------------------------------------------------------------

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The kernel says who connected (`SO_PEERCRED`): a forked child's agent must be a process below
        the root and present the follower's secret; a child session's adapter must run as our user (or
        root) and present the token of its child."""
        peer_pid, peer_uid = peers.unix_peer(writer.get_extra_info("socket"))
        first = await messages.read(reader, messages.ANSWER_TIMEOUT) or {}
        match first:
            case {"type": "hello", "protocol": 1, "nonce": str(nonce), "proof": str(theirs)} if (
                hmac.compare_digest(theirs.encode(), channel.proof("agent", self._secret, nonce).encode())
                and self._descends(peer_pid)
                and not self._custody.closing
            ):
                await self._forked(peer_pid, first, reader, writer)
            case {"type": "claim", "protocol": 1, "token": str(token), "pid": int(pid)} if peer_uid in (
                0,
                host.own_uid(),
            ):
                await self._claimed(token, pid, first, reader, writer)
            case _ if self._custody.closing:
                writer.close()
            case _:
                log.warning(
                    "refused a connection to the subprocess socket of %d from PID %d (uid %d): not an agent "
                    "below it with its secret, nor a session of this user with a child's token",
                    self.root,
                    peer_pid,
                    peer_uid,
                )
                writer.close()

    def _descends(self, pid: int) -> bool:
        """Whether `pid` is a process below the root (read now: a forked child is too new for the table)."""
        seen: set[int] = set()
        while pid > 1 and pid not in seen:
            seen.add(pid)
            stat = tree.read_stat(pid)
            if stat is None:
                return False
            if stat.ppid == self.root:
                return True
            pid = stat.ppid
        return False

    async def _forked(
        self, pid: int, hello: Body, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """A forked child's agent reports: adopt it (its forking thread waits for `ready`)."""
        log.info("forked child %d of %s reports", pid, hello.get("forkedFrom"))
        if "error" in hello:
            self._say("important", f"Child process {pid} cannot be debugged: {hello['error']}.\n")
            writer.close()
            return
        child = self._children.get(pid)
        if child is not None and child.state is State.ATTACHING:
            if child.attaching is not None:
                child.attaching.cancel()
            if child.attempt is not None:
                await child.attempt.withdraw()
                child.attempt = None
        elif child is None or child.state in (State.RELEASED, State.GONE) or self._under_released(pid):
            stat = tree.read_stat(pid)  # `forkedFrom` is the PID inside the tree's PID namespace
            parent = self._describe(stat.ppid) if stat is not None else None
            info = self._describe(pid)
            if info is None:
                writer.close()
                return
            child = self._custody.add(pid, tree.session_name(info, parent.argv if parent else None))
            self._spawn(self._open_session(child))
        else:
            writer.close()  # a second agent for a process we already hold
            return
        proof = channel.proof("adapter", self._secret, str(hello.get("nonce")))
        writer.write(messages.encode({"type": "welcome", "protocol": messages.PROTOCOL, "proof": proof}))
        stat = tree.read_stat(pid)
        if stat is not None and stat.image is not None:
            self._decided[pid] = (stat.start_ticks, stat.image)
        link = AgentLink(reader, writer, hello, self._custody.events_of(child), pid=pid)
        await self._custody.adopt(child, link)

    async def _claimed(
        self, token: str, pid: int, message: Body, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        child = self._custody.tokens.get(token)
        log.info("a session claims child %d (%s)", pid, child.state if child else "unknown")
        if child is None or child.pid != pid or self._custody.closing:
            writer.write(
                messages.encode({"type": "refused", "message": "no such child: its parent session ended"})
            )
            writer.close()
            return
        if child.state is State.GONE:
            writer.write(messages.encode({"type": "exited", "exitCode": child.exit_code}))
            writer.close()
            return
        if child.state is State.RELEASED or child.claim is not None:
            writer.write(
                messages.encode({"type": "refused", "message": f"process {pid} is not waiting for a session"})
            )
            writer.close()
            return
        claim = Claim(
            socket=str(message.get("socket")),
            secret=str(message.get("secret")),
            adapter_pid=int(message.get("adapterPid") or 0),
            writer=writer,
        )
        child.claim = claim
        child.claimed.set()
        claim.send({"type": "claimed"})
        if child.state is State.HELD:
            await self._custody.rehome(child)
        while (answer := await messages.read(reader)) is not None:
            claim.answered(answer)
        claim.ended()
        if not self._custody.closing and child.state not in (State.GONE,):
            await self._custody.release(child)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
