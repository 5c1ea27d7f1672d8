// The packaged extension: what `npm run package` puts in the .vsix installs with code-server's
// --install-extension, holds what the extension needs and nothing else, and activates in the workbench.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openBehalf, ROOT, screenshot, tempDir, UI_TIMEOUT, vsixPath, type Page, type Workbench } from './support';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string; icon?: string };
const EXTENSION_FOLDER = `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase();

function filesUnder(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

describe('the packaged extension (.vsix)', function () {
  this.timeout(4 * UI_TIMEOUT);

  it('is small and installs with code-server --install-extension, holding only what the extension needs', async () => {
    const vsix = await vsixPath();
    const size = fs.statSync(vsix).size;
    assert.ok(size < 2 * 1024 * 1024, `the .vsix is ${(size / 1024).toFixed(0)} KiB`);

    const { codeServerBin, node24Path } = await import('../../scripts/tools.mjs');
    const dir = tempDir('behalf-e2e-install-');
    const extensionsDir = path.join(dir, 'extensions');
    const r = spawnSync(
      node24Path(),
      [codeServerBin(), '--user-data-dir', path.join(dir, 'user-data'), '--extensions-dir', extensionsDir, '--install-extension', vsix],
      {
        encoding: 'utf8',
        env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg') },
      },
    );
    assert.equal(r.status, 0, `--install-extension failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /was successfully installed/);

    const files = filesUnder(path.join(extensionsDir, EXTENSION_FOLDER));
    for (const needed of [
      'package.json',
      'dist/extension.js',
      'dist/extension-main.js',
      'dist/extension-extras.js',
      'dist/xpathQuery.js',
      'dist/proxyAgents.js',
      'dist/sandbox.js',
      'dist/webviews/response.js',
      'media/behalf.svg',
      'media/response/response.css',
      'schemas/connections.schema.json',
      'media/http/language-configuration.json',
      'media/http/http.tmLanguage.json',
      manifest.icon ?? 'media/icon.png',
    ]) {
      assert.ok(files.includes(needed), `${needed} is installed (got: ${files.join(', ')})`);
    }
    for (const walkthrough of ['connect', 'send-as', 'mode', 'history', 'compare', 'search'])
      assert.ok(files.includes(`media/walkthrough/${walkthrough}.md`), `walkthrough ${walkthrough}`);
    const unwanted = files.filter((f) => /(^|\/)node_modules\/|\.ts$|\.map$|^src\/|^test\/|^scripts\/|tsconfig/.test(f));
    assert.deepEqual(unwanted, [], 'no sources, source maps, tests or node_modules in the package');
  });

  describe('installed in VS Code', () => {
    let vscode: Workbench;
    let page: Page;

    before(async () => {
      vscode = await openBehalf(); // an empty folder: nothing of Behalf's is there yet
      page = vscode.page;
    });

    after(async () => {
      await vscode?.close();
    });

    it('shows the Behalf view container with its welcome content', async () => {
      const icon = page.locator('.part.activitybar a[aria-label^="Behalf"]');
      await icon.waitFor({ timeout: UI_TIMEOUT });
      await icon.click();
      await page.locator('.welcome-view-content .monaco-button', { hasText: 'Try with the Vendor Sandbox' }).waitFor({ timeout: UI_TIMEOUT });
      await page.locator('.welcome-view-content .monaco-button', { hasText: 'Add Connection' }).waitFor();
    });

    it('activates: a Behalf command runs from the palette', async () => {
      const ui = await import('../../scripts/ui.mjs');
      await ui.runCommand(page, 'Behalf: Toggle Lite / Full Impersonation');
      // The extension answered: there is no connection to toggle yet.
      await ui.waitForNotification(page, 'Behalf: add a connection first', { timeout: UI_TIMEOUT });
      await screenshot(page, 'package-activated');
    });

    it('runs a command of the part loaded on first use (dist/extension-extras.js) from the package', async () => {
      const ui = await import('../../scripts/ui.mjs');
      await ui.runCommand(page, 'Behalf: Check Connection');
      // Check Connection lives in the lazily loaded bundle: its own answer means that bundle loaded and linked.
      await ui.waitForNotification(page, 'No connections yet: add one with', { timeout: UI_TIMEOUT });
    });

    it('contributes the "Get Started with Behalf" walkthrough', async () => {
      // "Open Walkthrough..." asks which walkthrough in a second quick pick (runCommand waits for the first to close).
      const widget = page.locator('.quick-input-widget');
      const input = widget.locator('.quick-input-box input');
      await page.keyboard.press('F1');
      await input.fill('>Welcome: Open Walkthrough');
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Open Walkthrough' }).first().waitFor({ timeout: UI_TIMEOUT });
      await page.keyboard.press('Enter');
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with Behalf' }).first().click({ timeout: UI_TIMEOUT });
      for (const step of [
        'Start the sandbox or add a connection',
        'Send a request as a user',
        'Switch lite ⇄ full impersonation',
        "Open an asset's history",
        'Compare two users',
        'Search as a user',
      ]) {
        await page.locator('.gettingStartedContainer', { hasText: step }).first().waitFor({ timeout: UI_TIMEOUT });
      }
      // The selected step's markdown (media/walkthrough/connect.md) renders in a webview beside the steps.
      const media = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await media.getByText('Connect to a vendor').first().waitFor({ timeout: UI_TIMEOUT });
      await page.keyboard.press('Control+B'); // more room: hide the side bar
      await page.waitForTimeout(1000); // the webview paints its content a moment after it is in the DOM
      await screenshot(page, 'package-walkthrough');
    });
  });
});
