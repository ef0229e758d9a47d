/**
 * `${command:dapattach.pickProcess}`: a QuickPick of processes, Python ones first, with a refresh button.
 * Resolves to the chosen pid as a string, or undefined when dismissed (VS Code then cancels the launch).
 */
import * as vscode from 'vscode';
import { findAdapterInterpreter } from './adapterInterpreter';
import { bundledLauncher } from './bundle';
import { toRows, type ProcessRow } from './processes';
import { listProcesses, pythonsRunning } from './processSource';
import { remember } from './targetInterpreter';

interface ProcessItem extends vscode.QuickPickItem {
  readonly row: ProcessRow;
}

const TITLE = 'Attach to a Python process';

export function pickProcess(configuration?: unknown): Promise<string | undefined> {
  let python: Promise<string | undefined> | undefined;
  const quickPick = vscode.window.createQuickPick<ProcessItem>();
  quickPick.title = TITLE;
  quickPick.placeholder = 'Filter by name, pid or command line';
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  quickPick.buttons = [{ iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Refresh the process list' }];

  const load = async (): Promise<void> => {
    quickPick.busy = true;
    try {
      python ??= interpreterForListing(configuration);
      const listing = await listProcesses(await python, bundledLauncher());
      for (const process of listing.processes) {
        remember(process.pid, process.executable);
      }
      quickPick.items = toRows(listing.processes).map(toItem);
      quickPick.title = listing.warning === undefined ? TITLE : `${TITLE} (from ps: ${listing.warning})`;
    } catch (error) {
      void vscode.window.showErrorMessage(`Could not list processes: ${String(error)}`);
    } finally {
      quickPick.busy = false;
    }
  };

  return new Promise((resolve) => {
    let chosen: string | undefined;
    quickPick.onDidTriggerButton(() => void load());
    quickPick.onDidAccept(() => {
      const row = quickPick.selectedItems[0]?.row;
      if (row === undefined) {
        return;
      }
      if (!row.attachable) {
        void vscode.window.showWarningMessage(
          `Cannot attach to ${row.label} (pid ${row.pid}): ${row.reason ?? 'it is not attachable'}.`,
        );
        return;
      }
      chosen = String(row.pid);
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      quickPick.dispose();
      resolve(chosen);
    });
    quickPick.show();
    void load();
  });
}

/**
 * The Python that lists processes: the adapter's, else (with the bundle, which needs no installed
 * dapattach) the first Python 3.14+ among the interpreters of running Python processes.
 */
async function interpreterForListing(configuration: unknown): Promise<string | undefined> {
  const configured =
    typeof configuration === 'object' && configuration !== null
      ? (configuration as Record<string, unknown>).python
      : undefined;
  const folder = vscode.workspace.workspaceFolders?.[0];
  const choice = await findAdapterInterpreter(folder, configured);
  if (choice.ok) {
    return choice.executable;
  }
  if (bundledLauncher() === undefined) {
    return undefined;
  }
  for (const running of await pythonsRunning()) {
    const fallback = await findAdapterInterpreter(folder, configured, running);
    if (fallback.ok) {
      return fallback.executable;
    }
  }
  return undefined;
}

function toItem(row: ProcessRow): ProcessItem {
  return {
    row,
    label: row.attachable ? row.label : `$(circle-slash) ${row.label}`,
    description: row.description,
    detail: row.detail,
  };
}
