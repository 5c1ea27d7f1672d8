// Cases 1 and 2, for reference next to the CLI: the same loop as bench/clients/axios.cjs, through Behalf's
// pipeline (BehalfEngine.sendAs: guard, authorize, transport, redaction, record) without the CLI around it
// (no connections file to load and validate, no .http file to parse, no output). Bundled by bench/run.mjs into
// bench/.build/run-<pid>/engine-loop.js with the CLI's esbuild settings.
//   node bench/.build/run-<pid>/engine-loop.js <url> <count> [bodyFile]   (GET without bodyFile, POST with it)

import { readFileSync } from 'node:fs';
import { BehalfEngine } from '../../src/core/engine';
import type { Connection, RequestSpec } from '../../src/core/model';
import { allVendors } from '../../src/vendors';

async function main(): Promise<void> {
  const [url, countArg, bodyFile] = process.argv.slice(2);
  if (!url || !countArg) throw new Error('usage: engine-loop.js <url> <count> [bodyFile]');
  const count = Number(countArg);
  const body = bodyFile ? readFileSync(bodyFile, 'utf8') : undefined;
  const connection: Connection = { id: 'bench', vendor: 'generic', label: 'Bench server', baseUrl: new URL(url).origin, auth: 'none', principals: [] };
  const engine = new BehalfEngine({
    vendors: allVendors,
    secrets: { get: async () => undefined, whereToSet: () => '' },
    prompt: { confirm: async () => true },
  });
  const spec: RequestSpec = body ? { method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body } : { method: 'GET', url, headers: {} };
  for (let i = 0; i < count; i++) {
    const record = await engine.sendAs(spec, { connection, mode: 'full' });
    if (record.status !== 200) throw new Error(`status ${record.status}`);
  }
  await engine.dispose();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
