"""The requests that read the program and run expressions in it: threads, stack traces, scopes,
variables, sources, evaluation and assignment.

Those that run the program's code (a repr, a property, an expression) are jobs (`jobs.py`): they run on
the stopped thread they are about, within a time budget, and never on the agent thread.
"""

from . import context, evaluation, inspection, jobs, tasks, values
from .commands import RequestError, command


@command("threads")
def _threads(agent, arguments):
    body = inspection.threads(idents=bool(arguments.get("idents")))
    names = {ident: name for ident, (_dap_id, name) in inspection.thread_ids().items()}
    for dap_id, name, _task, _ident in tasks.listing(names):
        body["threads"].append({"id": dap_id, "name": name})
    return body


@command("stackTrace")
def _stack_trace(agent, arguments):
    if tasks.is_task_id(arguments.get("threadId")):
        return tasks.stack_trace(arguments, agent.frames, agent.sources)
    return inspection.stack_trace(arguments, agent.frames, agent.sources)


@command("scopes")
def _scopes(agent, arguments):
    frame = inspection.frame_of(agent.frames, arguments.get("frameId"))
    return inspection.scopes(frame, agent.variables, lambda kind, f: values.Ref(kind, None, None, f))


@command("variables", job=True)
def _variables(agent, arguments, job):
    ref = agent.variable_ref(arguments)
    cells = job.guard(lambda: values.cells(agent.variables, ref, arguments), jobs.LISTING_BUDGET)
    return {"variables": job.render(cells)}


@command("source")
def _source(agent, arguments):
    ref = arguments.get("sourceReference") or (arguments.get("source") or {}).get("sourceReference")
    if not ref:
        raise RequestError("source needs a sourceReference; files with a path are read by the client")
    return {"content": agent.sources.text(ref), "mimeType": "text/x-python"}


@command("evaluate", job=True)
def _evaluate(agent, arguments, job):
    frame = agent.frame(arguments)
    return job.guard(lambda: evaluation.evaluate(arguments, frame, agent.variables, context.output))


@command("setVariable", job=True)
def _set_variable(agent, arguments, job):
    ref = agent.variable_ref(arguments)
    return job.guard(lambda: evaluation.set_variable(arguments, ref, agent.variables))


@command("setExpression", job=True)
def _set_expression(agent, arguments, job):
    frame = agent.frame(arguments)
    return job.guard(lambda: evaluation.set_expression(arguments, frame, agent.variables))
