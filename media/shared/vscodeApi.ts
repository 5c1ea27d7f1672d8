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
  return acquireVsCodeApi();
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

/**
 * The page side of the protocol every panel shares: show each view the host sends (after checking it), and
 * report the scroll position so it can be saved and restored when the panel comes back.
 */
export function onHostViews<V>(
  isShow: (message: unknown) => message is { type: 'show'; view: V },
  show: (view: V) => void,
  onScroll: (scrollY: number) => void,
): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isShow(event.data)) show(event.data.view);
  });
  window.addEventListener('scroll', () => onScroll(Math.round(window.scrollY)), { passive: true });
}
