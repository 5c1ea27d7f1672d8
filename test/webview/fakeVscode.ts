// A stand-in for the slice of the 'vscode' API the webview hosts use, so their logic (and the pure HTML
// builder that lives beside it) runs in plain mocha. installFakeVscode() makes `require('vscode')` resolve to
// this module. Real-editor behaviour is covered by test/integration and test/e2e.

import Module from 'node:module';

type Listener<T> = (value: T) => unknown;

class Emitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  get size(): number {
    return this.listeners.length;
  }
}

export const FAKE_WEBVIEW_ORIGIN = 'https://fake.vscode-cdn.test';

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  /** `origin` like "https://host": the host goes into the path, as toString() prints scheme://path. */
  static https(origin: string): Uri {
    return new Uri('https', origin.replace(/^https:\/\//, ''));
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, [base.path.replace(/\/+$/, ''), ...segments.map((s) => s.replace(/^\/+/, ''))].join('/'));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}

export interface WebviewOptionsSeen {
  enableScripts?: boolean;
  enableFindWidget?: boolean;
  retainContextWhenHidden?: boolean;
  localResourceRoots?: Uri[];
}

export class FakeWebview {
  html = '';
  readonly cspSource = FAKE_WEBVIEW_ORIGIN;
  readonly posted: unknown[] = [];
  /** Set by a test to forward what the host posts (e.g. into a real page). */
  onPost: ((message: unknown) => void) | undefined;
  private readonly received = new Emitter<unknown>();
  readonly onDidReceiveMessage = this.received.event;

  postMessage(message: unknown): Promise<boolean> {
    this.posted.push(message);
    this.onPost?.(message);
    return Promise.resolve(true);
  }
  /** Like VS Code's https://file+.vscode-resource.vscode-cdn.net/<path>: same origin as cspSource. */
  asWebviewUri(uri: Uri): Uri {
    return Uri.joinPath(Uri.https(FAKE_WEBVIEW_ORIGIN), uri.path);
  }
  /** What the page would post. */
  receive(message: unknown): void {
    this.received.fire(message);
  }
}

export class FakeWebviewPanel {
  readonly webview = new FakeWebview();
  visible = true;
  disposed = false;
  reveals = 0;
  private readonly disposeEmitter = new Emitter<void>();
  private readonly viewStateEmitter = new Emitter<{ webviewPanel: FakeWebviewPanel }>();
  readonly onDidDispose = this.disposeEmitter.event;
  readonly onDidChangeViewState = this.viewStateEmitter.event;

  constructor(
    readonly viewType: string,
    public title: string,
    readonly showOptions: unknown,
    readonly options: WebviewOptionsSeen,
  ) {}

  get viewColumn(): ViewColumn {
    return ViewColumn.Two;
  }
  reveal(): void {
    this.reveals++;
    if (!this.visible) this.setVisible(true);
  }
  /** Hide (the page is torn down: retainContextWhenHidden is off) or show again. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.viewStateEmitter.fire({ webviewPanel: this });
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEmitter.fire();
  }
  get listenerCount(): number {
    return this.disposeEmitter.size + this.viewStateEmitter.size;
  }
}

export const fake = {
  panels: [] as FakeWebviewPanel[],
  errors: [] as string[],
  statusMessages: [] as string[],
  clipboard: [] as string[],
  infos: [] as string[],
  /** What showSaveDialog was asked, and what it answers (a test sets `saveTo`; undefined = cancelled). */
  saveDialogs: [] as Array<{ title?: string; saveLabel?: string; defaultUri?: Uri }>,
  saveTo: undefined as Uri | undefined,
  /** Untitled documents opened, and the editors shown. */
  documents: [] as Array<{ language?: string; content?: string }>,
  shownDocuments: 0,
  workspaceFolders: undefined as Array<{ uri: Uri }> | undefined,
  reset(): void {
    for (const p of fake.panels) p.dispose();
    fake.panels = [];
    fake.errors = [];
    fake.statusMessages = [];
    fake.clipboard = [];
    fake.infos = [];
    fake.saveDialogs = [];
    fake.saveTo = undefined;
    fake.documents = [];
    fake.shownDocuments = 0;
    fake.workspaceFolders = undefined;
  },
};

export const window = {
  createWebviewPanel(viewType: string, title: string, showOptions: unknown, options: WebviewOptionsSeen): FakeWebviewPanel {
    const panel = new FakeWebviewPanel(viewType, title, showOptions, options);
    fake.panels.push(panel);
    return panel;
  },
  showErrorMessage(message: string): Promise<undefined> {
    fake.errors.push(message);
    return Promise.resolve(undefined);
  },
  showInformationMessage(message: string): Promise<undefined> {
    fake.infos.push(message);
    return Promise.resolve(undefined);
  },
  showSaveDialog(options: { title?: string; saveLabel?: string; defaultUri?: Uri }): Promise<Uri | undefined> {
    fake.saveDialogs.push(options);
    return Promise.resolve(fake.saveTo);
  },
  showTextDocument(): Promise<unknown> {
    fake.shownDocuments++;
    return Promise.resolve({});
  },
  setStatusBarMessage(message: string): { dispose(): void } {
    fake.statusMessages.push(message);
    return { dispose: () => undefined };
  },
};

export const env = {
  clipboard: {
    writeText(text: string): Promise<void> {
      fake.clipboard.push(text);
      return Promise.resolve();
    },
  },
};

/** workspace.fs writes real files (tests save into a temp directory); untitled documents are recorded. */
export const workspace = {
  get workspaceFolders(): Array<{ uri: Uri }> | undefined {
    return fake.workspaceFolders;
  },
  fs: {
    async writeFile(uri: Uri, content: Uint8Array): Promise<void> {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(uri.fsPath, content);
    },
  },
  openTextDocument(options: { language?: string; content?: string }): Promise<unknown> {
    fake.documents.push(options);
    return Promise.resolve({ options });
  },
};

let installed = false;

/** From now on `require('vscode')` yields this module. */
export function installFakeVscode(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  const self = __filename;
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === 'vscode') return self;
    return original.call(this, request, ...rest);
  };
}
