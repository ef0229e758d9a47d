/** Where the tests find their interpreters and fixtures; overridable for other machines. */
import * as path from 'node:path';

export const EXTENSION_DIR = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES_DIR = path.join(EXTENSION_DIR, 'test', 'fixtures');

/** The interpreter that has dapattach installed and runs the adapter. */
export const ADAPTER_PYTHON =
  process.env.DAPATTACH_PYTHON ?? path.resolve(EXTENSION_DIR, '..', '.venv', 'bin', 'python');

/** A Python 3.14 without dapattach, for the debuggee. */
export const TARGET_PYTHON =
  process.env.DAPATTACH_TARGET_PYTHON ?? process.env.DAPATTACH_PY314 ?? '/opt/py314/bin/python3.14';
