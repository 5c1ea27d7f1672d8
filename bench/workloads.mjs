// The requests every tool sends, written once per run in each tool's own format: a `.http` file (Behalf and
// httpyac read the same file), a Postman collection (newman), and a body file (the two baseline loops).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A ~100 KB JSON document (the same bytes every time), for the POST case. */
export function postBody(targetBytes = 100 * 1024) {
  const rows = [];
  let size = 20;
  for (let i = 0; size < targetBytes - 200; i++) {
    const row = {
      id: 100000 + i,
      name: `Deal ${i}`,
      stage: ['Sourcing', 'Diligence', 'Closed'][i % 3],
      amount: i * 1234.5,
      owner: `user${i % 50}@acme.test`,
      notes: 'Quarterly review with the regional team.',
    };
    size += JSON.stringify(row).length + 1;
    rows.push(row);
  }
  return JSON.stringify({ rows });
}

/**
 * Writes one workload into `dir`: `requests.http`, `collection.json`, `body.json` (POST only) and
 * `behalf.connections.json` (a generic connection without authentication for the target server).
 * GET: `count` requests of `${url}/data`; POST: `count` requests of `${url}/echo`, each with the whole body inline.
 */
export function writeWorkload(dir, { url, method, count, body }) {
  const target = method === 'GET' ? `${url}/data` : `${url}/echo`;
  const blocks = [];
  for (let i = 0; i < count; i++) {
    // No `# @name`: names are optional, and httpyac keeps every named response as a variable (measurably slower).
    blocks.push(method === 'GET' ? `GET ${target}\n` : `POST ${target}\nContent-Type: application/json\n\n${body}\n`);
  }
  writeFileSync(join(dir, 'requests.http'), blocks.join('\n###\n\n'));
  const collection = {
    info: { name: `behalf-bench ${method} x${count}`, schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
    item: Array.from({ length: count }, (_, i) => ({
      name: `r${i}`,
      request:
        method === 'GET'
          ? { method: 'GET', url: target }
          : { method: 'POST', url: target, header: [{ key: 'Content-Type', value: 'application/json' }], body: { mode: 'raw', raw: body } },
    })),
  };
  writeFileSync(join(dir, 'collection.json'), JSON.stringify(collection));
  if (body !== undefined) writeFileSync(join(dir, 'body.json'), body);
  const connections = { connections: [{ id: 'bench', vendor: 'generic', label: 'Bench server', baseUrl: url, auth: 'none' }] };
  writeFileSync(join(dir, 'behalf.connections.json'), JSON.stringify(connections, null, 2));
  return {
    http: join(dir, 'requests.http'),
    collection: join(dir, 'collection.json'),
    body: body === undefined ? undefined : join(dir, 'body.json'),
    connections: join(dir, 'behalf.connections.json'),
    target,
  };
}
