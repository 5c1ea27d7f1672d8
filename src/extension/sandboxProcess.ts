import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import type { SecretKey } from '../core/ports';

export interface StartedSandbox {
  url: string;
  connections: Array<{ id: string } & Record<string, unknown>>;
  secrets: Array<[SecretKey, string]>;
}

interface MachineLine {
  url: string;
  connections: Array<{ id: string } & Record<string, unknown>>;
  secrets: Array<{ connectionId: string; principalId?: string; value: string }>;
}

const START_TIMEOUT_MS = 15_000;

/**
 * The vendor sandbox as a child process (dist/sandbox.js), so its doubles never run inside the extension
 * host. It reports its URL, connections and secrets as one JSON line on stdout; stop() kills it, and so
 * does deactivation.
 */
export class SandboxProcess {
  private child: ChildProcess | undefined;
  private started: StartedSandbox | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get url(): string | undefined {
    return this.started?.url;
  }

  async start(): Promise<StartedSandbox> {
    if (this.started && this.child?.exitCode === null) return this.started;
    const script = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'sandbox.js').fsPath;
    // In desktop VS Code the extension host is Electron: ask it to behave as plain Node.
    const child = spawn(process.execPath, [script, '--port', '0', '--machine'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => this.log.warn(`sandbox: ${d.toString('utf8').trim()}`));
    child.on('exit', (code) => {
      this.log.info(`Vendor sandbox stopped (exit ${code ?? 'signal'}).`);
      if (this.child === child) {
        this.child = undefined;
        this.started = undefined;
        void vscode.commands.executeCommand('setContext', 'behalf.sandboxRunning', false);
      }
    });
    const line = await new Promise<MachineLine>((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error('The vendor sandbox did not start within 15 s.')), START_TIMEOUT_MS);
      child.stdout?.on('data', (d: Buffer) => {
        buffer += d.toString('utf8');
        const newline = buffer.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(buffer.slice(0, newline)) as MachineLine);
        } catch {
          reject(new Error('The vendor sandbox answered something other than its start line.'));
        }
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`Could not start the vendor sandbox: ${e.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The vendor sandbox exited during start (code ${code}).`));
      });
    });
    this.started = {
      url: line.url,
      connections: line.connections,
      secrets: line.secrets.map(({ value, ...key }) => [key, value]),
    };
    this.log.info(`Vendor sandbox running at ${line.url} (${line.connections.length} connections).`);
    return this.started;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
