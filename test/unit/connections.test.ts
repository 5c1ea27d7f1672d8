import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import {
  CONNECTIONS_FILE_NAME,
  ConnectionsFileError,
  SCHEMA_ANNOTATION_KEYWORDS,
  findConnectionsFile,
  loadConnections,
  parseConnections,
  type ConnectionDiagnostic,
} from '../../src/core/connections';
import { composeConnectionsSchema } from '../../src/core/connectionsSchema';
import { CORE_CONNECTION_KEYS } from '../../src/core/model';
import { allVendorsWithSetup as allVendors } from '../../src/vendors/setup';
import { impersonationOf } from '../../src/vendors/generic';
import { BehalfError } from '../../src/core/errors';
import { prng } from './support';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMA_FILE = path.join(ROOT, 'schemas/connections.schema.json');
const FIXTURES = path.join(ROOT, 'test/fixtures/connections');
const VALID_FIXTURE = path.join(FIXTURES, 'valid.connections.json');
const INVALID_FIXTURE = path.join(FIXTURES, 'invalid.connections.json');
const F = 'behalf.connections.json';

// ----- helpers -------------------------------------------------------------------------------------------

/** 1-based line/column of the `nth` occurrence of `needle`, computed independently of the loader. */
function where(text: string, needle: string, nth = 0): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i <= nth; i++) {
    index = text.indexOf(needle, index + 1);
    assert.ok(index >= 0, `fixture does not contain ${JSON.stringify(needle)} #${nth}`);
  }
  const before = text.slice(0, index).split(/\r\n|\r|\n/);
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function diagnostics(text: string): ConnectionDiagnostic[] {
  return parseConnections(text, F).diagnostics;
}

/** The only diagnostic for `text` (fails listing all of them otherwise). */
function single(text: string): ConnectionDiagnostic {
  const all = diagnostics(text);
  assert.equal(all.length, 1, `expected exactly one diagnostic, got:\n${all.map((d) => d.message).join('\n')}`);
  return all[0];
}

function assertAt(d: ConnectionDiagnostic, text: string, needle: string, nth = 0): void {
  const expected = where(text, needle, nth);
  assert.deepEqual({ line: d.position.line, column: d.position.column }, expected, `"${d.message}" should point at ${JSON.stringify(needle)}`);
  assert.equal(d.position.file, F);
}

function file(connections: unknown[]): string {
  return JSON.stringify({ connections }, null, 2);
}

const dealcloud = () => ({
  id: 'dc-sandbox',
  vendor: 'dealcloud',
  label: 'DealCloud (sandbox)',
  baseUrl: 'http://127.0.0.1:7400/dealcloud',
  clientId: 'svc-integration',
  principals: [{ id: 'jane', userId: '6045', email: 'jane@acme.test', name: 'Jane Doe' }],
});

const creativeforce = () => ({
  id: 'cf-sandbox',
  vendor: 'creativeforce',
  label: 'Creative Force (sandbox)',
  baseUrl: 'http://127.0.0.1:7400/creativeforce',
  clientId: 'cf-service',
  principals: [{ id: 'eve', clientId: 'cf-app-ecomm', email: 'eve@studio.test', name: 'Eve Commerce' }],
});

const orangelogic = (extra: Record<string, unknown> = {}) => ({
  id: 'ol-sandbox',
  vendor: 'orangelogic',
  label: 'Orange Logic (sandbox)',
  baseUrl: 'http://127.0.0.1:7400/orangelogic',
  auth: 'token',
  impersonationParam: 'UserAPIID',
  principals: [{ id: 'omar', userId: 'OL-77', email: 'omar@acme.test' }],
  ...extra,
});

const generic = (impersonation: unknown) => ({
  id: 'inhouse',
  vendor: 'generic',
  label: 'In-house',
  baseUrl: 'https://api.acme.test',
  auth: 'none',
  impersonation,
  principals: [{ id: 'jane', email: 'jane@acme.test' }],
});

// ----- tests ---------------------------------------------------------------------------------------------

