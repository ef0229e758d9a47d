"""Process trees in a session: the root session follows its target's children, a child session ends early.

`attach` calls `follow` when `subProcess` is on (the default) and the session is not itself a child's:
the follower (`subprocesses.follow`) finds the children and asks the editor for a session per child with
the `startDebugging` reverse request, or lists them in the debug console for editors that cannot. It has
no request of its own, so it registers no handlers.
"""

import asyncio
from typing import Any

from dapattach import host
from dapattach.attach.checks import AttachError
from dapattach.debuggee import Debuggee, EndedEarly
from dapattach.session import Cleanup, Session
from dapattach.subprocesses.custody import Settings
from dapattach.subprocesses.follow import Follower

NOT_HERE = (
    "following child processes needs Linux (it tells a forked copy from an exec'd program by what /proc "
    "shows of each process's memory); attach to a child by its PID instead"
)


async def follow(session: Session, debuggee: Debuggee, configuration: dict[str, Any]) -> Follower | None:
    """A follower for the tree below the process `debuggee` attaches to, or None when not wanted; its
    socket is open, so the root's agent can be configured with it."""
    options = debuggee.options
    if not options.sub_process or options.sub_process_of is not None:
        return None
    client = session.client
    settings = Settings(
        root=debuggee.pid,
        configuration=configuration,
        just_my_code=options.just_my_code,
        show_return_value=options.show_return_value,
        sessions=bool(client is not None and client.supports_start_debugging_request),
        stop_all=options.stop_all,
        asyncio_tasks=options.asyncio_tasks,
    )

    def say(category: str, text: str) -> None:
        session.send_event("output", {"category": category, "output": text})

    async def start_session(child_configuration: dict[str, Any]) -> None:
        await session.request_client(
            "startDebugging", {"request": "attach", "configuration": child_configuration}
        )

    if not host.LINUX:
        say("important", f"Child processes of {debuggee.pid} are not followed: {NOT_HERE}.\n")
        return None
    follower = Follower(settings, say, start_session, debuggee.breakpoints.requests)
    try:
        await follower.open()
    except (OSError, AttachError) as error:  # its folder cannot be made, or handed to the tree's user
        say("important", f"Child processes of {debuggee.pid} are not followed: {error}.\n")
        return None
    debuggee.configure_extra["subProcess"] = follower.agent_settings()
    debuggee.breakpoint_listeners.append(follower.breakpoints_changed)
    return follower


def stop_following(session: Session, follower: Follower) -> Cleanup:
    """The root session ends: every child it brought in is detached (their sessions end too)."""

    async def stop(arguments: Any) -> None:
        count = await follower.close()
        if count:
            session.send_event(
                "output",
                {
                    "category": "console",
                    "output": f"Detached from {count} child process(es) of process {follower.root}; "
                    "they run on.\n",
                },
            )

    return stop


async def end_early(session: Session, ended: EndedEarly) -> None:
    """A child session that cannot start (its process exited, its root session ended): follow DAP's order,
    then end it, saying why."""
    session.send_event("initialized")
    await session.configured.wait()
    events: list[tuple[str, dict[str, Any] | None]] = [
        ("output", {"category": "console", "output": f"{ended}\n"})
    ]
    if ended.exit_code is not None:
        events.append(("exited", {"exitCode": ended.exit_code}))
    events.append(("terminated", None))
    loop = asyncio.get_running_loop()
    for name, body in events:
        loop.call_soon(session.send_event, name, body)
