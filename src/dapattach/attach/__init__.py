"""Attaching to a live process: `attempt.Attempt` is one attach from request to detach, `attempt.inject_agent`
the short way to a link, `link.AgentLink` talks to the agent once it is in.

Nothing is imported here: `invitation`, the first step of an attach, is loaded before asyncio is
(`greeting.attach_early`), and the rest of the package needs asyncio.
"""
