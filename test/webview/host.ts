// Loads the response panel's host module with the fake 'vscode' in place.

import { installFakeVscode } from './fakeVscode';

export type ResponsePanelModule = typeof import('../../src/extension/responsePanel');

export function loadResponsePanelModule(): ResponsePanelModule {
  installFakeVscode();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the fake is installed
  return require('../../src/extension/responsePanel') as ResponsePanelModule;
}
