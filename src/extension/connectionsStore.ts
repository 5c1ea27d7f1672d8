import { readFileSync } from 'node:fs';
import * as jsonc from 'jsonc-parser';
import * as vscode from 'vscode';
import { CONNECTIONS_FILE_NAME, parseConnections, type ParsedConnections } from '../core/connections';
import type { Connection, Principal } from '../core/model';

const EMPTY_FILE = `{
  "$schema": "https://behalf.dev/schemas/connections.schema.json",
  "connections": []
}
`;

/**
 * The workspace's connections file: found, parsed, watched, and edited in place (comments and
 * formatting kept, through jsonc-parser's edits). Problems go to the Problems panel with positions.
 * Principals fetched from a vendor live here too, in memory only.
 */
export class ConnectionsStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('behalf-connections');
  private readonly disposables: vscode.Disposable[] = [this.changed, this.diagnostics];
  private cache: { uri: vscode.Uri | undefined; connections: Connection[] } | undefined;
  private loading: { generation: number; promise: Promise<Connection[]> } | undefined;
  /** Bumped by invalidate(): a load that started before it must not fill the cache with what it read. */
  private generation = 0;
  /** The last text parsed and what it gave: the watcher and the save event both invalidate for one save. */
  private lastParse: { uri: string; text: string; parsed: ParsedConnections } | undefined;
  private readonly fetched = new Map<string, Principal[]>();
  private readonly fetchedIds = new Map<string, Set<string>>();
  /** Reads started by fetchOnce, per connection (done or not): one per connection until the file changes. */
  private readonly autoFetches = new Map<string, Promise<void>>();
  /** Connections whose fetchOnce read failed: read again once the file changes. */
  private readonly failedFetches = new Set<string>();

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${CONNECTIONS_FILE_NAME}`);
    const invalidate = () => this.invalidate();
    this.disposables.push(
      watcher,
      watcher.onDidChange(invalidate),
      watcher.onDidCreate(invalidate),
      watcher.onDidDelete(invalidate),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.uri.path.endsWith(CONNECTIONS_FILE_NAME)) invalidate();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('behalf.connectionsFile')) invalidate();
      }),
    );
  }

  invalidate(): void {
    this.cache = undefined;
    this.generation++;
    // Scopes or settings may have changed: a connection whose read failed may read again.
    for (const id of this.failedFetches) this.autoFetches.delete(id);
    this.failedFetches.clear();
    this.changed.fire();
  }

  /** Where the file is, or would be created. */
  async fileUri(): Promise<vscode.Uri | undefined> {
    return (await this.locate())?.uri;
  }

  /** Where the file is, and whether it exists (the usual place is only looked at once). */
  private async locate(): Promise<{ uri: vscode.Uri; exists?: boolean } | undefined> {
    const first = firstPlace();
    if (!first) return undefined;
    if (first.configured) return { uri: first.uri };
    if (await exists(first.uri)) return { uri: first.uri, exists: true };
    // Found by the search: it existed a moment ago, but may be gone by the time it is read.
    const found = await vscode.workspace.findFiles(`**/${CONNECTIONS_FILE_NAME}`, '**/node_modules/**', 1);
    return found[0] ? { uri: found[0] } : { uri: first.uri, exists: false };
  }

  /** The file (found by locate()) and its text; undefined text when there is no such file. */
  private async locateAndRead(): Promise<{ uri: vscode.Uri; text: string | undefined } | undefined> {
    const located = await this.locate();
    if (!located) return undefined;
    return { uri: located.uri, text: located.exists !== false ? await readText(located.uri) : undefined };
  }

  async connections(): Promise<Connection[]> {
    for (;;) {
      if (this.cache) return this.cache.connections;
      const generation = this.generation;
      // Callers at the same time share one read; one from before an invalidate() is not this read.
      if (this.loading?.generation !== generation) {
        const promise: Promise<Connection[]> = this.load(generation).finally(() => {
          if (this.loading?.promise === promise) this.loading = undefined;
        });
        this.loading = { generation, promise };
      }
      const connections = await this.loading.promise;
      // Invalidated while loading (the file changed under the read): read it again rather than return the old text.
      if (generation === this.generation) return connections;
    }
  }

  async connection(id: string): Promise<Connection | undefined> {
    return (await this.connections()).find((c) => c.id === id);
  }

  /** Principals in the file plus those fetched from the vendor (without duplicates). */
  principals(connection: Connection): Principal[] {
    const fetched = this.fetched.get(connection.id);
    // Nothing fetched (the usual case, and every first render): the file's own list, not a copy of 10,000.
    if (!fetched?.length) return connection.principals;
    const known = new Set(connection.principals.map((p) => p.userId ?? p.id));
    return [...connection.principals, ...fetched.filter((p) => !known.has(p.userId ?? p.id))];
  }

  /** User ids the vendor says the service user may act as (undefined: never fetched). */
  fetchedUserIds(connectionId: string): ReadonlySet<string> | undefined {
    return this.fetchedIds.get(connectionId);
  }

  /**
   * Read the vendor's principals once for this connection unless they were already fetched (Fetch Principals
   * refreshes them): the tree does it when a connection is expanded, so the first look shows who has no proxy
   * assignment. Concurrent callers share one read; a failed read is not retried until the file changes or Fetch
   * Principals is run. Resolves when the list is in (or the read failed).
   */
  fetchOnce(connectionId: string, read: () => Promise<Principal[] | undefined>, onError: (e: unknown) => void): Promise<void> {
    if (this.fetchedIds.has(connectionId)) return Promise.resolve();
    let pending = this.autoFetches.get(connectionId);
    if (!pending) {
      pending = read().then(
        (principals) => {
          // A Fetch Principals that finished meanwhile is newer: keep it.
          if (principals && !this.fetchedIds.has(connectionId)) this.setFetched(connectionId, principals);
        },
        (e: unknown) => {
          this.failedFetches.add(connectionId);
          onError(e);
        },
      );
      this.autoFetches.set(connectionId, pending);
    }
    return pending;
  }

  setFetched(connectionId: string, principals: Principal[]): void {
    this.fetched.set(connectionId, principals);
    this.fetchedIds.set(connectionId, new Set(principals.map((p) => p.userId ?? p.id)));
    this.changed.fire();
  }

  /** Add a connection, or replace the one with the same id. */
  async upsertConnection(connection: { id: string } & Record<string, unknown>): Promise<void> {
    const index = await this.indexOf(connection.id);
    await this.edit(['connections', index >= 0 ? index : -1], connection, index < 0);
  }

  async removeConnection(connectionId: string): Promise<void> {
    const index = await this.indexOf(connectionId);
    if (index >= 0) await this.edit(['connections', index], undefined);
  }

  /** Set one field of a connection (undefined removes it). */
  async setField(connectionId: string, field: string, value: unknown): Promise<void> {
    const index = await this.indexOf(connectionId);
    if (index < 0) throw new Error(`Connection "${connectionId}" is not in the connections file.`);
    await this.edit(['connections', index, field], value);
  }

  async addPrincipal(connectionId: string, principal: Record<string, unknown>): Promise<void> {
    const index = await this.indexOf(connectionId);
    if (index < 0) throw new Error(`Connection "${connectionId}" is not in the connections file.`);
    await this.edit(['connections', index, 'principals', -1], principal, true);
  }

  /** Create the file when it is missing. */
  async ensureFile(): Promise<vscode.Uri> {
    const uri = await this.fileUri();
    if (!uri) throw new Error('Open a folder first: the connections file lives in the workspace.');
    if (!(await exists(uri))) await this.edit(undefined, undefined);
    return uri;
  }

  /** One edit of the file (created when missing), keeping comments; values never include secrets. */
  private async edit(path: jsonc.JSONPath | undefined, value: unknown, insert = false): Promise<void> {
    const uri = await this.fileUri();
    if (!uri) throw new Error('Open a folder first: the connections file lives in the workspace.');
    let text = (await exists(uri)) ? Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8') : EMPTY_FILE;
    if (path) {
      const formattingOptions = { insertSpaces: true, tabSize: 2, eol: '\n' };
      text = jsonc.applyEdits(text, jsonc.modify(text, path, value, { formattingOptions, isArrayInsertion: insert }));
    }
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    this.invalidate();
  }

  /** Index of a connection in the file's array (edits address it by position). */
  private async indexOf(connectionId: string): Promise<number> {
    const uri = await this.fileUri();
    if (!uri || !(await exists(uri))) return -1;
    const raw = jsonc.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as { connections?: Array<{ id?: string }> };
    return Array.isArray(raw?.connections) ? raw.connections.findIndex((c) => c?.id === connectionId) : -1;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async load(generation: number): Promise<Connection[]> {
    // Start from the event loop, not inside the invalidate() that asked for it: listeners of onDidChange ask for
    // the connections while the watcher, a save or a command is still firing, and the read and parse below are
    // synchronous. An invalidate() meanwhile (a save fires the watcher too) is seen before anything is read.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (generation !== this.generation) return [];
    const located = readLocalFile() ?? (await this.locateAndRead());
    const { uri, text } = located ?? {};
    if (generation !== this.generation) return [];
    if (!uri || text === undefined) {
      this.cache = { uri, connections: [] };
      this.lastParse = undefined;
      this.diagnostics.clear();
      return [];
    }
    // The same text as last time (a save fires both the watcher and onDidSaveTextDocument): the same result, the
    // same Connection objects (what is keyed by them, such as the engine's adapters, stays), no second parse.
    const key = uri.toString();
    const parsed = this.lastParse?.uri === key && this.lastParse.text === text ? this.lastParse.parsed : parseConnections(text, uri.fsPath);
    this.lastParse = { uri: key, text, parsed };
    this.diagnostics.set(
      uri,
      parsed.diagnostics.map((d) => {
        const pos = new vscode.Position(d.position.line - 1, d.position.column - 1);
        const diagnostic = new vscode.Diagnostic(new vscode.Range(pos, pos.translate(0, 1)), d.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'Behalf';
        return diagnostic;
      }),
    );
    this.cache = { uri, connections: parsed.connections };
    return parsed.connections;
  }
}

/**
 * The file at the configured path or the workspace folder's root, read from the local disk at once (readFileSync);
 * undefined when that cannot answer: another file system, no folder, no file at the root (the search in locate()
 * looks for it elsewhere), or a failure to read (readText reports it). Synchronous because that is what makes a
 * load one step: each awaited file-system call waits in libuv's thread pool behind the host's other work (its
 * compressed messages to the workbench, other extensions), measured at 0.1 to 1 s per call while VS Code starts,
 * and the watcher's events for the write arriving during those waits made the load start over, up to four times.
 * The file is a configuration file read whole anyway; reading it takes about a millisecond per megabyte.
 */
function readLocalFile(): { uri: vscode.Uri; text: string | undefined } | undefined {
  const first = firstPlace();
  if (first?.uri.scheme !== 'file') return undefined;
  const { uri, configured } = first;
  try {
    return { uri, text: decodeText(readFileSync(uri.fsPath)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A configured file that is missing is missing; the usual one may be further down (locate() searches).
    if (configured && (code === 'ENOENT' || code === 'ENOTDIR')) return { uri, text: undefined };
    return undefined;
  }
}

/** Where the file is looked for first: the configured path (behalf.connectionsFile), else the folder's root. */
function firstPlace(): { uri: vscode.Uri; configured: boolean } | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  const configured = vscode.workspace.getConfiguration('behalf').get<string>('connectionsFile')?.trim();
  return { uri: vscode.Uri.joinPath(folder.uri, configured || CONNECTIONS_FILE_NAME), configured: !!configured };
}

/** The file's text, or undefined when there is no such file (any other failure to read it is thrown). */
async function readText(uri: vscode.Uri): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return undefined;
    throw e;
  }
  return decodeText(bytes);
}

function decodeText(bytes: Uint8Array): string {
  // A view of the bytes, not a copy (the file can be megabytes).
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
