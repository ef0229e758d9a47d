/**
 * The interpreter a target process runs, so the adapter can run on it when nothing else is configured
 * (it is Python 3.14+ by definition of an attachable target). The picker records what `dapattach ps`
 * (or `ps`) said; for a pid typed into launch.json the system is asked.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';

const known = new Map<number, string>();

export function remember(pid: number, executable: string | null | undefined): void {
  if (executable) {
    known.set(pid, executable);
  }
}

export async function targetInterpreter(pid: unknown): Promise<string | undefined> {
  const number = typeof pid === 'string' ? Number(pid) : pid;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0) {
    return undefined;
  }
  const remembered = known.get(number);
  if (remembered !== undefined) {
    return remembered;
  }
  if (process.platform === 'linux') {
    try {
      return fs.readlinkSync(`/proc/${number}/exe`);
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'darwin') {
    return new Promise((resolve) => {
      execFile('ps', ['-o', 'comm=', '-p', String(number)], { encoding: 'utf8' }, (error, stdout) => {
        const path = stdout?.trim();
        resolve(error === null && path?.startsWith('/') ? path : undefined);
      });
    });
  }
  return undefined;
}
