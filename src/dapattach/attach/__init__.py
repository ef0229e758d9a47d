"""Attaching to a live process: `inject_agent(pid)` puts the agent in, `AgentLink` talks to it."""

from dapattach.attach.checks import AttachError, check_target
from dapattach.attach.inject import inject_agent
from dapattach.attach.link import AgentError, AgentGone, AgentLink

__all__ = ["AgentError", "AgentGone", "AgentLink", "AttachError", "check_target", "inject_agent"]
