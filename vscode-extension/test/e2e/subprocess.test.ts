/**
 * End to end, process trees: the real adapter attached to a master with two forked workers asks for a child
 * session per worker (`startDebugging`); the test answers as VS Code does (a new adapter started with the
 * configuration it was given, sent the same breakpoints), each worker stops at the breakpoint in its own
 * session, and detaching the master ends every child session while the workers keep working.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  answerReverseRequests,
  nextEvent,
  startAdapter,
  type ReverseAnswer,
  type RunningAdapter,
} from '../support/adapter';
import { markedLine, startTarget, type RunningTarget } from '../support/target';

const STOP_TIMEOUT_MS = 30_000;

interface ChildSession {
  readonly adapter: RunningAdapter;
  readonly configuration: Record<string, unknown>;
  readonly stopped: Promise<DebugProtocol.StoppedEvent>;
  readonly terminated: Promise<DebugProtocol.TerminatedEvent>;
}

const INITIALIZE: DebugProtocol.InitializeRequestArguments = {
  adapterID: 'dapattach',
  linesStartAt1: true,
  columnsStartAt1: true,
  pathFormat: 'path',
  supportsStartDebuggingRequest: true,
};

describe('e2e: a process tree, each worker in a debug session of its own', () => {
  let target: RunningTarget;
  const adapters: RunningAdapter[] = [];

  before(async () => {
    target = await startTarget('fork_target.py');
  });
  afterEach(() => {
    for (const adapter of adapters.splice(0)) {
      adapter.kill();
    }
  });
  after(async () => {
    await target.stop();
  });

  test('startDebugging per worker; each stops at the breakpoint; detaching the master ends them', async () => {
    const workers = (target.output.find((line) => line.startsWith('workers ')) ?? '')
      .trim()
      .split(' ')
      .slice(1);
    assert.equal(workers.length, 2, `the target names its workers: ${target.output.join('')}`);
    const source = { path: target.script };
    const breakpoints = { source, breakpoints: [{ line: markedLine(target.script, '# WORKER BREAKPOINT') }] };

    const parent = startAdapter();
    adapters.push(parent);
    const children: ChildSession[] = [];
    let announce: () => void = () => {};
    const bothStarted = new Promise<void>((resolve) => {
      announce = () => (children.length === 2 ? resolve() : undefined);
    });

    answerReverseRequests(parent, async (request): Promise<ReverseAnswer> => {
      if (request.command !== 'startDebugging') {
        return { success: false, message: `unexpected reverse request ${request.command}` };
      }
      const { configuration } = request.arguments as DebugProtocol.StartDebuggingRequestArguments;
      const child = startAdapter();
      adapters.push(child);
      const stopped = nextEvent<DebugProtocol.StoppedEvent>(child.client, 'stopped');
      const terminated = nextEvent<DebugProtocol.TerminatedEvent>(child.client, 'terminated');
      const initialized = nextEvent(child.client, 'initialized');
      try {
        await child.step('child initialize', child.client.initializeRequest(INITIALIZE));
        const attach = child.client.attachRequest(configuration as DebugProtocol.AttachRequestArguments);
        attach.catch(() => {});
        await child.step('child initialized', initialized, STOP_TIMEOUT_MS);
        await child.step('child setBreakpoints', child.client.setBreakpointsRequest(breakpoints));
        await child.step('child configurationDone', child.client.configurationDoneRequest());
        await child.step('child attach response', attach, STOP_TIMEOUT_MS);
      } catch (error) {
        return { success: false, message: String(error) };
      }
      children.push({ adapter: child, configuration, stopped, terminated });
      announce();
      return { success: true };
    });

    const { client, step } = parent;
    const initialized = nextEvent(client, 'initialized');
    await step('initialize', client.initializeRequest(INITIALIZE));
    const attach = client.attachRequest({ processId: target.pid } as DebugProtocol.AttachRequestArguments);
    attach.catch(() => {});
    await step('attach → initialized', initialized, STOP_TIMEOUT_MS);
    await step('setBreakpoints', client.setBreakpointsRequest(breakpoints));
    await step('configurationDone', client.configurationDoneRequest());
    await step('attach response', attach, STOP_TIMEOUT_MS);

    await step('two child sessions started through startDebugging', bothStarted, STOP_TIMEOUT_MS);
    assert.deepEqual(
      children.map((child) => String(child.configuration.processId)).sort(),
      [...workers].sort(),
    );
    for (const child of children) {
      assert.match(String(child.configuration.name), /^worker \d+: fork_target\.py$/u);
      assert.equal((child.configuration.subProcessOf as { processId: number }).processId, target.pid);

      const stopped = await child.adapter.step('stopped in the worker', child.stopped, STOP_TIMEOUT_MS);
      assert.equal(stopped.body.reason, 'breakpoint');
      const stack = await child.adapter.step(
        'worker stackTrace',
        child.adapter.client.stackTraceRequest({ threadId: stopped.body.threadId! }),
      );
      assert.equal(stack.body.stackFrames[0].name, 'tick');
      await child.adapter.step(
        'clear the worker breakpoint',
        child.adapter.client.setBreakpointsRequest({ source, breakpoints: [] }),
      );
      await child.adapter.step(
        'continue the worker',
        child.adapter.client.continueRequest({ threadId: stopped.body.threadId! }),
      );
    }

    await step('disconnect the master (detach)', client.disconnectRequest({ restart: false }));
    for (const child of children) {
      await child.adapter.step('the child session ends with its master', child.terminated, STOP_TIMEOUT_MS);
      const pid = String(child.configuration.processId);
      await target.nextLine(new RegExp(`^worker ${pid} alive \\d+$`, 'u'), 5_000);
      await child.adapter.step(
        'child disconnect',
        child.adapter.client.disconnectRequest({ restart: false }),
      );
      assert.equal(await child.adapter.closeAndWaitForExit(5_000), 0);
    }
    assert.ok(target.isRunning(), 'the master runs on after the detach');
    assert.equal(await parent.closeAndWaitForExit(5_000), 0);
  });
});
