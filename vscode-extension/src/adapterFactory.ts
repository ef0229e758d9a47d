/** Starts the adapter as `<python> -m dapattach` over stdio, with the interpreter chosen for the session. */
import * as vscode from 'vscode';
import { findAdapterInterpreter } from './adapterInterpreter';
import { bundledLauncher } from './bundle';
import { adapterArguments } from './configuration';
import { targetInterpreter } from './targetInterpreter';

export class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(
    private readonly logDirectory: vscode.Uri,
    private readonly output: vscode.OutputChannel,
  ) {}

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const configuration = session.configuration;
    const target = await targetInterpreter(configuration.processId);
    const choice = await findAdapterInterpreter(session.workspaceFolder, configuration.python, target);
    if (!choice.ok) {
      throw new Error(choice.message);
    }
    const launcher = bundledLauncher();
    this.output.appendLine(
      `adapter for process ${String(configuration.processId)}: ${choice.executable} (Python ` +
        `${choice.version.join('.')}, from the ${choice.origin}), dapattach ` +
        (launcher === undefined ? 'installed in that interpreter' : `from the extension (${launcher})`),
    );
    let logDir: string | undefined;
    if (configuration.logToFile === true) {
      await vscode.workspace.fs.createDirectory(this.logDirectory);
      logDir = this.logDirectory.fsPath;
    }
    return new vscode.DebugAdapterExecutable(choice.executable, adapterArguments(logDir, launcher));
  }
}