describe('connections file', () => {
  describe('schema', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, any>;

    it('is a valid draft-07 schema that ajv compiles in strict mode', () => {
      assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
      assert.equal(schema.allowComments, true, 'VS Code must not flag comments in the JSONC file');
      const ajv = new Ajv({ strict: true, strictRequired: false, strictTypes: false, allErrors: true });
      ajv.addVocabulary([...SCHEMA_ANNOTATION_KEYWORDS]);
      assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
      const validate = ajv.compile(schema);
      assert.equal(validate({ connections: [] }), true);
    });

    it('gives every property a description (editor hover help)', () => {
      const missing: string[] = [];
      const describe = (sub: any): boolean => {
        if (typeof sub?.description === 'string' && sub.description.length > 0) return true;
        if (typeof sub?.$ref === 'string') return describe(schema.definitions[sub.$ref.replace('#/definitions/', '')]);
        return false;
      };
      const visit = (node: any, at: string) => {
        if (!node || typeof node !== 'object') return;
        if (node.properties && !at.includes('/if') && !at.includes('/then')) {
          for (const [key, sub] of Object.entries(node.properties)) if (!describe(sub)) missing.push(`${at}/properties/${key}`);
        }
        for (const [key, sub] of Object.entries(node)) visit(sub, `${at}/${key}`);
      };
      visit(schema, '#');
      assert.deepEqual(missing, []);
    });

    it('forbids secret-like names in connections, principals and impersonation, and closes them', () => {
      const secrets = ['clientSecret', 'secret', 'token', 'password', 'apiKey', 'accessToken', 'refreshToken'];
      for (const name of ['connection', 'principal', 'headerImpersonation', 'tokenExchangeImpersonation']) {
        const def = schema.definitions[name];
        assert.equal(def.additionalProperties, false, name);
        for (const secret of secrets) assert.deepEqual(def.properties[secret], { $ref: '#/definitions/forbiddenSecret' }, `${name}.${secret}`);
      }
      assert.deepEqual(schema.properties.connections.items, { $ref: '#/definitions/connection' });
      assert.deepEqual(schema.definitions.connection.properties.vendor.enum, ['dealcloud', 'orangelogic', 'creativeforce', 'generic']);
    });
  });

  describe('valid files', () => {
    it('accepts a DealCloud connection and returns it typed, positioned, with file principals', () => {
      const text = file([dealcloud()]);
      const result = parseConnections(text, F);
      assert.deepEqual(result.diagnostics, []);
      assert.equal(result.file, F);
      assert.equal(result.connections.length, 1);
      const [c] = result.connections;
      assert.deepEqual(c, {
        ...dealcloud(),
        principals: [{ id: 'jane', userId: '6045', email: 'jane@acme.test', name: 'Jane Doe', source: 'file' }],
        position: { file: F, ...where(text, '{\n      "id": "dc-sandbox"') },
      });
      assert.equal(Object.getPrototypeOf(c), Object.prototype, 'plain objects, not prototype-less ones');
    });

    it('accepts Orange Logic with defaultMode full, lite or none', () => {
      for (const extra of [{ defaultMode: 'full' }, { defaultMode: 'lite' }, {}]) {
        const result = parseConnections(file([orangelogic(extra)]), F);
        assert.deepEqual(result.diagnostics, [], JSON.stringify(extra));
        assert.equal(result.connections[0].settings?.impersonationParam, 'UserAPIID');
      }
      // Without a default mode, either id is enough.
      const emailOnly = orangelogic({ principals: [{ id: 'a', email: 'a@acme.test' }] });
      const userIdOnly = orangelogic({ principals: [{ id: 'a', userId: 'OL-1' }] });
      assert.deepEqual(diagnostics(file([emailOnly])), []);
      assert.deepEqual(diagnostics(file([userIdOnly])), []);
      assert.deepEqual(diagnostics(file([{ ...emailOnly, defaultMode: 'lite' }])), []);
      assert.deepEqual(diagnostics(file([{ ...userIdOnly, defaultMode: 'full' }])), []);
    });

    it('accepts Creative Force principals with their own client ids', () => {
      const result = parseConnections(file([creativeforce()]), F);
      assert.deepEqual(result.diagnostics, []);
      assert.equal(result.connections[0].principals[0].clientId, 'cf-app-ecomm');
      assert.equal(result.connections[0].principals[0].source, 'file');
    });

    it('accepts generic header and tokenExchange impersonation', () => {
      const header = { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}', 'X-On-Behalf': '{{principal.userId}}' }, writesOnly: true };
      const exchange = {
        kind: 'tokenExchange',
        tokenUrl: 'https://sso.acme.test/realms/acme/protocol/openid-connect/token',
        subject: '{{principal.userId}}',
        subjectParam: 'requested_subject',
        audience: 'api',
      };
      const result = parseConnections(file([generic(header), { ...generic(exchange), id: 'kc' }, { ...generic({ kind: 'tokenExchange' }), id: 'kc2' }]), F);
      assert.deepEqual(result.diagnostics, []);
      assert.deepEqual(result.connections[0].settings?.impersonation, header);
      assert.deepEqual(result.connections[1].settings?.impersonation, exchange);
      assert.deepEqual(result.connections[2].settings?.impersonation, { kind: 'tokenExchange' });
    });

    it('fills principals: [] when absent and invents no other default', () => {
      const { principals: _ignored, ...bare } = dealcloud();
      const result = parseConnections(file([bare]), F);
      assert.deepEqual(result.diagnostics, []);
      assert.deepEqual(result.connections[0].principals, []);
      for (const key of ['defaultMode', 'auth', 'verifyTls', 'production', 'timeoutMs', 'scopes', 'tokenUrl']) {
        assert.equal(key in result.connections[0], false, key);
      }
    });

    it('accepts an empty connection list and a $schema', () => {
      const result = parseConnections('{ "$schema": "https://behalf.dev/schemas/connections.schema.json", "connections": [] }', F);
      assert.deepEqual(result, { file: F, connections: [], diagnostics: [] });
    });

    it('accepts JSONC: comments, trailing commas, CRLF line ends and a byte-order mark', () => {
      const text = readFileSync(VALID_FIXTURE, 'utf8');
      const result = parseConnections(text, F);
      assert.deepEqual(result.diagnostics, []);
      assert.deepEqual(
        result.connections.map((c) => [c.id, c.vendor, c.principals.length]),
        [
          ['dc-sandbox', 'dealcloud', 2],
          ['ol-sandbox', 'orangelogic', 1],
          ['cf-sandbox', 'creativeforce', 1],
          ['inhouse', 'generic', 1],
          ['keycloak', 'generic', 1],
        ],
      );
      assert.deepEqual(result.connections[1].position, { file: F, ...where(text, '{\n      "id": "ol-sandbox"') });

      const crlf = '\uFEFF' + text.replace(/\n/g, '\r\n');
      const again = parseConnections(crlf, F);
      assert.deepEqual(again.diagnostics, []);
      assert.deepEqual(
        again.connections.map((c) => c.position),
        result.connections.map((c) => c.position),
        'positions count CRLF as one line break',
      );
    });
  });

  describe('syntax errors', () => {
    it('reports a missing comma with line:column and what was expected', () => {
      const text = '{\n  "connections": [\n    { "id": "a" "vendor": "generic" }\n  ]\n}';
      const all = diagnostics(text);
      assert.ok(all.length >= 1);
      assert.equal(all[0].message, 'connections[0].vendor: syntax error: expected "," between entries');
      assert.equal(all[0].field, 'connections[0].vendor');
      assertAt(all[0], text, '"vendor"');
    });

    it('reports a truncated file at its end', () => {
      const text = '{\n  "connections": [\n    { "id": "a"';
      const all = diagnostics(text);
      assert.ok(
        all.some((d) => /expected "}"/.test(d.message)),
        all.map((d) => d.message).join('\n'),
      );
      for (const d of all) assert.deepEqual({ line: d.position.line, column: d.position.column }, { line: 3, column: 16 });
    });

    it('explains single quotes, unquoted words, unclosed strings and comments', () => {
      const quote = diagnostics("{ 'connections': [] }")[0];
      assert.match(quote.message, /^syntax error: unexpected ' — strings and property names need double quotes/);
      assert.deepEqual([quote.position.line, quote.position.column], [1, 3]);

      assert.match(diagnostics('{ "connections": [ { "production": True } ] }')[0].message, /true, false and null are lower-case/);
      assert.match(
        diagnostics('{ "connections": [ { "id": "abc } ] }')
          .map((d) => d.message)
          .join('\n'),
        /string is not closed/,
      );
      assert.match(
        diagnostics('{ "connections": [] } /* unclosed')
          .map((d) => d.message)
          .join('\n'),
        /comment is not closed/,
      );
      assert.match(single('{ "connections": [] } }').message, /expected the end of the file/);
    });

    it('reports an empty file', () => {
      for (const text of ['', '   \n', '// only a comment\n']) {
        const d = single(text);
        assert.match(d.message, /the file is empty/);
        assert.equal(d.position.line, 1);
      }
    });

    it('returns no connections when the file does not parse', () => {
      const text = readFileSync(VALID_FIXTURE, 'utf8').replace('"label": "In-house API",', '"label": "In-house API"');
      const result = parseConnections(text, F);
      assert.equal(result.connections.length, 0);
      assert.equal(result.diagnostics.length, 1);
      assertAt(result.diagnostics[0], text, '"baseUrl": "https://api.acme.test/v2"');
    });
  });

  describe('schema violations', () => {
    it('enum: unknown vendor, named and pointed at the value', () => {
      const text = file([{ ...dealcloud(), vendor: 'dealclod' }]);
      const d = single(text);
      assert.equal(d.message, 'connections[0].vendor: must be one of dealcloud, orangelogic, creativeforce, generic');
      assert.equal(d.field, 'connections[0].vendor');
      assertAt(d, text, '"dealclod"');
    });

    it('enum: defaultMode, auth and impersonation kind', () => {
      let text = file([{ ...dealcloud(), defaultMode: 'heavy' }]);
      let d = single(text);
      assert.equal(d.message, 'connections[0].defaultMode: must be one of lite, full');
      assertAt(d, text, '"heavy"');

      text = file([{ ...dealcloud(), auth: 'basic' }]);
      d = single(text);
      assert.equal(d.message, 'connections[0].auth: must be one of clientCredentials, token, none');
      assertAt(d, text, '"basic"');

      text = file([generic({ kind: 'cookie' })]);
      d = single(text);
      assert.equal(d.message, 'connections[0].impersonation.kind: must be one of header, tokenExchange');
      assertAt(d, text, '"cookie"');
    });

    it('type: wrong JSON types, with a hint for numbers that must be strings', () => {
      let text = file([{ ...dealcloud(), principals: [{ id: 'jane', userId: 6045 }] }]);
      let d = single(text);
      assert.equal(d.message, 'connections[0].principals[0].userId: must be a string, not a number (put it in double quotes)');
      assertAt(d, text, '6045');

      text = file([{ ...dealcloud(), production: 'yes' }]);
      d = single(text);
      assert.equal(d.message, 'connections[0].production: must be true or false, not a string');
      assertAt(d, text, '"yes"');

      text = file([{ ...dealcloud(), scopes: 'data' }]);
      assert.equal(single(text).message, 'connections[0].scopes: must be an array, not a string');

      text = file([{ ...dealcloud(), principals: {} }]);
      assert.equal(single(text).message, 'connections[0].principals: must be an array, not an object');

      text = file([{ ...dealcloud(), timeoutMs: 1.5 }]);
      d = single(text);
      assert.equal(d.message, 'connections[0].timeoutMs: must be a whole number');
      assertAt(d, text, '1.5');

      d = single('[]');
      assert.equal(d.message, 'must be an object, not an array');
      assert.equal(d.field, '');

      d = single('{ "connections": {} }');
      assert.equal(d.message, 'connections: must be an array, not an object');
      assert.deepEqual([d.position.line, d.position.column], [1, 18]);

      text = file([dealcloud(), 'dc-sandbox']);
      d = single(text);
      assert.equal(d.message, 'connections[1]: must be an object, not a string');
      assertAt(d, text, '"dc-sandbox"', 1);
    });

    it('pattern: ids, URLs and emails', () => {
      let text = file([{ ...dealcloud(), id: 'dc sandbox' }]);
      let d = single(text);
      assert.equal(d.message, 'connections[0].id: use only letters, digits, ".", "_" and "-" (at least one character)');
      assertAt(d, text, '"dc sandbox"');

      text = file([{ ...dealcloud(), principals: [{ id: 'jane/doe', userId: '1' }] }]);
      d = single(text);
      assert.equal(d.field, 'connections[0].principals[0].id');
      assertAt(d, text, '"jane/doe"');

      for (const url of ['ftp://host', 'acme.dealcloud.com', 'https://', 'https://host/with space']) {
        text = file([{ ...dealcloud(), baseUrl: url }]);
        d = single(text);
        assert.match(d.message, /^connections\[0\]\.baseUrl: must be an http:\/\/ or https:\/\/ URL/, url);
        assertAt(d, text, JSON.stringify(url));
      }

      text = file([{ ...dealcloud(), tokenUrl: 'file:///etc/passwd' }]);
      assert.equal(single(text).field, 'connections[0].tokenUrl');

      text = file([{ ...dealcloud(), principals: [{ id: 'jane', userId: '1', email: 'jane at acme' }] }]);
      d = single(text);
      assert.equal(d.message, 'connections[0].principals[0].email: must be an email address, e.g. jane@acme.test');
      assertAt(d, text, '"jane at acme"');
    });

    it('required: names the missing field and points at the object', () => {
      const { baseUrl: _b, ...noBaseUrl } = dealcloud();
      const text = file([dealcloud(), { ...noBaseUrl, id: 'second' }]);
      const d = single(text);
      assert.match(d.message, /^connections\[1\]: missing "baseUrl" — the API's base URL \(http or https\)$/);
      assert.equal(d.field, 'connections[1]');
      assertAt(d, text, '{\n      "id": "second"');

      const all = diagnostics('{ "connections": [ {} ] }');
      assert.deepEqual(
        all.map((x) => x.message.replace(/ — .*/, '')),
        [
          'connections[0]: missing "clientId"', // auth defaults to clientCredentials
          'connections[0]: missing "id"',
          'connections[0]: missing "vendor"',
          'connections[0]: missing "label"',
          'connections[0]: missing "baseUrl"',
        ],
      );
      for (const x of all) assert.deepEqual([x.position.line, x.position.column], [1, 20]);

      const label = single(file([{ ...dealcloud(), label: undefined }]));
      assert.equal(label.message, 'connections[0]: missing "label" — name shown to people, e.g. "DealCloud (sandbox)"');

      const root = single('{}');
      assert.match(root.message, /^missing "connections"/);
      assert.equal(root.field, '');

      const principal = single(file([{ ...dealcloud(), principals: [{ userId: '1' }] }]));
      assert.match(principal.message, /^connections\[0\]\.principals\[0\]: missing "id"/);
    });

    it('additionalProperties: points at the offending key and suggests the near miss', () => {
      let text = file([{ ...dealcloud(), baseURL: 'https://x' }]);
      let d = single(text);
      assert.equal(d.message, 'connections[0]: "baseURL" is not allowed here; did you mean "baseUrl"?');
      assert.equal(d.field, 'connections[0]');
      assertAt(d, text, '"baseURL"');

      text = file([{ ...dealcloud(), principals: [{ id: 'jane', userId: '1', emial: 'x@y' }] }]);
      d = single(text);
      assert.equal(d.message, 'connections[0].principals[0]: "emial" is not allowed here; did you mean "email"?');
      assertAt(d, text, '"emial"');

      text = JSON.stringify({ connections: [], extra: true });
      d = single(text);
      assert.equal(d.message, '"extra" is not allowed here; allowed: $schema, connections');
      assertAt(d, text, '"extra"');

      text = file([generic({ kind: 'header', headers: { 'X-A': '1' }, subject: 'x' })]);
      d = single(text);
      assert.equal(d.message, 'connections[0].impersonation: "subject" is not allowed here; allowed: kind, headers, writesOnly');
      assertAt(d, text, '"subject"');

      text = file([{ ...dealcloud(), principals: [{ id: 'jane', userId: '1', source: 'vendor' }] }]);
      assert.match(single(text).message, /"source" is not allowed here/);
    });

    it('minLength, minimum, maximum and uniqueItems', () => {
      let text = file([{ ...dealcloud(), label: '' }]);
      let d = single(text);
      assert.equal(d.message, 'connections[0].label: must not be empty');
      assertAt(d, text, '""');

      text = file([{ ...dealcloud(), timeoutMs: 0 }]);
      d = single(text);
      assert.equal(d.message, 'connections[0].timeoutMs: must be at least 1');
      assert.equal(d.position.line, where(text, '"timeoutMs": 0').line);
      assert.equal(d.position.column, where(text, '"timeoutMs": 0').column + '"timeoutMs": '.length);

      text = file([{ ...dealcloud(), timeoutMs: 2 ** 31 }]);
      assert.equal(single(text).message, 'connections[0].timeoutMs: must be at most 2147483647');

      text = JSON.stringify({ connections: [{ ...dealcloud(), scopes: ['data', 'users', 'data'] }] });
      d = single(text);
      assert.equal(d.message, 'connections[0].scopes[2]: repeats connections[0].scopes[0]; list each value once');
      assertAt(d, text, '"data"', 1);
    });

    it('header names and the header map', () => {
      let text = file([generic({ kind: 'header', headers: { 'X Impersonate': '{{principal.email}}' } })]);
      let d = single(text);
      assert.match(d.message, /^connections\[0\]\.impersonation\.headers: "X Impersonate" is not a valid name here: header names are made of/);
      assertAt(d, text, '"X Impersonate"');

      text = file([generic({ kind: 'header', headers: { 'X-Impersonate-User': 42 } })]);
      d = single(text);
      assert.equal(d.message, 'connections[0].impersonation.headers["X-Impersonate-User"]: must be a string, not a number (put it in double quotes)');
      assert.equal(d.field, 'connections[0].impersonation.headers["X-Impersonate-User"]');
      assertAt(d, text, '42');
    });

    it('reports every violation at once (allErrors), sorted by position', () => {
      const text = file([
        { ...dealcloud(), vendor: 'x', baseUrl: 'nope' },
        { ...creativeforce(), label: 7 },
      ]);
      const all = diagnostics(text);
      assert.deepEqual(
        all.map((d) => d.field),
        ['connections[0].vendor', 'connections[0].baseUrl', 'connections[1].label'],
      );
      const lines = all.map((d) => d.position.line);
      assert.deepEqual(
        lines,
        [...lines].sort((a, b) => a - b),
      );
    });
  });

  describe('secrets', () => {
    const SECRET_NAMES = ['clientSecret', 'secret', 'token', 'password', 'apiKey', 'accessToken', 'refreshToken'];

    it('rejects a principal secret with the exact variable to set instead', () => {
      const text = file([dealcloud(), { ...creativeforce(), principals: [{ id: 'eve', clientId: 'cf-app', clientSecret: 's3cr3t-value' }] }]);
      const d = single(text);
      assert.equal(
        d.message,
        'connections[1].principals[0]: "clientSecret" is not allowed here — secrets never go in this file; set BEHALF_SECRET_CF_SANDBOX_EVE instead',
      );
      assert.equal(d.field, 'connections[1].principals[0]');
      assertAt(d, text, '"clientSecret"');
      assert.doesNotMatch(d.message, /s3cr3t-value/);
    });

    it('rejects every secret-like name on connections, principals and impersonation', () => {
      for (const name of SECRET_NAMES) {
        let text = file([{ ...dealcloud(), [name]: 'x' }]);
        let d = single(text);
        assert.equal(d.message, `connections[0]: "${name}" is not allowed here — secrets never go in this file; set BEHALF_SECRET_DC_SANDBOX instead`);
        assertAt(d, text, `"${name}"`);

        text = file([{ ...dealcloud(), principals: [{ id: 'jane.doe', userId: '1', [name]: 'x' }] }]);
        d = single(text);
        assert.equal(
          d.message,
          `connections[0].principals[0]: "${name}" is not allowed here — secrets never go in this file; set BEHALF_SECRET_DC_SANDBOX_JANE_DOE instead`,
        );
        assertAt(d, text, `"${name}"`);

        text = file([generic({ kind: 'tokenExchange', [name]: 'x' })]);
        d = single(text);
        assert.match(
          d.message,
          /^connections\[0\]\.impersonation: ".*" is not allowed here — secrets never go in this file; set BEHALF_SECRET_INHOUSE instead$/,
        );
      }
    });

    it('catches spelling variants too (client_secret, API_KEY, bearerToken)', () => {
      for (const name of ['client_secret', 'API_KEY', 'Password', 'bearerToken', 'app-secret']) {
        const text = file([{ ...creativeforce(), principals: [{ id: 'eve', clientId: 'a', [name]: 'x' }] }]);
        const d = single(text);
        assert.equal(
          d.message,
          `connections[0].principals[0]: "${name}" is not allowed here — secrets never go in this file; set BEHALF_SECRET_CF_SANDBOX_EVE instead`,
        );
        assertAt(d, text, `"${name}"`);
      }
    });

    it('uses placeholders when the ids are missing', () => {
      const all = diagnostics('{ "connections": [ { "vendor": "generic", "token": "x", "principals": [ { "secret": 1 } ] } ] }');
      const messages = all.map((d) => d.message).join('\n');
      assert.match(messages, /"token" is not allowed here — secrets never go in this file; set BEHALF_SECRET_<CONNECTION_ID> instead/);
      assert.match(messages, /"secret" is not allowed here — secrets never go in this file; set BEHALF_SECRET_<CONNECTION_ID>_<PRINCIPAL_ID> instead/);
    });
  });

  describe('per-vendor required fields', () => {
    it('dealcloud principals need userId', () => {
      const text = file([{ ...dealcloud(), principals: [{ id: 'jane', email: 'jane@acme.test' }] }]);
      const d = single(text);
      assert.equal(d.message, 'connections[0].principals[0]: missing "userId" — dealcloud principals need "userId", the user\'s DealCloud user id');
      assertAt(d, text, '{\n          "id": "jane"');
    });

    it('creativeforce principals need clientId', () => {
      const text = file([
        {
          ...creativeforce(),
          principals: [
            { id: 'ok', clientId: 'a' },
            { id: 'eve', email: 'eve@studio.test' },
          ],
        },
      ]);
      const d = single(text);
      assert.match(d.message, /^connections\[0\]\.principals\[1\]: missing "clientId" — creativeforce principals need "clientId"/);
      assertAt(d, text, '{\n          "id": "eve"');
    });

    it('a creativeforce connection whose principals are all registered apps needs no connection-level clientId', () => {
      const { clientId: _c, ...appsOnly } = creativeforce();
      const both = { ...appsOnly, principals: [...appsOnly.principals, { id: 'ed', clientId: 'cf-app-editorial' }] };
      const result = parseConnections(file([both, { ...both, id: 'cf-explicit', auth: 'clientCredentials' }]), F);
      assert.deepEqual(result.diagnostics, []);
      assert.equal(result.connections.length, 2);
      assert.equal(result.connections[0].clientId, undefined);
      assert.deepEqual(
        result.connections[0].principals.map((p) => p.clientId),
        ['cf-app-ecomm', 'cf-app-editorial'],
      );
      // Each principal still needs its app.
      const d = single(file([{ ...appsOnly, principals: [{ id: 'eve', email: 'eve@studio.test' }] }]));
      assert.match(d.message, /^connections\[0\]\.principals\[0\]: missing "clientId" — creativeforce principals need "clientId"/);
    });

    it('a creativeforce connection with neither its own app nor principals says what to add', () => {
      const { clientId: _c, ...appsOnly } = creativeforce();
      let d = single(file([{ ...appsOnly, principals: [] }]));
      assert.match(
        d.message,
        /^connections\[0\]\.principals: a creativeforce connection without "clientId" \(its own app\) sends every request as one of its principals' apps/,
      );
      const { principals: _p, ...bare } = appsOnly;
      d = single(file([bare]));
      assert.match(d.message, /^connections\[0\]: missing "principals" — a creativeforce connection without "clientId"/);
    });

    it('the other vendors still need clientId for client credentials; the base schema names no vendor in the rule', () => {
      const { clientId: _c, ...noClient } = dealcloud();
      assert.match(single(file([noClient])).message, /missing "clientId" — the service client's id is needed when auth is "clientCredentials"/);
      assert.match(single(file([orangelogic({ auth: 'clientCredentials' })])).message, /missing "clientId" — the service client's id is needed/);
      // The exemption is composed from what the vendor declares (settings.serviceClientOptional), not written in the core.
      const base = JSON.parse(readFileSync(path.join(ROOT, 'src/core/connections.base.schema.json'), 'utf8')) as {
        definitions: { connection: { allOf: unknown[] } };
      };
      assert.doesNotMatch(JSON.stringify(base.definitions.connection.allOf), /creativeforce/);
      const withoutCf = composeConnectionsSchema(allVendors.filter((v) => v.id !== 'creativeforce')) as { definitions: { connection: { allOf: unknown[] } } };
      assert.doesNotMatch(JSON.stringify(withoutCf.definitions.connection.allOf[0]), /"not"/);
    });

    it('orangelogic principals need userId for full mode and email for lite', () => {
      let d = single(file([orangelogic({ defaultMode: 'full', principals: [{ id: 'a', email: 'a@acme.test' }] })]));
      assert.equal(d.message, 'connections[0].principals[0]: missing "userId" — orangelogic principals need "userId" (their API id) for full mode');

      d = single(file([orangelogic({ defaultMode: 'lite', principals: [{ id: 'a', userId: 'OL-1' }] })]));
      assert.equal(d.message, 'connections[0].principals[0]: missing "email" — orangelogic principals need "email" for lite mode');

      d = single(file([orangelogic({ principals: [{ id: 'a', name: 'Anne' }] })]));
      assert.equal(
        d.message,
        'connections[0].principals[0]: missing "userId" — orangelogic principals need "userId" (their API id) for full mode or "email" for lite mode',
      );
    });

    it('generic header impersonation needs at least one header', () => {
      let text = file([generic({ kind: 'header', headers: {} })]);
      let d = single(text);
      assert.equal(
        d.message,
        'connections[0].impersonation.headers: kind "header" needs at least one header, e.g. {"X-Impersonate-User": "{{principal.email}}"}',
      );
      assertAt(d, text, '{}');

      text = file([generic({ kind: 'header' })]);
      d = single(text);
      assert.match(d.message, /^connections\[0\]\.impersonation: missing "headers"/);
    });

    it('impersonation is for the generic vendor only', () => {
      const text = file([{ ...dealcloud(), impersonation: { kind: 'header', headers: { 'X-A': 'b' } } }]);
      const d = single(text);
      assert.match(d.message, /^connections\[0\]\.impersonation: only the generic vendor is configured with "impersonation"/);
      assertAt(d, text, '"impersonation"');
    });

    it('clientId is required for client credentials (the default) but not for token or none', () => {
      const { clientId: _c, ...noClient } = dealcloud();
      let d = single(file([noClient]));
      assert.match(d.message, /^connections\[0\]: missing "clientId" — the service client's id is needed when auth is "clientCredentials" \(the default\)/);
      d = single(file([{ ...noClient, auth: 'clientCredentials' }]));
      assert.match(d.message, /missing "clientId"/);
      assert.deepEqual(diagnostics(file([{ ...noClient, auth: 'token' }])), []);
      assert.deepEqual(diagnostics(file([{ ...noClient, auth: 'none' }])), []);
    });

    it('no vendor rule fires when the vendor itself is wrong', () => {
      const d = single(file([{ ...dealcloud(), vendor: 'sharepoint', principals: [{ id: 'x' }] }]));
      assert.equal(d.field, 'connections[0].vendor');
    });
  });

  describe('rules beyond the schema', () => {
    it('connection ids are unique (the later one is reported, at its id)', () => {
      const text = file([dealcloud(), creativeforce(), { ...creativeforce(), label: 'again' }]);
      const result = parseConnections(text, F);
      assert.equal(result.diagnostics.length, 1);
      const [d] = result.diagnostics;
      assert.equal(d.field, 'connections[2].id');
      assert.equal(
        d.message,
        `connections[2].id: "cf-sandbox" is already the id of connections[1] (line ${where(text, '"cf-sandbox"').line}); connection ids must be unique`,
      );
      assertAt(d, text, '"cf-sandbox"', 1);
      assert.deepEqual(
        result.connections.map((c) => c.label),
        ['DealCloud (sandbox)', 'Creative Force (sandbox)'],
        'the valid connections are still returned',
      );
    });

    it('principal ids are unique within a connection, not across connections', () => {
      const text = file([
        {
          ...dealcloud(),
          principals: [
            { id: 'jane', userId: '1' },
            { id: 'bob', userId: '2' },
            { id: 'jane', userId: '3' },
          ],
        },
        { ...creativeforce(), principals: [{ id: 'jane', clientId: 'a' }] },
      ]);
      const d = single(text);
      assert.equal(
        d.message,
        `connections[0].principals[2].id: "jane" is already the id of connections[0].principals[0] (line ${where(text, '"jane"').line}); principal ids must be unique within a connection`,
      );
      assertAt(d, text, '"jane"', 1);
    });

    it('ids that would share a secret variable are rejected', () => {
      const text = file([dealcloud(), { ...dealcloud(), id: 'DC_sandbox' }]);
      const d = single(text);
      assert.match(d.message, /^connections\[1\]\.id: would share the secret variable BEHALF_SECRET_DC_SANDBOX with connections\[0\]/);
      assertAt(d, text, '"DC_sandbox"');

      // connection "a" + principal "b-c" and connection "a-b" + principal "c" both map to BEHALF_SECRET_A_B_C.
      const cross = file([
        { ...dealcloud(), id: 'a', principals: [{ id: 'b-c', userId: '1' }] },
        { ...dealcloud(), id: 'a-b', principals: [{ id: 'c', userId: '2' }] },
      ]);
      assert.match(
        single(cross).message,
        /^connections\[1\]\.principals\[0\]\.id: would share the secret variable BEHALF_SECRET_A_B_C with connections\[0\]\.principals\[0\]/,
      );
    });

    it('a key written twice is reported at the second one', () => {
      const text =
        '{\n  "connections": [\n    { "id": "a", "vendor": "generic", "label": "A", "baseUrl": "https://a", "auth": "none", "auth": "token" }\n  ]\n}';
      const result = parseConnections(text, F);
      assert.equal(result.diagnostics.length, 1);
      assert.equal(
        result.diagnostics[0].message,
        'connections[0]: "auth" appears more than once (first on line 3); only the last one would count, so remove the other',
      );
      assertAt(result.diagnostics[0], text, '"auth"', 1);
      assert.deepEqual(result.connections, []);
    });
  });

  describe('loadConnections', () => {
    it('loads a valid file', async () => {
      const loaded = loadConnections(VALID_FIXTURE);
      assert.equal(loaded.file, VALID_FIXTURE);
      assert.equal(loaded.connections.length, 5);
      assert.equal(loaded.connections[0].position?.file, VALID_FIXTURE);
      assert.ok(loaded.connections.every((c) => c.principals.every((p) => p.source === 'file')));
    });

    it('throws a config BehalfError listing every problem as file:line:col', async () => {
      let error: unknown;
      try {
        loadConnections(INVALID_FIXTURE);
        assert.fail('should have thrown');
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof BehalfError);
      assert.ok(error instanceof ConnectionsFileError);
      assert.equal(error.code, 'config');
      const text = readFileSync(INVALID_FIXTURE, 'utf8');
      const vendor = where(text, '"dealclod"');
      const password = where(text, '"password"');
      const lines = error.message.split('\n');
      assert.equal(lines[0], `${INVALID_FIXTURE} is not a valid connections file (2 problems):`);
      assert.deepEqual(lines.slice(1), [
        `${INVALID_FIXTURE}:${vendor.line}:${vendor.column}: connections[0].vendor: must be one of dealcloud, orangelogic, creativeforce, generic`,
        `${INVALID_FIXTURE}:${password.line}:${password.column}: connections[0].principals[0]: "password" is not allowed here — secrets never go in this file; set BEHALF_SECRET_DC_SANDBOX_JANE instead`,
      ]);
      assert.deepEqual(error.position, { file: INVALID_FIXTURE, ...vendor });
      assert.equal(error.diagnostics.length, 2);
      assert.doesNotMatch(error.message, /hunter2/, 'never echoes a secret value');
    });

    it('throws a clear error when the file does not exist or is a directory', async () => {
      const missing = path.join(FIXTURES, 'nope', CONNECTIONS_FILE_NAME);
      assert.throws(
        () => loadConnections(missing),
        (e: unknown) => {
          assert.ok(e instanceof BehalfError);
          assert.equal(e.code, 'config');
          assert.equal(e.message, `connections file not found: ${missing}`);
          assert.match(e.hint ?? '', /--config/);
          return true;
        },
      );
      assert.throws(
        () => loadConnections(FIXTURES),
        (e: unknown) => {
          assert.ok(e instanceof BehalfError);
          assert.equal(e.code, 'config');
          assert.match(e.message, /is a directory/);
          return true;
        },
      );
    });
  });

  describe('findConnectionsFile', () => {
    let tmp: string;
    before(async () => {
      tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'behalf-connections-')));
      await fs.mkdir(path.join(tmp, 'ws/project/requests/deep'), { recursive: true });
      await fs.writeFile(path.join(tmp, 'ws', CONNECTIONS_FILE_NAME), '{ "connections": [] }');
      await fs.mkdir(path.join(tmp, 'ws/project/requests', CONNECTIONS_FILE_NAME)); // a directory is not a match
    });
    after(async () => {
      await fs.rm(tmp, { recursive: true, force: true });
    });

    it('walks up to the nearest file', async () => {
      const expected = path.join(tmp, 'ws', CONNECTIONS_FILE_NAME);
      assert.equal(findConnectionsFile(path.join(tmp, 'ws/project/requests/deep')), expected);
      assert.equal(findConnectionsFile(path.join(tmp, 'ws')), expected);
      // Given a file (e.g. the .http file) instead of a directory, it starts next to it.
      assert.equal(findConnectionsFile(path.join(tmp, 'ws/project/requests/deep/api.http')), expected);
    });

    it('prefers the closest file', async () => {
      const closer = path.join(tmp, 'ws/project', CONNECTIONS_FILE_NAME);
      await fs.writeFile(closer, '{ "connections": [] }');
      try {
        assert.equal(findConnectionsFile(path.join(tmp, 'ws/project/requests/deep')), closer);
      } finally {
        await fs.rm(closer);
      }
    });

    it('stops at stopDir', async () => {
      assert.equal(findConnectionsFile(path.join(tmp, 'ws/project/requests/deep'), path.join(tmp, 'ws/project')), undefined);
      assert.equal(findConnectionsFile(path.join(tmp, 'ws/project/requests/deep'), path.join(tmp, 'ws')), path.join(tmp, 'ws', CONNECTIONS_FILE_NAME));
      assert.equal(findConnectionsFile(tmp, tmp), undefined);
    });
  });

  describe('robustness', () => {
    const base = readFileSync(VALID_FIXTURE, 'utf8');
    const tokens = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      "'",
      '//',
      '/*',
      '*/',
      '\\',
      '\n',
      '\r',
      'null',
      'true',
      '0',
      '-1e999',
      '"__proto__"',
      '"constructor"',
      '\u0000',
      '\uFEFF',
      '\uD800',
      '😀',
      '"clientSecret": "x",',
      '"id": "dc-sandbox",',
    ];

    function checkResult(text: string, label: string) {
      let result;
      try {
        result = parseConnections(text, F);
      } catch (e) {
        assert.fail(`parseConnections threw for ${label}: ${String(e)}\n${JSON.stringify(text.slice(0, 400))}`);
      }
      const lineCount = text.split(/\r\n|\r|\n/).length;
      assert.equal(result.file, F);
      for (const d of result.diagnostics) {
        assert.equal(typeof d.message, 'string', label);
        assert.ok(d.message.length > 0, label);
        assert.equal(typeof d.field, 'string', label);
        assert.equal(d.position.file, F, label);
        assert.ok(
          Number.isInteger(d.position.line) && d.position.line >= 1 && d.position.line <= lineCount,
          `${label}: line ${d.position.line} (${d.message})`,
        );
        assert.ok(Number.isInteger(d.position.column) && d.position.column >= 1, `${label}: column ${d.position.column} (${d.message})`);
      }
      for (const c of result.connections) {
        assert.equal(typeof c.id, 'string', label);
        assert.ok(Array.isArray(c.principals), label);
        assert.ok(c.position && c.position.line >= 1, label);
      }
      return result;
    }

    it('never throws on thousands of mutated and truncated versions of a valid file', () => {
      const random = prng(0xbe4a1f);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      let withDiagnostics = 0;
      const runs = 2500;
      for (let i = 0; i < runs; i++) {
        let text = base;
        const edits = 1 + Math.floor(random() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * (text.length + 1));
          switch (Math.floor(random() * 6)) {
            case 0: // truncate
              text = text.slice(0, at);
              break;
            case 1: // delete a span
              text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20));
              break;
            case 2: // insert a token
              text = text.slice(0, at) + pick(tokens) + text.slice(at);
              break;
            case 3: // replace one character
              text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + text.slice(at + 1);
              break;
            case 4: {
              // swap two lines
              const lines = text.split('\n');
              const a = Math.floor(random() * lines.length);
              const b = Math.floor(random() * lines.length);
              [lines[a], lines[b]] = [lines[b], lines[a]];
              text = lines.join('\n');
              break;
            }
            default: {
              // duplicate a span somewhere else
              const from = Math.floor(random() * text.length);
              text = text.slice(0, at) + text.slice(from, from + Math.floor(random() * 80)) + text.slice(at);
            }
          }
        }
        const result = checkResult(text, `mutation #${i}`);
        if (result.diagnostics.length > 0) withDiagnostics++;
      }
      assert.ok(withDiagnostics > runs / 2, `most mutations should be invalid (${withDiagnostics}/${runs})`);
    });

    it('never throws on hostile inputs', () => {
      const hostile = [
        '['.repeat(100_000),
        '{"connections":'.repeat(20_000),
        `{"connections": [${'{"id": "a", "vendor": "generic", "label": "x", "baseUrl": "https://a", "auth": "none"},'.repeat(300)}]}`,
        `{"connections": [{"id": "${'a'.repeat(200_000)}"}]}`,
        '{"__proto__": {"polluted": true}, "connections": [{"__proto__": 1, "constructor": 2}]}',
        '{"connections": [{"id": "g", "vendor": "generic", "label": "g", "baseUrl": "https://g", "auth": "none", "impersonation": {"kind": "header", "headers": {"__proto__": "x"}}}]}',
        '\u0000\u0001\u0002',
        '\uD800\uDC00\uD800',
        'null',
        '"just a string"',
        '42',
        '\r\r\r}',
      ];
      hostile.forEach((text, i) => checkResult(text, `hostile #${i}`));
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
      const proto = parseConnections(hostile[5], F);
      assert.deepEqual(proto.diagnostics, []);
      const impersonation = impersonationOf(proto.connections[0]);
      const headers = impersonation?.kind === 'header' ? impersonation.headers : {};
      assert.deepEqual(Object.keys(headers), ['__proto__']);
      assert.equal(Object.getPrototypeOf(headers), Object.prototype);
    });
  });
});

