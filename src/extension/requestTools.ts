// Commands about a request in the editor that do not send it: Copy as cURL (secrets redacted) and Select Environment
// (which http-client.env.json environment {{variables}} read). Part of the extras chunk (src/extension/extras.ts):
// loaded when one of them first runs.
import * as vscode from 'vscode';
import { curlBodyParts, toCurl } from '../core/curl';
import { connectionFor, registerReported } from './sendCommands';
import type { Services } from './services';

export function registerRequestTools(s: Services): void {
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) => registerReported(s, id, run);

  register('behalf.copyAsCurl', async (uri?: vscode.Uri, line?: number) => {
    const target = await s.documents.target(uri, line);
    const spec = await s.documents.resolve(target.doc, target.parsed, target.request);
    const connection = await connectionFor(s, target.request, spec).catch(() => undefined);
    const url =
      /^https?:/i.test(spec.url) || !connection ? spec.url : `${connection.baseUrl.replace(/\/+$/, '')}${spec.url.startsWith('/') ? '' : '/'}${spec.url}`;
    const r = s.engine.redactor;
    // A body with `< file` lines refers to its files (--data-binary @file) instead of inlining their bytes.
    const parts =
      spec.bodyFiles?.length && Buffer.isBuffer(spec.body)
        ? curlBodyParts(spec.body, spec.bodyFiles).map((p) => ('text' in p ? { text: r.text(p.text) } : p))
        : undefined;
    const body = parts || spec.body === undefined ? undefined : r.text(String(spec.body));
    await vscode.env.clipboard.writeText(toCurl({ method: spec.method, url: r.url(url), headers: r.headers(spec.headers), body }, parts));
    void vscode.window.setStatusBarMessage('Behalf: cURL copied (secrets redacted; authentication is added when Behalf sends it)', 4000);
  });

  register('behalf.selectEnvironment', async () => {
    const names = await s.documents.environmentNames(vscode.window.activeTextEditor?.document);
    const current = vscode.workspace.getConfiguration('behalf').get<string>('environment') ?? '';
    const items = [{ label: '$shared only', name: '' }, ...names.map((name) => ({ label: name, name }))].map((i) => ({
      ...i,
      description: i.name === current ? 'current' : undefined,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Behalf: environment for {{variables}}',
      placeHolder: names.length ? 'Pick an environment' : 'No http-client.env.json found',
    });
    if (picked) await vscode.workspace.getConfiguration('behalf').update('environment', picked.name, vscode.ConfigurationTarget.Workspace);
  });
}
