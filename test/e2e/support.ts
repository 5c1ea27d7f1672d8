// Shared by the end-to-end tests: Behalf installed from its .vsix into code-server, driven through the
// workbench's DOM with playwright-core and Debian's Chromium (see scripts/ui.mjs). Run by scripts/test-e2e.mjs.
//
// The scripts/*.mjs helpers are ES modules with top-level await, which require() cannot load: they are
// imported dynamically (their JSDoc gives the types; playwright's own types are not installed, so pages are
// loosely typed).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DEMO_WORKSPACE = path.join(ROOT, 'demo', 'workspace');

export const loadUi = () => import('../../scripts/ui.mjs');
type Ui = Awaited<ReturnType<typeof loadUi>>;
export type Workbench = Awaited<ReturnType<Ui['openWorkbench']>>;
export type Page = Workbench['page'];

/** UI waits: this machine is shared and slow at times; the workbench needs 5–20 s to show extensions. */
export const UI_TIMEOUT = 60_000;

// --- the packaged extension -------------------------------------------------------------------------------

let packaging: Promise<string> | undefined;

/** The .vsix under test: the one scripts/test-e2e.mjs packaged (BEHALF_E2E_VSIX), else packaged once now. */
export function vsixPath(): Promise<string> {
  const given = process.env['BEHALF_E2E_VSIX'];
  if (given) return Promise.resolve(given);
  packaging ??= (async () => {
    const { packageExtension } = await import('../../scripts/package.mjs');
    const dir = tempDir('behalf-e2e-vsix-');
    return (await packageExtension({ out: path.join(dir, 'behalf.vsix'), quiet: true })).vsix;
  })();
  return packaging;
}

// --- cleanup, also on Ctrl+C --------------------------------------------------------------------------------

const cleanups = new Set<() => Promise<unknown>>();

/** Runs `cleanup` when the test calls the returned function, or on Ctrl+C / SIGTERM if it has not yet. */
export function onCleanup(cleanup: () => Promise<unknown>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const run = () =>
    (done ??= (async () => {
      cleanups.delete(run);
      await cleanup();
    })());
  cleanups.add(run);
  return run;
}

export async function cleanupAll(): Promise<void> {
  await Promise.allSettled([...cleanups].map((c) => c()));
}

/** A temp folder removed at the end of the run. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh copy of the demo workspace without its .vscode settings: the sandbox is not started on open. */
export function copyDemoWorkspace(): string {
  const dir = path.join(tempDir('behalf-e2e-ws-'), 'workspace');
  fs.cpSync(DEMO_WORKSPACE, dir, { recursive: true, filter: (src) => path.basename(src) !== '.vscode' });
  return dir;
}

/** code-server with Behalf installed from the .vsix, the workbench open in headless Chromium. */
export async function openBehalf(workspace?: string): Promise<Workbench> {
  const ui = await loadUi();
  const vscode = await ui.openWorkbench({
    extensions: [await vsixPath()],
    workspace,
    settings: { 'editor.minimap.enabled': false }, // tidier screenshots
    // The runner stops everything itself on Ctrl+C; Playwright's own handler would exit first.
    launch: { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false },
  });
  const close = onCleanup(() => vscode.close());
  return { ...vscode, close };
}

/** Saves test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  return (await loadUi()).screenshot(page, name);
}

// --- the workbench ------------------------------------------------------------------------------------------

/** Shows the Behalf view container (activity bar) and returns the Connections pane. */
export async function showBehalf(page: Page) {
  const pane = connectionsPane(page);
  if (!(await pane.isVisible())) {
    const icon = page.locator('.part.activitybar a[aria-label^="Behalf"]');
    await icon.waitFor({ timeout: UI_TIMEOUT });
    await icon.click();
  }
  await pane.waitFor({ timeout: UI_TIMEOUT });
  return pane;
}

/** Drags the side bar's edge so that it is `width` px wide (the tree's descriptions fit in screenshots). */
export async function widenSideBar(page: Page, width = 460): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

export function connectionsPane(page: Page) {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Connections' }) });
}

/** Waits until the Connections tree lists `connectionLabel` (e.g. once the sandbox has started). */
export async function waitForConnection(page: Page, connectionLabel: string): Promise<void> {
  await connectionsPane(page).locator(`.monaco-list-row[aria-label^="${connectionLabel},"]`).waitFor({ timeout: UI_TIMEOUT });
}

/**
 * The tree row of principal `name` under connection `connectionLabel` (several connections have a "Jane Doe").
 * Rows carry their accessibility labels: "DealCloud (sandbox), dealcloud connection", "Principal Jane Doe, …".
 * The tree renders only the rows in view: it is scrolled from the top until the row is there.
 */
