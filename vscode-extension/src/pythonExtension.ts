/**
 * Reads the interpreter selected in the Python extension (ms-python.python), when it is installed.
 * Its API has changed over the years and the extension may be absent, broken or slow to start, so every
 * step is guarded and any failure just means "no answer from there".
 */
import * as vscode from 'vscode';

const PYTHON_EXTENSION_ID = 'ms-python.python';
const ACTIVATION_TIMEOUT_MS = 10_000;

interface EnvironmentsApi {
  getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: unknown } | undefined;
  resolveEnvironment?(
    environment: unknown,
  ): Promise<{ executable?: { uri?: { fsPath?: unknown } } } | undefined>;
}

interface PythonApi {
  environments?: EnvironmentsApi;
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: unknown } | undefined };
}

export async function pythonExtensionInterpreter(
  resource: vscode.Uri | undefined,
): Promise<string | undefined> {
  try {
    const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION_ID);
    if (extension === undefined) {
      return undefined;
    }
    const api = extension.isActive ? extension.exports : await withTimeout(extension.activate());
    return (await fromEnvironments(api?.environments, resource)) ?? fromExecutionDetails(api, resource);
  } catch {
    return undefined;
  }
}

async function fromEnvironments(
  environments: EnvironmentsApi | undefined,
  resource: vscode.Uri | undefined,
): Promise<string | undefined> {
  const active = environments?.getActiveEnvironmentPath?.(resource);
  if (active === undefined) {
    return undefined;
  }
  const resolved = await withTimeout(environments?.resolveEnvironment?.(active));
  const executable = resolved?.executable?.uri?.fsPath;
  if (typeof executable === 'string' && executable !== '') {
    return executable;
  }
  return typeof active.path === 'string' && active.path !== '' ? active.path : undefined;
}

function fromExecutionDetails(
  api: PythonApi | undefined,
  resource: vscode.Uri | undefined,
): string | undefined {
  const command = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
  return Array.isArray(command) && typeof command[0] === 'string' ? command[0] : undefined;
}

function withTimeout<T>(promise: Thenable<T> | undefined): Promise<T | undefined> {
  if (promise === undefined) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ACTIVATION_TIMEOUT_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
