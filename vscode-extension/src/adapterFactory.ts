/** Starts the adapter as `<python> -m dapattach` over stdio, with the interpreter chosen for the session. */
import * as vscode from 'vscode';
import { findAdapterInterpreter } from './adapterInterpreter';
import { adapterArguments } from './configuration';

export class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly logDirectory: vscode.Uri) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const configuration = session.configuration;
    const choice = await findAdapterInterpreter(session.workspaceFolder, configuration.python);
    if (!choice.ok) {
      throw new Error(choice.message);
    }
    let logDir: string | undefined;
    if (configuration.logToFile === true) {
      await vscode.workspace.fs.createDirectory(this.logDirectory);
      logDir = this.logDirectory.fsPath;
    }
    return new vscode.DebugAdapterExecutable(choice.executable, adapterArguments(logDir));
  }
}
