// Shared by the integration suites: they run in one extension host, each starting Behalf and its sandbox
// (idempotent), and talk to the sandbox's control API to see what it received.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'behalf-dev.behalf';

/** Activate Behalf and start the vendor sandbox through its command; returns the API and the sandbox URL. */
export async function startBehalf(): Promise<{ api: BehalfApi; sandboxUrl: string }> {
  const extension = vscode.extensions.getExtension<BehalfApi>(EXTENSION_ID);
  assert.ok(extension, 'the extension is installed');
  const api = await extension.activate();
  await vscode.commands.executeCommand('behalf.startSandbox');
  assert.ok(api.services.sandbox.url, 'the sandbox started');
  return { api, sandboxUrl: api.services.sandbox.url };
}

/** GET (or `init`) a sandbox control route such as `log` or `state`. */
export async function sandboxControl<T>(sandboxUrl: string, route: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${sandboxUrl}/__sandbox/${route}`, init);
  return (await res.json()) as T;
}

export async function openSessions(sandboxUrl: string): Promise<number> {
  return (await sandboxControl<{ openSessions: number }>(sandboxUrl, 'state')).openSessions;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}
