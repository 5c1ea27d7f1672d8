// Commands few sessions use, with what only they need: the access matrix, Check Connection, asset version history,
// Compare as two users, the impersonation log's commands (export), the wizards that change connections (with the
// vendors' setup data) and the vendor sandbox, the Sessions view's commands, Copy as cURL, Select Environment,
// completion in .http files, and the restoring of their panels after a window reload. A bundle of their own,
// dist/extension-extras.js, that main requires when one of them is first needed (scripts/esbuild-lazy-chunk.mjs
// links it to main's copies of every other module). Every export is a function: main calls it through the link.
import * as vscode from 'vscode';
import { isCompareView } from '../protocol/compare';
import { isHistoryView } from '../protocol/history';
import { isMatrixView } from '../protocol/matrix';
import { registerAuditCommands, revivedHistoryDiffs } from './auditCommands';
import { registerCheckCommands } from './checkCommands';
import { registerConnectionSetupCommands } from './connectionSetupCommands';
import { ComparePanel } from './comparePanel';
import { HistoryPanel } from './historyPanel';
import { HttpCompletion } from './httpCompletion';
import { registerMatrixCommands } from './matrixCommands';
import { MatrixPanel } from './matrixPanel';
import { registerRequestTools } from './requestTools';
import { SandboxProcess } from './sandboxProcess';
import type { Services } from './services';
import { registerSessionCommands } from './sessionCommands';

/** Registers the commands of this part with `s`; called once, before the first of them runs. */
export function registerExtraCommands(s: Services): void {
  registerCheckCommands(s);
  registerMatrixCommands(s);
  registerAuditCommands(s);
  registerConnectionSetupCommands(s);
  registerSessionCommands(s);
  registerRequestTools(s);
}

/** The vendor sandbox's child process (Services.sandbox, made on first use). */
export function newSandboxProcess(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): SandboxProcess {
  return new SandboxProcess(context, log);
}

const completions = new WeakMap<Services, HttpCompletion>();

/** Completion in .http files (main registers the provider and asks here when the line has something to complete). */
export function provideHttpCompletion(s: Services, doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
  let provider = completions.get(s);
  if (!provider) completions.set(s, (provider = new HttpCompletion(s)));
  return provider.provideCompletionItems(doc, position);
}

/** What the open compare and matrix panels were given (already redacted): main's panelViews, for leak scans in tests. */
export function extraPanelViews(): unknown[] {
  return [ComparePanel.active?.currentView, MatrixPanel.active?.currentView];
}

/**
 * Takes over a history, compare or matrix panel VS Code restored after a reload, from the view its page kept
 * (main.ts revivePanel reads it from the webview state); without a well-formed view the panel is closed.
 */
export function reviveExtraPanel(s: Services, viewType: string, panel: vscode.WebviewPanel, view: unknown): void {
  const extensionUri = s.context.extensionUri;
  if (viewType === HistoryPanel.viewType && isHistoryView(view)) {
    // Refresh reads the history as "Open Asset Version History" does (highlighting the principal acted as now),
    // and that shows it in this panel: the same asset's.
    const args = { connectionId: view.connectionId, assetId: view.assetId };
    HistoryPanel.revive(
      panel,
      extensionUri,
      view,
      async () => {
        await vscode.commands.executeCommand('behalf.openAssetHistory', args);
        return undefined;
      },
      revivedHistoryDiffs(s, view),
    );
  } else if (viewType === MatrixPanel.viewType && isMatrixView(view) && !view.running) {
    // The run's responses were not kept: Re-run sends the file again as the same identities (the view says which).
    const notKept = (what: string) =>
      void vscode.window.showInformationMessage(`Behalf: the responses of this access matrix were not kept when the window reloaded. Re-run it to ${what}.`);
    const source = view.source;
    MatrixPanel.revive(panel, extensionUri, view, {
      onOpenCell: () => notKept('open them'),
      onExport: () => notKept('export it'),
      onRerun: async () => {
        if (!source) return notKept('send it again');
        const args = { uri: vscode.Uri.parse(source.uri), identities: source.identities };
        await (source.line === undefined
          ? vscode.commands.executeCommand('behalf.runAccessMatrixForFile', args)
          : vscode.commands.executeCommand('behalf.accessMatrix', { ...args, line: source.line }));
      },
      onCancel: () => undefined,
    });
  } else if (viewType === ComparePanel.viewType && isCompareView(view)) {
    ComparePanel.revive(panel, extensionUri, view, {
      onOpenResponse: () =>
        void vscode.window.showInformationMessage(
          'Behalf: the responses of this comparison were not kept when the window reloaded. Run "Compare Request as Two Users…" again to open them.',
        ),
    });
  } else {
    panel.dispose(); // nothing to show: the view was too large to keep, or is not a well-formed one
  }
}
