"""The session over a real socket pair: dispatch, concurrency, cancel, reverse requests, events, errors."""

import asyncio

from dapattach.handlers import lifecycle
from dapattach.protocol import types
from dapattach.protocol.endpoint import Event, Request, Response
from dapattach.session import HandlerTable, RequestContext, RequestError
from dapclient import SessionPeer


def make_table() -> tuple[HandlerTable, asyncio.Event]:
    table = HandlerTable(supports_evaluate_for_hovers=True)
    release = asyncio.Event()

    @table.on("evaluate")
    async def evaluate(
        arguments: types.EvaluateArguments, context: RequestContext
    ) -> types.EvaluateResponseBody:
        match arguments.expression:
            case "wait":
                await release.wait()
            case "boom":
                raise KeyError("no such frame")
            case "refuse":
                raise RequestError("Cannot evaluate while running.", short="notStopped")
            case "terminal":
                body = await context.request_client("runInTerminal", {"cwd": "/", "args": ["top"]})
                return types.EvaluateResponseBody(result=str(body["processId"]), variables_reference=0)
            case "event":
                context.send_event("output", types.OutputEventBody(output="hello\n", category="stdout"))
        return types.EvaluateResponseBody(result=arguments.expression, variables_reference=0)

    return HandlerTable.merge(lifecycle.handlers, table), release


async def test_capabilities_of_every_area_are_announced() -> None:
    table, _ = make_table()
    async with SessionPeer(table) as peer:
        response = await peer.request("initialize", {"adapterID": "t"})
        assert response.body == {
            "supportsConfigurationDoneRequest": True,
            "supportsCancelRequest": True,
            "supportsEvaluateForHovers": True,
        }


async def test_requests_run_concurrently_and_cancel_answers_cancelled() -> None:
    table, _ = make_table()
    async with SessionPeer(table) as peer:
        await peer.request("initialize", {"adapterID": "t"})
        waiting = await peer.send("evaluate", {"expression": "wait"})
        quick = await peer.request("evaluate", {"expression": "1+1"})
        assert quick.success and quick.body["result"] == "1+1"
        cancel = await peer.send("cancel", {"requestId": waiting})
        answers = {message.request_seq: message for message in [await peer.next(), await peer.next()]}
        assert answers[cancel].success is True
        assert answers[waiting].success is False and answers[waiting].message == "cancelled"


async def test_handler_errors_become_error_responses_and_serving_goes_on() -> None:
    table, _ = make_table()
    async with SessionPeer(table) as peer:
        await peer.request("initialize", {"adapterID": "t"})
        crashed = await peer.request("evaluate", {"expression": "boom"})
        assert crashed.success is False
        assert crashed.body["error"]["format"] == "Internal error in 'evaluate': KeyError: 'no such frame'"
        refused = await peer.request("evaluate", {"expression": "refuse"})
        assert refused.message == "notStopped" and refused.body["error"]["showUser"] is False
        wrong = await peer.request("evaluate", {"expression": 3})
        assert (
            wrong.message
            == "Invalid arguments for 'evaluate': arguments.expression: expected a string, got an integer"
        )
        assert (await peer.request("evaluate", {"expression": "ok"})).success


async def test_reverse_request_answer_reaches_the_handler() -> None:
    table, _ = make_table()
    async with SessionPeer(table) as peer:
        await peer.request("initialize", {"adapterID": "t"})
        seq = await peer.send("evaluate", {"expression": "terminal"})
        reverse = await peer.next()
        assert isinstance(reverse, Request) and reverse.command == "runInTerminal"
        peer.writer.write(peer.endpoint.send_response(reverse, {"processId": 4321}))
        response = await peer.next()
        assert isinstance(response, Response) and response.request_seq == seq
        assert response.body["result"] == "4321"


async def test_events_wait_for_the_initialize_response() -> None:
    table, _ = make_table()
    async with SessionPeer(table) as peer:
        peer.session.send_event("output", {"output": "early\n"})
        response = await peer.request("initialize", {"adapterID": "t"})
        assert isinstance(response, Response)
        event = await peer.next()
        assert isinstance(event, Event) and event.body == {"output": "early\n"}
        await peer.send("evaluate", {"expression": "event"})
        assert (await peer.next()).body == {"output": "hello\n", "category": "stdout"}


async def test_cleanups_run_when_the_client_vanishes() -> None:
    table, _ = make_table()
    seen: list[types.DisconnectArguments] = []

    async def cleanup(arguments: types.DisconnectArguments) -> None:
        seen.append(arguments)

    async with SessionPeer(table) as peer:
        peer.session.add_cleanup(cleanup)
        await peer.request("initialize", {"adapterID": "t"})
    assert seen == [types.DisconnectArguments()]
