// .http files of REST Client, httpYac, JetBrains HTTP Client and kulala.nvim: each construct is read as the
// tool that documents it says, or is a diagnostic that names it — never silently sent as something else.
// One small fixture per construct under test/fixtures/http-compat/ (name.http), with its expected parse in
// name.json: the requests (method, URL, headers, body, ...) and every diagnostic (line, severity, message
// regex), and optionally what resolving a request gives (headers, the body as JSON, the body's shape).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BehalfError } from '../../src/core/errors';
import { parseHttpFile } from '../../src/core/http/parser';
import { resolveRequest } from '../../src/core/http/variables';
import { prng } from './support';

const DIR = path.join(__dirname, '..', 'fixtures', 'http-compat');

interface ExpectedRequest {
  name?: string;
  method: string;
  url: string;
  httpVersion?: string;
  /** [name, value] in order; absent: not checked. */
  headers?: Array<[string, string]>;
  /** absent: not checked; null: no body. */
  body?: string | null;
  hasErrors?: boolean;
  graphql?: boolean;
  /** [startLine, endLine] */
  range?: [number, number];
  disabled?: boolean;
  noRedirect?: boolean;
  /** The `# @note` text ('' for none); absent: not checked. */
  note?: string | null;
  /** `# @prompt` lines: [name, description or null, secret]. */
  prompts?: Array<[string, string | null, boolean]>;
  /** `?? …` lines: [subject, path or null, operator, expected or null]. */
  assertions?: Array<[string, string | null, string, string | null]>;
  /** `# @expect …` lines: [identity, kind, status or count or null, comparison or null]. */
  expectations?: Array<[string, string, number | null, string | null]>;
}

interface ExpectedDiagnostic {
  line: number;
  column?: number;
  severity: 'error' | 'warning';
  message: string;
}

interface ExpectedResolution {
  index: number;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  absentHeaders?: string[];
  bodyJson?: unknown;
  /** Each key of the JSON body, as a string, matches the regex. */
  bodyShape?: Record<string, string>;
}

interface Fixture {
  tool: string;
  environment?: Record<string, string>;
  requests: ExpectedRequest[];
  diagnostics: ExpectedDiagnostic[];
  resolved?: ExpectedResolution[];
}

// 2025-03-04T05:06:07Z, and a fixed sequence of random numbers: the resolved values are reproducible.
const NOW = Date.UTC(2025, 2, 4, 5, 6, 7);
const seeded = (): (() => number) => prng(0x2f6b1d3);

const names = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.http'))
  .map((f) => f.slice(0, -'.http'.length))
  .sort();

