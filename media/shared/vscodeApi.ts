// The VS Code webview API as the pages use it (declared here: the pages have no @types/vscode-webview).
// acquireVsCodeApi may be called once per page load; each page's main.ts calls acquire() once.

export interface VsCodeApi<ToHost> {
  postMessage(message: ToHost): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown>;

/** The page's API, typed with the messages its protocol lets it send. */
export function acquire<ToHost>(): VsCodeApi<ToHost> {
  return acquireVsCodeApi() as VsCodeApi<ToHost>;
}

/** Debounced state saving: `soon()` coalesces bursts (scroll, key repeat), `now()` writes at once. */
export function stateSaver(save: () => void, delayMs = 150): { soon(): void; now(): void } {
  let timer: number | undefined;
  return {
    soon(): void {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        save();
      }, delayMs);
    },
    now(): void {
      if (timer !== undefined) window.clearTimeout(timer);
      timer = undefined;
      save();
    },
  };
}
