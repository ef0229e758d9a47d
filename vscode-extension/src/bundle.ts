/**
 * The extension's own copy of dapattach (`python/`, made by tools/bundle_python.py when the .vsix is
 * packaged): `python/launch.py` runs it on any Python 3.14+, so nothing has to be pip-installed. Without
 * it (an unpackaged checkout in development) the adapter runs as `-m dapattach` from the interpreter.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let extensionPath: string | undefined;

export function setExtensionPath(where: string): void {
  extensionPath = where;
}

/** The bundled launcher's path, or undefined when this copy of the extension carries none. */
export function bundledLauncher(): string | undefined {
  if (extensionPath === undefined) {
    return undefined;
  }
  const launcher = path.join(extensionPath, 'python', 'launch.py');
  return fs.existsSync(launcher) ? launcher : undefined;
}
