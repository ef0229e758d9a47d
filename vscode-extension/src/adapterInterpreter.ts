/** Gathers what VS Code knows about the user's Python and lets chooseInterpreter pick the adapter's. */
import * as vscode from 'vscode';
import { chooseInterpreter, type InterpreterChoice } from './interpreter';
import { probeInterpreter } from './interpreterProbe';
import { pythonExtensionInterpreter } from './pythonExtension';

export async function findAdapterInterpreter(
  folder: vscode.WorkspaceFolder | undefined,
  configured: unknown,
): Promise<InterpreterChoice> {
  const launchPython = typeof configured === 'string' ? configured : undefined;
  const setting = vscode.workspace.getConfiguration('dapattach', folder?.uri).get<string>('python');
  const named = Boolean(launchPython?.trim() || setting?.trim());
  const pythonExtension = named ? undefined : await pythonExtensionInterpreter(folder?.uri);
  return chooseInterpreter({ configured: launchPython, setting, pythonExtension }, (command) =>
    probeInterpreter(command),
  );
}
