/**
 * Runs the real adapter the way the extension does (`<python> -m dapattach` over stdio) and drives it with
 * @vscode/debugadapter-testsupport's DebugClient. Every step has a deadline and fails with a sentence
 * naming the step, the adapter's answer or exit, and the end of its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { adapterArguments } from '../../src/configuration';
import { ADAPTER_PYTHON, EXTENSION_DIR } from './environment';

export const STEP_TIMEOUT_MS = 10_000;

/** DebugClient spawns `runtime executable` with one argument; we start the adapter ourselves instead. */
class StdioDebugClient extends DebugClient {
  constructor() {
    super(ADAPTER_PYTHON, '', 'dapattach');
  }

  attachTo(adapter: ChildProcess): void {
    this.connect(adapter.stdout!, adapter.stdin!);
  }
}

export interface RunningAdapter {
  readonly client: DebugClient;
  readonly process: ChildProcess;
  /** Runs one protocol step with a deadline; a failure message says which step and why. */
  step<T>(name: string, action: Promise<T>, timeoutMs?: number): Promise<T>;
  /** Closes the adapter's stdin (as clients do after disconnect) and waits for it to exit. */
  closeAndWaitForExit(timeoutMs: number): Promise<number | null>;
  kill(): void;
}

/**
 * The next `name` event from now on. No timer of its own (the step awaiting it has the deadline), so an
 * event that never comes after a failed step does not hold the test run open.
 */
export function nextEvent<T extends DebugProtocol.Event>(client: DebugClient, name: string): Promise<T> {
  return new Promise((resolve) => client.once(name, resolve));
}

/** What a client answers to a reverse request: success, or failure with a message. */
export interface ReverseAnswer {
  readonly success: boolean;
  readonly message?: string;
}

/**
 * Answers the adapter's reverse requests (`startDebugging`) as VS Code does. DebugClient only dispatches
 * events and responses, so this reads the adapter's stdout alongside it, frames messages itself and
 * writes the response (seq 0, as VS Code sends it) to the adapter's stdin.
 */
export function answerReverseRequests(
  adapter: RunningAdapter,
  answer: (request: DebugProtocol.Request) => Promise<ReverseAnswer>,
): void {
  let buffered = Buffer.alloc(0);
  adapter.process.stdout!.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const headerEnd = buffered.indexOf('\r\n\r\n');
      const length = /Content-Length: (\d+)/iu.exec(buffered.subarray(0, headerEnd).toString('ascii'));
      if (headerEnd < 0 || length === null || buffered.length < headerEnd + 4 + Number(length[1])) {
        return;
      }
      const body = buffered.subarray(headerEnd + 4, headerEnd + 4 + Number(length[1]));
      buffered = buffered.subarray(headerEnd + 4 + Number(length[1]));
      const message = JSON.parse(body.toString('utf8')) as DebugProtocol.ProtocolMessage;
      if (message.type === 'request') {
        const request = message as DebugProtocol.Request;
        void answer(request).then((result) => {
          const response = JSON.stringify({
            seq: 0,
            type: 'response',
            request_seq: request.seq,
            command: request.command,
            success: result.success,
            ...(result.message === undefined ? {} : { message: result.message }),
          });
          adapter.process.stdin!.write(`Content-Length: ${Buffer.byteLength(response)}\r\n\r\n${response}`);
        });
      }
    }
  });
}

export function startAdapter(): RunningAdapter {
  const child = spawn(ADAPTER_PYTHON, adapterArguments(undefined), {
    cwd: EXTENSION_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  let exitDescription: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = `the adapter exited (code ${code}, signal ${signal})`;
      resolve(exitDescription);
    });
    child.once('error', (error) => {
      exitDescription = `the adapter could not start (${ADAPTER_PYTHON} -m dapattach): ${error.message}`;
      resolve(exitDescription);
    });
  });
  child.stdin!.on('error', () => {});
  const client = new StdioDebugClient();
  client.attachTo(child);

  const explain = (name: string, why: string): Error => {
    const log = stderr.join('').trim();
    const tail = log.length > 3000 ? `…${log.slice(-3000)}` : log;
    return new Error(`DAP step "${name}" failed: ${why}${tail ? `\n--- adapter stderr ---\n${tail}` : ''}`);
  };

  const step = <T>(name: string, action: Promise<T>, timeoutMs = STEP_TIMEOUT_MS): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(explain(name, `no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      action.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          const message = error instanceof Error ? error.message : String(error);
          reject(explain(name, `the adapter answered with an error: ${message}`));
        },
      );
      void exited.then((description) => {
        clearTimeout(timer);
        reject(explain(name, description));
      });
    });

  return {
    client,
    process: child,
    step,
    closeAndWaitForExit: async (timeoutMs) => {
      child.stdin!.end();
      if (exitDescription === undefined) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                explain('exit on EOF', `the adapter was still running ${timeoutMs} ms after stdin closed`),
              ),
            timeoutMs,
          );
          void exited.then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return child.exitCode;
    },
    kill: () => {
      if (exitDescription === undefined) {
        child.kill('SIGKILL');
      }
    },
  };
}
