/**
 * Runs the commands that feed the process picker: `<python> -m dapattach ps --json`, and plain `ps` when
 * that is not possible, so the picker still offers something (with a note saying why).
 */
import { execFile } from 'node:child_process';
import { isPython, parseProcessJson, parsePsOutput, type ProcessInfo } from './processes';

export interface ProcessListing {
  readonly processes: ProcessInfo[];
  /** Set when the list comes from the `ps` fallback: why `dapattach ps` was not used. */
  readonly warning?: string;
}

const MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Lists processes with `dapattach ps` (the bundled launcher when there is one, else `-m dapattach`),
 * falling back to `ps` (python undefined: no interpreter found).
 */
export async function listProcesses(
  python: string | undefined,
  launcher?: string,
  timeoutMs = 15_000,
): Promise<ProcessListing> {
  let warning: string;
  if (python === undefined) {
    warning = 'no Python ≥ 3.14 was found';
  } else {
    const args =
      launcher === undefined ? ['-m', 'dapattach', 'ps', '--json'] : ['-I', launcher, 'ps', '--json'];
    try {
      const output = await run(python, args, timeoutMs);
      return { processes: parseProcessJson(output) };
    } catch (error) {
      warning = `\`${python} ${args.join(' ')}\` failed: ${firstLine(error)}`;
    }
  }
  return { processes: await listWithPs(timeoutMs), warning };
}

/** Plain `ps`: what any system offers, with the interpreters of Python processes where their command lines say. */
export async function listWithPs(timeoutMs = 15_000): Promise<ProcessInfo[]> {
  return parsePsOutput(await run('ps', ['-ww', '-eo', 'pid=,ppid=,user=,args='], timeoutMs));
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

/** The interpreters running Python processes, as `ps` shows them (candidates to run dapattach on). */
export async function pythonsRunning(timeoutMs = 15_000): Promise<string[]> {
  try {
    const processes = await listWithPs(timeoutMs);
    const found = processes.filter(isPython).map((process) => process.executable);
    return [...new Set(found.filter((executable): executable is string => executable !== null))];
  } catch {
    return [];
  }
}
