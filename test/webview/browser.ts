// Finds playwright-core (not a project dependency: scripts/tools.mjs installs it into a tools cache) and
// launches Debian's Chromium headless. Only the slice of Playwright's API the webview tests use is typed here.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface PwRequest {
  url(): string;
}

export interface PwRoute {
  request(): PwRequest;
  fulfill(response: { status?: number; contentType?: string; headers?: Record<string, string>; body: string | Buffer }): Promise<void>;
  abort(): Promise<void>;
}

export interface PwLocator {
  click(options?: { timeout?: number }): Promise<void>;
  press(key: string): Promise<void>;
  focus(): Promise<void>;
  textContent(): Promise<string | null>;
  getAttribute(name: string): Promise<string | null>;
  count(): Promise<number>;
  isVisible(): Promise<boolean>;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  first(): PwLocator;
  last(): PwLocator;
  nth(index: number): PwLocator;
  locator(selector: string): PwLocator;
}

export interface PwPage {
  goto(url: string, options?: { waitUntil?: 'load' | 'domcontentloaded' }): Promise<unknown>;
  reload(options?: { waitUntil?: 'load' | 'domcontentloaded' }): Promise<unknown>;
  route(url: string, handler: (route: PwRoute) => Promise<void>): Promise<void>;
  addInitScript(script: string): Promise<unknown>;
  exposeFunction(name: string, callback: (arg: unknown) => unknown): Promise<void>;
  /** Evaluates an expression (a string, so these tests need no DOM typings); awaits a returned promise. */
  evaluate(expression: string): Promise<unknown>;
  locator(selector: string): PwLocator;
  keyboard: { press(key: string): Promise<void> };
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  screenshot(options: { path?: string; fullPage?: boolean }): Promise<Buffer>;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  close(): Promise<void>;
}

export interface PwBrowser {
  newPage(options?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number; colorScheme?: 'light' | 'dark' }): Promise<PwPage>;
  close(): Promise<void>;
}

interface PlaywrightCore {
  chromium: {
    launch(options: { executablePath: string; headless: boolean; args: string[]; timeout?: number }): Promise<PwBrowser>;
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where playwright-core may live, in order of preference; `ready` is false for an unfinished install. */
export function playwrightCandidates(): Array<{ dir: string; ready: boolean }> {
  const candidates: Array<{ dir: string; ready: boolean }> = [];
  const env = process.env.BEHALF_PLAYWRIGHT_CORE;
  if (env) candidates.push({ dir: env, ready: true });
  // scripts/tools.mjs writes its marker only once an install has finished.
  const toolDir = join(process.env.BEHALF_TOOLS_DIR || join(homedir(), '.cache', 'behalf-tools'), 'playwright-core');
  candidates.push({ dir: join(toolDir, 'node_modules', 'playwright-core'), ready: existsSync(join(toolDir, '.behalf-tool.json')) });
  candidates.push({ dir: '/tmp/pw/node_modules/playwright-core', ready: true });
  return candidates;
}

export function loadPlaywrightCore(): PlaywrightCore {
  const problems: string[] = [];
  for (const { dir, ready } of playwrightCandidates()) {
    if (!existsSync(join(dir, 'package.json'))) {
      problems.push(`${dir}: not there`);
      continue;
    }
    if (!ready) {
      problems.push(`${dir}: install not finished`);
      continue;
    }
    try {
      const loaded: unknown = createRequire(join(dir, 'package.json'))(dir);
      if (typeof loaded === 'object' && loaded !== null && 'chromium' in loaded) return loaded as PlaywrightCore;
      problems.push(`${dir}: not playwright-core`);
    } catch (error) {
      problems.push(`${dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(
    `playwright-core was not found (${problems.join('; ')}). Run \`node scripts/tools.mjs ensure\` to install it and ` +
      'Chromium into the tools cache, or point BEHALF_PLAYWRIGHT_CORE at a playwright-core folder.',
  );
}

export function chromiumExecutable(): string {
  const path = process.env.BEHALF_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium was not found at ${path}. Run \`node scripts/tools.mjs ensure\` (installs Debian's chromium), or set BEHALF_CHROMIUM.`);
  }
  return path;
}

export async function launchChromium(): Promise<PwBrowser> {
  const pw = loadPlaywrightCore();
  return pw.chromium.launch({ executablePath: chromiumExecutable(), headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * Polls `expression` until it is truthy. (Not page.waitForFunction: with a string predicate Playwright compiles
 * it inside the page, which the panel's CSP rightly refuses as eval.)
 */
export async function until(page: PwPage, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(`!!(${expression})`)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