describe('connections file: the strict-JSON fast path', () => {
  // Strict JSON with no problem is read with JSON.parse (no syntax tree, positions of the connections only);
  // anything else goes through jsonc-parser. A comment after the value sends the same text down the jsonc path
  // without moving any offset, so both paths must give the very same result.
  const JSONC_ONLY = '\n// the jsonc-parser path';
  const strictBase = JSON.stringify(parseJsonc(readFileSync(VALID_FIXTURE, 'utf8')), null, 2);

  function parseJsonc(text: string): unknown {
    // The fixture's value, read by the loader itself (through the jsonc path: it has comments).
    const result = parseConnections(text, F);
    assert.deepEqual(result.diagnostics, []);
    return {
      // Back to the file's shape: the vendor's settings sit beside the shared fields there.
      connections: result.connections.map(({ position: _position, principals, settings, ...rest }) => ({
        ...rest,
        ...settings,
        principals: principals.map(({ source: _source, ...p }) => p),
      })),
    };
  }

  function assertSamePaths(text: string, label: string): ReturnType<typeof parseConnections> {
    const fast = parseConnections(text, F);
    const slow = parseConnections(text + JSONC_ONLY, F);
    assert.deepEqual(fast, slow, label);
    return fast;
  }

  it("gives the jsonc path's connections and positions for valid strict JSON (LF, CRLF, byte-order mark, one line)", () => {
    const variants = {
      lf: strictBase,
      crlf: strictBase.replace(/\n/g, '\r\n'),
      cr: strictBase.replace(/\n/g, '\r'),
      bom: '\uFEFF' + strictBase,
      oneLine: JSON.stringify(JSON.parse(strictBase)),
      escapes: strictBase.replace('"DealCloud (sandbox)"', '"Deal\\"Cloud\\\\ \\u00e9 {[\\"]} (sandbox)"'),
    };
    for (const [label, text] of Object.entries(variants)) {
      const result = assertSamePaths(text, label);
      assert.deepEqual(result.diagnostics, [], label);
      assert.equal(result.connections.length, 5, label);
    }
    const first = parseConnections(variants.lf, F).connections[1].position;
    assert.deepEqual(first, { file: F, ...where(variants.lf, '{\n      "id": "ol-sandbox"') });
  });

  it('reports exactly what the jsonc path reports when strict JSON has a problem', () => {
    const value = JSON.parse(strictBase) as { connections: Array<Record<string, unknown> & { principals?: Array<Record<string, unknown>> }> };
    const variant = (edit: (v: typeof value) => void) => {
      const copy = JSON.parse(strictBase) as typeof value;
      edit(copy);
      return JSON.stringify(copy, null, 2);
    };
    const cases: Record<string, string> = {
      duplicatedKey: strictBase.replace('"label": "DealCloud (sandbox)",', '"label": "DealCloud (sandbox)",\n      "label": "again",'),
      duplicatedKeyNested: strictBase.replace('"email": "jane@acme.test",', '"email": "jane@acme.test", "email": "j@acme.test",'),
      duplicatedConnectionId: variant((v) => (v.connections[1].id = 'dc-sandbox')),
      duplicatedPrincipalId: variant((v) => (v.connections[0].principals![1].id = 'jane')),
      sharedSecretVariable: variant((v) => (v.connections[1].id = 'dc_sandbox')),
      sharedPrincipalSecret: variant((v) => v.connections[0].principals!.push({ id: 'Jane', userId: '7' })),
      schemaError: variant((v) => (v.connections[2].vendor = 'nope')),
      secretInFile: variant((v) => (v.connections[0].clientSecret = 's')),
      missingConnections: '{ "connection": [] }',
      notAnArray: '{ "connections": {} }',
      itemNotAnObject: '{ "connections": [1, "x", null] }',
      rootArray: '[]',
    };
    assert.ok(value.connections.length > 2);
    for (const [label, text] of Object.entries(cases)) {
      const result = assertSamePaths(text, label);
      assert.ok(result.diagnostics.length > 0, `${label}: expected a problem`);
    }
  });

  it('agrees with the jsonc path on thousands of mutated strict-JSON files', () => {
    const random = prng(0x5eed);
    const pieces = ['"id": "dc-sandbox",', '"label": "x",', '"x": 1,', '{}', '[]', '"', '\\', '\r\n', '"__proto__": 1,', '"connections": [],'];
    let strict = 0;
    for (let i = 0; i < 3000; i++) {
      let text = strictBase;
      const at = Math.floor(random() * text.length);
      switch (Math.floor(random() * 3)) {
        case 0:
          text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + text.slice(at);
          break;
        case 1: {
          const from = Math.floor(random() * text.length);
          text = text.slice(0, at) + text.slice(from, from + Math.floor(random() * 120)) + text.slice(at);
          break;
        }
        default:
          text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 10));
      }
      try {
        JSON.parse(text);
      } catch {
        continue; // not strict JSON: only the jsonc path reads it
      }
      strict++;
      assertSamePaths(text, `mutation #${i}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 80))}`);
    }
    assert.ok(strict > 50, `enough mutations should stay strict JSON (${strict})`);
  });

  it("reads 10,000 principals and keeps each one's fields", () => {
    const principals = Array.from({ length: 10_000 }, (_, i) => ({ id: `p${i}`, userId: `u-${i}`, email: `user${i}@acme.test`, name: `User ${i}` }));
    const text = file([{ id: 'big', vendor: 'generic', label: 'Big', baseUrl: 'http://127.0.0.1:9/api', auth: 'none', principals }]);
    const result = assertSamePaths(text, '10,000 principals');
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.connections[0].principals.length, 10_000);
    assert.deepEqual(result.connections[0].principals[9999], { ...principals[9999], source: 'file' });
    assert.deepEqual(result.connections[0].position, { file: F, line: 3, column: 5 });
  });
});

