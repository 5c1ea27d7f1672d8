// Behalf's entry point: a shell that activates in a few milliseconds. It registers what VS Code needs at
// activation (every contributed command, the three tree views, the CodeLens provider, the panel serializers)
// and loads the rest (dist/extension-main.js: engine, vendors, parsers, panels) synchronously on first
// need. Loading everything at activation cost ~30 ms of the host's start-up for users who may never send
// a request in this window (measured by `npm run bench`, case 6).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as Main from './main';
import { PANEL_VIEW_TYPES } from './panelViewTypes';

export type { BehalfApi, Services } from './services';

let context: vscode.ExtensionContext | undefined;
let views: Main.ShellViews | undefined;
let started: Main.Started | undefined;

/** The whole extension, loaded and started once, on the first thing that needs it. */
function main(): Main.Started {
  if (!started) {
    if (!context || !views) throw new Error('Behalf is not active');
    // A computed path: esbuild leaves this require alone, so the main bundle stays a file of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a computed require keeps main a bundle of its own (see above)
    const module = require(path.join(__dirname, 'extension-main.js')) as typeof Main;
    started = module.start(context, views);
  }
  return started;
}

/** A tree provider that loads the extension when VS Code first asks for a row. */
function lazyTree<T>(pick: (m: Main.Started) => vscode.TreeDataProvider<T>, disposables: vscode.Disposable[]): vscode.TreeDataProvider<T> {
  const changed = new vscode.EventEmitter<T | T[] | null | undefined | void>();
  disposables.push(changed);
  let real: vscode.TreeDataProvider<T> | undefined;
  const provider = (): vscode.TreeDataProvider<T> => {
    if (!real) {
      real = pick(main());
      const forwarded = real.onDidChangeTreeData?.((e) => changed.fire(e));
      if (forwarded) disposables.push(forwarded);
    }
    return real;
  };
  return {
    onDidChangeTreeData: changed.event,
    getChildren: (element) => provider().getChildren(element),
    getTreeItem: (element) => provider().getTreeItem(element),
    getParent: (element) => provider().getParent?.(element),
    resolveTreeItem: (item, element, token) => provider().resolveTreeItem?.(item, element, token) ?? item,
  };
}

export function activate(extensionContext: vscode.ExtensionContext): Main.BehalfApi {
  context = extensionContext;
  const subscriptions = extensionContext.subscriptions;
  const own: vscode.Disposable[] = [];
  views = {
    connections: vscode.window.createTreeView('behalf.connections', {
      treeDataProvider: lazyTree((m) => m.services.connectionsTree as vscode.TreeDataProvider<unknown>, own),
      showCollapseAll: true,
    }),
    sessions: vscode.window.createTreeView('behalf.sessions', {
      treeDataProvider: lazyTree((m) => m.services.sessionsTree as vscode.TreeDataProvider<unknown>, own),
    }),
    impersonationLog: vscode.window.createTreeView('behalf.impersonationLog', {
      treeDataProvider: lazyTree((m) => m.services.impersonationLogTree as vscode.TreeDataProvider<unknown>, own),
    }),
  };
  subscriptions.push(views.connections, views.sessions, views.impersonationLog, { dispose: () => own.forEach((d) => void d.dispose()) });

  const commands = (extensionContext.extension.packageJSON as { contributes?: { commands?: Array<{ command: string }> } }).contributes?.commands ?? [];
  for (const { command } of commands) {
    subscriptions.push(vscode.commands.registerCommand(command, (...args: unknown[]) => main().runCommand(command, args)));
  }

  const lensesChanged = new vscode.EventEmitter<void>();
  let lensesHooked = false;
  subscriptions.push(
    lensesChanged,
    vscode.languages.registerCodeLensProvider([{ language: 'http' }, { pattern: '**/*.{http,rest}' }], {
      onDidChangeCodeLenses: lensesChanged.event,
      provideCodeLenses: (doc) => {
        const documents = main().services.documents;
        if (!lensesHooked) {
          lensesHooked = true;
          subscriptions.push(documents.onDidChangeCodeLenses(() => lensesChanged.fire()));
        }
        return documents.provideCodeLenses(doc);
      },
    }),
  );
  // Panels that survive a window reload (main.ts revivePanel; package.json activates on each).
  for (const viewType of Object.values(PANEL_VIEW_TYPES)) {
    subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: async (panel, state: unknown) => main().revivePanel(viewType, panel, state),
      }),
    );
  }

  // Right after activation (not during it), start at once when something should show without being asked
  // for: diagnostics of an open .http file, the status bar of an identity chosen earlier, the demo's sandbox.
  const isHttp = (doc: vscode.TextDocument) => doc.languageId === 'http' || /\.(http|rest)$/i.test(doc.uri.path);
  const startSoon = () =>
    setImmediate(() => {
      if (context && !started) main();
    });
  if (
    vscode.workspace.textDocuments.some(isHttp) ||
    extensionContext.workspaceState.keys().some((k) => k.startsWith('behalf.')) ||
    vscode.workspace.getConfiguration('behalf').get<boolean>('startSandboxOnOpen', false)
  ) {
    startSoon();
  } else {
    const opened = vscode.workspace.onDidOpenTextDocument((doc) => {
      if (!isHttp(doc)) return;
      opened.dispose();
      startSoon();
    });
    subscriptions.push(opened);
  }

  return {
    get services() {
      return main().services;
    },
    panelViews: () => main().panelViews(),
  };
}

export async function deactivate(): Promise<void> {
  // Nothing to end if the extension never started.
  await started?.stop();
}
