// Puts the Python side of dapattach into python/ (tools/bundle_python.py), so the .vsix needs no pip
// install. Uses $DAPATTACH_BUNDLE_PYTHON, else the repository's .venv, else python3 on PATH: any Python
// with pip will do, as the bundle is downloaded for Python 3.14 whatever runs the script.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.dirname(extension);
const venv = path.join(repo, '.venv', 'bin', 'python');
const python = process.env.DAPATTACH_BUNDLE_PYTHON ?? (fs.existsSync(venv) ? venv : 'python3');
execFileSync(python, [path.join(repo, 'tools', 'bundle_python.py'), path.join(extension, 'python')], {
  stdio: 'inherit',
});
