// The engine asks its Log whether a level is kept before building a message (each request's messages redact a URL):
// a log that keeps only warnings gets none of the per-request info and debug lines, one without `enabled` gets all.

import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehalfEngine } from '../../src/core/engine';
import type { Connection } from '../../src/core/model';
import type { Log, LogLevel } from '../../src/core/ports';
import { allVendors } from '../../src/vendors';

describe('BehalfEngine and its Log: messages only for the levels kept', () => {
  let server: http.Server;
  let connection: Connection;

  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    connection = { id: 'local', vendor: 'generic', label: 'Local', baseUrl: base, auth: 'none', principals: [] };
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const sendTwice = async (log: Log) => {
    const engine = new BehalfEngine({
      vendors: allVendors,
      secrets: { get: async () => undefined, whereToSet: () => '' },
      prompt: { confirm: async () => true },
      log,
    });
    try {
      for (const path of ['/a?x=1', '/b']) {
        const record = await engine.sendAs({ method: 'GET', url: path, headers: {} }, { connection, mode: 'full' });
        assert.equal(record.status, 200);
      }
    } finally {
      await engine.dispose();
    }
  };

  it('a log keeping warnings only is asked, and gets no info or debug message', async () => {
    const asked: LogLevel[] = [];
    const got: LogLevel[] = [];
    await sendTwice({
      log: (level) => void got.push(level),
      enabled: (level) => {
        asked.push(level);
        return level === 'warn' || level === 'error';
      },
    });
    assert.ok(asked.includes('info') && asked.includes('debug'), `asked: ${asked.join(' ')}`);
    assert.deepEqual(
      got.filter((l) => l === 'info' || l === 'debug'),
      [],
    );
  });

  it("a log without `enabled` gets each request's route (debug) and outcome (info)", async () => {
    const got: { level: LogLevel; message: string }[] = [];
    await sendTwice({ log: (level, message) => void got.push({ level, message }) });
    const info = got.filter((m) => m.level === 'info').map((m) => m.message);
    const debug = got.filter((m) => m.level === 'debug').map((m) => m.message);
    assert.equal(info.filter((m) => / → 200 in \d+ ms/.test(m)).length, 2, info.join('\n'));
    assert.equal(debug.filter((m) => /^GET http:\/\/127\.0\.0\.1:\d+\/a\?x=1: /.test(m)).length, 1, debug.join('\n'));
  });
});
