// Behalf's UI in a real VS Code (code-server + Chromium), installed from its .vsix, driven like a user would:
// the welcome button, the Connections tree's context menu, the response panel, the status bar, the CodeLens.
// One workbench for the whole suite; the tests run in order and build on each other.
import assert from 'node:assert/strict';
import {
  clearNotifications,
  clickEditorLine,
  codeLens,
  contextMenu,
  copyDemoWorkspace,
  focusTab,
  identityStatusItem,
  openBehalf,
  openFile,
  principalRow,
  responseFrame,
  screenshot,
  showBehalf,
  UI_TIMEOUT,
  waitForConnection,
  waitForSentAs,
  widenSideBar,
  type Page,
  type Workbench,
} from './support';

describe('Behalf UI (installed from the .vsix)', function () {
  this.timeout(4 * UI_TIMEOUT);
  let vscode: Workbench;
  let page: Page;

  before(async () => {
    // The demo's files without its settings: here the sandbox is started by hand.
    vscode = await openBehalf(copyDemoWorkspace());
    page = vscode.page;
  });

  after(async () => {
    await vscode?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) await screenshot(page, `ui-failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  it("starts the vendor sandbox from the Connections view's welcome button", async () => {
    const pane = await showBehalf(page);
    await widenSideBar(page);
    // Room for the whole tree in the screenshots: fold the (empty) Sessions view.
    const sessions = page.locator('.pane-header[aria-expanded="true"]', { hasText: 'Sessions' });
    if (await sessions.isVisible()) await sessions.click();
    await pane.locator('.welcome-view-content .monaco-button', { hasText: 'Try with the Vendor Sandbox' }).click();
    await page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'the vendor sandbox runs at' }).waitFor({ timeout: UI_TIMEOUT });
    // The notification comes once every connection is written; the tree shows them.
    await waitForConnection(page, 'DealCloud (sandbox)');
    await (await principalRow(page, 'Orange Logic (sandbox)', 'Jane Doe')).waitFor();
    await (await principalRow(page, 'DealCloud (sandbox)', 'Jane Doe')).waitFor();
  });

  it('right-click a principal → "Send Current Request as This User": the response says "Sent as Jane Doe"', async () => {
    await openFile(page, 'dealcloud.http');
    // The cursor in deals-as-service, a request with no "# @as" of its own.
    await clickEditorLine(page, 'GET /api/rest/v4/data/entrydata/rows/{{entryType}}');
    await clearNotifications(page);
    const jane = await principalRow(page, 'DealCloud (sandbox)', 'Jane Doe');
    await contextMenu(page, jane, 'Send Current Request as This User', { before: () => screenshot(page, 'ui-principal-context-menu') });
    const banner = await waitForSentAs(page, 'Jane Doe');
    assert.match(banner, /Sent as Jane Doe <jane@acme\.test> \(6045\)/);
    assert.match(banner, /DealCloud \(sandbox\)/);
    // AS-USER: 6045 — Jane's deals (Borealis is hers only), not Raj's (Cedar). The raw body shows them all.
    const frame = await responseFrame(page);
    await frame.getByText('200 OK').first().waitFor();
    await frame.getByRole('button', { name: 'Raw' }).click();
    await frame
      .getByText(/Project Borealis/)
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await frame.getByText(/Project Cedar/).count(), 0, "Raj's deal is not in Jane's answer");
    await screenshot(page, 'ui-send-as-this-user');
  });

  it('clicking the status bar identity opens a menu whose first item switches Orange Logic between lite and full', async () => {
    // A click on a principal makes it the active identity; Orange Logic starts in its default mode, lite.
    await (await principalRow(page, 'Orange Logic (sandbox)', 'Jane Doe')).click();
    const item = identityStatusItem(page);
    const showing = (mode: string) =>
      page.locator(`.part.statusbar .statusbar-item-label[aria-label^="Behalf: acting as Jane Doe, ${mode} mode, on Orange Logic (sandbox)"]`, {
        hasText: `Jane Doe · ${mode}`,
      });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await showing('lite').waitFor({ timeout: UI_TIMEOUT });
    await item.click();
    // The menu: "Switch to full" first (and focused: Enter picks it), then the principals, Jane marked current.
    await rows.filter({ hasText: 'Switch to full' }).first().waitFor({ timeout: UI_TIMEOUT });
    const texts: string[] = await rows.allInnerTexts();
    assert.match(texts[0], /Switch to full/);
    assert.ok(
      texts.some((t) => t.includes('Jane Doe') && t.includes('current')),
      `Jane Doe marked current (rows: ${texts.join(' | ')})`,
    );
    assert.ok(
      texts.some((t) => t.includes('Act as the service user')),
      'the service user is offered',
    );
    await screenshot(page, 'ui-status-bar-menu');
    await page.keyboard.press('Enter');
    await showing('full').waitFor({ timeout: UI_TIMEOUT });
    // The tooltip says whom and how the next request is sent as (hovering needs the mouse to come back).
    await page.mouse.move(700, 400);
    await item.hover();
    await page.locator('.workbench-hover', { hasText: 'Mode: full' }).waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'ui-status-bar-full');
    await page.mouse.move(700, 400);
    await item.click();
    await rows.filter({ hasText: 'Switch to lite' }).first().click();
    await showing('lite').waitFor({ timeout: UI_TIMEOUT });
  });

  it('the "Send as user…" CodeLens lists the principals with name, email and id, and sends as the one picked', async () => {
    await focusTab(page, 'dealcloud.http');
    await page.mouse.move(0, 0); // no hover left over from the status bar
    await codeLens(page, 'Send as user…').click();
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Raj Patel' }).first().waitFor({ timeout: UI_TIMEOUT });
    const texts: string[] = await rows.allInnerTexts();
    const jane = texts.find((t) => t.includes('Jane Doe'));
    assert.ok(jane, `Jane Doe offered (rows: ${texts.join(' | ')})`);
    assert.match(jane, /jane@acme\.test/);
    assert.match(jane, /id jane/);
    assert.match(jane, /user 6045/);
    assert.ok(
      texts.some((t) => t.includes('Service user (yourself)')),
      'the service user is offered too',
    );
    await screenshot(page, 'ui-send-as-user-quickpick');
    await page.locator('.quick-input-widget .quick-input-box input').fill('raj');
    await rows.filter({ hasText: 'Raj Patel' }).first().waitFor();
    await page.keyboard.press('Enter');
    await waitForSentAs(page, 'Raj Patel');
  });
});
