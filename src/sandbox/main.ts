// `npm run sandbox` (dist/sandbox.js, or `npx tsx src/sandbox/main.ts`): starts the vendor sandbox, prints
// its URLs and test credentials, writes a connections file and an env file next to each other, and closes
// cleanly on Ctrl+C.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { secretEnvName } from '../core/ports';
import { type Sandbox, startSandbox } from './index';

const USAGE = `Usage: behalf-sandbox [--port 7400] [--host 127.0.0.1] [--out .behalf-sandbox] [--machine]

Starts local doubles of DealCloud, Orange Logic, Creative Force and a generic OAuth2 server, and writes
<out>/behalf.connections.json and <out>/sandbox.env (the sandbox's public test credentials).`;

interface Args {
  port: number;
  host: string;
  out: string;
  /** For another program (the extension): one JSON line on stdout, no files written. */
  machine: boolean;
}

function parseArgs(argv: string[]): Args | 'help' {
  const args: Args = { port: 7400, host: '127.0.0.1', out: '.behalf-sandbox', machine: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value.`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be an integer between 0 and 65535.');
        args.port = port;
        break;
      }
      case '--host':
        args.host = value();
        break;
      case '--out':
        args.out = value();
        break;
      case '--machine':
        args.machine = true;
        break;
      case '-h':
      case '--help':
        return 'help';
      default:
        throw new Error(`Unknown argument ${argv[i]}.`);
    }
  }
  return args;
}

/** A line of a POSIX shell script that exports `value` safely, whatever it contains. */
function exportLine(name: string, value: string): string {
  const quoted = /^[A-Za-z0-9._\-/:@]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
  return `export ${name}=${quoted}`;
}

async function writeOutputs(sandbox: Sandbox, out: string): Promise<{ connectionsPath: string; envPath: string }> {
  await mkdir(out, { recursive: true });
  const connectionsPath = path.join(out, 'behalf.connections.json');
  const envPath = path.join(out, 'sandbox.env');
  await writeFile(connectionsPath, `${JSON.stringify(sandbox.connectionsFile(), null, 2)}\n`);
  const env = Object.entries(sandbox.secretsEnv()).map(([name, value]) => exportLine(name, value));
  await writeFile(envPath, `# Public test credentials of the Behalf vendor sandbox at ${sandbox.url}\n${env.join('\n')}\n`);
  return { connectionsPath, envPath };
}

function describe(sandbox: Sandbox, files: { connectionsPath: string; envPath: string }): string {
  const pad = (text: string, width: number) => text.padEnd(width);
  const env = sandbox.secretsEnv();
  const lines = [
    `Behalf vendor sandbox listening on ${sandbox.url}`,
    '',
    `  ${pad('DealCloud', 24)}${sandbox.urls.dealcloud}`,
    `  ${pad('Orange Logic', 24)}${sandbox.urls.orangelogic}`,
    `  ${pad('Creative Force gateway', 24)}${sandbox.urls.creativeforceGateway}`,
    `  ${pad('Creative Force token', 24)}${sandbox.urls.creativeforceToken}`,
    `  ${pad('Generic OAuth2', 24)}${sandbox.urls.generic}`,
    `  ${pad('Generic OAuth2 token', 24)}${sandbox.urls.genericToken}`,
    `  ${pad('Foreign origin', 24)}${sandbox.foreignUrl}`,
    `  ${pad('Control', 24)}${sandbox.url}/__sandbox/{log,state,faults,reset,...}`,
    '',
    'Test credentials (public, sandbox only):',
  ];
  for (const connection of sandbox.connectionsFile().connections) {
    const secret = env[secretEnvName({ connectionId: connection.id })];
    lines.push(`  ${pad(connection.id, 22)}${pad(connection.clientId ?? '', 18)}${secret ?? ''}`);
    for (const principal of connection.principals) {
      const who = [principal.name, principal.email && `<${principal.email}>`, principal.userId && `(${principal.userId})`].filter(Boolean).join(' ');
      lines.push(`    as ${pad(principal.id, 8)}${principal.clientId ? `${pad(principal.clientId, 18)}` : ''}${who}`);
    }
  }
  lines.push(
    '  More accounts (a data-only DealCloud service user, an Orange Logic static token): docs/sandbox.md',
    '',
    `Wrote ${files.connectionsPath} and ${files.envPath}. To use them from a terminal:`,
    `  set -a; . ${files.envPath}; set +a`,
    `  node dist/cli.js send examples/dealcloud.http --name deals-as-jane --config ${files.connectionsPath}`,
    '',
    'Press Ctrl+C to stop.',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const sandbox = await startSandbox({ port: args.port, host: args.host });
  if (args.machine) {
    // The parent stores the secrets in its own secret storage; nothing touches the disk.
    process.stdout.write(`${JSON.stringify({ url: sandbox.url, connections: sandbox.connectionsFile().connections, secrets: sandbox.secrets() })}\n`);
  } else {
    const files = await writeOutputs(sandbox, args.out);
    process.stdout.write(`${describe(sandbox, files)}\n`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (!args.machine) process.stdout.write(`\n${signal}: closing the sandbox.\n`);
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  const message = code === 'EADDRINUSE' ? 'That port is already in use; pass --port <another>.' : String((error as Error).message ?? error);
  process.stderr.write(`behalf sandbox: ${message}\n`);
  process.exit(1);
});