export async function principalRow(page: Page, connectionLabel: string, name: string) {
  const pane = connectionsPane(page);
  const list = pane.locator('.monaco-list').first();
  const seen = new Map<number, Row>(); // data-index → row, over every scroll position
  await list.hover();
  await page.mouse.wheel(0, -100_000);
  for (let attempt = 0; attempt < 30; attempt++) {
    const rendered = await settledRows(page);
    for (const row of rendered) seen.set(Number(row.index), row);
    const rows = [...seen.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
    const at = rows.findIndex((r) => r.level === '1' && r.label.startsWith(`${connectionLabel},`));
    if (at >= 0) {
      const next = rows.slice(at + 1);
      const end = next.findIndex((r) => r.level === '1');
      const row = (end < 0 ? next : next.slice(0, end)).find((r) => r.level === '2' && r.label.startsWith(`Principal ${name}`));
      if (row && rendered.some((r) => r.index === row.index)) return pane.locator(`.monaco-list-row[data-index="${row.index}"]`);
      if (end >= 0 && !row) break; // the connection's rows are all seen: no such principal
    }
    await list.hover();
    await page.mouse.wheel(0, 150);
  }
  throw new Error(
    `no principal "${name}" under "${connectionLabel}" in the Connections view (rows seen: ${[...seen.values()].map((r) => r.label).join(' | ')})`,
  );
}

type Row = { index: string; level: string; label: string };

/**
 * The Connections tree's rows, once two reads 300 ms apart agree: while the sandbox writes its connections one
 * by one, the tree re-renders and a row's index can change between reading it and clicking it.
 */
async function settledRows(page: Page): Promise<Row[]> {
  const read = async (): Promise<Row[]> => {
    const rows: Row[] = await connectionsPane(page)
      .locator('.monaco-list-row')
      .evaluateAll((els: Array<{ getAttribute(name: string): string | null }>) =>
        els.map((e) => ({ index: e.getAttribute('data-index') ?? '', level: e.getAttribute('aria-level') ?? '', label: e.getAttribute('aria-label') ?? '' })),
      );
    return rows.sort((a, b) => Number(a.index) - Number(b.index));
  };
  const deadline = Date.now() + UI_TIMEOUT;
  let last = await read();
  for (;;) {
    await page.waitForTimeout(300);
    const now = await read();
    if (JSON.stringify(now) === JSON.stringify(last) || Date.now() > deadline) return now;
    last = now;
  }
}

/** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor tab. */
export async function openFile(page: Page, name: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('Control+P');
  await widget.locator('.quick-input-box input').fill(name);
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: UI_TIMEOUT });
  await page.keyboard.press('Enter');
  await page.locator('.editor-group-container.active .tabs-container .tab.active', { hasText: name }).waitFor({ timeout: UI_TIMEOUT });
}

/** Brings the first editor group's tab of `name` to the front (Quick Open would open it in the active group). */
export async function focusTab(page: Page, name: string): Promise<void> {
  await page.locator('.tabs-container .tab', { hasText: name }).first().click();
  await page.locator('.editor-group-container.active .tabs-container .tab.active', { hasText: name }).waitFor({ timeout: UI_TIMEOUT });
}

/** Clicks the first line of the active editor that contains `text` (puts the cursor in that request). */
export async function clickEditorLine(page: Page, text: string): Promise<void> {
  await page.locator('.editor-group-container.active .monaco-editor .view-line', { hasText: text }).first().click();
}

/** The first CodeLens of the active editor with this text ("Send as user…", "Send as jane"). */
export function codeLens(page: Page, text: string) {
  return page.locator('.editor-group-container.active .monaco-editor .codelens-decoration a', { hasText: text }).first();
}

/** Right-clicks `target` and picks `item` from the context menu. */
export async function contextMenu(
  page: Page,
  target: { click: (options: object) => Promise<void> },
  item: string,
  { before }: { before?: () => Promise<unknown> } = {},
): Promise<void> {
  await target.click({ button: 'right' });
  const entry = page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
  await entry.waitFor({ timeout: UI_TIMEOUT });
  await entry.hover();
  // The menu fades in: a screenshot taken now would catch it half transparent.
  await page.waitForFunction(() => {
    const view = (
      globalThis as unknown as { document: { querySelector(s: string): { getAnimations(o: object): Array<{ playState: string }> } | null } }
    ).document.querySelector('.context-view');
    return !view || view.getAnimations({ subtree: true }).every((a) => a.playState !== 'running');
  });
  await before?.();
  await entry.click();
}

/** The response panel's page (iframe.webview → #active-frame). */
export async function responseFrame(page: Page) {
  return (await loadUi()).webviewFrame(page);
}

/** Waits until the response panel's banner says "Sent as <who>…"; returns the banner's text. */
export async function waitForSentAs(page: Page, who: string): Promise<string> {
  const frame = await responseFrame(page);
  // The page replaces its content per response: wait for the banner of this one.
  const banner = frame.locator('.banner', { hasText: new RegExp(`^\\s*Sent as ${escapeRegExp(who)}`) }).first();
  await banner.waitFor({ timeout: UI_TIMEOUT });
  return banner.innerText();
}

/**
 * The Behalf identity item in the status bar: its accessible name is "Behalf: acting as <who>, <mode> mode, on
 * <connection>" (Behalf's transient status messages also start with "Behalf:").
 */
export function identityStatusItem(page: Page) {
  return page.locator('.part.statusbar .statusbar-item-label[aria-label^="Behalf: acting as"]');
}

/** Clears notification toasts so they stay out of screenshots. */
export async function clearNotifications(page: Page): Promise<void> {
  await (await loadUi()).runCommand(page, 'Notifications: Clear All Notifications');
  await page
    .locator('.notifications-toasts .notification-toast')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
