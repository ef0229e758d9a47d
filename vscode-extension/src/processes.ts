/**
 * The process list behind the picker: parsing `dapattach ps --json` (and, when that fails, plain `ps`),
 * ordering it so Python processes come first, and turning entries into picker rows.
 *
 * Pure functions only, so every odd command line can be unit-tested without VS Code.
 */

/** One entry of `dapattach ps --json`, the adapter's own view of a process. */
export interface ProcessInfo {
  readonly pid: number;
  /** The parent's pid, or null when unknown: workers are shown under their master. */
  readonly ppid: number | null;
  readonly user: string;
  readonly uid: number | null;
  /** Full interpreter version such as "3.14.10", or null when not a Python process or unknown. */
  readonly python: string | null;
  /** "major.minor" such as "3.14", or null. */
  readonly version: string | null;
  readonly remoteDebug: boolean | null;
  readonly attachable: boolean;
  /** Why the process cannot be attached, or null. */
  readonly reason: string | null;
  readonly name: string;
  readonly commandLine: string;
  /** The pid it has in its own PID namespace (a container), or null when that is its pid here. */
  readonly pidInside: number | null;
  /** The container it runs in, from its cgroup, or null. */
  readonly container: ContainerInfo | null;
}

/** A container as `dapattach ps --json` names it: its runtime, its id, and the runtime's name when known. */
export interface ContainerInfo {
  readonly runtime: string;
  readonly id: string;
  readonly name: string | null;
}

/** A picker row: what the user sees plus the pid it stands for. */
export interface ProcessRow {
  readonly pid: number;
  /** 0 for a process shown on its own, 1 for a worker under its master, and so on. */
  readonly depth: number;
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  readonly attachable: boolean;
  readonly reason: string | null;
}

export class ProcessListError extends Error {}

const MAX_DETAIL = 300;
const PYTHON_EXECUTABLE = /^(?:[^\s]*\/|\/.*?\/)?(python(\d+(?:\.\d+)?)?t?)(?=\s|$)/u;

/** Parses the JSON array printed by `dapattach ps --json`; throws ProcessListError naming the bad entry. */
export function parseProcessJson(text: string): ProcessInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ProcessListError(
      `\`dapattach ps --json\` printed something that is not JSON: ${describe(error)}`,
    );
  }
  if (!Array.isArray(data)) {
    throw new ProcessListError('`dapattach ps --json` should print a JSON array of processes.');
  }
  return data.map((entry, index) => toProcessInfo(entry, index));
}

function toProcessInfo(entry: unknown, index: number): ProcessInfo {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ProcessListError(`entry ${index} of \`dapattach ps --json\` is not an object.`);
  }
  const record = entry as Record<string, unknown>;
  const pid = record.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
    throw new ProcessListError(`entry ${index} of \`dapattach ps --json\` has no valid "pid".`);
  }
  return {
    pid,
    ppid: typeof record.ppid === 'number' && Number.isInteger(record.ppid) ? record.ppid : null,
    user: stringOr(record.user, ''),
    uid: typeof record.uid === 'number' ? record.uid : null,
    python: nullableString(record.python),
    version: nullableString(record.version),
    remoteDebug: typeof record.remoteDebug === 'boolean' ? record.remoteDebug : null,
    attachable: record.attachable === true,
    reason: nullableString(record.reason),
    name: stringOr(record.name, ''),
    commandLine: stringOr(record.commandLine, ''),
    pidInside: typeof record.pidInside === 'number' && record.pidInside !== pid ? record.pidInside : null,
    container: toContainer(record.container),
  };
}

function toContainer(value: unknown): ContainerInfo | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.id !== 'string' || record.id === '') {
    return null;
  }
  return { runtime: stringOr(record.runtime, ''), id: record.id, name: nullableString(record.name) };
}

/**
 * Parses `ps -ww -eo pid=,ppid=,user=,args=`, the fallback when `dapattach ps` cannot run.
 *
 * ps cannot say which processes are attachable, so Python-looking ones are offered as attachable and the
 * adapter gives the precise reason if the attach fails.
 */
export function parsePsOutput(text: string): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)(?:\s+(.*))?$/su.exec(line);
    if (match === null) {
      continue;
    }
    const [, pidText, ppidText, user, args = ''] = match;
    const commandLine = args.trimEnd();
    const python = pythonExecutable(commandLine);
    processes.push({
      pid: Number(pidText),
      ppid: Number(ppidText),
      user,
      uid: null,
      python: null,
      version: python?.version ?? null,
      remoteDebug: null,
      attachable: python !== undefined,
      reason: python !== undefined ? null : 'not a Python process',
      name: python?.name ?? commandName(commandLine),
      commandLine,
      pidInside: null,
      container: null,
    });
  }
  return processes;
}

