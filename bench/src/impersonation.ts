// Case 4: the engine's impersonation overhead. One process sends `count` GETs through BehalfEngine.sendAs as a
// principal or as the service user, against the vendor sandbox running in another process, and prints one
// JSON line: the time of the loop (first request — token or session start included — to engine.dispose(),
// which stops an Orange Logic session) and what the sandbox said the effective user was.
// Bundled by bench/run.mjs with esbuild into bench/.build/run-<pid>/impersonation.js.
//
//   node bench/.build/run-<pid>/impersonation.js <setup.json> <connectionId> <principalId|-> <mode> <path> <count>
// setup.json: { "connectionsFile": "...", "secrets": { "BEHALF_SECRET_...": "..." } }

import { readFileSync } from 'node:fs';
import { loadConnections } from '../../src/core/connections';
import { BehalfEngine } from '../../src/core/engine';
import type { ActAs, ImpersonationMode } from '../../src/core/model';
import { secretEnvName, type SecretStore } from '../../src/core/ports';
import { allVendors } from '../../src/vendors';

async function main(): Promise<void> {
  const [setupFile, connectionId, principalId, mode, path, countArg] = process.argv.slice(2);
  if (!setupFile || !connectionId || !principalId || !mode || !path || !countArg)
    throw new Error('usage: impersonation.js <setup.json> <connection> <principal|-> <mode> <path> <count>');
  const setup = JSON.parse(readFileSync(setupFile, 'utf8')) as { connectionsFile: string; secrets: Record<string, string> };
  const count = Number(countArg);
  const secrets: SecretStore = {
    get: async (key) => setup.secrets[secretEnvName(key)],
    whereToSet: (key) => `set ${secretEnvName(key)}`,
  };
  const config = loadConnections(setup.connectionsFile);
  const connection = config.connections.find((c) => c.id === connectionId);
  if (!connection) throw new Error(`no connection ${connectionId}`);
  const engine = new BehalfEngine({ vendors: allVendors, secrets, prompt: { confirm: async () => true } });
  const principal = principalId === '-' ? undefined : await engine.resolvePrincipal(connection, principalId);
  const actAs: ActAs = { connection, principal, mode: mode as ImpersonationMode };
  const spec = { method: 'GET', url: path, headers: { Accept: 'application/json' } };

  const effectiveUsers = new Set<string>();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const record = await engine.sendAs(spec, actAs);
    if (record.status !== 200) throw new Error(`request ${i}: ${record.status} ${record.body.slice(0, 200)}`);
    effectiveUsers.add(record.headers['x-sandbox-effective-user'] ?? '?');
  }
  await engine.dispose();
  const loopMs = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ loopMs, count, effectiveUsers: [...effectiveUsers], sentAs: engine.sentAs(actAs).who })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
