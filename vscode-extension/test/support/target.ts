/** Starts a fixture program on Python 3.14 and follows what it prints, line by line. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { FIXTURES_DIR, TARGET_PYTHON } from './environment';

export interface RunningTarget {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly script: string;
  /** Everything the target printed so far, for failure messages. */
  readonly output: string[];
  /** Resolves with the next line printed from now on that matches. */
  nextLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  isRunning(): boolean;
  stop(): Promise<void>;
}

/** The 1-based number of the first line of `file` that holds `marker`. */
export function markedLine(file: string, marker: string): number {
  const index = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(marker));
  assert.ok(index >= 0, `${file} has no line marked ${marker}`);
  return index + 1;
}

export async function startTarget(script: string, timeoutMs = 10_000): Promise<RunningTarget> {
  const scriptPath = path.join(FIXTURES_DIR, script);
  const child = spawn(TARGET_PYTHON, ['-u', scriptPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const lines = new EventEmitter();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      lines.emit('exit');
      resolve();
    });
  });
  child.once('error', (error) => {
    exited = true;
    output.push(`cannot start ${TARGET_PYTHON} ${scriptPath}: ${error.message}\n`);
    lines.emit('exit');
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    output.push(`${line}\n`);
    lines.emit('line', line);
  });

  const nextLine = (pattern: RegExp, waitMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        lines.off('line', onLine);
        lines.off('exit', onExit);
      };
      const onLine = (line: string): void => {
        if (pattern.test(line)) {
          done();
          resolve(line);
        }
      };
      const onExit = (): void => {
        done();
        reject(new Error(`${script} exited while waiting for ${pattern}: ${tail(output)}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`${script} printed no line matching ${pattern} within ${waitMs} ms: ${tail(output)}`),
        );
      }, waitMs);
      lines.on('line', onLine);
      lines.once('exit', onExit);
      if (exited) {
        onExit();
      }
    });

  const target: RunningTarget = {
    process: child,
    pid: child.pid ?? -1,
    script: scriptPath,
    output,
    nextLine,
    isRunning: () => !exited && child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
  await nextLine(/^ready \d+$/u, timeoutMs);
  return target;
}

function tail(output: string[]): string {
  const text = output.join('');
  return text.length > 2000 ? `…${text.slice(-2000)}` : text || '(nothing printed)';
}
