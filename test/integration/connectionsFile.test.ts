// The connections file as the extension reads it (src/extension/connectionsStore.ts), in a real VS Code: problems
// with their line:column in the Problems view, edits picked up (also one made while a read is under way), and the
// same text not parsed twice.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import { startBehalf, waitFor } from './support';

let api: BehalfApi;
let file: vscode.Uri;
let original: string | undefined;

/** A connections file with one generic connection and `principals` principals (ids p0, p1, …). */
function connectionsText(id: string, principals: number): string {
  const connection = {
    id,
    vendor: 'generic',
    label: `Connection ${id}`,
    baseUrl: 'http://127.0.0.1:9/api',
    auth: 'none',
    impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } },
    principals: Array.from({ length: principals }, (_, i) => ({ id: `p${i}`, email: `user${i}@acme.test`, name: `User ${i}` })),
  };
  return JSON.stringify({ connections: [connection] }, null, 2);
}

async function rootIds(): Promise<string[]> {
  return (await api.services.connectionsTree.getChildren()).map((n) => n.connection.id);
}

describe('the connections file in the extension', function () {
  this.timeout(60_000);

  before(async () => {
    ({ api } = await startBehalf());
    const uri = await api.services.store.fileUri();
    assert.ok(uri, 'a workspace folder is open');
    file = uri;
    original = fs.existsSync(file.fsPath) ? fs.readFileSync(file.fsPath, 'utf8') : undefined;
  });

  after(async () => {
    if (original === undefined) fs.rmSync(file.fsPath, { force: true });
    else fs.writeFileSync(file.fsPath, original);
    api.services.store.invalidate();
    if (original !== undefined) await waitFor('the original connections back', async () => (await api.services.store.connection('dc-sandbox')) !== undefined);
  });

  it('a JSON syntax error is in the Problems view at its line:column, and its connections stay out of the tree', async () => {
    // Line 3, column 22: the comma is missing before "vendor".
    fs.writeFileSync(file.fsPath, '{\n  "connections": [\n    { "id": "broken" "vendor": "generic" }\n  ]\n}\n');
    api.services.store.invalidate();
    assert.deepEqual(await rootIds(), []);
    const diagnostics = vscode.languages.getDiagnostics(file).filter((d) => d.source === 'Behalf');
    assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.message).join('\n'));
    assert.match(diagnostics[0].message, /syntax error/);
    assert.deepEqual([diagnostics[0].range.start.line + 1, diagnostics[0].range.start.character + 1], [3, 22]);
  });

  it('a schema error in a large strict-JSON file is reported at the principal it is about', async () => {
    const text = connectionsText('big', 2000).replace('"email": "user1500@acme.test"', '"email": "not an address"');
    fs.writeFileSync(file.fsPath, text);
    api.services.store.invalidate();
    assert.deepEqual(await rootIds(), []);
    const diagnostics = vscode.languages.getDiagnostics(file).filter((d) => d.source === 'Behalf');
    const line = text.split('\n').findIndex((l) => l.includes('"not an address"'));
    assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.message).join('\n'));
    assert.equal(diagnostics[0].range.start.line, line, diagnostics[0].message);
  });

  it('an edit to the file is picked up, also one written while the previous text is being read', async () => {
    fs.writeFileSync(file.fsPath, connectionsText('first', 5000));
    api.services.store.invalidate();
    const reading = rootIds(); // the read of "first" starts here
    fs.writeFileSync(file.fsPath, connectionsText('second', 10));
    api.services.store.invalidate(); // what the watcher does for that write
    const afterEdit = await rootIds();
    assert.deepEqual(afterEdit, ['second'], 'the read that began before the edit must not win');
    await reading; // whatever it saw, it does not stay
    assert.deepEqual(await rootIds(), ['second']);
    // The file watcher alone (no invalidate from here): a later edit shows up in the tree.
    fs.writeFileSync(file.fsPath, connectionsText('third', 10));
    await waitFor('the watcher to pick up the edit', async () => (await rootIds()).join() === 'third');
    assert.equal(vscode.languages.getDiagnostics(file).filter((d) => d.source === 'Behalf').length, 0);
  });

  it('the same text read again gives the same connections (parsed once), new text new ones', async () => {
    fs.writeFileSync(file.fsPath, connectionsText('same', 100));
    api.services.store.invalidate();
    const [first] = await api.services.store.connections();
    api.services.store.invalidate(); // a save fires the watcher and onDidSaveTextDocument: two invalidations, one text
    const [again] = await api.services.store.connections();
    assert.equal(again, first, 'the same Connection object for the same text');
    fs.writeFileSync(file.fsPath, connectionsText('same', 101));
    api.services.store.invalidate();
    const [changed] = await api.services.store.connections();
    assert.notEqual(changed, first);
    assert.equal(changed.principals.length, 101);
    assert.equal(changed.principals[100].source, 'file');
  });
});
