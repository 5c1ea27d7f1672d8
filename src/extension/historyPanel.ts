// Host side of the asset version history panel: one panel per asset (per connection), revealed again when the
// same asset's history is asked for. The page gets the versions' summaries, and a version's diffs computed
// (src/core/versionDiff.ts) when it opens one; it may ask for a refresh, which the host answers by reading the
// history again with its own arguments.

import * as vscode from 'vscode';
import { PANEL_VIEW_TYPES } from './panelViewTypes';
import { isHistoryToHost, type HistoryToHost, type HistoryView, type HostToHistory, type VersionDiff } from '../protocol/history';
import { PageChannel, loadPage, webviewPanelOptions, type WebviewPageAssets } from './webviewShell';

export const HISTORY_PAGE: WebviewPageAssets = {
  script: 'history.js',
  style: 'history/history.css',
  title: 'Version history',
  placeholder: 'Reading the version history…',
};

/**
 * The diffs of one version of the view shown, by number: undefined when the history has no such version.
 * Throws (or rejects) with a message saying what to do when it cannot give them (the page shows the message).
 */
export type HistoryDiffs = (version: number) => VersionDiff | undefined | Promise<VersionDiff | undefined>;

/** One reading of a history: the view to show and where its versions' diffs come from. */
export interface HistoryReading {
  view: HistoryView;
  diffs: HistoryDiffs;
}

/**
 * Reads the history again (Refresh): a new reading of the same asset. Undefined when there is none to show, or
 * when the reload showed it itself (through HistoryPanel.show, as a revived panel's reload does).
 */
export type HistoryReload = () => Promise<HistoryReading | undefined>;

/** "History · A-1" */
export function historyTitle(view: HistoryView): string {
  return `History · ${view.assetId}`;
}

export class HistoryPanel {
  static readonly viewType = PANEL_VIEW_TYPES.history;
  private static readonly panels = new Map<string, HistoryPanel>();

  private view: HistoryView;
  private reload: HistoryReload;
  private diffs: HistoryDiffs;
  private readonly channel: PageChannel<HostToHistory, HistoryToHost>;
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows the history of `view.assetId`, in that asset's panel if it is open. */
  static show(extensionUri: vscode.Uri, view: HistoryView, reload: HistoryReload, diffs: HistoryDiffs): HistoryPanel {
    const key = HistoryPanel.key(view);
    const existing = HistoryPanel.panels.get(key);
    if (existing) {
      existing.update(view, reload, diffs);
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      HistoryPanel.viewType,
      historyTitle(view),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      webviewPanelOptions(extensionUri),
    );
    const created = new HistoryPanel(panel, extensionUri, view, reload, diffs);
    HistoryPanel.panels.set(key, created);
    return created;
  }

  /**
   * Takes over a panel VS Code restored after a reload (WebviewPanelSerializer), showing the view its page
   * kept in its state. An open panel of the same asset gives way to it.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, view: HistoryView, reload: HistoryReload, diffs: HistoryDiffs): HistoryPanel {
    const key = HistoryPanel.key(view);
    HistoryPanel.panels.get(key)?.dispose();
    // Restored panels keep the options they were created with; set today's (resource roots move with the install).
    panel.webview.options = webviewPanelOptions(extensionUri);
    const revived = new HistoryPanel(panel, extensionUri, view, reload, diffs);
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
    diffs: HistoryDiffs,
  ) {
    this.view = view;
    this.reload = reload;
    this.diffs = diffs;
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

  private update(view: HistoryView, reload: HistoryReload, diffs: HistoryDiffs): void {
    this.view = view;
    this.reload = reload;
    this.diffs = diffs;
    this.panel.title = historyTitle(view);
    this.channel.send();
  }

  private async handle(message: Exclude<HistoryToHost, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'refresh': {
        const reload = this.reload;
        const reading = await reload();
        // A reload that showed the history itself (HistoryPanel.show) has already updated this panel.
        if (reading && this.reload === reload) this.update(reading.view, reload, reading.diffs);
        return;
      }
      case 'diff':
        return this.sendDiff(message.version);
    }
  }

  /** Answers the page's request for one version's diffs, always (a diff or an error saying why): the page never waits in vain. */
  private async sendDiff(version: number): Promise<void> {
    const view = this.view;
    let diff: VersionDiff | undefined;
    try {
      diff = await this.diffs(version);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return this.channel.post({ type: 'diffError', viewId: view.id, version, message: `The changes of version ${version} could not be read: ${message}` });
    }
    if (diff === undefined) {
      const message = `Version ${version} is not in this reading of the history of ${view.assetId}. Refresh to read the history again.`;
      return this.channel.post({ type: 'diffError', viewId: view.id, version, message });
    }
    this.channel.post({ type: 'diff', viewId: view.id, diff });
  }

  dispose(): void {
    const key = HistoryPanel.key(this.view);
    if (HistoryPanel.panels.get(key) === this) HistoryPanel.panels.delete(key);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
