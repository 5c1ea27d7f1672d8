// Request variables ({{login.response.body.$.token}}) through the extension's commands in a real VS Code: two
// requests sent in sequence, the second carrying what the first's response held; a request whose named
// request was not sent yet offers "Send login first", which sends both in order.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import { startBehalf, waitFor } from './support';

describe('Request variables in a real VS Code', function () {
  this.timeout(60_000);
  let api: BehalfApi;
  let server: http.Server;
  const received: Array<{ url: string; token?: string; user?: string }> = [];
  let logins = 0;
  let file: vscode.Uri;

  const tokenOf = (n: number) => `tok_${String(n).repeat(8)}_${'f00dcafe'.repeat(3)}`;

  before(async () => {
    ({ api } = await startBehalf());
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ url: req.url!, token: req.headers['x-token'] as string | undefined, user: req.headers['x-user'] as string | undefined });
        if (req.url === '/login') {
          logins++;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: tokenOf(logins), user: { id: 40 + logins } }));
        } else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    file = vscode.Uri.file(path.join(folder, 'chain.http'));
    fs.writeFileSync(
      file.fsPath,
      [
        '# @name login',
        '# @connection gen-header-sandbox',
        `POST http://127.0.0.1:${port}/login`,
        '',
        '###',
        '# @connection gen-header-sandbox',
        `GET http://127.0.0.1:${port}/items`,
        'X-Token: {{login.response.body.$.token}}',
        'X-User: {{login.response.body.$.user.id}}',
      ].join('\n'),
    );
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Records error messages (with their buttons) and answers them with `answer(message, buttons)`. */
  async function watchingErrors<T>(run: () => Thenable<T>, answer: (message: string, buttons: string[]) => string | undefined = () => undefined) {
    const window = vscode.window as unknown as Record<'showErrorMessage', (...args: unknown[]) => Thenable<unknown>>;
    const original = window.showErrorMessage;
    const errors: Array<{ message: string; buttons: string[] }> = [];
    window.showErrorMessage = (...args: unknown[]) => {
      const message = String(args[0]);
      const buttons = args.slice(1).filter((a): a is string => typeof a === 'string');
      errors.push({ message, buttons });
      return Promise.resolve(answer(message, buttons));
    };
    try {
      return { result: await run(), errors };
    } finally {
      window.showErrorMessage = original;
    }
  }

  it('a request reading a named request not sent yet offers "Send login first", which sends login and then it', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const { errors } = await watchingErrors(
      async () => {
        await vscode.commands.executeCommand('behalf.sendRequest', file, 7);
        await waitFor('login, then the request', () => received.length >= 2);
      },
      (_message, buttons) => buttons.find((b) => b === 'Send login first'),
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /^Behalf: Send "login" first \(\{\{login\.response\.body\.\$\.token\}\} reads its response/);
    assert.deepEqual(errors[0].buttons, ['Send login first', 'Go to Problem', 'Show Log']);
    assert.deepEqual(received, [
      { url: '/login', token: undefined, user: undefined },
      { url: '/items', token: tokenOf(1), user: '41' },
    ]);
  });

  it('sent in sequence: the second request carries the latest response of the first; the token is redacted', async () => {
    const { errors } = await watchingErrors(async () => {
      await vscode.commands.executeCommand('behalf.sendRequest', file, 3);
      await vscode.commands.executeCommand('behalf.sendRequest', file, 7);
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(received.slice(2), [
      { url: '/login', token: undefined, user: undefined },
      { url: '/items', token: tokenOf(2), user: '42' },
    ]);
    // Shaped like a token: registered with the redactor, so no panel, log or export shows it.
    assert.equal(api.services.engine.redactor.text(`x ${tokenOf(2)} y`), 'x «redacted» y');
  });
});
