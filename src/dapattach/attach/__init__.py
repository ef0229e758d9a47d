"""Attaching to a live process: `Attempt` is one attach from request to detach, `inject_agent(pid)` the
short way to a link, `AgentLink` talks to the agent once it is in."""

from dapattach.attach.attempt import Attempt, Phase, inject_agent
from dapattach.attach.checks import AttachError, check_target
from dapattach.attach.link import AgentError, AgentGone, AgentLink

__all__ = [
    "AgentError",
    "AgentGone",
    "AgentLink",
    "AttachError",
    "Attempt",
    "Phase",
    "check_target",
    "inject_agent",
]
