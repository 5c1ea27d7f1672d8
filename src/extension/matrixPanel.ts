// Host side of the access matrix panel: one panel, reused for every run. The page gets the view (redacted: built
// by matrixCommands.ts from the run) and, while the run goes, the cells as they arrive, a few per message. What
// the page asks for (open a cell, export, re-run, cancel) goes to the handlers; a cell is looked up by its names.

import * as vscode from 'vscode';
import { PANEL_VIEW_TYPES } from './panelViewTypes';
import { isMatrixToHost, type HostToMatrix, type MatrixExportFormat, type MatrixToHost, type MatrixView, type MatrixViewCell } from '../protocol/matrix';
import { PageChannel, loadPage, webviewPanelOptions, type WebviewPageAssets } from './webviewShell';

export const MATRIX_PAGE: WebviewPageAssets = {
  script: 'matrix.js',
  style: 'matrix/matrix.css',
  title: 'Access matrix',
  placeholder: 'Sending the matrix…',
};

/** Cells are posted to the page at most this often while a run goes (a big matrix answers hundreds a second). */
export const CELL_BATCH_MS = 60;

export interface MatrixPanelHandlers {
  onOpenCell(request: string, identity: string): void | Promise<void>;
  onExport(format: MatrixExportFormat): void | Promise<void>;
  onRerun(): void | Promise<void>;
  onCancel(): void;
}

export function matrixTitle(view: Pick<MatrixView, 'file'>): string {
  return `Access Matrix · ${view.file}`;
}

export class MatrixPanel {
  static readonly viewType = PANEL_VIEW_TYPES.matrix;
  private static current: MatrixPanel | undefined;

  private view: MatrixView;
  private handlers: MatrixPanelHandlers;
  private readonly channel: PageChannel<HostToMatrix, MatrixToHost>;
  private readonly disposables: vscode.Disposable[] = [];
  private pending: MatrixViewCell[] = [];
  private timer: NodeJS.Timeout | undefined;

  static show(extensionUri: vscode.Uri, view: MatrixView, handlers: MatrixPanelHandlers): MatrixPanel {
    const existing = MatrixPanel.current;
    if (existing) {
      existing.update(view, handlers);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      MatrixPanel.viewType,
      matrixTitle(view),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewPanelOptions(extensionUri),
    );
    MatrixPanel.current = new MatrixPanel(panel, extensionUri, view, handlers);
    return MatrixPanel.current;
  }

  /**
   * Takes over a panel VS Code restored after a reload (WebviewPanelSerializer), showing the finished run its page kept
   * in its state. The responses are not kept: `handlers` say so when asked.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, view: MatrixView, handlers: MatrixPanelHandlers): MatrixPanel {
    MatrixPanel.current?.dispose();
    // Restored panels keep the options they were created with; set today's (resource roots move with the install).
    panel.webview.options = webviewPanelOptions(extensionUri);
    MatrixPanel.current = new MatrixPanel(panel, extensionUri, view, handlers);
    panel.title = matrixTitle(view);
    return MatrixPanel.current;
  }

  static get active(): MatrixPanel | undefined {
    return MatrixPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    view: MatrixView,
    handlers: MatrixPanelHandlers,
  ) {
    this.view = view;
    this.handlers = handlers;
    loadPage(panel.webview, extensionUri, MATRIX_PAGE);
    this.channel = new PageChannel<HostToMatrix, MatrixToHost>(panel, {
      accepts: isMatrixToHost,
      current: () => ({ type: 'show', view: this.view }),
      handle: (message) => {
        switch (message.type) {
          case 'openCell':
            return this.handlers.onOpenCell(message.request, message.identity);
          case 'export':
            return this.handlers.onExport(message.format);
          case 'rerun':
            return this.handlers.onRerun();
          case 'cancel':
            return this.handlers.onCancel();
        }
      },
    });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get currentView(): MatrixView {
    return this.view;
  }

  /** A cell answered: kept in the view (a page that comes back gets it) and posted soon, with others. */
  addCell(viewId: string, cell: MatrixViewCell): void {
    if (viewId !== this.view.id) return; // a newer run took the panel over
    this.view.cells.push(cell);
    this.pending.push(cell);
    this.timer ??= setTimeout(() => this.flush(), CELL_BATCH_MS);
  }

  /** The run ended: the final view (every cell, running false) replaces what the page has. */
  finish(view: MatrixView): void {
    if (view.id !== this.view.id) return; // a newer run took the panel over
    this.clearPending();
    this.view = view;
    this.channel.send();
  }

  private flush(): void {
    this.timer = undefined;
    const cells = this.pending;
    this.pending = [];
    if (cells.length) this.channel.post({ type: 'cells', viewId: this.view.id, cells });
  }

  private clearPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  private update(view: MatrixView, handlers: MatrixPanelHandlers): void {
    this.clearPending();
    this.view = view;
    this.handlers = handlers;
    this.panel.title = matrixTitle(view);
    this.channel.send();
  }

  dispose(): void {
    if (MatrixPanel.current === this) MatrixPanel.current = undefined;
    this.clearPending();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
