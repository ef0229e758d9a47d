/** Entry point: wires the command, the configuration provider and the adapter factory, nothing more. */
import * as vscode from 'vscode';
import { AdapterFactory } from './adapterFactory';
import { setExtensionPath } from './bundle';
import { DEBUG_TYPE, PICK_PROCESS_COMMAND } from './configuration';
import { ConfigurationProvider } from './configurationProvider';
import { pickProcess } from './processPicker';

export function activate(context: vscode.ExtensionContext): void {
  setExtensionPath(context.extensionPath);
  const output = vscode.window.createOutputChannel('dapattach');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand(PICK_PROCESS_COMMAND, pickProcess),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()),
    vscode.debug.registerDebugAdapterDescriptorFactory(
      DEBUG_TYPE,
      new AdapterFactory(context.logUri, output),
    ),
  );
}

export function deactivate(): void {}
