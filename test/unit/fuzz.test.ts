// Property-based fuzzing (fast-check) of the two inputs users write by hand: .http files and the
// connections file. Whatever the input, the answer is diagnostics with valid positions — never another
// exception, never a hang (a hang trips mocha's timeout).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConnections } from '../../src/core/connections';
import { BehalfError } from '../../src/core/errors';
import { parseHttpFile } from '../../src/core/http/parser';
import { resolveRequest } from '../../src/core/http/variables';

const FRAGMENTS = [
  '###',
  '### title',
  '# @name req',
  '// @name r2',
  '# @connection dc',
  '# @as jane',
  '# @mode lite',
  '# @mode sideways',
  '# @as',
  'GET /a',
  'POST https://h/x HTTP/1.1',
  'get {{host}}/p',
  'DELETE',
  'PATCH /x?y=1',
  '?q=1',
  '&r=2',
  '@host = https://h',
  '@ = x',
  '@a={{b}}',
  '@b={{a}}',
  'Content-Type: application/json',
  'X: {{$guid}}',
  'Y: {{$randomInt 1 9}}',
  'Z: {{$randomInt}}',
  'T: {{$timestamp -1 d}}',
  'D: {{$datetime iso8601}}',
  'E: {{$processEnv HOME}}',
  'F: {{$dotenv NOPE}}',
  'Bad Header',
  ': novalue',
  '{"a": {{$guid}}}',
  '{{',
  '}}',
  '{{unterminated',
  '< ./file.json',
  '',
  ' ',
  '\t',
  '# comment',
  '// comment',
  // Other tools' constructs (flagged or read as they document them).
  'GRPC grpc.test:50051/a.B/C',
  'WS wss://h/socket',
  '?? status == 200',
  '/* comment',
  '*/',
  '< {%',
  '> {%',
  '%}',
  '> ./handler.js',
  '>>! out.json',
  '{{+',
  '{{@response',
  'GRAPHQL /graphql',
  'query Q { a }',
  'fragment F on T { a }',
  '{"id": 1}',
  'X-Request-Type: GraphQL',
  'HTTP/1.1 200 OK',
  'import ./other.http',
  'run #login',
  'proto < ./a.proto',
  'gql F < ./f.gql',
  'V: {{$random.integer(1, 5)}} {{$random.email}} {{$isoTimestamp}} {{$random.hexadecimal(4)}}',
];

const httpText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    ),
    { maxLength: 60 },
  )
  .chain((lines) => fc.constantFrom('\n', '\r\n', '\r').map((eol) => lines.join(eol)));

describe('Property-based fuzz', () => {
  it('.http parser: any input gives diagnostics with valid positions, never an exception (3,000 cases)', () => {
    fc.assert(
      fc.property(httpText, (text) => {
        const parsed = parseHttpFile(text, 'fuzz.http');
        const lines = text.split(/\r\n|\r|\n/).length;
        for (const d of parsed.diagnostics) {
          assert.ok(d.position.line >= 1 && d.position.line <= lines + 1, `line ${d.position.line} of ${lines}`);
          assert.ok(d.position.column >= 1);
          assert.ok(d.message.length > 0);
        }
        // Requests (also those httpYac's rule splits without ###) are in file order and their ranges never overlap.
        for (let i = 1; i < parsed.requests.length; i++) {
          assert.ok(parsed.requests[i].range.startLine > parsed.requests[i - 1].range.endLine, JSON.stringify(text));
        }
        // Resolving any request either works or fails with a BehalfError that has a position.
        for (const request of parsed.requests) {
          try {
            resolveRequest(parsed, request, { processEnv: {}, dotenv: () => undefined });
          } catch (e) {
            assert.ok(e instanceof BehalfError, `unexpected ${String(e)}`);
          }
        }
      }),
      { numRuns: 3000, seed: 20261123 },
    );
  });

  const validFile = {
    connections: [
      { id: 'dc', vendor: 'dealcloud', label: 'DC', baseUrl: 'https://dc.test', clientId: 'c', principals: [{ id: 'jane', userId: '6045', email: 'j@x' }] },
      { id: 'cf', vendor: 'creativeforce', label: 'CF', baseUrl: 'https://cf.test/v1', clientId: 'a', principals: [{ id: 'eve', clientId: 'app' }] },
    ],
  };

  it('connections file: random JSON values anywhere give positioned diagnostics, never an exception (2,000 cases)', () => {
    const paths = [
      ['connections'],
      ['connections', 0],
      ['connections', 0, 'vendor'],
      ['connections', 0, 'principals'],
      ['connections', 0, 'principals', 0],
      ['connections', 1, 'baseUrl'],
      ['connections', 0, 'clientSecret'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 }), fc.nat(400), (at, value, cut) => {
        const file = structuredClone(validFile) as Record<string, unknown>;
        let target = file as Record<string | number, unknown>;
        for (const key of at.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
        target[at[at.length - 1]] = value;
        const text = JSON.stringify(file, null, 2);
        for (const input of [text, text.slice(0, cut)]) {
          const parsed = parseConnections(input, 'behalf.connections.json');
          for (const d of parsed.diagnostics) {
            assert.ok(d.position.line >= 1 && d.position.column >= 1);
            assert.ok(d.message.length > 0);
          }
        }
      }),
      { numRuns: 2000, seed: 20261123 },
    );
  });

  it('connections file: arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        parseConnections(text, 'x.json');
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
