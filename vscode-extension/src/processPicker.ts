/**
 * `${command:dapattach.pickProcess}`: a QuickPick of processes, Python ones first, with a refresh button.
 * Resolves to the chosen pid as a string, or undefined when dismissed (VS Code then cancels the launch).
 */
import * as vscode from 'vscode';
import { findAdapterInterpreter } from './adapterInterpreter';
import { toRows, type ProcessRow } from './processes';
import { listProcesses } from './processSource';

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
      const listing = await listProcesses(await python);
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

async function interpreterForListing(configuration: unknown): Promise<string | undefined> {
  const configured =
    typeof configuration === 'object' && configuration !== null
      ? (configuration as Record<string, unknown>).python
      : undefined;
  const choice = await findAdapterInterpreter(vscode.workspace.workspaceFolders?.[0], configured);
  return choice.ok ? choice.executable : undefined;
}

function toItem(row: ProcessRow): ProcessItem {
  return {
    row,
    label: row.attachable ? row.label : `$(circle-slash) ${row.label}`,
    description: row.description,
    detail: row.detail,
  };
}
