// The view types of Behalf's webview panels, in one place: the shell registers a serializer for each (extension.ts),
// main.ts revives the response panel and hands the others to the extras chunk, and each panel opens with its own.
// A module of constants only, so that the shell and main can name a panel without loading it.
export const PANEL_VIEW_TYPES = {
  response: 'behalf.response',
  history: 'behalf.history',
  compare: 'behalf.compare',
  matrix: 'behalf.matrix',
} as const;
