// Host side of the asset version history panel: one panel per asset (per connection), revealed again when the
// same asset's history is asked for. The page gets the diffs computed (src/core/versionDiff.ts); it may only
// ask for a refresh, which the host answers by reading the history again with its own arguments.

import * as vscode from 'vscode';
import { isHistoryToHost, type HistoryToHost, type HistoryView, type HostToHistory } from '../protocol/history';
import { PageChannel, loadPage, webviewPanelOptions, type WebviewPageAssets } from './webviewShell';

export const HISTORY_PAGE: WebviewPageAssets = {
  script: 'history.js',
  style: 'history/history.css',
  title: 'Version history',
  placeholder: 'Reading the version history…',
};

/**
 * Reads the history again (Refresh): a new view of the same asset. Undefined when there is none to show, or
 * when the reload showed it itself (through HistoryPanel.show, as a revived panel's reload does).
 */
export type HistoryReload = () => Promise<HistoryView | undefined>;

/** "History · A-1" */
export function historyTitle(view: HistoryView): string {
  return `History · ${view.assetId}`;
}

export class HistoryPanel {
  static readonly viewType = 'behalf.history';
  private static readonly panels = new Map<string, HistoryPanel>();

  private view: HistoryView;
  private reload: HistoryReload;
  private readonly channel: PageChannel<HostToHistory, HistoryToHost>;
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows the history of `view.assetId`, in that asset's panel if it is open. */
  static show(extensionUri: vscode.Uri, view: HistoryView, reload: HistoryReload): HistoryPanel {
    const key = HistoryPanel.key(view);
    const existing = HistoryPanel.panels.get(key);
    if (existing) {
      existing.update(view, reload);
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      HistoryPanel.viewType,
      historyTitle(view),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      webviewPanelOptions(extensionUri),
    );
    const created = new HistoryPanel(panel, extensionUri, view, reload);
    HistoryPanel.panels.set(key, created);
    return created;
  }

  /**
   * Takes over a panel VS Code restored after a reload (WebviewPanelSerializer), showing the view its page
   * kept in its state. An open panel of the same asset gives way to it.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, view: HistoryView, reload: HistoryReload): HistoryPanel {
    const key = HistoryPanel.key(view);
    HistoryPanel.panels.get(key)?.dispose();
    // Restored panels keep the options they were created with; set today's (resource roots move with the install).
    panel.webview.options = webviewPanelOptions(extensionUri);
    const revived = new HistoryPanel(panel, extensionUri, view, reload);
    panel.title = historyTitle(view);
    HistoryPanel.panels.set(key, revived);
    return revived;
  }

  /** Open history panels (tests, "which asset is shown"). */
  static get all(): HistoryPanel[] {
    return [...HistoryPanel.panels.values()];
  }

  private static key(view: HistoryView): string {
    return `${view.connectionId}\u0000${view.assetId}`;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    view: HistoryView,
    reload: HistoryReload,
  ) {
    this.view = view;
    this.reload = reload;
    loadPage(panel.webview, extensionUri, HISTORY_PAGE);
    this.channel = new PageChannel<HostToHistory, HistoryToHost>(panel, {
      accepts: isHistoryToHost,
      current: () => ({ type: 'show', view: this.view }),
      handle: (message) => this.handle(message),
    });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get currentView(): HistoryView {
    return this.view;
  }

  private update(view: HistoryView, reload: HistoryReload): void {
    this.view = view;
    this.reload = reload;
    this.panel.title = historyTitle(view);
    this.channel.send();
  }

  private async handle(message: Exclude<HistoryToHost, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'refresh': {
        const reload = this.reload;
        const view = await reload();
        // A reload that showed the history itself (HistoryPanel.show) has already updated this panel.
        if (view && this.reload === reload) this.update(view, reload);
        return;
      }
    }
  }

  dispose(): void {
    const key = HistoryPanel.key(this.view);
    if (HistoryPanel.panels.get(key) === this) HistoryPanel.panels.delete(key);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
