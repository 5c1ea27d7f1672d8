// The response panel's page state: what the user did to the panel (UiState) and what the webview keeps across
// hide/show (PanelState), checked on the way back in (the stored state is whatever the webview hands back).

import { isResponseView, type PanelToHost, type ResponseView } from '../../src/protocol/response';
import type { VsCodeApi } from '../shared/vscodeApi';

export type TabId = 'body' | 'headers' | 'request';

/** What the user did to the panel, kept across hide/show (the page is torn down while hidden). */
export interface UiState {
  viewId: string;
  tab: TabId;
  raw: boolean;
  /** Tree nodes whose expansion differs from the default, by index path ("/0/3"). */
  toggled: Record<string, boolean>;
  /** Members shown in paged containers, by index path. */
  shown: Record<string, number>;
  /** Long strings shown in full, by index path. */
  fullStrings: Record<string, true>;
  showBinary: boolean;
  scrollY: number;
}

export interface PanelState {
  v: 1;
  /** Kept only for small responses: restores without a round trip. Large ones come back from the host. */
  view?: ResponseView;
  ui: UiState;
}

/** Views up to this many characters (body + headers) are kept in the webview state. */
const STATE_VIEW_LIMIT = 256 * 1024;

export function freshUi(viewId: string): UiState {
  return { viewId, tab: 'body', raw: false, toggled: {}, shown: {}, fullStrings: {}, showBinary: false, scrollY: 0 };
}

function isRecordOf<T>(x: unknown, check: (v: unknown) => v is T): x is Record<string, T> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every(check);
}
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTrue = (v: unknown): v is true => v === true;

export function isUiState(x: unknown): x is UiState {
  if (typeof x !== 'object' || x === null) return false;
  const u = x as Record<string, unknown>;
  return (
    typeof u.viewId === 'string' &&
    (u.tab === 'body' || u.tab === 'headers' || u.tab === 'request') &&
    isBool(u.raw) &&
    isBool(u.showBinary) &&
    isNum(u.scrollY) &&
    isRecordOf(u.toggled, isBool) &&
    isRecordOf(u.shown, isNum) &&
    isRecordOf(u.fullStrings, isTrue)
  );
}

export function readState(api: VsCodeApi<PanelToHost>): PanelState | undefined {
  const s = api.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const state = s as Record<string, unknown>;
  if (state.v !== 1 || !isUiState(state.ui)) return undefined;
  const out: PanelState = { v: 1, ui: state.ui };
  if (state.view !== undefined && isResponseView(state.view)) out.view = state.view;
  return out;
}

/** The state to keep for a view: its UI always, the view itself only while it is small. */
export function panelState(view: ResponseView, ui: UiState): PanelState {
  const state: PanelState = { v: 1, ui };
  const size = view.body.length + JSON.stringify(view.headers).length + (view.request.body?.length ?? 0);
  if (size <= STATE_VIEW_LIMIT) state.view = view;
  return state;
}
