// Loads the webview hosts' modules with the fake 'vscode' in place.

import { installFakeVscode } from './fakeVscode';

export type ResponsePanelModule = typeof import('../../src/extension/responsePanel');
export type HistoryPanelModule = typeof import('../../src/extension/historyPanel');
export type ComparePanelModule = typeof import('../../src/extension/comparePanel');
export type WebviewShellModule = typeof import('../../src/extension/webviewShell');

export function loadResponsePanelModule(): ResponsePanelModule {
  installFakeVscode();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the fake is installed
  return require('../../src/extension/responsePanel') as ResponsePanelModule;
}

export function loadHistoryPanelModule(): HistoryPanelModule {
  installFakeVscode();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the fake is installed
  return require('../../src/extension/historyPanel') as HistoryPanelModule;
}

export function loadComparePanelModule(): ComparePanelModule {
  installFakeVscode();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the fake is installed
  return require('../../src/extension/comparePanel') as ComparePanelModule;
}

export function loadWebviewShellModule(): WebviewShellModule {
  installFakeVscode();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the fake is installed
  return require('../../src/extension/webviewShell') as WebviewShellModule;
}

export type MatrixPanelModule = typeof import('../../src/extension/matrixPanel');

export function loadMatrixPanelModule(): MatrixPanelModule {
  installFakeVscode();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the fake is installed
  return require('../../src/extension/matrixPanel') as MatrixPanelModule;
}
