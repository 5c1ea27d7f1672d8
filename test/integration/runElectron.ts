// Desktop launcher: runs the compiled integration suite in a desktop VS Code through @vscode/test-electron.
// Headless boxes without a VS Code download (CI here) use scripts/run-vscode-tests.mjs instead; both load the
// same test index (out/integration/index.js).
//
//   npm run build && node scripts/build-tests.mjs
//   VSCODE_EXECUTABLE_PATH=/path/to/code node out/integration/runElectron.js \
//     [--extension <ext root>] [--tests <compiled index.js>] [--workspace <folder>] [--env '{"K":"V"}']
//
// Defaults: the extension is the current folder, the tests are out/integration/index.js next to this file.
// Without VSCODE_EXECUTABLE_PATH, @vscode/test-electron downloads VS Code (needs access to update.code.visualstudio.com).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      extension: { type: 'string' },
      tests: { type: 'string' },
      workspace: { type: 'string' },
      env: { type: 'string' },
    },
  });
  const extensionTestsEnv = values.env ? (JSON.parse(values.env) as Record<string, string>) : undefined;
  const launchArgs = ['--disable-extensions', '--disable-workspace-trust'];
  if (values.workspace) launchArgs.unshift(path.resolve(values.workspace));

  try {
    await runTests({
      extensionDevelopmentPath: path.resolve(values.extension ?? '.'),
      extensionTestsPath: path.resolve(values.tests ?? path.join(__dirname, 'index.js')),
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH,
      extensionTestsEnv,
      launchArgs,
    });
    return 0;
  } catch (err) {
    console.error(`runElectron: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
