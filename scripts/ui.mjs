// Helpers for Playwright UI tests of an installed extension in a real VS Code (code-server + headless Chromium).
//
//   import { openWorkbench, runCommand, openView, waitForNotification, screenshot } from '../../scripts/ui.mjs';
//   const vscode = await openWorkbench({ extensions: ['/abs/ext-folder-or.vsix'], workspace: '/abs/folder' });
//   try {
//     await runCommand(vscode.page, 'Hello: Ping');
//     await waitForNotification(vscode.page, 'Hello: pong');
//     await screenshot(vscode.page, 'hello');            // -> test-results/hello.png
//   } finally {
//     await vscode.close();
//   }
//
// Unlike scripts/run-vscode-tests.mjs, the server runs WITHOUT the smoke-test driver: with it, VS Code hides
// notification toasts. The extension is installed like a user would have it (from a .vsix, or an extension
// folder copied into the extensions dir), not loaded as a development extension.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, startCodeServer } from './code-server.mjs';
import { ensureTools } from './tools.mjs';

export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

/** Settings that keep first-run chrome (welcome page, tips, update and gallery checks) out of the pictures. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Starts code-server with the given extensions installed, opens the workbench in headless Chromium and waits
 * for it to be ready.
 *
 * @param {object} [options]
 * @param {string[]} [options.extensions] .vsix files or extension folders (absolute or relative to cwd)
 * @param {string} [options.workspace] folder to open; a fresh empty temp folder when omitted
 * @param {Record<string, unknown>} [options.settings] user settings, on top of QUIET_SETTINGS
 * @param {Record<string, string>} [options.env] environment of the server and so of the extension host
 * @param {{ width: number, height: number }} [options.viewport]
 * @param {Record<string, unknown>} [options.launch] more options for launchChromium (Playwright LaunchOptions), e.g.
 *   `{ handleSIGINT: false }` when the caller stops everything itself on Ctrl+C
 * @returns {Promise<{ page: import('playwright-core').Page, browser: import('playwright-core').Browser,
 *   url: string, close: () => Promise<void> }>}
 */
export async function openWorkbench({ extensions = [], workspace, settings = {}, env, viewport = { width: 1400, height: 900 }, launch = {} } = {}) {
  await ensureTools({ quiet: true });
  const server = await startCodeServer({
    installExtensions: extensions.map((e) => resolve(e)),
    settings: { ...QUIET_SETTINGS, ...settings },
    env,
  });
  let browser;
  const close = async () => {
    await browser?.close().catch(() => {});
    await server.stop();
  };
  try {
    browser = await launchChromium(launch);
    const page = await browser.newPage({ viewport });
    await page.goto(`${server.url}/?${new URLSearchParams({ folder: resolve(workspace ?? server.scratchDir) })}`);
    // Extensions may still be loading after this; runCommand and openView wait for what they need.
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return { page, browser, url: server.url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Runs a command from the F1 palette by its title as shown there (e.g. 'Hello: Ping'). */
export async function runCommand(page, title, { timeout = 30_000 } = {}) {
  await pickFromQuickInput(page, `>${title}`, title, timeout);
}

/**
 * Shows a view by its name (the pane header's title, e.g. 'Hello View') and expands it. Uses the header when
 * it is on screen, else the palette's "view " quick access, which finds views in any container.
 * @returns the view's pane (header and body) as a locator
 */
export async function openView(page, name, { timeout = 30_000 } = {}) {
  const header = page.locator('.pane-header', { hasText: name }).first();
  if (!(await header.isVisible())) {
    await pickFromQuickInput(page, `view ${name}`, name, timeout);
    await header.waitFor({ timeout });
  }
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return page.locator('.pane', { has: header });
}

/**
 * Types `text` into the quick input (opened with F1) and accepts the first row once it shows `rowText`, so
 * that a slow filter does not pick something else. Right after the workbench opens, the extensions'
 * contributions may not be registered yet and the list stays empty ("No matching commands"): the quick
 * input is then closed and opened again, until `timeout`.
 */
async function pickFromQuickInput(page, text, rowText, timeout) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const match = widget.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: rowText });
  const deadline = Date.now() + timeout;
  for (;;) {
    if (!(await input.isVisible())) {
      await page.keyboard.press('F1');
      await input.waitFor({ timeout });
    }
    await input.fill(text);
    try {
      await match.waitFor({ timeout: Math.max(1, Math.min(2000, deadline - Date.now())) });
      break;
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`"${rowText}" not offered for "${text}" within ${timeout / 1000}s`, { cause: err });
      await page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout }); // it fades out: typing into it now would be lost
      await page.waitForTimeout(500);
    }
  }
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout });
}

/** Texts of the notification toasts on screen now. */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
}

/** Waits for a notification toast whose text contains `text` (string) or matches it (RegExp); returns its text. */
export async function waitForNotification(page, text, { timeout = 15_000 } = {}) {
  const toast = page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
  await toast.waitFor({ timeout });
  return toast.innerText();
}

/**
 * The content frame of the active webview (VS Code nests it: iframe.webview > iframe#active-frame).
 * @returns {import('playwright-core').FrameLocator}
 */
export function webviewFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Saves a PNG of the page to test-results/<name>.png (or `dir`) and returns its path. */
export async function screenshot(page, name, { dir = RESULTS_DIR, fullPage = false } = {}) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
