// `npm run test:integration`: the integration suite inside a real VS Code (code-server + Chromium here),
// on a fresh copy of test/integration/workspace so the run never writes into the repository.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIntegrationTests } from './build-tests.mjs';
import { runVSCodeTests } from './run-vscode-tests.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { index } = await buildIntegrationTests();
const workspace = mkdtempSync(join(tmpdir(), 'behalf-it-'));
cpSync(join(ROOT, 'test', 'integration', 'workspace'), workspace, { recursive: true });
try {
  process.exitCode = await runVSCodeTests({ extension: ROOT, tests: index, workspace });
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