describe('.http compatibility corpus (test/fixtures/http-compat)', () => {
  it('has a .json expectation for every .http fixture, and the other way round', () => {
    const jsons = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
    assert.deepEqual(jsons, names);
    assert.ok(names.length >= 30, `only ${names.length} fixtures`);
  });

  for (const name of names) {
    it(`${name}.http`, () => {
      const file = path.join(DIR, `${name}.http`);
      const expected = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Fixture;
      const parsed = parseHttpFile(fs.readFileSync(file, 'utf8'), file);
      const shown = JSON.stringify(
        parsed.diagnostics.map((d) => `${d.position.line}:${d.position.column} ${d.severity}: ${d.message}`),
        null,
        2,
      );

      assert.equal(parsed.diagnostics.length, expected.diagnostics.length, `diagnostics of ${name}: ${shown}`);
      expected.diagnostics.forEach((want, i) => {
        const got = parsed.diagnostics[i];
        assert.equal(got.position.file, file);
        assert.equal(got.position.line, want.line, `diagnostic ${i} of ${name}: ${shown}`);
        if (want.column !== undefined) assert.equal(got.position.column, want.column, `diagnostic ${i} of ${name}: ${shown}`);
        assert.equal(got.severity, want.severity, `diagnostic ${i} of ${name}: ${shown}`);
        assert.match(got.message, new RegExp(want.message), `diagnostic ${i} of ${name}`);
      });

      assert.equal(parsed.requests.length, expected.requests.length, `requests of ${name}: ${parsed.requests.map((r) => `${r.method} ${r.url}`).join(', ')}`);
      expected.requests.forEach((want, i) => {
        const got = parsed.requests[i];
        const what = `request ${i} of ${name}`;
        assert.equal(got.method, want.method, what);
        assert.equal(got.url, want.url, what);
        if (want.name !== undefined) assert.equal(got.name, want.name, what);
        if (want.httpVersion !== undefined) assert.equal(got.httpVersion, want.httpVersion, what);
        if (want.headers !== undefined)
          assert.deepEqual(
            got.headers.map((h) => [h.name, h.value]),
            want.headers,
            what,
          );
        if (want.body !== undefined) assert.equal(got.body, want.body ?? undefined, what);
        if (want.hasErrors !== undefined) assert.equal(got.hasErrors, want.hasErrors, what);
        if (want.graphql !== undefined) assert.equal(got.graphql === true, want.graphql, what);
        if (want.range !== undefined) assert.deepEqual([got.range.startLine, got.range.endLine], want.range, what);
        if (want.disabled !== undefined) assert.equal(got.disabled === true, want.disabled, what);
        if (want.noRedirect !== undefined) assert.equal(got.noRedirect === true, want.noRedirect, what);
        if (want.note !== undefined) assert.equal(got.note, want.note ?? undefined, what);
        if (want.assertions !== undefined)
          assert.deepEqual(
            got.assertions.map((x) => [x.subject, x.path ?? null, x.operator, x.expected ?? null]),
            want.assertions,
            what,
          );
        if (want.expectations !== undefined)
          assert.deepEqual(
            got.expectations.map((x) => [
              x.identity,
              x.kind,
              x.kind === 'status' ? x.status : x.kind === 'rows' ? x.count : null,
              x.kind === 'rows' ? x.comparison : null,
            ]),
            want.expectations,
            what,
          );
        if (want.prompts !== undefined)
          assert.deepEqual(
            (got.prompts ?? []).map((p) => [p.name, p.description ?? null, p.secret]),
            want.prompts,
            what,
          );
      });

      for (const want of expected.resolved ?? []) {
        const request = parsed.requests[want.index];
        const spec = resolveRequest(parsed, request, {
          environment: expected.environment ?? {},
          processEnv: {},
          dotenv: () => undefined,
          now: () => NOW,
          random: seeded(),
        });
        const what = `resolved request ${want.index} of ${name}`;
        if (want.method !== undefined) assert.equal(spec.method, want.method, what);
        if (want.url !== undefined) assert.equal(spec.url, want.url, what);
        for (const [k, v] of Object.entries(want.headers ?? {})) assert.equal(spec.headers[k], v, `${what}: header ${k}`);
        for (const k of want.absentHeaders ?? [])
          assert.ok(!Object.keys(spec.headers).some((h) => h.toLowerCase() === k.toLowerCase()), `${what}: ${k} is not sent`);
        const text = typeof spec.body === 'string' ? spec.body : spec.body === undefined ? '' : Buffer.from(spec.body).toString('utf8');
        if (want.bodyJson !== undefined) assert.deepEqual(JSON.parse(text), want.bodyJson, what);
        if (want.bodyShape !== undefined) {
          const body = JSON.parse(text) as Record<string, unknown>;
          assert.deepEqual(Object.keys(body).sort(), Object.keys(want.bodyShape).sort(), what);
          for (const [k, pattern] of Object.entries(want.bodyShape)) assert.match(String(body[k]), new RegExp(pattern), `${what}: ${k}`);
        }
      }

      // A request with an error is never sent: resolving it is refused.
      for (const request of parsed.requests.filter((r) => r.hasErrors)) {
        assert.throws(
          () => resolveRequest(parsed, request, { processEnv: {}, dotenv: () => undefined }),
          (e: unknown) => e instanceof BehalfError && e.code === 'parse',
        );
      }
    });
  }
});

