import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BehalfError } from '../../src/core/errors';
import { environmentsFromObject, loadDotenv, loadEnvironments, parseDotenv } from '../../src/core/http/environments';
import { parseHttpFile, type ParsedHttpFile } from '../../src/core/http/parser';
import { RequestVariableStore, UnsentRequestError, looksSecret, type RequestExchange } from '../../src/core/http/requestVariables';
import { parseJsonPath } from '../../src/core/http/template';
import { resolveRequest, resolveString, type VariableContext } from '../../src/core/http/variables';
import type { RequestSpec } from '../../src/core/model';

const FILE = '/work/api.http';
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'http');
// 2024-01-31T10:20:30.456Z, a Wednesday.
const NOW = Date.UTC(2024, 0, 31, 10, 20, 30, 456);

function parse(text: string, file = FILE): ParsedHttpFile {
  const p = parseHttpFile(text, file);
  assert.deepEqual(
    p.diagnostics.filter((d) => d.severity === 'error'),
    [],
    'test input should parse without errors',
  );
  return p;
}

function resolve(text: string, ctx: VariableContext = {}, index = 0): RequestSpec {
  const p = parse(text);
  return resolveRequest(p, p.requests[index], { now: () => NOW, ...ctx });
}

function resolveError(text: string, ctx: VariableContext = {}, index = 0): BehalfError {
  const p = parseHttpFile(text, FILE);
  try {
    resolveRequest(p, p.requests[index], { now: () => NOW, ...ctx });
  } catch (e) {
    assert.ok(e instanceof BehalfError, `expected a BehalfError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected resolveRequest to throw');
}

function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-http-'));
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('http variables', () => {
  describe('resolveRequest', () => {
    it('returns a RequestSpec with the name, method, url, headers, body and position', () => {
      const spec = resolve(
        '@host = https://api.test\n\n### Create\n# @name create\nPOST {{host}}/rows HTTP/1.1\nContent-Type: application/json\n\n{"a": "{{host}}"}\n',
      );
      assert.deepEqual(spec, {
        name: 'create',
        method: 'POST',
        url: 'https://api.test/rows',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a": "https://api.test"}',
        position: { file: FILE, line: 5, column: 1 },
      });
    });

    it('leaves relative URLs relative', () => {
      const spec = resolve('@api = /api/rest/v4\nGET {{api}}/rows/Deals?limit={{n}}', { environment: { n: '5' } });
      assert.equal(spec.url, '/api/rest/v4/rows/Deals?limit=5');
    });

    it('joins ? and & continuation lines into the URL', () => {
      const spec = resolve('@size = 10\nGET https://example.com/comments\n    ?page=2\n    &pageSize={{size}}');
      assert.equal(spec.url, 'https://example.com/comments?page=2&pageSize=10');
    });

    it('substitutes in URL, header values and body; {{ name }} may have spaces', () => {
      const spec = resolve(
        '@id = 42\n@token = abc\nPUT /items/{{ id }}\nAuthorization: Bearer {{token}}\nX-Both: {{id}}-{{token}}\n\n{"id": {{id}}, "nested": {{{id}}}}\n',
      );
      assert.equal(spec.url, '/items/42');
      assert.deepEqual(spec.headers, { Authorization: 'Bearer abc', 'X-Both': '42-abc' });
      assert.equal(spec.body, '{"id": 42, "nested": {42}}');
    });

    it('leaves text without references untouched (and the body absent when there is none)', () => {
      const spec = resolve('GET /plain\nAccept: */*\n');
      assert.equal(spec.body, undefined);
      assert.equal(spec.url, '/plain');
      assert.equal(spec.name, undefined);
    });

    it('combines repeated headers (Cookie with "; ", others with ", "), keeping the first spelling', () => {
      const spec = resolve('GET /a\nAccept: text/html\naccept: application/json\nCookie: a=1\ncookie: b=2\n');
      assert.deepEqual(spec.headers, { Accept: 'text/html, application/json', Cookie: 'a=1; b=2' });
    });

    it('joins x-www-form-urlencoded bodies on lines starting with & (as REST Client)', () => {
      const spec = resolve('@pw = s3cret\nPOST /login\nContent-Type: application/x-www-form-urlencoded\n\nname=foo\n  &password={{pw}}\n&x=1\n');
      assert.equal(spec.body, 'name=foo&password=s3cret&x=1');
    });

    it('uses CRLF in multipart bodies and ends NDJSON bodies with a newline', () => {
      const multipart = resolve('POST /u\nContent-Type: multipart/form-data; boundary=B\n\n--B\nContent-Disposition: form-data; name="t"\n\ntitle\n--B--\n');
      assert.equal(multipart.body, '--B\r\nContent-Disposition: form-data; name="t"\r\n\r\ntitle\r\n--B--');
      const ndjson = resolve('POST /bulk\nContent-Type: application/x-ndjson\n\n{"a":1}\n{"b":2}\n');
      assert.equal(ndjson.body, '{"a":1}\n{"b":2}\n');
    });

    it('refuses a request with error diagnostics', () => {
      const p = parseHttpFile('# @mode maybe\nGET /a', FILE);
      assert.equal(p.requests[0].hasErrors, true);
      assert.throws(
        () => resolveRequest(p, p.requests[0], {}),
        (e: unknown) => e instanceof BehalfError && e.code === 'parse' && /expected lite or full/.test(e.message) && e.position?.line === 1,
      );
    });
  });

  describe('file variables', () => {
    it('may reference other file variables, in any order above the request', () => {
      const spec = resolve(
        '@url = {{scheme}}://{{host}}:{{port}}\n@scheme = https\n@hostname = api.example.com\n@host = {{hostname}}\n@port = 8080\nGET {{url}}/x',
      );
      assert.equal(spec.url, 'https://api.example.com:8080/x');
    });

    it('apply to requests below them; the latest definition above a request wins', () => {
      const text = '@v = one\nGET /{{v}}\n\n###\n@v = two\nGET /{{v}}\n\n###\nGET /{{v}}';
      const p = parse(text);
      assert.deepEqual(
        p.requests.map((r) => resolveRequest(p, r, {}).url),
        ['/one', '/two', '/two'],
      );
    });

    it('apply to the whole file as in REST Client: one defined only below the request is used too', () => {
      assert.equal(resolve('GET /{{later}}\n\n###\n@later = 1\nGET /x').url, '/1');
      // The nearest definition above wins over one below; with none above, the first one below.
      const p = parse('GET /{{v}}\n\n###\n@v = two\nGET /{{v}}\n\n###\n@v = three\nGET /x');
      assert.deepEqual(
        p.requests.slice(0, 2).map((r) => resolveRequest(p, r, {}).url),
        ['/two', '/two'],
      );
      const e = resolveError('GET /{{never}}\n\n###\n@nevr = 1\nGET /x');
      assert.equal(e.message, 'Unknown variable {{never}} (expected a file variable, an environment variable or a $system variable)');
      assert.equal(e.hint, 'did you mean {{nevr}}?');
      assert.deepEqual(e.position, { file: FILE, line: 1, column: 6 });
    });

    it('a reference to its own name means the value above it or in the environment', () => {
      assert.equal(resolve('@path = /api\n@path = {{path}}/v2\nGET {{path}}').url, '/api/v2');
      assert.equal(resolve('@host = {{host}}/tenant\nGET {{host}}', { environment: { host: 'https://h.test' } }).url, 'https://h.test/tenant');
      const e = resolveError('@a = {{a}}\nGET /{{a}}');
      assert.match(e.message, /Unknown variable \{\{a\}\}/);
      assert.deepEqual(e.position, { file: FILE, line: 1, column: 6 });
    });

    it('a cycle is a BehalfError "variable cycle", not a stack overflow', () => {
      const e = resolveError('@a = {{b}}\n@b = {{a}}\nGET /{{a}}');
      assert.equal(e.code, 'variable');
      assert.match(e.message, /^variable cycle: \{\{a\}\} → \{\{b\}\} → \{\{a\}\}/);
      assert.deepEqual(e.position, { file: FILE, line: 2, column: 6 });
      const three = resolveError('@a = x{{b}}\n@b = {{c}}\n@c = {{a}}\nGET /a\nX: {{c}}');
      assert.match(three.message, /variable cycle: \{\{c\}\} → \{\{a\}\} → \{\{b\}\} → \{\{c\}\}/);
    });

    it('cycles through environment variables are found too', () => {
      const e = resolveError('GET /{{a}}', { environment: { a: '{{b}}', b: 'x{{a}}' } });
      assert.match(e.message, /variable cycle/);
      assert.deepEqual(e.position, { file: FILE, line: 1, column: 6 });
      // The hint names the environment variable whose value closed the cycle.
      assert.match(e.hint ?? '', /in the value of environment variable "b"/);
    });

    it('a long chain resolves; a very long one is a BehalfError', () => {
      const lines: string[] = [];
      for (let i = 0; i < 40; i++) lines.push(`@v${i} = {{v${i + 1}}}`);
      lines.push('@v40 = end', 'GET /{{v0}}');
      assert.equal(resolve(lines.join('\n')).url, '/end');
      const deep: string[] = [];
      for (let i = 0; i < 5000; i++) deep.push(`@v${i} = {{v${i + 1}}}`);
      deep.push('@v5000 = end', 'GET /{{v0}}');
      const e = resolveError(deep.join('\n'));
      assert.equal(e.code, 'variable');
      assert.match(e.message, /nested more than/);
    });

    it('variables that multiply each other stop at a size limit', () => {
      const lines = ['@v0 = xxxxxxxxxxxxxxxx'];
      for (let i = 1; i <= 40; i++) lines.push(`@v${i} = {{v${i - 1}}}{{v${i - 1}}}`);
      lines.push('GET /{{v40}}');
      const e = resolveError(lines.join('\n'));
      assert.match(e.message, /longer than/);
    });
  });

  describe('unknown variables', () => {
    it('names the variable, what was expected, and its position; suggests a close name', () => {
      const e = resolveError('@host = https://h.test\nGET {{hots}}/a', { environment: { token: 't' } });
      assert.equal(e.code, 'variable');
      assert.equal(e.message, 'Unknown variable {{hots}} (expected a file variable, an environment variable or a $system variable)');
      assert.equal(e.hint, 'did you mean {{host}}?');
      assert.deepEqual(e.position, { file: FILE, line: 2, column: 5 });
      assert.match(e.describe(), /^\/work\/api\.http:2:5: Unknown variable \{\{hots\}\}/);
    });

    it('positions in headers, continuation lines and body lines', () => {
      const text = 'POST /a\n  ?x={{q1}}\nX-Head:   a{{q2}}\n\n{\n  // skipped comment\n  "k": "{{q3}}"\n}';
      assert.deepEqual(resolveError(text).position, { file: FILE, line: 2, column: 6 });
      assert.deepEqual(resolveError(text, { environment: { q1: '1' } }).position, { file: FILE, line: 3, column: 12 });
      assert.deepEqual(resolveError(text, { environment: { q1: '1', q2: '2' } }).position, { file: FILE, line: 7, column: 9 });
      assert.equal(resolve(text, { environment: { q1: '1', q2: '2', q3: '3' } }).body, '{\n  "k": "3"\n}');
    });

    it('positions in CRLF files', () => {
      const e = resolveError('@a = 1\r\n\r\n###\r\nGET /x\r\nX-A: {{a}}{{b}}\r\n');
      assert.deepEqual(e.position, { file: FILE, line: 5, column: 11 });
    });

    it('errors inside a file variable point at the definition', () => {
      const e = resolveError('@base = https://{{domain}}\nGET {{base}}/x');
      assert.deepEqual(e.position, { file: FILE, line: 1, column: 17 });
      assert.match(e.message, /\{\{domain\}\}/);
    });

    it('request variables of a request not sent yet ask to send it first', () => {
      const e = resolveError('# @name login\nPOST /login\n\n###\nGET /a\nAuthorization: Bearer {{login.response.body.$.token}}', {}, 1);
      assert.ok(e instanceof UnsentRequestError);
      assert.match(e.message, /^Send "login" first \(\{\{login\.response\.body\.\$\.token\}\} reads its response/);
    });

    it('does not see Object.prototype members as variables', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        const e = resolveError(`GET /{{${name}}}`, { environment: {}, processEnv: {} });
        assert.match(e.message, /Unknown variable/, name);
      }
    });
  });

  describe('precedence', () => {
    it('file variables > selected environment > $shared', () => {
      const envs = environmentsFromObject({ $shared: { a: 'shared-a', b: 'shared-b', c: 'shared-c' }, dev: { a: 'dev-a', b: 'dev-b' } });
      const text = '@a = file-a\nGET /{{a}}/{{b}}/{{c}}';
      assert.equal(resolve(text, { environment: envs.get('dev') }).url, '/file-a/dev-b/shared-c');
      assert.equal(resolve(text, { environment: envs.get() }).url, '/file-a/shared-b/shared-c');
    });

    it('REST Client settings objects passed in directly work the same (environment + shared)', () => {
      const settings = { $shared: { version: 'v1', c: 'shared-c' }, local: { host: 'localhost', api: '{{host}}/{{$shared version}}' } };
      const text = 'GET http://{{api}}/{{c}}';
      const direct = resolve(text, { environment: settings.local, shared: settings.$shared });
      const viaEnvironments = resolve(text, { environment: environmentsFromObject(settings).get('local') });
      assert.equal(direct.url, 'http://localhost/v1/shared-c');
      assert.deepEqual(direct, viaEnvironments);
    });

    it('environment values may reference other variables', () => {
      const spec = resolve('@tenant = acme\nGET {{url}}', { environment: { url: 'https://{{tenant}}.{{domain}}', domain: 'example.test' } });
      assert.equal(spec.url, 'https://acme.example.test');
    });

    it('an environment value referencing a missing variable names it', () => {
      const e = resolveError('GET {{url}}', { environment: { url: 'https://{{domian}}' } });
      assert.match(e.message, /Unknown variable \{\{domian\}\}/);
      assert.deepEqual(e.position, { file: FILE, line: 1, column: 5 });
      assert.match(e.hint ?? '', /in the value of environment variable "url"/);
    });
  });

  describe('system variables', () => {
    it('$guid and $uuid are v4 UUIDs, a new one per use', () => {
      const spec = resolve('GET /{{$guid}}/{{$uuid}}/{{$guid}}');
      const ids = spec.url.slice(1).split('/');
      for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(new Set(ids).size, 3);
      const seeded = resolve('GET /{{$guid}}', { random: () => 0 });
      assert.equal(seeded.url, '/00000000-0000-4000-8000-000000000000');
    });

    it('$timestamp is Unix seconds, with an optional offset', () => {
      const s = Math.floor(NOW / 1000);
      const spec = resolve(
        'GET /a\nA: {{$timestamp}}\nB: {{$timestamp -1 d}}\nC: {{$timestamp 2 h}}\nD: {{$timestamp 30 s}}\nE: {{$timestamp 1 w}}\nF: {{$timestamp 1500 ms}}\nG: {{$timestamp 1 M}}\nH: {{$timestamp -1 y}}',
      );
      assert.deepEqual(spec.headers, {
        A: String(s),
        B: String(s - 86400),
        C: String(s + 7200),
        D: String(s + 30),
        E: String(s + 7 * 86400),
        F: String(s + 1),
        // Jan 31 + 1 month clamps to Feb 29 (2024 is a leap year), as dayjs/moment do.
        G: String(Math.floor(Date.UTC(2024, 1, 29, 10, 20, 30, 456) / 1000)),
        H: String(Math.floor(Date.UTC(2023, 0, 31, 10, 20, 30, 456) / 1000)),
      });
    });

    it('$datetime iso8601 / rfc1123 / custom formats, with offsets, in UTC', () => {
      const spec = resolve(
        "GET /a\nA: {{$datetime iso8601}}\nB: {{$datetime rfc1123}}\nC: {{$datetime iso8601 1 d}}\nD: {{$datetime rfc1123 -2 h}}\nE: {{$datetime 'YYYY-MM-DD'}}\nF: {{$datetime \"DD/MM/YY HH:mm:ss.SSS [at] ddd MMM\" 1 Q}}\nG: {{$datetime 'h:mm A dddd MMMM D X x'}}",
      );
      assert.deepEqual(spec.headers, {
        A: '2024-01-31T10:20:30.456Z',
        B: 'Wed, 31 Jan 2024 10:20:30 GMT',
        C: '2024-02-01T10:20:30.456Z',
        D: 'Wed, 31 Jan 2024 08:20:30 GMT',
        E: '2024-01-31',
        F: '30/04/24 10:20:30.456 at Tue Apr',
        G: `10:20 AM Wednesday January 31 ${Math.floor(NOW / 1000)} ${NOW}`,
      });
    });

    it('$localDatetime uses the local time zone', () => {
      const spec = resolve("GET /a\nA: {{$localDatetime 'YYYY-MM-DD HH:mm'}}\nB: {{$localDatetime iso8601}}");
      const d = new Date(NOW);
      const pad = (n: number) => String(n).padStart(2, '0');
      assert.equal(spec.headers.A, `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`);
      assert.match(spec.headers.B, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    });

    it('reads the clock once per request, so every date in it agrees', () => {
      let calls = 0;
      const spec = resolve('GET /a\nA: {{$timestamp}}\nB: {{$timestamp}}\nC: {{$datetime iso8601}}', {
        now: () => {
          calls++;
          return NOW + calls * 1000;
        },
      });
      assert.equal(calls, 1);
      assert.equal(spec.headers.A, spec.headers.B);
    });

    it('$randomInt min max: min included, max excluded', () => {
      assert.equal(resolve('GET /{{$randomInt 5 10}}', { random: () => 0 }).url, '/5');
      assert.equal(resolve('GET /{{$randomInt 5 10}}', { random: () => 0.9999999 }).url, '/9');
      assert.equal(resolve('GET /{{$randomInt 5 10}}', { random: () => 1 }).url, '/9');
      assert.equal(resolve('GET /{{$randomInt -3 -1}}', { random: sequence(0.5) }).url, '/-2');
      const seen = new Set<string>();
      for (let i = 0; i < 300; i++) seen.add(resolve('GET /{{$randomInt 0 3}}').url);
      assert.deepEqual([...seen].sort(), ['/0', '/1', '/2']);
    });

    it('$processEnv NAME and %NAME (the name taken from a variable)', () => {
      const processEnv = { API_TOKEN: 'tok', PROD_TOKEN: 'prod-tok' };
      assert.equal(resolve('GET /{{$processEnv API_TOKEN}}', { processEnv }).url, '/tok');
      assert.equal(resolve('GET /{{$processEnv %tokenVar}}', { processEnv, environment: { tokenVar: 'PROD_TOKEN' } }).url, '/prod-tok');
      const e = resolveError('GET /a\nX: {{$processEnv MISSING_VAR}}', { processEnv });
      assert.equal(e.code, 'variable');
      assert.match(e.message, /Process environment variable MISSING_VAR is not set/);
      assert.deepEqual(e.position, { file: FILE, line: 2, column: 4 });
    });

    it('$processEnv defaults to process.env', () => {
      process.env.BEHALF_HTTP_TEST_VAR = 'from-process';
      try {
        assert.equal(resolve('GET /{{$processEnv BEHALF_HTTP_TEST_VAR}}').url, '/from-process');
      } finally {
        delete process.env.BEHALF_HTTP_TEST_VAR;
      }
    });

    it('$dotenv NAME and %NAME from the lookup given', () => {
      const dotenv = (name: string) => ({ KEY: 'k1', OTHER: 'k2' })[name];
      assert.equal(resolve('GET /{{$dotenv KEY}}', { dotenv }).url, '/k1');
      assert.equal(resolve('@which = OTHER\nGET /{{$dotenv %which}}', { dotenv }).url, '/k2');
      const e = resolveError('GET /{{$dotenv NOPE}}', { dotenv });
      assert.match(e.message, /NOPE is not in the \.env file \(expected a NOPE=value line in \/work\/\.env/);
    });

    it('$dotenv defaults to the .env file in the .http file directory', () => {
      const dir = tempDir();
      try {
        write(path.join(dir, '.env'), 'API_KEY=from-dotenv\n');
        const file = path.join(dir, 'a.http');
        const p = parse('GET /{{$dotenv API_KEY}}', file);
        assert.equal(resolveRequest(p, p.requests[0], {}).url, '/from-dotenv');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses {{$processEnv BEHALF_SECRET_…}} and {{$dotenv BEHALF_SECRET_…}} (any case) at their line:column', () => {
      const processEnv = { BEHALF_SECRET_DC_SANDBOX: 's3cr3t-value', behalf_secret_x: 'lower-secret' };
      const dotenv = (name: string) => ({ BEHALF_SECRET_DC_SANDBOX: 's3cr3t-value' })[name];
      const cases: Array<[string, number, number]> = [
        ['GET /a\nX-Key: {{$processEnv BEHALF_SECRET_DC_SANDBOX}}', 2, 8],
        ['GET /a?k={{$dotenv BEHALF_SECRET_DC_SANDBOX}}', 1, 10],
        ['POST /a\n\n{"k": "{{$processEnv behalf_secret_x}}"}', 3, 8],
      ];
      for (const [text, line, column] of cases) {
        // The parser reports it (the editor shows it, the CLI refuses the file) ...
        const p = parseHttpFile(text, FILE);
        const d = p.diagnostics.find((x) => x.severity === 'error');
        assert.ok(d, text);
        assert.match(d.message, /a Behalf secret: secrets are added by the connection, never through variables/, text);
        assert.deepEqual(d.position, { file: FILE, line, column }, text);
        // ... and resolving refuses it, never returning the value.
        const e = resolveError(text, { processEnv, dotenv });
        assert.match(e.message, /secrets are added by the connection, never through variables/);
        assert.deepEqual(e.position, { file: FILE, line, column }, text);
        assert.doesNotMatch(JSON.stringify(e), /s3cr3t-value|lower-secret/);
      }
      // The name read from a variable ({{$processEnv %name}}) is refused when it resolves.
      const indirect = resolveError('@which = BEHALF_SECRET_DC_SANDBOX\nGET /{{$processEnv %which}}', { processEnv });
      assert.equal(indirect.code, 'variable');
      assert.match(indirect.message, /reads BEHALF_SECRET_DC_SANDBOX, a Behalf secret/);
      assert.deepEqual(indirect.position, { file: FILE, line: 2, column: 6 });
      const viaDotenv = resolveError('@which = Behalf_Secret_Y\nGET /{{$dotenv %which}}', { dotenv: () => 'v' });
      assert.match(viaDotenv.message, /a Behalf secret/);
      // Other variables that merely mention it are fine.
      assert.equal(resolve('GET /{{$processEnv NOT_BEHALF_SECRET_X}}', { processEnv: { NOT_BEHALF_SECRET_X: 'ok' } }).url, '/ok');
    });

    it('$shared NAME reads $shared', () => {
      assert.equal(resolve('GET /{{$shared v}}', { shared: { v: '1' } }).url, '/1');
      assert.match(resolveError('GET /{{$shared v}}').message, /v is not in \$shared/);
    });

    it('malformed system variables found at resolve time (e.g. in environment values) are BehalfErrors', () => {
      const e = resolveError('GET /{{x}}', { environment: { x: '{{$randomInt 9 1}}' } });
      assert.equal(e.code, 'variable');
      assert.match(e.message, /min must be less than max/);
      const u = resolveError('GET /{{x}}', { environment: { x: 'a{{b' } });
      assert.equal(u.message, 'unterminated {{ (expected }})');
    });

    it('an offset beyond the range of dates is a BehalfError', () => {
      const e = resolveError('GET /{{$timestamp 999999999999999 y}}');
      assert.equal(e.code, 'variable');
      assert.match(e.message, /out of the range of dates/);
    });
  });

  describe('resolveString', () => {
    it('resolves an annotation value with the variables visible to a request', () => {
      const p = parse('@user = jane\n# @as {{user}}\nGET /a');
      assert.equal(resolveString(p, p.requests[0], p.requests[0].as ?? '', {}), 'jane');
      assert.equal(resolveString(p, undefined, '{{user}}-{{e}}', { environment: { e: 'x' } }), 'jane-x');
    });
  });

  describe('fixtures', () => {
    it('resolves every request of the REST Client README example', () => {
      const file = path.join(FIXTURES, 'rest-client.http');
      const p = parseHttpFile(fs.readFileSync(file, 'utf8'), file);
      const ctx: VariableContext = { now: () => NOW, random: () => 0.5, processEnv: { USERNAME: 'jdoe' }, dotenv: () => 'dot-user' };
      const specs = p.requests.map((r) => resolveRequest(p, r, ctx));
      assert.equal(specs[0].url, 'https://api.example.com:8080/authors/hello');
      assert.equal(specs[1].headers['Content-Type'], 'application/json');
      assert.equal(specs[1].body, '{\n    "content": "foo bar",\n    "created_at": "2024-01-31T10:20:30.456Z",\n    "modified_by": "jdoe"\n}');
      assert.equal(specs[3].body, 'name=foo&password=bar');
      assert.equal(specs[4].headers.Date, 'Wed, 31 Jan 2024 10:20:30 GMT');
      assert.match(specs[4].body as string, /"review_count": "102"/);
      assert.match(specs[4].body as string, /"user_name": "dot-user"/);
      assert.match(specs[4].body as string, /"custom_date": "2024-01-31"/);
    });

    it('resolves the Behalf example against an environment', () => {
      const file = path.join(FIXTURES, 'behalf.http');
      const p = parseHttpFile(fs.readFileSync(file, 'utf8'), file);
      const spec = resolveRequest(p, p.requests[1], { random: () => 0 });
      assert.equal(spec.url, '/api/rest/v4/data/entrydata/rows/Deals');
      assert.equal(spec.body, '[{"Name": "Project 1"}]');
    });
  });

  describe('many requests', () => {
    it('resolves 500 requests, each with its own values', () => {
      const blocks: string[] = ['@host = https://api.test', '@token = {{$processEnv TOKEN}}', '@auth = Bearer {{token}}'];
      for (let i = 0; i < 500; i++) {
        blocks.push(
          `###\n# @name r${i}\nPOST {{host}}/items/${i}?t={{$timestamp}}\nAuthorization: {{auth}}\nContent-Type: application/json\n\n{"i": ${i}, "id": "{{$guid}}", "env": "{{envValue}}"}`,
        );
      }
      const p = parse(blocks.join('\n'));
      assert.equal(p.requests.length, 500);
      const ctx: VariableContext = { processEnv: { TOKEN: 't' }, environment: { envValue: 'e' } };
      const specs = p.requests.map((r) => resolveRequest(p, r, ctx));
      assert.equal(specs[499].url.split('?')[0], 'https://api.test/items/499');
      assert.equal(specs[7].headers['Authorization'], 'Bearer t');
      assert.equal(new Set(specs.map((s) => JSON.parse(String(s.body)).id)).size, 500);
    });
  });
});

