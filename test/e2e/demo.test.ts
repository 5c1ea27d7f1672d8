// `npm run demo` as a new user meets it: the demo starts (the same startDemo() the script runs), the URL opens
// in a browser, the sandbox comes up by itself, a request of the sample workspace is sent as a principal,
// and stopping the demo leaves no process behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import {
  clearNotifications,
  codeLens,
  onCleanup,
  openFile,
  responseFrame,
  screenshot,
  showBehalf,
  UI_TIMEOUT,
  vsixPath,
  waitForConnection,
  waitForSentAs,
  type Page,
} from './support';

describe('npm run demo', function () {
  this.timeout(6 * UI_TIMEOUT);

  it('serves VS Code with Behalf and the sandbox; a request is sent as Jane; Ctrl+C leaves nothing running', async () => {
    const { startDemo } = await import('../../scripts/demo.mjs');
    const { launchChromium } = await import('../../scripts/code-server.mjs');
    // Port 0: any free port (the demo's 8080 may be in use by a demo someone is running).
    const demo = await startDemo({ port: 0, vsix: await vsixPath(), log: () => undefined });
    const stopDemo = onCleanup(() => demo.stop());
    const browser = await launchChromium({ handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    const closeBrowser = onCleanup(() => browser.close());
    let page: Page | undefined;
    try {
      assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/\?folder=/);
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(demo.url);
      await page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });

      // First run: Behalf starts the sandbox by itself (the workspace's README, the tour, usually opens too:
      // VS Code's "readme" startup editor, not asserted here because VS Code skips it at times).
      await page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'the vendor sandbox runs at' }).waitFor({ timeout: UI_TIMEOUT });
      await showBehalf(page);
      await waitForConnection(page, 'DealCloud (sandbox)');
      assert.ok(fs.existsSync(`${demo.workspace}/behalf.connections.json`), "the connections file was written into the run's copy");

      await openFile(page, 'dealcloud.http');
      await codeLens(page, 'Send as jane').click(); // deals-as-jane: "# @as jane"
      const banner = await waitForSentAs(page, 'Jane Doe');
      assert.match(banner, /DealCloud \(sandbox\)/);
      const frame = await responseFrame(page);
      await frame.getByText('deals-as-jane').first().waitFor({ timeout: UI_TIMEOUT });
      await clearNotifications(page);
      await screenshot(page, 'demo-send-as-jane');

      const running = demo.processes();
      assert.ok(
        running.some((p) => p.command.includes('code-server')),
        'code-server runs',
      );
      assert.ok(
        running.some((p) => p.command.includes('dist/sandbox.js')),
        `the sandbox runs (${running.map((p) => p.command).join('; ')})`,
      );

      await closeBrowser();
      await stopDemo(); // what Ctrl+C does
      assert.deepEqual(demo.processes(), [], 'no process of the demo is left');
      // ps: none of them still runs. (Exited children of code-server wait as zombies, "Z", until init reaps
      // them — on this kind of VM, PID 1 takes its time; a zombie runs nothing and holds no port or file.)
      const ps = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
      const left = ps
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([pid, stat]) => running.some((p) => String(p.pid) === pid) && !stat?.startsWith('Z'));
      assert.deepEqual(left, [], "ps shows none of the demo's processes running");
      assert.ok(!fs.existsSync(demo.workspace), "the run's copy of the workspace is removed");
    } catch (err) {
      if (page) await screenshot(page, 'demo-failed').catch(() => undefined);
      throw err;
    } finally {
      await closeBrowser();
      await stopDemo();
    }
  });
});
