/**
 * End to end: the real adapter (`python -m dapattach`, as the extension starts it) attaches to a real
 * Python 3.14 process and goes through what a VS Code user does: breakpoint, stop, look at the stack and
 * variables, evaluate, continue, stop again, detach — and the process keeps running afterwards.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { listProcesses } from '../../src/processSource';
import { nextEvent, startAdapter, type RunningAdapter } from '../support/adapter';
import { ADAPTER_PYTHON } from '../support/environment';
import { markedLine, startTarget, type RunningTarget } from '../support/target';

const STOP_TIMEOUT_MS = 20_000;

describe('e2e: the dapattach adapter against a live Python 3.14 process', () => {
  let target: RunningTarget;
  let adapter: RunningAdapter | undefined;

  before(async () => {
    target = await startTarget('loop_target.py');
  });
  afterEach(() => {
    adapter?.kill();
    adapter = undefined;
  });
  after(async () => {
    await target.stop();
  });

  test('answers initialize and exits after disconnect', async () => {
    adapter = startAdapter();
    const { client, step } = adapter;
    const initialize = await step('initialize', client.initializeRequest());
    assert.equal(initialize.success, true);
    await step('disconnect', client.disconnectRequest({ restart: false }));
    assert.equal(await adapter.closeAndWaitForExit(5_000), 0, 'the adapter should exit with status 0 on EOF');
  });

  test('`dapattach ps --json` lists the target as an attachable Python 3.14 process', async () => {
    const listing = await listProcesses(ADAPTER_PYTHON);
    assert.equal(listing.warning, undefined, `the picker would fall back to plain ps: ${listing.warning}`);
    const entry = listing.processes.find((p) => p.pid === target.pid);
    assert.ok(entry, `pid ${target.pid} (${target.script}) is missing from \`dapattach ps --json\``);
    assert.match(entry.python ?? '', /^3\.14\.\d+$/u);
    assert.equal(entry.version, '3.14');
    assert.equal(entry.attachable, true, `not attachable: ${entry.reason}`);
    assert.equal(entry.remoteDebug, true);
    assert.match(entry.commandLine, /loop_target\.py/u);
  });

  test('attach, stop at a breakpoint, inspect, evaluate, continue, detach; the target keeps running', async () => {
    adapter = startAdapter();
    const { client, step } = adapter;
    const line = markedLine(target.script, '# BREAKPOINT');
    const source = { path: target.script };

    // Listen before asking: DAP lets the initialized event come as early as right after initialize.
    const initialized = nextEvent(client, 'initialized');
    const initialize = await step('initialize', client.initializeRequest());
    const capabilities = initialize.body ?? {};

    const attach = client.attachRequest({
      processId: target.pid,
      justMyCode: true,
    } as DebugProtocol.AttachRequestArguments);
    attach.catch(() => {});
    await step(
      `attach {processId: ${target.pid}} → initialized event`,
      Promise.race([initialized, attach.then(() => initialized)]),
      STOP_TIMEOUT_MS,
    );

    const firstStop = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped');
    const setBreakpoints = await step(
      `setBreakpoints ${path.basename(target.script)}:${line}`,
      client.setBreakpointsRequest({ source, breakpoints: [{ line }] }),
    );
    assert.equal(setBreakpoints.body.breakpoints.length, 1, 'one breakpoint asked, one answered');
    assert.equal(setBreakpoints.body.breakpoints[0].line ?? line, line);

    if (capabilities.supportsConfigurationDoneRequest) {
      await step('configurationDone', client.configurationDoneRequest());
    }
    await step('attach response', attach, STOP_TIMEOUT_MS);

    const stopped = await step('stopped event at the breakpoint', firstStop, STOP_TIMEOUT_MS);
    assert.equal(stopped.body.reason, 'breakpoint');
    const threadId = stopped.body.threadId;
    assert.equal(typeof threadId, 'number', 'the stopped event names the thread');

    const stack = await step('stackTrace', client.stackTraceRequest({ threadId: threadId! }));
    const [top] = stack.body.stackFrames;
    assert.ok(top, 'the stopped thread has frames');
    assert.equal(top.name, 'tick');
    assert.equal(top.line, line);
    assert.equal(top.source?.path && fs.realpathSync(top.source.path), fs.realpathSync(target.script));
    assert.ok(
      stack.body.stackFrames.some((frame) => frame.name === 'main'),
      `main() is below tick() on the stack: ${stack.body.stackFrames.map((f) => f.name).join(' < ')}`,
    );

    const scopes = await step('scopes', client.scopesRequest({ frameId: top.id }));
    const locals = scopes.body.scopes.find((scope) => /local/iu.test(scope.name));
    assert.ok(locals, `a Locals scope: ${scopes.body.scopes.map((s) => s.name).join(', ')}`);
    assert.ok(locals.variablesReference > 0);

    const variables = await step(
      'variables',
      client.variablesRequest({ variablesReference: locals.variablesReference }),
    );
    const counter = variables.body.variables.find((variable) => variable.name === 'counter');
    assert.ok(counter, `counter is a local: ${variables.body.variables.map((v) => v.name).join(', ')}`);
    const counterValue = Number(counter.value);
    assert.ok(
      Number.isInteger(counterValue) && counterValue > 0,
      `counter is a positive int: ${counter.value}`,
    );
    assert.equal(
      variables.body.variables.some((variable) => variable.name === 'doubled'),
      false,
      'doubled is not assigned yet on the breakpoint line',
    );

    const evaluate = await step(
      'evaluate counter * 2',
      client.evaluateRequest({ expression: 'counter * 2', frameId: top.id, context: 'watch' }),
    );
    assert.equal(evaluate.body.result, String(counterValue * 2));

    const secondStop = nextEvent<DebugProtocol.StoppedEvent>(client, 'stopped');
    await step('continue', client.continueRequest({ threadId: threadId! }));
    await step('stopped again at the breakpoint after continue', secondStop, STOP_TIMEOUT_MS);
    const again = await step('stackTrace after continue', client.stackTraceRequest({ threadId: threadId! }));
    const againScopes = await step(
      'scopes after continue',
      client.scopesRequest({ frameId: again.body.stackFrames[0].id }),
    );
    const againLocals = againScopes.body.scopes.find((scope) => /local/iu.test(scope.name));
    const againVariables = await step(
      'variables after continue',
      client.variablesRequest({ variablesReference: againLocals!.variablesReference }),
    );
    const counterAfter = Number(againVariables.body.variables.find((v) => v.name === 'counter')?.value);
    assert.ok(counterAfter > counterValue, `the loop went on: counter ${counterValue} → ${counterAfter}`);

    await step('clear breakpoints', client.setBreakpointsRequest({ source, breakpoints: [] }));
    await step(
      'disconnect (stop button: detach, keep the target)',
      client.disconnectRequest({ restart: false }),
    );

    const alive = await target.nextLine(/^alive \d+$/u, 5_000);
    assert.ok(target.isRunning(), 'the target is still running after the debugger detached');
    assert.ok(Number(alive.split(' ')[1]) > counterAfter, 'and it is still making progress');
    assert.equal(await adapter.closeAndWaitForExit(5_000), 0, 'the adapter should exit with status 0 on EOF');
  });
});