describe('http environments', () => {
  let root: string;

  beforeEach(() => {
    root = tempDir();
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('loads http-client.env.json and the private file, which overrides, from the directory and its parents up to the root', async () => {
    write(
      path.join(root, 'http-client.env.json'),
      JSON.stringify({ $shared: { host: 'shared-host', a: 'root-shared' }, dev: { host: 'root-dev', r: 'root' }, prod: { host: 'prod-host' } }),
    );
    write(
      path.join(root, 'api', 'http-client.env.json'),
      '{\n  // comments are fine\n  "dev": { "host": "api-dev", "token": "public", },\n  "staging": { "host": "stage" }\n}',
    );
    write(path.join(root, 'api', 'http-client.private.env.json'), JSON.stringify({ dev: { token: 'private-token' }, $shared: { a: 'private-shared' } }));
    const envs = loadEnvironments(path.join(root, 'api', 'sub'), root);
    assert.deepEqual(envs.names, ['dev', 'prod', 'staging']);
    assert.deepEqual(envs.sources, [
      path.join(root, 'http-client.env.json'),
      path.join(root, 'api', 'http-client.env.json'),
      path.join(root, 'api', 'http-client.private.env.json'),
    ]);
    assert.deepEqual(envs.get('dev'), { host: 'api-dev', a: 'private-shared', r: 'root', token: 'private-token' });
    assert.deepEqual(envs.get('prod'), { host: 'prod-host', a: 'private-shared' });
    assert.deepEqual(envs.get(), { host: 'shared-host', a: 'private-shared' });
    // A fresh object every time: callers may change it.
    const dev = envs.get('dev');
    dev.host = 'changed';
    assert.equal(envs.get('dev').host, 'api-dev');
  });

  it('does not look above the root, and finds nothing without files', async () => {
    write(path.join(root, 'http-client.env.json'), JSON.stringify({ dev: { x: '1' } }));
    const inner = path.join(root, 'project');
    fs.mkdirSync(path.join(inner, 'requests'), { recursive: true });
    const envs = loadEnvironments(path.join(inner, 'requests'), inner);
    assert.deepEqual(envs.names, []);
    assert.deepEqual(envs.sources, []);
    assert.deepEqual(envs.get(), {});
    const found = loadEnvironments(path.join(inner, 'requests'), root);
    assert.deepEqual(found.names, ['dev']);
  });

  it('an unknown environment name is a BehalfError listing the known ones', async () => {
    write(path.join(root, 'http-client.env.json'), JSON.stringify({ dev: {}, prod: {} }));
    const envs = loadEnvironments(root, root);
    assert.throws(
      () => envs.get('staging'),
      (e: unknown) => e instanceof BehalfError && e.code === 'environment' && e.message === 'Unknown environment "staging" (expected one of: dev, prod)',
    );
  });

  it('malformed JSON is a BehalfError with file, line and column', async () => {
    const file = path.join(root, 'http-client.env.json');
    write(file, '{\n  "dev": {\n    "host": "x"\n    "port": 1\n  }\n}');
    assert.throws(
      () => loadEnvironments(root, root),
      (e: unknown) => {
        assert.ok(e instanceof BehalfError);
        assert.equal(e.code, 'environment');
        assert.deepEqual(e.position, { file, line: 4, column: 5 });
        assert.match(e.message, /expected ","/);
        return true;
      },
    );
  });

  it('a wrong shape is a BehalfError with the position of the bad value', async () => {
    const file = path.join(root, 'http-client.private.env.json');
    write(file, '{\n  "dev": "not an object"\n}');
    assert.throws(
      () => loadEnvironments(root, root),
      (e: unknown) => {
        assert.ok(e instanceof BehalfError);
        assert.deepEqual(e.position, { file, line: 2, column: 10 });
        assert.match(e.message, /environment "dev" must be an object of variables/);
        return true;
      },
    );
    write(file, '[1, 2]');
    assert.throws(() => loadEnvironments(root, root), /must be a JSON object/);
  });

  it('turns numbers, booleans, null and objects into strings', async () => {
    write(path.join(root, 'http-client.env.json'), '{"dev": {"port": 8080, "ratio": 1.50, "on": true, "none": null, "obj": {"a": [1, "b"]}}}');
    const envs = loadEnvironments(root, root);
    assert.deepEqual(envs.get('dev'), { port: '8080', ratio: '1.50', on: 'true', none: '', obj: '{"a":[1,"b"]}' });
  });

  it('replaces {{$shared name}} in environment values (REST Client)', () => {
    const envs = environmentsFromObject({
      $shared: { version: 'v1', prodToken: 'foo' },
      local: { version: 'v2', token: '{{$shared prodToken}}', path: '/{{$shared version}}/{{version}}' },
    });
    assert.deepEqual(envs.get('local'), { version: 'v2', prodToken: 'foo', token: 'foo', path: '/v1/{{version}}' });
  });

  it('settings objects: shape errors, several objects, and together with files', async () => {
    assert.throws(
      () => environmentsFromObject('nope'),
      (e: unknown) => e instanceof BehalfError && e.code === 'environment',
    );
    assert.throws(() => environmentsFromObject({ dev: 5 }), /environment "dev" must be an object/);
    const merged = environmentsFromObject([{ dev: { a: '1', b: '1' } }, { dev: { b: '2' } }]);
    assert.deepEqual(merged.get('dev'), { a: '1', b: '2' });
    write(path.join(root, 'http-client.env.json'), JSON.stringify({ dev: { b: 'file' } }));
    const envs = loadEnvironments(root, root, { settings: { dev: { a: 'settings', b: 'settings' }, test: {} } });
    assert.deepEqual(envs.names, ['dev', 'test']);
    assert.deepEqual(envs.get('dev'), { a: 'settings', b: 'file' });
  });

  it('ignores __proto__ keys', () => {
    const envs = environmentsFromObject(JSON.parse('{"__proto__": {"x": "1"}, "dev": {"__proto__": "p", "a": "1"}}'));
    assert.deepEqual(envs.names, ['dev']);
    assert.deepEqual(envs.get('dev'), { a: '1' });
  });

  it('a file variable and the selected environment resolve together end to end', async () => {
    write(path.join(root, 'http-client.env.json'), JSON.stringify({ $shared: { api: '/api' }, dev: { host: 'https://dev.test' } }));
    write(path.join(root, 'http-client.private.env.json'), JSON.stringify({ dev: { token: 'dev-secret' } }));
    const file = path.join(root, 'requests.http');
    const p = parse('@path = {{api}}/v1\nGET {{host}}{{path}}/me\nAuthorization: Bearer {{token}}', file);
    const envs = loadEnvironments(root, root);
    const spec = resolveRequest(p, p.requests[0], { environment: envs.get('dev') });
    assert.equal(spec.url, 'https://dev.test/api/v1/me');
    assert.equal(spec.headers.Authorization, 'Bearer dev-secret');
  });
});

describe('dotenv', () => {
  it('parses NAME=value lines, export, comments and quotes', () => {
    const values = parseDotenv(
      [
        '# comment',
        'PLAIN=value',
        'export EXPORTED = spaced value ',
        'WITH_HASH=abc # trailing comment',
        'HASH_IN=a#b',
        'DOUBLE="line1\\nline2 \\"q\\""',
        "SINGLE='raw \\n # kept'",
        'EMPTY=',
        'MULTI="first',
        'second"',
        'EQUALS=a=b=c',
        'no equals sign',
        '=novalue',
      ].join('\r\n'),
    );
    assert.deepEqual(Object.fromEntries(values), {
      PLAIN: 'value',
      EXPORTED: 'spaced value',
      WITH_HASH: 'abc',
      HASH_IN: 'a#b',
      DOUBLE: 'line1\nline2 "q"',
      SINGLE: 'raw \\n # kept',
      EMPTY: '',
      MULTI: 'first\nsecond',
      EQUALS: 'a=b=c',
    });
  });

  it('loadDotenv reads <dir>/.env once, lazily; a missing file gives undefined', () => {
    const dir = tempDir();
    try {
      const lookup = loadDotenv(dir);
      write(path.join(dir, '.env'), 'A=1\n');
      assert.equal(lookup('A'), '1');
      write(path.join(dir, '.env'), 'A=2\n');
      assert.equal(lookup('A'), '1');
      assert.equal(lookup('B'), undefined);
      assert.equal(loadDotenv(path.join(dir, 'missing'))('A'), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('http robustness (randomized resolve)', () => {
  it('resolveRequest only ever throws BehalfError on random request blocks', function () {
    this.timeout(60000);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const refs = [
      '{{a}}',
      '{{b}}',
      '{{c}}',
      '{{$guid}}',
      '{{$timestamp -1 d}}',
      '{{$randomInt 1 3}}',
      '{{$processEnv X}}',
      '{{$dotenv Y}}',
      '{{missing}}',
      '{{ a }}',
      'plain',
      '{{$datetime iso8601}}',
      '{{$shared s}}',
      '{{e}}',
    ];
    const defs = ['@a = {{b}}', '@b = {{c}}', '@c = {{a}}', '@a = x', '@b = y{{e}}', '@c = {{$guid}}', '@d = {{d}}'];
    for (let n = 0; n < 2000; n++) {
      const lines: string[] = [];
      for (let k = Math.floor(random() * 4); k > 0; k--) lines.push(pick(defs));
      lines.push(`GET /${pick(refs)}${pick(refs)}`, `X-A: ${pick(refs)}`, '', `${pick(refs)} ${pick(refs)}`);
      const text = lines.join('\n');
      const p = parseHttpFile(text, 'r.http');
      for (const r of p.requests) {
        try {
          resolveRequest(p, r, {
            environment: { e: pick(['1', '{{a}}', '{{e}}']) },
            shared: { s: 'S' },
            processEnv: { X: 'x' },
            dotenv: (k) => (k === 'Y' ? 'y' : undefined),
          });
        } catch (e) {
          assert.ok(e instanceof BehalfError, `non-BehalfError ${String(e)} for ${JSON.stringify(text)}`);
          assert.ok(e.code === 'variable' || e.code === 'parse');
          assert.ok(e.position && e.position.line >= 1 && e.position.column >= 1, JSON.stringify(text));
        }
      }
    }
  });
});

describe('.http request variables ({{login.response.body.$.token}})', () => {
  const LOGIN = [
    '# @name login',
    'POST /login',
    'Content-Type: application/json',
    'X-Client: cli-7',
    '',
    '{"user": {"name": "jane", "roles": ["a", "b"]}, "remember": true}',
    '',
    '###',
  ].join('\n');
  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJl';

  function exchange(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): RequestExchange {
    return {
      request: {
        headers: { 'Content-Type': 'application/json', 'X-Client': 'cli-7' },
        body: '{"user": {"name": "jane", "roles": ["a", "b"]}, "remember": true}',
      },
      response: { status: 200, headers, body: typeof body === 'string' ? Buffer.from(body) : body },
    };
  }

  function store(
    ex: RequestExchange = exchange(JSON.stringify({ token: TOKEN, data: { items: [{ id: 7 }, { id: 8, 'odd key': 'x y' }], n: null, ok: true } }), {
      'content-type': 'application/json; charset=utf-8',
      'X-Session': 'sess-0123456789',
    }),
  ): RequestVariableStore {
    const s = new RequestVariableStore();
    s.set('login', ex);
    return s;
  }

  function second(line: string, body?: string): string {
    return `${LOGIN}\nGET /next\n${line}${body === undefined ? '' : `\n\n${body}`}`;
  }

  it("reads JSON paths ($, .key, [n], [-1], ['key']) and the whole body from the latest response", () => {
    const s = store();
    const spec = resolve(
      second(
        "X-A: {{login.response.body.$.token}}\nX-B: {{login.response.body.$.data.items[1].id}}\nX-C: {{login.response.body.$['data'][\"items\"][-1]['odd key']}}",
      ),
      { requestVariables: s },
      1,
    );
    assert.equal(spec.headers['X-A'], TOKEN);
    assert.equal(spec.headers['X-B'], '8');
    assert.equal(spec.headers['X-C'], 'x y');
    const all = resolve(
      second('X-N: {{login.response.body.$.data.n}}/{{login.response.body.$.data.ok}}', '{{login.response.body.$.data.items[0]}}|{{login.response.body.*}}'),
      { requestVariables: s },
      1,
    );
    assert.equal(all.headers['X-N'], 'null/true');
    assert.equal(all.body, `{"id":7}|${JSON.stringify({ token: TOKEN, data: { items: [{ id: 7 }, { id: 8, 'odd key': 'x y' }], n: null, ok: true } })}`);
    // The latest exchange wins.
    s.set('login', exchange('{"token": "second"}'));
    assert.equal(resolve(second('X-A: {{login.response.body.$.token}}'), { requestVariables: s }, 1).headers['X-A'], 'second');
  });

  it('reads headers case-insensitively, and the request as it was sent (headers and JSON body)', () => {
    const spec = resolve(
      second(
        'X-S: {{login.response.headers.x-session}}\nX-T: {{login.response.headers.Content-Type}}\nX-C: {{login.request.headers.x-client}}\nX-U: {{login.request.body.$.user.roles[0]}}',
      ),
      { requestVariables: store() },
      1,
    );
    assert.deepEqual(spec.headers, { 'X-S': 'sess-0123456789', 'X-T': 'application/json; charset=utf-8', 'X-C': 'cli-7', 'X-U': 'a' });
  });

  it("works through file variables and in URLs (REST Client's @token = {{login.response.body.$.token}})", () => {
    const text = `${LOGIN}\n@token = {{login.response.body.$.token}}\nGET /me?id={{login.response.body.$.data.items[0].id}}\nAuthorization: Bearer {{token}}`;
    const spec = resolve(text, { requestVariables: store() }, 1);
    assert.equal(spec.url, '/me?id=7');
    assert.equal(spec.headers['Authorization'], `Bearer ${TOKEN}`);
  });

  it('reports credentials to onSecret: secret-ish keys and headers, token shapes, values put into Authorization-like headers', () => {
    const secrets: string[] = [];
    const s = store(
      exchange(
        JSON.stringify({
          token: 'abcdef',
          id: 'plain-id-42',
          opaque: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA',
          jwt: TOKEN,
          uuid: '123e4567-e89b-12d3-a456-426614174000',
          apiKey: 'k-12',
        }),
        { 'Set-Cookie': 'sid=abc123; HttpOnly' },
      ),
    );
    const ref = (k: string) => `{{login.response.body.$.${k}}}`;
    resolve(
      second(
        `X-1: ${ref('token')}\nX-2: ${ref('id')}\nX-3: ${ref('opaque')}\nX-4: ${ref('jwt')}\nX-5: ${ref('uuid')}\nX-6: {{login.response.headers.set-cookie}}`,
      ),
      { requestVariables: s, onSecret: (v) => secrets.push(v) },
      1,
    );
    assert.deepEqual(secrets, ['abcdef', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA', TOKEN, 'sid=abc123; HttpOnly']);
    secrets.length = 0;
    resolve(second(`X-Api-Key: ${ref('id')}\nX-Other: ${ref('uuid')}`), { requestVariables: s, onSecret: (v) => secrets.push(v) }, 1);
    assert.deepEqual(secrets, ['plain-id-42'], 'an id put into X-Api-Key is a credential there');
    assert.equal(looksSecret('Bearer abc.def', undefined), true);
    assert.equal(looksSecret('12345678901234567890123456', undefined), false, 'digits only');
  });

  it('clear errors: unknown request name, not sent yet, JSON path miss, non-JSON body, XPath, bad paths', () => {
    const s = store();
    const at = (text: string, ctx: VariableContext = { requestVariables: s }) => resolveError(text, ctx, 1);
    let e = at(second('X: {{logn.response.body.$.token}}'));
    assert.match(e.message, /\{\{logn\.response\.body\.\$\.token\}\}: no request is named "logn" \(expected a request with "# @name logn" in this file\)/);
    assert.equal(e.hint, 'did you mean "login"?');
    assert.deepEqual(e.position, { file: FILE, line: 10, column: 4 });

    e = at(second('X: {{login.response.body.$.token}}'), { requestVariables: new RequestVariableStore() });
    assert.ok(e instanceof UnsentRequestError);
    assert.equal(e.code, 'request-not-sent');
    assert.equal(e.request, 'login');
    assert.equal(e.requestLine, 2);
    assert.match(e.message, /^Send "login" first/);
    // The named request is below: it would not have been sent by a run in file order.
    const below = parseHttpFile('GET /a\nX: {{later.response.headers.X}}\n\n###\n# @name later\nGET /b', FILE);
    assert.throws(
      () => resolveRequest(below, below.requests[0], {}),
      (err: UnsentRequestError) => err.requestLine === 6 && /below this request/.test(err.hint ?? ''),
    );

    e = at(second('X: {{login.response.body.$.data.items[0].token}}'));
    assert.equal(
      e.message,
      '{{login.response.body.$.data.items[0].token}}: $.data.items[0].token is not in the response body of "login" ($.data.items[0] has no "token"; its keys: id)',
    );
    assert.match(at(second('X: {{login.response.body.$.data.items[5]}}')).message, /\$\.data\.items has 2 items, no \[5\]/);
    assert.match(at(second('X: {{login.response.body.$.token.x}}')).message, /\$\.token is a string, not an object/);
    assert.match(
      at(second('X: {{login.response.headers.X-Missing}}')).message,
      /the response of "login" has no X-Missing header \(expected one of its headers: content-type, X-Session\)/,
    );

    const html = store(exchange('<html>hi</html>', { 'content-type': 'text/html' }));
    e = at(second('X: {{login.response.body.$.token}}'), { requestVariables: html });
    assert.match(e.message, /the response body of "login" is not JSON \(Content-Type: text\/html\), so the JSON path \$\.token cannot apply/);
    assert.match(e.hint ?? '', /\{\{login\.response\.body\.\*\}\} reads the whole body/);
    assert.equal(resolve(second('X: {{login.response.body.*}}'), { requestVariables: html }, 1).headers['X'], '<html>hi</html>');

    // Syntax errors are parse errors, shown in the editor as you type.
    const parsed = parseHttpFile(second('Y: {{login.response.body.$..a}}\nZ: {{login.response.status}}\nW: {{login.response.body.$.items[*]}}'), FILE);
    const messages = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    assert.equal(messages.length, 3, messages.join('\n'));
    assert.match(messages[0], /recursive descent \(\.\.\) is not supported/);
    assert.match(messages[1], /reads "body" or "headers", not "status"/);
    assert.match(messages[2], /wildcards \(\[\*\]\) are not supported/);
  });

  it('a variable whose name only looks like a request variable is still a variable', () => {
    assert.equal(resolve('GET /{{api.response.body}}', { environment: { 'api.response.body': 'x' } }).url, '/x');
    assert.equal(resolve('GET /{{cfg.request.headers.a}}', { environment: { 'cfg.request.headers.a': 'y' } }).url, '/y');
  });

  it('parseJsonPath', () => {
    assert.deepEqual(parseJsonPath('$'), []);
    assert.deepEqual(parseJsonPath(`$.a[0]['b c']["d\\"e"][-2].f-g`), [
      { key: 'a' },
      { index: 0 },
      { key: 'b c' },
      { key: 'd"e' },
      { index: -2 },
      { key: 'f-g' },
    ]);
    assert.match(parseJsonPath('$.a[?(@.x)]') as string, /not an array index/);
    assert.match(parseJsonPath('$.*') as string, /wildcards/);
    assert.match(parseJsonPath('$a') as string, /unexpected "a"/);
  });
});
