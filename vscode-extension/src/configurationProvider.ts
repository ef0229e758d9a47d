/** Fills defaults into `dapattach` configurations and stops a bad one before the adapter starts. */
import * as vscode from 'vscode';
import { checkConfiguration, withDefaults } from './configuration';
import { initialConfigurations } from './initialConfigurations';

export class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return initialConfigurations();
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration {
    return withDefaults(configuration) as vscode.DebugConfiguration;
  }

  resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    const result = checkConfiguration(configuration);
    if (!result.ok) {
      void vscode.window.showErrorMessage(result.message);
      return undefined;
    }
    return result.config as vscode.DebugConfiguration;
  }
}
