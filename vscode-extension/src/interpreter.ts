/**
 * Choosing the Python that runs the debug adapter. The adapter needs Python ≥ 3.14; the extension carries
 * dapattach itself (`python/`, see adapterCommand), so any such interpreter will do — with a bundle, it
 * need not have dapattach installed (without one, in development, it must import dapattach).
 *
 * The order is: the launch configuration's `python`, the `dapattach.python` setting, the Python
 * extension's selected interpreter, the target process's own interpreter (which the picker learnt from
 * `dapattach ps`), then python3.14 / python3.15 / python3 on PATH. An interpreter the user named
 * explicitly is never silently replaced by another: if it is unusable, that is the error.
 * Probing is injected so the logic is tested without spawning anything.
 */

export const MINIMUM_VERSION = [3, 14] as const;
export const PATH_CANDIDATES = ['python3.14', 'python3.15', 'python3'] as const;

export type Version = readonly [number, number, number];

export type ProbeOutcome =
  | {
      readonly found: true;
      readonly executable: string;
      readonly version: Version;
      readonly hasDapattach: boolean;
    }
  | { readonly found: false; readonly error: string };

export type Probe = (command: string) => Promise<ProbeOutcome>;

export interface InterpreterSources {
  /** `python` from the launch configuration. */
  readonly configured?: string;
  /** The `dapattach.python` setting. */
  readonly setting?: string;
  /** The interpreter selected in the Python extension, if it is installed and has one. */
  readonly pythonExtension?: string;
  /** The interpreter the target process runs, when it is known. */
  readonly target?: string;
}

export type Origin =
  | 'launch configuration "python"'
  | 'setting "dapattach.python"'
  | 'Python extension'
  | 'target process'
  | 'PATH';

export interface Candidate {
  readonly command: string;
  readonly origin: Origin;
  /** The user named this interpreter: if it is unusable, report it rather than look further. */
  readonly explicit: boolean;
}

export type InterpreterChoice =
  | { readonly ok: true; readonly executable: string; readonly version: Version; readonly origin: Origin }
  | { readonly ok: false; readonly message: string };

/** The one-liner the probe runs: prints the facts chooseInterpreter needs, as JSON. */
export const PROBE_SCRIPT =
  'import importlib.util, json, sys; print(json.dumps({"executable": sys.executable, ' +
  '"version": list(sys.version_info[:3]), "dapattach": importlib.util.find_spec("dapattach") is not None}))';

export function candidates(sources: InterpreterSources): Candidate[] {
  const list: Candidate[] = [];
  const add = (command: string | undefined, origin: Origin, explicit: boolean): void => {
    const trimmed = command?.trim();
    if (trimmed) {
      list.push({ command: trimmed, origin, explicit });
    }
  };
  add(sources.configured, 'launch configuration "python"', true);
  add(sources.setting, 'setting "dapattach.python"', true);
  add(sources.pythonExtension, 'Python extension', false);
  add(sources.target, 'target process', false);
  for (const command of PATH_CANDIDATES) {
    add(command, 'PATH', false);
  }
  return list;
}

/**
 * Why this probe outcome cannot run the adapter, or undefined when it can. With the extension's own copy
 * of dapattach (`bundled`), any Python 3.14+ can; without it the interpreter must import dapattach.
 */
export function rejection(outcome: ProbeOutcome, bundled = false): string | undefined {
  if (!outcome.found) {
    return outcome.error;
  }
  if (!isSupported(outcome.version)) {
    return `it is Python ${formatVersion(outcome.version)}; dapattach needs Python ${MINIMUM_VERSION.join('.')} or newer`;
  }
  if (!outcome.hasDapattach && !bundled) {
    return `it is Python ${formatVersion(outcome.version)} but cannot import dapattach`;
  }
  return undefined;
}

export async function chooseInterpreter(
  sources: InterpreterSources,
  probe: Probe,
  bundled = false,
): Promise<InterpreterChoice> {
  const tried: string[] = [];
  for (const candidate of candidates(sources)) {
    const outcome = await probe(candidate.command);
    const reason = rejection(outcome, bundled);
    if (reason === undefined && outcome.found) {
      return { ok: true, executable: outcome.executable, version: outcome.version, origin: candidate.origin };
    }
    if (candidate.explicit) {
      return { ok: false, message: explicitFailure(candidate, reason ?? 'it cannot be used', bundled) };
    }
    tried.push(`${candidate.command} (${candidate.origin}): ${reason}`);
  }
  return { ok: false, message: nothingFound(tried, bundled) };
}

export function isSupported(version: Version): boolean {
  const [major, minor] = version;
  return major > MINIMUM_VERSION[0] || (major === MINIMUM_VERSION[0] && minor >= MINIMUM_VERSION[1]);
}

export function formatVersion(version: Version): string {
  return version.join('.');
}

/** Parses PROBE_SCRIPT's output; undefined when it is not what the script prints. */
export function parseProbeOutput(text: string): ProbeOutcome | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text.trim().split('\n').pop() ?? '');
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) {
    return undefined;
  }
  const { executable, version, dapattach } = data as Record<string, unknown>;
  if (
    typeof executable !== 'string' ||
    !Array.isArray(version) ||
    version.length !== 3 ||
    !version.every((part) => Number.isInteger(part)) ||
    typeof dapattach !== 'boolean'
  ) {
    return undefined;
  }
  return { found: true, executable, version: [version[0], version[1], version[2]], hasDapattach: dapattach };
}

function explicitFailure(candidate: Candidate, reason: string, bundled: boolean): string {
  const fix =
    candidate.origin === 'setting "dapattach.python"'
      ? 'Point "dapattach.python" at a Python 3.14+ interpreter'
      : 'Point "python" in the launch configuration at a Python 3.14+ interpreter';
  const install = bundled
    ? ' (the extension brings dapattach itself)'
    : `, and install dapattach into it with \`${candidate.command} -m pip install dapattach\``;
  return (
    `The Python interpreter from the ${candidate.origin}, ${candidate.command}, cannot run the dapattach ` +
    `debug adapter: ${reason}. ${fix}${install}.`
  );
}

function nothingFound(tried: string[], bundled: boolean): string {
  const needs = bundled ? 'Python 3.14 or newer' : 'Python 3.14 or newer with dapattach installed';
  const fix = bundled
    ? 'Install Python 3.14 or newer, then set "dapattach.python" to it (or select it in the Python ' +
      'extension); the extension brings dapattach itself. Picking the process from the list also works: ' +
      "the adapter then runs on the target's own interpreter."
    : 'Install it with `python3.14 -m pip install dapattach`, then set "dapattach.python" to that ' +
      'interpreter (or select it in the Python extension).';
  return (
    `No Python interpreter that can run the dapattach debug adapter was found (it needs ${needs}). ` +
    `Tried: ${tried.join('; ')}. ${fix}`
  );
}
