/**
 * The `dapattach` launch configuration: defaults filled before VS Code substitutes variables, and checks
 * run after (when the picker has turned `${command:dapattach.pickProcess}` into a pid), so a mistake is
 * reported in words before any adapter starts.
 */

export const DEBUG_TYPE = 'dapattach';
export const PICK_PROCESS_COMMAND = 'dapattach.pickProcess';
export const PICK_PROCESS = '${command:dapattach.pickProcess}';

export interface PathMapping {
  readonly localRoot: string;
  readonly remoteRoot: string;
}

/** A launch configuration as VS Code hands it over: user-written, so every field is unchecked. */
export type RawConfiguration = { readonly [key: string]: unknown };

export interface AttachConfiguration {
  readonly [key: string]: unknown;
  readonly type: string;
  readonly request: 'attach';
  readonly name: string;
  readonly processId: number;
  readonly justMyCode: boolean;
  readonly showReturnValue: boolean;
  readonly logToFile: boolean;
  readonly redirectOutput: boolean;
  readonly subProcess?: boolean;
  /** Set by the adapter in a child process's own session (`startDebugging`); passed on as it is. */
  readonly subProcessOf?: unknown;
  readonly pathMappings?: readonly PathMapping[];
  readonly python?: string;
  readonly timeout?: number;
  readonly stoppedTimeout?: number;
  readonly stopAll?: boolean;
  readonly asyncioTasks?: boolean;
}

export type CheckResult =
  | { readonly ok: true; readonly config: AttachConfiguration }
  | { readonly ok: false; readonly message: string };

const DEFAULTS = { justMyCode: true, showReturnValue: true, logToFile: false, redirectOutput: true } as const;

/**
 * Fills what the user left out. An empty configuration (F5 with no launch.json) becomes
 * "attach by picking a process"; a missing processId also opens the picker.
 */
export function withDefaults(config: RawConfiguration): RawConfiguration {
  const empty = config.type === undefined && config.request === undefined && config.name === undefined;
  return {
    ...DEFAULTS,
    ...config,
    type: config.type ?? DEBUG_TYPE,
    request: config.request ?? 'attach',
    name: config.name ?? (empty ? 'Python (dapattach): pick a process' : 'Python (dapattach)'),
    processId: config.processId ?? PICK_PROCESS,
  };
}

/** Checks a configuration whose variables are substituted; the message says what to change. */
export function checkConfiguration(config: RawConfiguration): CheckResult {
  const problems: string[] = [];
  if (config.request !== 'attach') {
    problems.push(
      `"request" is ${JSON.stringify(config.request)}, but dapattach only attaches to running processes: ` +
        'use "request": "attach" with a "processId".',
    );
  }
  const pid = parseProcessId(config.processId);
  if (typeof pid === 'string') {
    problems.push(pid);
  }
  const booleans = [
    'justMyCode',
    'showReturnValue',
    'logToFile',
    'redirectOutput',
    'subProcess',
    'stopAll',
    'asyncioTasks',
  ] as const;
  for (const key of booleans) {
    if (config[key] !== undefined && typeof config[key] !== 'boolean') {
      problems.push(`"${key}" must be true or false, not ${JSON.stringify(config[key])}.`);
    }
  }
  if (config.python !== undefined && (typeof config.python !== 'string' || config.python.trim() === '')) {
    problems.push('"python" must be the path of a Python 3.14+ interpreter, such as "/usr/bin/python3.14".');
  }
  for (const key of ['timeout', 'stoppedTimeout'] as const) {
    const seconds = config[key];
    if (seconds !== undefined && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0)) {
      problems.push(`"${key}" must be a positive number of seconds, not ${JSON.stringify(seconds)}.`);
    }
  }
  problems.push(...pathMappingProblems(config.pathMappings));
  if (problems.length > 0 || typeof pid !== 'number') {
    return {
      ok: false,
      message: `Cannot start the "${String(config.name)}" debug session: ${problems.join(' ')}`,
    };
  }
  return {
    ok: true,
    config: {
      ...DEFAULTS,
      ...config,
      type: typeof config.type === 'string' ? config.type : DEBUG_TYPE,
      request: 'attach',
      name: typeof config.name === 'string' ? config.name : 'Python (dapattach)',
      processId: pid,
    } as AttachConfiguration,
  };
}

/** The pid as a number, or a sentence saying what is wrong with it. */
export function parseProcessId(value: unknown): number | string {
  const fix = `Set "processId" to the pid of a running Python 3.14+ process, or to "${PICK_PROCESS}" to pick one.`;
  if (value === undefined || value === null || value === '') {
    return `No process to attach to: "processId" is missing. ${fix}`;
  }
  if (typeof value === 'string' && value.includes('${')) {
    return `"processId" is ${JSON.stringify(value)}, a variable VS Code did not replace. ${fix}`;
  }
  const pid = typeof value === 'string' && /^\s*\d+\s*$/u.test(value) ? Number(value) : value;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) {
    return `"processId" must be a process id (a positive whole number), not ${JSON.stringify(value)}. ${fix}`;
  }
  return pid;
}

function pathMappingProblems(value: unknown): string[] {
  if (value === undefined) {
    return [];
  }
  const shape = 'a list of {"localRoot": "...", "remoteRoot": "..."} objects';
  if (!Array.isArray(value)) {
    return [`"pathMappings" must be ${shape}.`];
  }
  return value.flatMap((mapping: unknown, index) => {
    const record =
      typeof mapping === 'object' && mapping !== null ? (mapping as Record<string, unknown>) : {};
    return typeof record.localRoot === 'string' && typeof record.remoteRoot === 'string'
      ? []
      : [`"pathMappings"[${index}] needs string "localRoot" and "remoteRoot" (it must be ${shape}).`];
  });
}

/**
 * Arguments after the interpreter: the extension's bundled launcher in isolated mode (`-I launch.py`), or
 * `-m dapattach` without a bundle; with `--log-dir` when logging to a file.
 */
export function adapterArguments(logDir: string | undefined, launcher?: string): string[] {
  const start = launcher === undefined ? ['-m', 'dapattach'] : ['-I', launcher];
  return logDir === undefined ? start : [...start, '--log-dir', logDir];
}