describe('.http compatibility: dynamic variables', () => {
  const at = (text: string, random?: () => number): string => {
    const parsed = parseHttpFile(`GET /x?v=${text}\n`, '/work/dyn.http');
    assert.deepEqual(parsed.diagnostics, []);
    return resolveRequest(parsed, parsed.requests[0], { now: () => NOW, ...(random ? { random } : {}) }).url.slice('/x?v='.length);
  };

  it('{{$random.integer(a, b)}} is from a (included) to b (excluded); {{$randomInt}} alone 0 to 1000', () => {
    assert.equal(
      at('{{$random.integer(5, 10)}}', () => 0),
      '5',
    );
    assert.equal(
      at('{{$random.integer(5, 10)}}', () => 0.99999),
      '9',
    );
    assert.equal(
      at('{{$random.integer(-3,-1)}}', () => 0.5),
      '-2',
    );
    assert.equal(
      at('{{$randomInt}}', () => 0),
      '0',
    );
    assert.equal(
      at('{{$randomInt}}', () => 0.99999),
      '1000',
    );
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(at('{{$random.integer(0, 2)}}'));
    assert.deepEqual([...seen].sort(), ['0', '1']);
  });

  it('{{$isoTimestamp}}, {{$timestamp}}, {{$random.uuid}}, {{$uuid}}, {{$random.email}} have their shapes', () => {
    assert.equal(at('{{$isoTimestamp}}'), '2025-03-04T05:06:07.000Z');
    assert.equal(at('{{$timestamp}}'), '1741064767');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    assert.match(at('{{$random.uuid}}'), uuid);
    assert.match(at('{{$uuid}}'), uuid);
    assert.notEqual(at('{{$random.uuid}}'), at('{{$random.uuid}}'));
    assert.match(at('{{$random.email}}'), /^[a-z0-9]{10}@example\.com$/);
    assert.match(at('{{$random.alphabetic(12)}}'), /^[A-Za-z]{12}$/);
    assert.match(at('{{$random.float(1, 2)}}'), /^1(\.\d+)?$/);
  });

  it('bad $random arguments and unknown $random.* are errors at their column', () => {
    for (const [ref, message] of [
      ['{{$random.integer(5)}}', /bad arguments in \{\{\$random\.integer\(5\)\}\}/],
      ['{{$random.integer(9, 1)}}', /from must be less than to/],
      ['{{$random.alphabetic(0)}}', /bad arguments/],
      ['{{$random.uuid(1)}}', /takes no arguments/],
      ['{{$random.address.city}}', /unsupported \{\{\$random\.address\.city\}\}/],
      ['{{$random.color}}', /not supported by Behalf/],
      ['{{$isoTimestamp 1 d}}', /takes no arguments/],
    ] as const) {
      const parsed = parseHttpFile(`GET /x?v=${ref}\n`, '/work/dyn.http');
      assert.equal(parsed.diagnostics.length, 1, ref);
      assert.equal(parsed.diagnostics[0].severity, 'error');
      assert.equal(parsed.diagnostics[0].position.column, 10, ref);
      assert.match(parsed.diagnostics[0].message, message);
    }
  });
});

describe('.http compatibility: --var overrides', () => {
  it('a value in overrides wins over file variables and the environment, and is taken as written', () => {
    const parsed = parseHttpFile('@host = https://file.example\n@id = 1\n\nGET {{host}}/items/{{id}}?env={{fromEnv}}\n', '/work/vars.http');
    const spec = resolveRequest(parsed, parsed.requests[0], {
      environment: { host: 'https://env.example', fromEnv: 'e', id: '2' },
      overrides: { id: '{{not-expanded}}', fromEnv: 'cli' },
    });
    assert.equal(spec.url, 'https://file.example/items/{{not-expanded}}?env=cli');
  });
});
