/** Starts a fixture program and waits for the line it prints once it is running its loop. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { FIXTURES_DIR, TARGET_PYTHON } from './environment';

export interface RunningTarget {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly script: string;
  /** Everything the target printed, for failure messages. */
  readonly output: string[];
  isRunning(): boolean;
  stop(): Promise<void>;
}

export async function startTarget(script: string, timeoutMs = 10_000): Promise<RunningTarget> {
  const scriptPath = path.join(FIXTURES_DIR, script);
  const child = spawn(TARGET_PYTHON, ['-u', scriptPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not print "ready" within ${timeoutMs} ms: ${output.join('')}`)),
      timeoutMs,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${TARGET_PYTHON} ${scriptPath}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (code ${code}, signal ${signal}) before it was ready: ${output.join('')}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(`${line}\n`);
      if (line.startsWith('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await ready;
  return {
    process: child,
    pid: child.pid!,
    script: scriptPath,
    output,
    isRunning: () => !exited && child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
