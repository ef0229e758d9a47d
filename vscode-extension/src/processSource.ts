/**
 * Runs the commands that feed the process picker: `<python> -m dapattach ps --json`, and plain `ps` when
 * that is not possible, so the picker still offers something (with a note saying why).
 */
import { execFile } from 'node:child_process';
import { parseProcessJson, parsePsOutput, type ProcessInfo } from './processes';

export interface ProcessListing {
  readonly processes: ProcessInfo[];
  /** Set when the list comes from the `ps` fallback: why `dapattach ps` was not used. */
  readonly warning?: string;
}

const MAX_OUTPUT = 64 * 1024 * 1024;

/** Lists processes with `dapattach ps`, falling back to `ps` (python undefined: no interpreter found). */
export async function listProcesses(python: string | undefined, timeoutMs = 15_000): Promise<ProcessListing> {
  let warning: string;
  if (python === undefined) {
    warning = 'no Python ≥ 3.14 with dapattach was found';
  } else {
    try {
      const output = await run(python, ['-m', 'dapattach', 'ps', '--json'], timeoutMs);
      return { processes: parseProcessJson(output) };
    } catch (error) {
      warning = `\`${python} -m dapattach ps --json\` failed: ${firstLine(error)}`;
    }
  }
  const output = await run('ps', ['-ww', '-eo', 'pid=,ppid=,user=,args='], timeoutMs);
  return { processes: parsePsOutput(output), warning };
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: MAX_OUTPUT },
      (error, stdout, stderr) => {
        if (error !== null) {
          const detail = stderr.trim();
          reject(new Error(detail !== '' ? lastLine(detail) : error.message));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}

function lastLine(text: string): string {
  const lines = text.split('\n');
  return lines[lines.length - 1] ?? text;
}
