// Shared set-up for tests that run the engine against the vendor sandbox over real sockets.

import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BehalfEngine, type EngineOptions } from '../../src/core/engine';
import { CORE_CONNECTION_KEYS, type Connection, type Principal } from '../../src/core/model';
import type { Log, Prompt, SecretStore } from '../../src/core/ports';
import { secretEnvName } from '../../src/core/ports';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox';
import { allVendors } from '../../src/vendors';

export interface Harness {
  sandbox: Sandbox;
  engine: BehalfEngine;
  connections: Connection[];
  logLines: string[];
  prompts: string[];
  /** Every secret value the sandbox handed out, for leak scans. */
  secrets: string[];
  connection(id: string): Connection;
  principal(connectionId: string, principalId: string): Principal;
  /** Answer to the next confirmations (default: yes). */
  confirmAnswer: boolean;
  close(): Promise<void>;
}

export async function startHarness(options: { sandbox?: SandboxOptions; engine?: Partial<EngineOptions> } = {}): Promise<Harness> {
  const sandbox = await startSandbox(options.sandbox);
  const env = sandbox.secretsEnv();
  // As the loader reads them: the shared fields on the connection, the vendor's own ones in `settings`.
  const connections = (sandbox.connectionsFile() as { connections: Array<Record<string, unknown>> }).connections.map((raw): Connection => {
    const shared = Object.fromEntries(Object.entries(raw).filter(([k]) => CORE_CONNECTION_KEYS.includes(k))) as unknown as Connection;
    const settings = Object.fromEntries(Object.entries(raw).filter(([k]) => !CORE_CONNECTION_KEYS.includes(k)));
    return { ...shared, ...(Object.keys(settings).length > 0 ? { settings } : {}), principals: shared.principals ?? [] };
  });
  const logLines: string[] = [];
  const prompts: string[] = [];
  const secretStore: SecretStore = {
    get: async (key) => env[secretEnvName(key)],
    whereToSet: (key) => `set ${secretEnvName(key)}`,
  };
  const harness: Harness = {
    sandbox,
    connections,
    logLines,
    prompts,
    secrets: Object.values(env),
    confirmAnswer: true,
    engine: undefined as unknown as BehalfEngine,
    connection(id) {
      const c = connections.find((x) => x.id === id);
      if (!c) throw new Error(`no sandbox connection ${id}`);
      return c;
    },
    principal(connectionId, principalId) {
      const p = harness.connection(connectionId).principals.find((x) => x.id === principalId);
      if (!p) throw new Error(`no principal ${principalId} on ${connectionId}`);
      return p;
    },
    async close() {
      await harness.engine.dispose();
      await sandbox.close();
    },
  };
  const log: Log = { log: (level, message) => logLines.push(`[${level}] ${message}`) };
  const prompt: Prompt = {
    confirm: async (q) => {
      prompts.push(q);
      return harness.confirmAnswer;
    },
  };
  harness.engine = new BehalfEngine({ vendors: allVendors, secrets: secretStore, prompt, log, ...options.engine });
  return harness;
}

/** Requests the sandbox received whose path contains `fragment`. */
export function received(sandbox: Sandbox, fragment: string) {
  return sandbox.log.filter((e) => e.path.includes(fragment));
}

/** What a finished process said: its exit code and everything it wrote. */
export interface ProcessResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a real process to its end (the CLI suites: dist/cli.js or src/cli/bin.ts through tsx), stdin closed. */
export function runProcess(command: string, args: readonly string[], options: Omit<SpawnOptions, 'stdio'> = {}): Promise<ProcessResult> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** What a CLI suite's test works in: a sandbox of its own, a temporary folder and the sandbox's connections file in it. */
export interface CliWorld {
  sandbox: Sandbox;
  dir: string;
  /** `<dir>/behalf.connections.json`, written for the sandbox. */
  config: string;
}

/** mocha hooks giving each test of the suite a fresh CliWorld (handed to `use`), closed and removed after it. */
export function freshCliWorld(prefix: string, use: (world: CliWorld) => void): void {
  let world: CliWorld | undefined;
  beforeEach(async () => {
    const sandbox = await startSandbox();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const config = path.join(dir, 'behalf.connections.json');
    fs.writeFileSync(config, JSON.stringify(sandbox.connectionsFile(), null, 2));
    use((world = { sandbox, dir, config }));
  });
  afterEach(async () => {
    if (!world) return;
    const { sandbox, dir } = world;
    world = undefined;
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