/** The Python executable a command line starts with (`/usr/bin/python3.14 app.py` → python3.14), if any. */
export function pythonExecutable(commandLine: string): { name: string; version: string | null } | undefined {
  const match = PYTHON_EXECUTABLE.exec(commandLine);
  if (match === null) {
    return undefined;
  }
  const version = match[2]?.includes('.') ? match[2] : null;
  return { name: match[1], version };
}

function commandName(commandLine: string): string {
  if (commandLine.startsWith('[')) {
    return commandLine;
  }
  const first = commandLine.split(/\s/u, 1)[0] ?? '';
  return first.slice(first.lastIndexOf('/') + 1);
}

export function isPython(process: ProcessInfo): boolean {
  return (
    process.python !== null || process.version !== null || pythonExecutable(process.commandLine) !== undefined
  );
}

/** Attachable Python processes first, then other Python ones, then the rest; by name, then pid. */
export function sortProcesses(processes: readonly ProcessInfo[]): ProcessInfo[] {
  const rank = (p: ProcessInfo): number => (isPython(p) ? (p.attachable ? 0 : 1) : 2);
  return [...processes].sort(
    (a, b) =>
      rank(a) - rank(b) || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.pid - b.pid,
  );
}

export function toRow(process: ProcessInfo, depth = 0, children = 0): ProcessRow {
  const parts = [
    process.pidInside === null ? `pid ${process.pid}` : `pid ${process.pid} (${process.pidInside} inside)`,
  ];
  if (process.container !== null) {
    parts.push(`container ${process.container.name ?? process.container.id.slice(0, 12)}`);
  }
  const version = process.python ?? process.version;
  if (version !== null) {
    parts.push(`Python ${version}`);
  }
  if (process.user !== '') {
    parts.push(process.user);
  }
  if (depth > 0 && process.ppid !== null) {
    parts.push(`child of ${process.ppid}`);
  }
  if (children > 0) {
    parts.push(children === 1 ? '1 child process' : `${children} child processes`);
  }
  if (!process.attachable && process.reason !== null) {
    parts.push(`cannot attach: ${process.reason}`);
  }
  const name = process.name !== '' ? process.name : `process ${process.pid}`;
  return {
    pid: process.pid,
    depth,
    label: depth === 0 ? name : `${INDENT.repeat(depth - 1)}└ ${name}`,
    description: parts.join(' · '),
    detail: shorten(process.commandLine === '' ? '(no command line)' : process.commandLine, MAX_DETAIL),
    attachable: process.attachable,
    reason: process.reason,
  };
}

const INDENT = '\u2003';

/**
 * Rows in picker order: processes as `sortProcesses` orders them, each followed by the processes it
 * started (a server's workers under their master, by pid), indented; attaching to the master with
 * `subProcess` on attaches to them too.
 */
export function toRows(processes: readonly ProcessInfo[]): ProcessRow[] {
  const sorted = sortProcesses(processes);
  const listed = new Set(sorted.map((p) => p.pid));
  const children = new Map<number, ProcessInfo[]>();
  for (const process of [...sorted].sort((a, b) => a.pid - b.pid)) {
    if (process.ppid !== null && process.ppid !== process.pid && listed.has(process.ppid)) {
      children.set(process.ppid, [...(children.get(process.ppid) ?? []), process]);
    }
  }
  const rows: ProcessRow[] = [];
  const shown = new Set<number>();
  const add = (process: ProcessInfo, depth: number): void => {
    if (shown.has(process.pid)) {
      return;
    }
    shown.add(process.pid);
    const below = children.get(process.pid) ?? [];
    rows.push(toRow(process, depth, below.length));
    for (const child of below) {
      add(child, depth + 1);
    }
  };
  for (const process of sorted) {
    if (process.ppid === null || !listed.has(process.ppid) || process.ppid === process.pid) {
      add(process, 0);
    }
  }
  for (const process of sorted) {
    add(process, 0); // anything left over (a cycle in stale data) still shows
  }
  return rows;
}

/** Cuts long text on a code-point boundary so surrogate pairs stay whole. */
export function shorten(text: string, limit: number): string {
  const codePoints = Array.from(text);
  return codePoints.length <= limit ? text : `${codePoints.slice(0, limit - 1).join('')}…`;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function nullableString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
