/** Gathers what VS Code knows about the user's Python and lets chooseInterpreter pick the adapter's. */
import * as vscode from 'vscode';
import { bundledLauncher } from './bundle';
import { chooseInterpreter, type InterpreterChoice } from './interpreter';
import { probeInterpreter } from './interpreterProbe';
import { pythonExtensionInterpreter } from './pythonExtension';

/** `target`: the interpreter of the process to attach to, when known (a candidate after the Python extension). */
export async function findAdapterInterpreter(
  folder: vscode.WorkspaceFolder | undefined,
  configured: unknown,
  target?: string,
): Promise<InterpreterChoice> {
  const launchPython = typeof configured === 'string' ? configured : undefined;
  const setting = vscode.workspace.getConfiguration('dapattach', folder?.uri).get<string>('python');
  const named = Boolean(launchPython?.trim() || setting?.trim());
  const pythonExtension = named ? undefined : await pythonExtensionInterpreter(folder?.uri);
  return chooseInterpreter(
    { configured: launchPython, setting, pythonExtension, target },
    (command) => probeInterpreter(command),
    bundledLauncher() !== undefined,
  );
}
