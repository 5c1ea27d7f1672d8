// Host side of the "compare as two users" panel: one panel, reused for every comparison. The page gets the
// comparison computed (src/core/compare.ts); it may ask to open one side's full response, which the host
// answers from its own records (the page merely says which side).

import * as vscode from 'vscode';
import { PANEL_VIEW_TYPES } from './panelViewTypes';
import { isCompareToHost, type CompareSideName, type CompareToHost, type CompareView, type HostToCompare } from '../protocol/compare';
import { PageChannel, loadPage, webviewPanelOptions, type WebviewPageAssets } from './webviewShell';

export const COMPARE_PAGE: WebviewPageAssets = {
  script: 'compare.js',
  style: 'compare/compare.css',
  title: 'Compare',
  placeholder: 'Waiting for both responses…',
};

export interface ComparePanelHandlers {
  /** Show the response one side got (in the response panel). */
  onOpenResponse(side: CompareSideName): void | Promise<void>;
}

/** "Compare · Jane Doe ⇄ Raj Patel" */
export function compareTitle(view: CompareView): string {
  return `Compare · ${view.left.name} ⇄ ${view.right.name}`;
}

export class ComparePanel {
  static readonly viewType = PANEL_VIEW_TYPES.compare;
  private static current: ComparePanel | undefined;

  private view: CompareView;
  private handlers: ComparePanelHandlers;
  private readonly channel: PageChannel<HostToCompare, CompareToHost>;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, view: CompareView, handlers: ComparePanelHandlers): ComparePanel {
    const existing = ComparePanel.current;
    if (existing) {
      existing.update(view, handlers);
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      ComparePanel.viewType,
      compareTitle(view),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      webviewPanelOptions(extensionUri),
    );
    ComparePanel.current = new ComparePanel(panel, extensionUri, view, handlers);
    return ComparePanel.current;
  }

  /**
   * Takes over a panel VS Code restored after a reload (WebviewPanelSerializer), showing the view its page
   * kept in its state. The responses it was computed from are not kept: `handlers` say so when asked.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, view: CompareView, handlers: ComparePanelHandlers): ComparePanel {
    ComparePanel.current?.dispose();
    // Restored panels keep the options they were created with; set today's (resource roots move with the install).
    panel.webview.options = webviewPanelOptions(extensionUri);
    ComparePanel.current = new ComparePanel(panel, extensionUri, view, handlers);
    panel.title = compareTitle(view);
    return ComparePanel.current;
  }

  static get active(): ComparePanel | undefined {
    return ComparePanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    view: CompareView,
    handlers: ComparePanelHandlers,
  ) {
    this.view = view;
    this.handlers = handlers;
    loadPage(panel.webview, extensionUri, COMPARE_PAGE);
    this.channel = new PageChannel<HostToCompare, CompareToHost>(panel, {
      accepts: isCompareToHost,
      current: () => ({ type: 'show', view: this.view }),
      handle: (message) => this.handlers.onOpenResponse(message.side),
    });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get currentView(): CompareView {
    return this.view;
  }

  private update(view: CompareView, handlers: ComparePanelHandlers): void {
    this.view = view;
    this.handlers = handlers;
    this.panel.title = compareTitle(view);
    this.channel.send();
  }

  dispose(): void {
    if (ComparePanel.current === this) ComparePanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
