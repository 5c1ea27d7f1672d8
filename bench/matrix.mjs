// Case 8: the access matrix (`behalf matrix`), against the vendor sandbox in another process.
//  - DealCloud: 10 requests × 10 identities at --concurrency 4, against the same 100 sends one after another
//    (--concurrency 1, the same command otherwise). Every row read answers after DC_LATENCY_MS (a sandbox delay
//    fault: the round trip of a vendor on the internet; on loopback there would be nothing to overlap).
//  - Creative Force: a matrix of 200 cells (50 reads × 4 apps) through the gateway's 20 requests/s per IP: the rate
//    the sandbox saw (first to last gateway request) against that limit, and the 429s (at the sandbox, and in cells).
// Called by bench/run.mjs with its helpers; returns the case's result object.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DC_LATENCY_MS = 40;
const CF_LIMIT = 20;
/** Users the DealCloud sandbox has without assignments: assigned here, so that the matrix has 10 identities. */
const EXTRA_DC_USERS = [6050, 6051, 6052, 6053, 6054, 6055];

export async function matrixCase(h) {
  const { CLI, SANDBOX, work, QUICK, RUNS, runTools, startHelper, getJson, target, ratio, round, say, helpers, childEnv } = h;
  const dcRequests = QUICK ? 3 : 10;
  const cfRequests = QUICK ? 5 : 50;
  say(`case 8: access matrix (DealCloud ${dcRequests} × 10 at --concurrency 4 vs 1; Creative Force ${cfRequests * 4} cells at 20/s)`);
  const sandbox = await startHelper(SANDBOX, ['--port', '0', '--machine'], 'sandbox');
  helpers.push(sandbox);
  const { url, connections, secrets } = sandbox.info;
  const dc = connections.find((c) => c.id === 'dc-sandbox');
  dc.principals.push(...EXTRA_DC_USERS.map((id) => ({ id: `u${id}`, userId: String(id) })));
  const config = join(work, 'matrix.connections.json');
  writeFileSync(config, JSON.stringify({ connections }, null, 2));
  const env = childEnv(
    Object.fromEntries(
      secrets.map((s) => [
        `BEHALF_SECRET_${[s.connectionId, s.principalId]
          .filter(Boolean)
          .map((p) => p.toUpperCase().replace(/[^A-Z0-9]/g, '_'))
          .join('_')}`,
        s.value,
      ]),
    ),
  );
  const cli = (args) => spawnSync(process.execPath, [CLI, ...args, '--config', config], { cwd: work, env, encoding: 'utf8' });
  for (const id of EXTRA_DC_USERS) {
    const r = cli(['assign', 'dc-sandbox', String(id)]);
    if (r.status !== 0) throw new Error(`behalf assign ${id}: ${r.stderr}`);
  }
  await getJson(`${url}/__sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ match: { pathIncludes: '/entrydata/rows/' }, kind: 'delay', delayMs: DC_LATENCY_MS, times: 1_000_000 }),
  });

  const dcFile = join(work, 'matrix-dealcloud.http');
  writeFileSync(
    dcFile,
    Array.from(
      { length: dcRequests },
      (_, i) => `# @name read${i}\n# @connection dc-sandbox\nGET /api/rest/v4/data/entrydata/rows/${i % 2 ? 'Companies' : 'Deals'}?limit=100&i=${i}\n`,
    ).join('\n###\n'),
  );
  const dcIdentities = ['self', 'jane', 'raj', 'lee', ...EXTRA_DC_USERS.map((id) => `u${id}`)].flatMap((id) => ['--as', id]);
  const cells = (expected) => (stdout) => {
    const json = JSON.parse(stdout.trim().split('\n').pop());
    if (json.cells.length !== expected) throw new Error(`${json.cells.length} cells, expected ${expected}`);
    const errors = json.cells.filter((c) => c.outcome === 'error' || c.outcome === 'skipped');
    if (errors.length) throw new Error(`${errors.length} cells without an answer: ${errors[0].error ?? errors[0].explanation}`);
    return { status429: json.cells.filter((c) => c.status === 429).length };
  };
  const dcTool = (id, label, concurrency) => ({
    id,
    label,
    cmd: process.execPath,
    args: [CLI, 'matrix', dcFile, ...dcIdentities, '--concurrency', String(concurrency), '--json', '--config', config],
    cwd: work,
    env,
    display: `behalf matrix matrix-dealcloud.http --as … (10) --concurrency ${concurrency} --json`,
    parse: cells(dcRequests * 10),
  });
  const dcMeasured = await runTools('case 8 (DealCloud)', [
    dcTool('sequential', 'one after another (--concurrency 1)', 1),
    dcTool('concurrent', '--concurrency 4', 4),
  ]);
  const dcBy = Object.fromEntries(dcMeasured.map((t) => [t.id, t]));
  const speedup = ratio(dcBy.sequential?.wallMs?.median, dcBy.concurrent?.wallMs?.median);

  const cfFile = join(work, 'matrix-creativeforce.http');
  writeFileSync(
    cfFile,
    Array.from({ length: cfRequests }, (_, i) => `# @name task${i}\n# @connection cf-sandbox\nGET /extpost/tasks/T-100?i=${i}\n`).join('\n###\n'),
  );
  const cfRuns = QUICK ? 1 : Math.min(RUNS, 2);
  const rates = [];
  const sandbox429 = [];
  const cfTool = {
    id: 'creativeforce',
    label: `${cfRequests * 4} cells at --concurrency 4`,
    cmd: process.execPath,
    args: [CLI, 'matrix', cfFile, '--as', 'self', '--as', 'eve', '--as', 'ed', '--as', 'pat', '--json', '--config', config],
    cwd: work,
    env,
    display: `behalf matrix matrix-creativeforce.http --as self --as eve --as ed --as pat --json`,
    parse: cells(cfRequests * 4),
    check: {
      before: () => fetch(`${url}/__sandbox/log`, { method: 'DELETE' }),
      after: async () => {
        const log = await getJson(`${url}/__sandbox/log`);
        const gateway = (Array.isArray(log) ? log : (log.entries ?? [])).filter((e) => e.vendor === 'creativeforce' && e.path.includes('/extpost/'));
        if (gateway.length < 2) return `the sandbox saw ${gateway.length} gateway request(s)`;
        const seconds = (gateway.at(-1).time - gateway[0].time) / 1000;
        rates.push((gateway.length - 1) / seconds);
        sandbox429.push(gateway.filter((e) => e.status === 429).length);
        return undefined;
      },
    },
  };
  const [cfMeasured] = await runTools('case 8 (Creative Force)', [cfTool], { runs: cfRuns });
  rates.splice(0, rates.length - cfRuns); // warm-up rounds are not counted
  sandbox429.splice(0, sandbox429.length - cfRuns);
  const rate = rates.length ? rates.sort((a, b) => a - b)[rates.length >> 1] : undefined;
  cfMeasured.requestsPerSecond = rate === undefined ? undefined : round(rate, 2);
  cfMeasured.sandbox429 = sandbox429;
  const cells429 = cfMeasured.runs.reduce((n, r) => n + (r.status429 ?? 0), 0);
  await sandbox.stop();

  return {
    id: 8,
    title: `Access matrix: DealCloud ${dcRequests} × 10 identities, Creative Force ${cfRequests * 4} cells`,
    description: `behalf matrix as its own process against the vendor sandbox (another process). DealCloud: ${dcRequests} GET row reads × 10 identities (the service user and 9 principals, 6 of them assigned for the benchmark), every row read answering after ${DC_LATENCY_MS} ms (a sandbox delay fault standing in for a vendor's round trip); the same command at --concurrency 1 is the baseline of "the same sends one after another". Creative Force: ${cfRequests} GETs × 4 apps through the engine's shared 20 requests/s limiter; the rate is what the sandbox saw from the first to the last gateway request, 429s counted at the sandbox and in the cells.`,
    baseline: '--concurrency 1',
    count: dcRequests * 10,
    tools: [...dcMeasured, cfMeasured],
    targets: [
      target(
        '8.dealcloud',
        `DealCloud ${dcRequests} × 10 matrix at --concurrency 4 ≥ 3× faster than one after another`,
        speedup,
        '>=',
        3,
        '×',
        undefined,
        ratio(dcBy.sequential?.wallMs?.min, dcBy.concurrent?.wallMs?.min),
      ),
      target(
        '8.creativeforce.rate',
        `Creative Force matrix ≥ 90 % of ${CF_LIMIT} requests/s`,
        rate === undefined ? undefined : (rate / CF_LIMIT) * 100,
        '>=',
        90,
        '%',
      ),
      target(
        '8.creativeforce.429',
        'Creative Force matrix: no 429 reaching the user (cells) nor the sandbox',
        cfMeasured.error ? undefined : cells429 + sandbox429.reduce((a, b) => a + b, 0),
        '<=',
        0,
        '',
      ),
    ],
  };
}
