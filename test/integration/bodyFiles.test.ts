// Request bodies from files (`< path`, `<@ path`) through the extension's commands in a real VS Code: sent
// byte for byte to a real server, a missing file shown as an error message and warned about in the editor.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startBehalf, waitFor } from './support';

/** Every byte value: CR, LF and NUL included, as in an image. */
const IMAGE = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256));

describe('Body files in a real VS Code', function () {
  this.timeout(60_000);
  let server: http.Server;
  const received: Buffer[] = [];
  let folder: string;
  let file: vscode.Uri;

  before(async () => {
    await startBehalf();
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    fs.mkdirSync(path.join(folder, 'upload-data'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'upload-data', 'image.bin'), IMAGE);
    fs.writeFileSync(path.join(folder, 'upload-data', 'meta.json'), '{"who": "{{who}}"}');
    file = vscode.Uri.file(path.join(folder, 'upload.http'));
    fs.writeFileSync(
      file.fsPath,
      [
        '@who = Jane',
        '',
        '### upload',
        '# @connection gen-header-sandbox',
        `POST http://127.0.0.1:${port}/upload`,
        'Content-Type: multipart/form-data; boundary=B',
        '',
        '--B',
        'Content-Disposition: form-data; name="file"; filename="image.bin"',
        '',
        '< ./upload-data/image.bin',
        '--B',
        'Content-Disposition: form-data; name="meta"',
        '',
        '<@ ./upload-data/meta.json',
        '--B--',
        '',
        '### missing',
        '# @connection gen-header-sandbox',
        `POST http://127.0.0.1:${port}/upload`,
        '',
        '< ./upload-data/missing.bin',
      ].join('\n'),
    );
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Answers modal confirmations with "Send" and records error messages, for the length of `run`. */
  async function watchingMessages<T>(run: () => Thenable<T>): Promise<{ result: T; errors: string[] }> {
    const window = vscode.window as unknown as Record<'showWarningMessage' | 'showErrorMessage', (...args: unknown[]) => Thenable<unknown>>;
    const original = { warning: window.showWarningMessage, error: window.showErrorMessage };
    const errors: string[] = [];
    window.showWarningMessage = (...args: unknown[]) => {
      const options = args[1];
      if (options && typeof options === 'object' && (options as vscode.MessageOptions).modal) return Promise.resolve('Send');
      return original.warning.apply(vscode.window, args);
    };
    window.showErrorMessage = (...args: unknown[]) => {
      errors.push(String(args[0]));
      return Promise.resolve(undefined);
    };
    try {
      return { result: await run(), errors };
    } finally {
      window.showWarningMessage = original.warning;
      window.showErrorMessage = original.error;
    }
  }

  it('"Send" sends a multipart body with a binary file byte for byte and a <@ file with its variables', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const { errors } = await watchingMessages(() => vscode.commands.executeCommand('behalf.sendRequest', file, 5));
    assert.deepEqual(errors, []);
    assert.equal(received.length, 1);
    const expected = Buffer.concat([
      Buffer.from('--B\r\nContent-Disposition: form-data; name="file"; filename="image.bin"\r\n\r\n'),
      IMAGE,
      Buffer.from('\r\n--B\r\nContent-Disposition: form-data; name="meta"\r\n\r\n{"who": "Jane"}\r\n--B--'),
    ]);
    assert.ok(expected.equals(received[0]), 'the body arrived byte for byte');
  });

  it('a missing body file: a warning in the editor, and an error message naming the path when sent', async () => {
    await waitFor('the missing-file warning', () =>
      vscode.languages
        .getDiagnostics(file)
        .some(
          (d) =>
            d.severity === vscode.DiagnosticSeverity.Warning &&
            /body file \.\/upload-data\/missing\.bin not found/.test(d.message) &&
            d.range.start.line === 21,
        ),
    );
    assert.ok(!vscode.languages.getDiagnostics(file).some((d) => /not supported/.test(d.message)));
    const before = received.length;
    const { errors } = await watchingMessages(() => vscode.commands.executeCommand('behalf.sendRequest', file, 20));
    assert.equal(received.length, before, 'nothing was sent');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^Behalf: Cannot read the body file \.\/upload-data\/missing\.bin \(resolved to .*missing\.bin\): no such file/);
  });
});