describe('connections validation in the bundles (ajv standalone, generated at build time)', () => {
  it('the bundled CLI reports exactly the diagnostics ajv reports from the source', async () => {
    const { spawnSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
    assert.ok(fs.existsSync(cli), 'dist/cli.js is missing: run npm run build first (npm test does)');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-standalone-'));
    try {
      const file = path.join(dir, 'behalf.connections.json');
      const text =
        '{ "connections": [ { "id": "x", "vendor": "nope", "label": "X", "baseUrl": "ftp://h", "clientSecret": "s", "scopes": [1], "principals": [{ "id": "a b" }] } ] }';
      fs.writeFileSync(file, text);
      const expected = parseConnections(text, file).diagnostics.map((d) => `${d.position.file}:${d.position.line}:${d.position.column}: ${d.message}`);
      assert.ok(expected.length >= 4);
      const run = spawnSync(process.execPath, [cli, 'principals', 'x', '--config', file], { encoding: 'utf8' });
      assert.equal(run.status, 1);
      for (const line of expected) assert.ok(run.stderr.includes(line), `missing from the bundle's output: ${line}\n${run.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('connections schema composed from the vendors (scripts/build-schema.mjs)', () => {
  it('the committed schema is what the base and the vendors declare', async () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), `${JSON.stringify(composeConnectionsSchema(allVendors), null, 2)}\n`);
  });

  it("CORE_CONNECTION_KEYS are the base schema's connection properties that are not forbidden secrets", async () => {
    const base = JSON.parse(readFileSync(path.join(ROOT, 'src/core/connections.base.schema.json'), 'utf8')) as {
      definitions: { connection: { properties: Record<string, { $ref?: string }> } };
    };
    const shared = Object.entries(base.definitions.connection.properties)
      .filter(([, p]) => p.$ref !== '#/definitions/forbiddenSecret')
      .map(([name]) => name);
    assert.deepEqual([...CORE_CONNECTION_KEYS].sort(), shared.sort());
  });

  it("a vendor's setting lands in settings; on another vendor's connection it is an error naming the vendor that has it", () => {
    const dc = { id: 'dc', vendor: 'dealcloud', label: 'DC', baseUrl: 'https://acme.dealcloud.com', clientId: '1', serviceUserId: '6001', principals: [] };
    const ok = parseConnections(JSON.stringify({ connections: [dc] }), F);
    assert.deepEqual(ok.diagnostics, []);
    assert.deepEqual(ok.connections[0].settings, { serviceUserId: '6001' });
    assert.equal((ok.connections[0] as unknown as Record<string, unknown>).serviceUserId, undefined);
    const wrong = parseConnections(JSON.stringify({ connections: [{ ...dc, vendor: 'orangelogic' }] }), F);
    assert.ok(
      wrong.diagnostics.some((d) => /^connections\[0\]\.serviceUserId: only the dealcloud vendor is configured with "serviceUserId"/.test(d.message)),
      JSON.stringify(wrong.diagnostics),
    );
  });

  it('two vendors declaring one setting differently is refused when the schema is composed', async () => {
    assert.throws(
      () =>
        composeConnectionsSchema([
          { id: 'a', summary: 'a', settings: { properties: { x: { type: 'string' } } } },
          { id: 'b', summary: 'b', settings: { properties: { x: { type: 'number' } } } },
        ]),
      /declare "x" differently/,
    );
  });
});
