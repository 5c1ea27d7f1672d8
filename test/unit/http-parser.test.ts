import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HTTP_METHODS, parseHttpFile, requestAtLine, type HttpDiagnostic, type ParsedHttpFile } from '../../src/core/http/parser';
import { prng } from './support';

const FILE = '/work/api.http';
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'http');

function parse(text: string): ParsedHttpFile {
  return parseHttpFile(text, FILE);
}

function errors(p: ParsedHttpFile): HttpDiagnostic[] {
  return p.diagnostics.filter((d) => d.severity === 'error');
}

function warnings(p: ParsedHttpFile): HttpDiagnostic[] {
  return p.diagnostics.filter((d) => d.severity === 'warning');
}

function only(p: ParsedHttpFile, severity: 'error' | 'warning'): HttpDiagnostic {
  const list = p.diagnostics.filter((d) => d.severity === severity);
  assert.equal(list.length, 1, `expected one ${severity}, got ${JSON.stringify(p.diagnostics, null, 2)}`);
  return list[0];
}

function fixture(name: string): ParsedHttpFile {
  const file = path.join(FIXTURES, name);
  return parseHttpFile(fs.readFileSync(file, 'utf8'), file);
}

describe('http parser', () => {
  describe('request line', () => {
    it('parses METHOD URL HTTP/1.1', () => {
      const p = parse('GET https://example.com/comments/1 HTTP/1.1\n');
      assert.deepEqual(p.diagnostics, []);
      assert.equal(p.requests.length, 1);
      const r = p.requests[0];
      assert.equal(r.method, 'GET');
      assert.equal(r.url, 'https://example.com/comments/1');
      assert.equal(r.httpVersion, 'HTTP/1.1');
      assert.equal(r.requestLine, 1);
      assert.equal(r.index, 0);
      assert.equal(r.hasErrors, false);
      assert.deepEqual(r.headers, []);
      assert.equal(r.body, undefined);
    });

    it('defaults to GET when the line is only a URL', () => {
      for (const url of [
        'https://example.com/x',
        'http://localhost:3000/a',
        '/api/rows',
        '{{host}}/a',
        'example.com/path',
        'localhost:8080',
        'api.example.com',
      ]) {
        const p = parse(url);
        assert.deepEqual(p.diagnostics, [], url);
        assert.equal(p.requests[0].method, 'GET', url);
        assert.equal(p.requests[0].url, url, url);
      }
    });

    it('accepts every method case-insensitively and upper-cases it', () => {
      for (const m of HTTP_METHODS) {
        for (const written of [m, m.toLowerCase(), m[0] + m.slice(1).toLowerCase()]) {
          const p = parse(`${written} /x`);
          assert.deepEqual(p.diagnostics, [], written);
          assert.equal(p.requests[0].method, m);
          assert.equal(p.requests[0].url, '/x');
        }
      }
      assert.deepEqual([...HTTP_METHODS].sort(), ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
    });

    it('reads HTTP/2 and HTTP/1.0 versions, and no version', () => {
      assert.equal(parse('GET /a HTTP/2').requests[0].httpVersion, 'HTTP/2');
      assert.equal(parse('GET /a http/1.0').requests[0].httpVersion, 'HTTP/1.0');
      assert.equal(parse('GET /a').requests[0].httpVersion, undefined);
      assert.equal(parse('GET /a HTTP/1.1').requests[0].url, '/a');
    });

    it('handles tabs and extra spaces around the parts', () => {
      const p = parse('  \tPOST\t\t /rows \t HTTP/1.1\t ');
      assert.deepEqual(p.diagnostics, []);
      assert.equal(p.requests[0].method, 'POST');
      assert.equal(p.requests[0].url, '/rows');
      assert.deepEqual(p.requests[0].urlParts, [{ text: '/rows', line: 1, column: 11 }]);
    });

    it('keeps a URL relative when it starts with /', () => {
      const r = parse('GET /api/rest/v4/data/entrydata/rows/Deals?limit=1').requests[0];
      assert.equal(r.url, '/api/rest/v4/data/entrydata/rows/Deals?limit=1');
    });

    it('appends ? and & continuation lines, indented or not, to the URL', () => {
      const p = parse('GET https://example.com/comments\n    ?page=2\n&pageSize=10\n\t&sort={{order}}\nAccept: */*\n');
      assert.deepEqual(p.diagnostics, []);
      const r = p.requests[0];
      assert.equal(r.url, 'https://example.com/comments?page=2&pageSize=10&sort={{order}}');
      assert.deepEqual(
        r.urlParts.map((u) => [u.line, u.column]),
        [
          [1, 5],
          [2, 5],
          [3, 1],
          [4, 2],
        ],
      );
      assert.deepEqual(
        r.headers.map((h) => h.name),
        ['Accept'],
      );
    });

    it('allows comments between the request line and its query lines', () => {
      const p = parse('GET /a\n# the page\n?page=2\n// size\n&size=1\n');
      assert.deepEqual(p.diagnostics, []);
      assert.equal(p.requests[0].url, '/a?page=2&size=1');
    });

    it('reports a missing URL after the method', () => {
      for (const text of ['GET', 'POST   ', 'get HTTP/1.1']) {
        const p = parse(text);
        const e = only(p, 'error');
        assert.match(e.message, /expected a URL after (GET|POST)/);
        assert.equal(e.expected, 'a request line "METHOD URL [HTTP/1.1]"');
        assert.equal(e.position.line, 1);
        assert.equal(p.requests.length, 0);
      }
    });

    it('reports an unknown method with its position', () => {
      // Upper-case FETCH is a valid extension method now (RFC 9110); a lower-case unknown token is not.
      const p = parse('\n\n   fetch /x');
      const e = only(p, 'error');
      assert.match(e.message, /unknown method "fetch"/);
      assert.match(e.message, /another method written in upper case \(FETCH\)/);
      assert.match(e.message, /expected a request line "METHOD URL \[HTTP\/1\.1\]"/);
      assert.deepEqual(e.position, { file: FILE, line: 3, column: 4 });
      assert.equal(p.requests.length, 0);
    });

    it('reports a line that is no request line', () => {
      const p = parse('###\nthis is not a request\nAccept: x\n');
      const e = only(p, 'error');
      assert.match(e.message, /^expected a request line "METHOD URL \[HTTP\/1\.1\]", found "this is not a request"/);
      assert.deepEqual(e.position, { file: FILE, line: 2, column: 1 });
      assert.equal(p.requests.length, 0);
    });

    it('reports a request block with headers but no request line', () => {
      const p = parse('###\n# @name x\nContent-Type: application/json\nAccept: */*\n\n{}\n');
      const e = only(p, 'error');
      assert.match(e.message, /header without a request line/);
      assert.match(e.message, /expected a request line "METHOD URL \[HTTP\/1\.1\]" before the headers/);
      assert.deepEqual(e.position, { file: FILE, line: 3, column: 1 });
      assert.equal(p.requests.length, 0);
    });

    it('warns about spaces in the URL but not about spaces inside {{ }}', () => {
      const w = only(parse('GET /a b'), 'warning');
      assert.match(w.message, /URL contains spaces/);
      assert.deepEqual(parse('GET /a?t={{$timestamp -1 d}}&d={{$datetime "YYYY MM" 1 d}}').diagnostics, []);
    });

    it('ignores a pasted response status line block with a warning', () => {
      const p = parse('HTTP/1.1 200 OK\nContent-Type: application/json\n\n{}\n');
      assert.equal(p.requests.length, 0);
      assert.match(only(p, 'warning').message, /response/);
    });
  });

  describe('headers and body', () => {
    it('reads headers until a blank line, then the body until ###', () => {
      const text = [
        'POST https://example.com/comments HTTP/1.1',
        'content-type: application/json',
        'X-Empty:',
        'Authorization:   Bearer abc  ',
        '',
        '{',
        '    "name": "sample",',
        '',
        '    "time": "Wed, 21 Oct 2015 18:27:50 GMT"',
        '}',
        '',
        '',
        '###',
        'GET /next',
      ].join('\n');
      const p = parse(text);
      assert.deepEqual(p.diagnostics, []);
      const r = p.requests[0];
      assert.deepEqual(r.headers, [
        { name: 'content-type', value: 'application/json', line: 2, column: 1, valueColumn: 15 },
        { name: 'X-Empty', value: '', line: 3, column: 1, valueColumn: 9 },
        { name: 'Authorization', value: 'Bearer abc', line: 4, column: 1, valueColumn: 18 },
      ]);
      assert.equal(r.body, '{\n    "name": "sample",\n\n    "time": "Wed, 21 Oct 2015 18:27:50 GMT"\n}');
      assert.deepEqual(r.bodyLines, [6, 7, 8, 9, 10]);
      assert.deepEqual(r.range, { startLine: 1, endLine: 10 });
      assert.equal(p.requests[1].url, '/next');
      assert.deepEqual(p.requests[1].range, { startLine: 13, endLine: 14 });
    });

    it('trims leading and trailing blank lines of the body, keeps inner indentation', () => {
      const r = parse('POST /a\n\n\n\n  indented\n\tline\n\n\n   \n').requests[0];
      assert.equal(r.body, '  indented\n\tline');
      assert.deepEqual(r.bodyLines, [5, 6]);
    });

    it('has no body when only blank lines follow the headers', () => {
      const r = parse('GET /a\nAccept: x\n\n\n   \n').requests[0];
      assert.equal(r.body, undefined);
      assert.equal(r.bodyLines, undefined);
    });

    it('skips # and // comment lines between headers and in the body (as REST Client and httpYac do)', () => {
      const p = parse('POST /a\nAccept: x\n# a comment\n// another\nX-B: y\n\n{\n  // "skipped": true,\n  # "also": 1,\n  "kept": 1\n}\n# trailing note\n');
      assert.deepEqual(p.diagnostics, []);
      const r = p.requests[0];
      assert.deepEqual(
        r.headers.map((h) => h.name),
        ['Accept', 'X-B'],
      );
      assert.equal(r.body, '{\n  "kept": 1\n}');
      assert.deepEqual(r.bodyLines, [7, 10, 11]);
    });

    it('keeps # lines in a markdown body', () => {
      const r = parse('POST /doc\nContent-Type: text/markdown\n\n# Title\n\ntext\n').requests[0];
      assert.equal(r.body, '# Title\n\ntext');
    });

    it('reports a line that is neither a header nor blank, and keeps the rest as body', () => {
      const p = parse('POST /a\nContent-Type: application/json\n{\n  "a": 1\n}\n');
      const e = only(p, 'error');
      assert.equal(e.message, 'expected "Name: value" header or a blank line before the body');
      assert.equal(e.expected, '"Name: value" header or a blank line before the body');
      assert.deepEqual(e.position, { file: FILE, line: 3, column: 1 });
      assert.equal(p.requests[0].hasErrors, true);
      assert.equal(p.requests[0].body, '{\n  "a": 1\n}');
    });

    it('reports a one-line JSON body without the blank line before it', () => {
      const p = parse('POST /a\nContent-Type: application/json\n{"a": 1}\n');
      assert.equal(only(p, 'error').message, 'expected "Name: value" header or a blank line before the body');
      assert.equal(p.requests[0].body, '{"a": 1}');
    });

    it('reports invalid characters in a header name with the position', () => {
      const p = parse('GET /a\nAccept: x\n  Bad Name: y\n(x): z\n: novalue\n');
      const list = errors(p);
      assert.equal(list.length, 3);
      assert.match(list[0].message, /invalid characters in header name "Bad Name"/);
      assert.deepEqual(list[0].position, { file: FILE, line: 3, column: 3 });
      assert.match(list[1].message, /invalid characters in header name "\(x\)"/);
      assert.match(list[2].message, /missing header name/);
      assert.ok(list.every((e) => e.expected?.startsWith('a header name of letters')));
      assert.deepEqual(
        p.requests[0].headers.map((h) => h.name),
        ['Accept'],
      );
      assert.equal(p.requests[0].hasErrors, true);
    });

    it('accepts all RFC 9110 token characters in header names', () => {
      const p = parse("GET /a\nX-Weird!#$%&'*+.^_`|~09: v\n");
      assert.deepEqual(p.diagnostics, []);
      assert.equal(p.requests[0].headers[0].name, "X-Weird!#$%&'*+.^_`|~09");
    });

    it('keeps colons in header values', () => {
      const r = parse('GET /a\nReferer: https://x.test:8443/a?b=c:d\n').requests[0];
      assert.equal(r.headers[0].value, 'https://x.test:8443/a?b=c:d');
    });

    it('reports a file variable between headers', () => {
      const p = parse('GET /a\n@x = 1\nAccept: y\n');
      assert.match(only(p, 'error').message, /file variable between headers/);
      assert.equal(p.requests[0].headers.length, 1);
    });

    it('starts a new request at a request line after a blank line (httpYac), and warns where that is ambiguous', () => {
      // Was: one request with GET /b as its body and a warning; httpYac's rule makes it a request of its own.
      const p = parse('GET /a\n\nGET /b\n');
      assert.deepEqual(p.diagnostics, []);
      assert.deepEqual(
        p.requests.map((r) => [r.url, r.body, r.range]),
        [
          ['/a', undefined, { startLine: 1, endLine: 1 }],
          ['/b', undefined, { startLine: 3, endLine: 3 }],
        ],
      );
      // A text body may hold such a line: sent as body text, and said so.
      const q = parse('POST /a\nContent-Type: text/plain\n\nGET /b\n');
      assert.equal(q.requests.length, 1);
      const w = only(q, 'warning');
      assert.match(w.message, /second request line/);
      assert.equal(w.expected, '### between requests');
      assert.equal(w.position.line, 4);
    });

    it('records < file body references (read when resolved, never by the parser) without diagnostics', () => {
      const p = parse('POST /upload\nContent-Type: application/xml\n\n< ./does-not-exist.xml\n');
      assert.deepEqual(p.diagnostics, []);
      const r = p.requests[0];
      assert.equal(r.hasErrors, false);
      assert.equal(r.body, '< ./does-not-exist.xml');
      assert.deepEqual(r.bodyFiles, [{ path: './does-not-exist.xml', processVariables: false, line: 4, column: 3 }]);
      const q = parse('POST /u\n\n<@ ./a.json\n<@latin1   /abs/b.txt  \n<root/>\n<@utf-8 ./{{dir}}/c.txt\n<not-a-file/>\n <indented ./x\n');
      assert.deepEqual(q.requests[0].bodyFiles, [
        { path: './a.json', processVariables: true, line: 3, column: 4 },
        { path: '/abs/b.txt', processVariables: true, encoding: 'latin1', line: 4, column: 12 },
        { path: './{{dir}}/c.txt', processVariables: true, encoding: 'utf-8', line: 6, column: 9 },
      ]);
      assert.deepEqual(q.diagnostics, []);
    });

    it('reports an unknown <@encoding and a malformed {{ in a body file path as errors', () => {
      const p = parse('POST /u\n\n<@klingon ./a.txt\n');
      const e = only(p, 'error');
      assert.match(e.message, /unknown encoding "klingon" in <@klingon \(expected one of utf8, utf16le, .*latin1/);
      assert.deepEqual(e.position, { file: FILE, line: 3, column: 3 });
      assert.equal(p.requests[0].hasErrors, true);
      const q = parse('POST /u\n\n< ./{{dir/a.txt\n');
      assert.deepEqual(only(q, 'error').position, { file: FILE, line: 3, column: 5 });
      assert.equal(parse('POST /u\n\n<@LATIN1 ./a.txt\n<@base64 ./b\n').diagnostics.length, 0);
    });

    it('ignores response handler scripts and redirections after the body, with warnings', () => {
      const p = parse('POST /a\n\n{"a":1}\n\n> {%\n  client.log(1);\n%}\n>> ./out.json\n');
      assert.equal(p.requests[0].body, '{"a":1}');
      assert.equal(warnings(p).length, 2);
      assert.equal(errors(p).length, 0);
    });
  });

  describe('separators, comments and names', () => {
    it('splits on ### and uses the text after it as the name when there is no @name', () => {
      const p = parse('### List users\nGET /users\n\n### \nGET /a\n\n### ignored title\n# @name real\nGET /b\n\n##########\nGET /c\n### ----\nGET /d');
      assert.deepEqual(p.diagnostics, []);
      assert.deepEqual(
        p.requests.map((r) => [r.name, r.title]),
        [
          ['List users', 'List users'],
          [undefined, undefined],
          ['real', 'ignored title'],
          [undefined, undefined],
          [undefined, undefined],
        ],
      );
      assert.deepEqual(
        p.requests.map((r) => r.index),
        [0, 1, 2, 3, 4],
      );
    });

    it('reads # @name, // @name and # @name=x', () => {
      for (const line of ['# @name login', '// @name login', '# @name=login', '#@name login', '### \n#   @name   login  ', '# @name = login']) {
        const p = parse(`${line}\nPOST /login`);
        assert.deepEqual(p.diagnostics, [], line);
        assert.equal(p.requests[0].name, 'login', line);
        assert.equal(p.requests[0].annotations.name, 'login', line);
      }
    });

    it('collects every other @key annotation, with a warning for those Behalf does not support yet', () => {
      const p = parse('# @no-redirect\n# @sleep 100\n// @note\n# @prompt username Your name\n# plain comment @notanannotation\nGET /a');
      assert.equal(errors(p).length, 0);
      // @no-redirect, @note and @prompt change what is sent (http-send-annotations.test.ts); @sleep does nothing yet.
      assert.deepEqual(
        warnings(p).map((w) => [w.position.line, w.message.replace(/;.*/, '')]),
        [[2, '@sleep is not supported by Behalf yet']],
      );
      assert.deepEqual(p.requests[0].annotations, { 'no-redirect': '', sleep: '100', note: '', prompt: 'username Your name' });
      assert.equal(p.requests[0].noRedirect, true);
      assert.equal(p.requests[0].note, '');
      assert.deepEqual(p.requests[0].prompts, [{ name: 'username', description: 'Your name', secret: false, line: 4, column: 11 }]);
    });

    it('warns about duplicate request names', () => {
      const p = parse('# @name a\nGET /1\n###\n# @name a\nGET /2');
      const w = only(p, 'warning');
      assert.match(w.message, /request name "a" is also used at line 1/);
      assert.deepEqual(w.position, { file: FILE, line: 4, column: 9 });
    });

    it('reports @name without a value', () => {
      const e = only(parse('# @name\nGET /a'), 'error');
      assert.match(e.message, /@name needs a value/);
    });

    it('computes ranges including the ### line and the comments above the request', () => {
      const text = ['# file header', '', '### First', '# @name first', '// note', 'GET /a', '', '', '### Second', '', '', 'GET /b', 'Accept: x', '', ''].join(
        '\n',
      );
      const p = parse(text);
      assert.deepEqual(
        p.requests.map((r) => [r.requestLine, r.range.startLine, r.range.endLine]),
        [
          [6, 3, 6],
          [12, 9, 13],
        ],
      );
      assert.equal(requestAtLine(p, 4)?.name, 'first');
      assert.equal(requestAtLine(p, 13)?.name, 'Second');
      assert.equal(requestAtLine(p, 1), undefined);
      assert.equal(requestAtLine(p, 8), undefined);
    });

    it('starts the first block at its first comment line', () => {
      const r = parse('\n\n# about\n@a = 1\nGET /a\n').requests[0];
      assert.deepEqual(r.range, { startLine: 3, endLine: 5 });
    });

    it('accepts files with only comments, only separators, or nothing', () => {
      for (const text of ['', '\n\n', '# just a comment\n// and another\n', '###\n###\n###', '\uFEFF', '   \t  ']) {
        const p = parse(text);
        assert.deepEqual(p.requests, [], JSON.stringify(text));
        assert.deepEqual(p.diagnostics, [], JSON.stringify(text));
      }
    });

    it('warns about annotations that apply to no request', () => {
      const p = parse('# @connection dc\n\n###\nGET /a');
      const w = only(p, 'warning');
      assert.match(w.message, /@connection applies to no request/);
      assert.equal(p.requests[0].connection, undefined);
    });

    it('reports httpYac script blocks above a request as errors, and still reads the request', () => {
      // Was a warning: the script may set the variables or change the request it stands above, so it is not sent.
      const p = parse('{{\n  exports.x = 1;\n}}\nGET /a');
      assert.equal(p.requests.length, 1);
      assert.equal(p.requests[0].url, '/a');
      assert.equal(p.requests[0].hasErrors, true);
      assert.match(only(p, 'error').message, /httpYac script block .* is not run/);
    });
  });

  describe('file variables', () => {
    it('reads @name = value and @name=value anywhere between requests', () => {
      const p = parse('@host = https://api.test\n@port=8080\n  @empty =\n@spaced   =   a b c  \n\nGET {{host}}\n\n###\n@later = {{host}}/x\nGET {{later}}\n');
      assert.deepEqual(p.diagnostics, []);
      assert.deepEqual(p.fileVariables, [
        { name: 'host', value: 'https://api.test', line: 1, column: 1, valueColumn: 9 },
        { name: 'port', value: '8080', line: 2, column: 1, valueColumn: 7 },
        { name: 'empty', value: '', line: 3, column: 3, valueColumn: 11 },
        { name: 'spaced', value: 'a b c', line: 4, column: 1, valueColumn: 15 },
        { name: 'later', value: '{{host}}/x', line: 9, column: 1, valueColumn: 10 },
      ]);
      assert.equal(p.requests.length, 2);
    });

    it('reports a file variable without a name', () => {
      for (const [text, column] of [
        ['@ = value', 1],
        ['@=value', 1],
      ] as const) {
        const e = only(parse(text), 'error');
        assert.match(e.message, /file variable without a name \(expected "@name = value"\)/);
        assert.deepEqual(e.position, { file: FILE, line: 1, column });
      }
    });

    it('reports a file variable without =, and reserved names', () => {
      assert.match(only(parse('@host value'), 'error').message, /@host has no "="/);
      assert.match(only(parse('@$guid = 1'), 'error').message, /reserved for system variables/);
      assert.match(only(parse('@a{b} = 1'), 'error').message, /braces/);
    });

    it('reports bad references inside a file variable value at their column', () => {
      const e = only(parse('@a = x {{$nope}}'), 'error');
      assert.match(e.message, /unknown system variable \{\{\$nope\}\}/);
      assert.deepEqual(e.position, { file: FILE, line: 1, column: 8 });
    });
  });

  describe('Behalf annotations', () => {
    it('reads @connection, @as and @mode', () => {
      const p = parse('# @connection dc-sandbox\n# @as jane@acme.test\n# @mode full\nGET /a\n###\n// @connection ol\n// @as raj\n// @mode LITE\nGET /b');
      assert.deepEqual(p.diagnostics, []);
      const [a, b] = p.requests;
      assert.equal(a.connection, 'dc-sandbox');
      assert.equal(a.as, 'jane@acme.test');
      assert.equal(a.mode, 'full');
      assert.deepEqual(a.annotations, { connection: 'dc-sandbox', as: 'jane@acme.test', mode: 'full' });
      assert.equal(b.mode, 'lite');
      assert.equal(b.annotations.mode, 'lite');
    });

    it('reports @mode other than lite or full with the position of the value', () => {
      const p = parse('GET /x\n###\n# @connection dc\n# @mode  impersonate\nGET /a');
      const e = only(p, 'error');
      assert.equal(e.message, 'invalid @mode "impersonate" (expected lite or full)');
      assert.equal(e.expected, 'lite or full');
      assert.deepEqual(e.position, { file: FILE, line: 4, column: 10 });
      assert.equal(p.requests[1].mode, undefined);
      assert.equal(p.requests[1].hasErrors, true);
      assert.equal(p.requests[0].hasErrors, false);
    });

    it('reports empty, duplicate and multi-word identity annotations', () => {
      assert.match(only(parse('# @as\nGET /a'), 'error').message, /@as needs a value \(expected a principal id or email\)/);
      assert.match(only(parse('# @mode\nGET /a'), 'error').message, /expected lite or full/);
      assert.match(only(parse('# @as a\n# @as b\nGET /a'), 'error').message, /@as is given twice \(first at line 1/);
      assert.match(only(parse('# @as Jane Doe\nGET /a'), 'error').message, /invalid @as "Jane Doe" \(expected a single principal id or email\)/);
      assert.match(only(parse('# @connection a b\nGET /a'), 'error').message, /expected a single connection id/);
    });

    it('refuses identity annotations below the request line', () => {
      const p = parse('GET /a\nAccept: x\n# @as jane\n\n{}\n// @connection other\n');
      const list = errors(p);
      assert.equal(list.length, 2);
      assert.match(list[0].message, /@as between headers is ignored \(expected annotations above the request line\)/);
      assert.equal(list[0].position.line, 3);
      assert.match(list[1].message, /@connection in a body is ignored/);
      assert.equal(p.requests[0].as, undefined);
      assert.equal(p.requests[0].hasErrors, true);
    });

    it('only warns for other annotations below the request line', () => {
      const p = parse('GET /a\n# @name late\n');
      assert.equal(errors(p).length, 0);
      assert.match(only(p, 'warning').message, /@name below the request line is ignored/);
    });
  });

  describe('mistyped and unknown annotations', () => {
    it('an identity annotation in the wrong case, with a colon or with a space after @ is an error at its position', () => {
      const cases: Array<[string, RegExp, number]> = [
        ['# @AS 6045', /lower-case: Behalf does not read @AS as @as, so the request would be sent as the service user/, 3],
        ['# @as: 6045', /a colon after @as is not annotation syntax: this @as is ignored, so the request would be sent as the service user/, 3],
        ['# @ as 6045', /a space after @ is not annotation syntax: this @as is ignored/, 3],
        ['// @As 6045', /Behalf does not read @As as @as/, 4],
        ['#@Mode full', /@Mode as @mode, so the request would be sent in the connection's default mode/, 2],
        ['# @CONNECTION dc-sandbox', /@CONNECTION as @connection, so the connection would be chosen by the URL/, 3],
        ['# @connection: dc-sandbox', /a colon after @connection/, 3],
        ['# @ mode full', /a space after @ is not annotation syntax: this @mode is ignored/, 3],
        ['# @sa 6045', /unknown annotation @sa: did you mean @as\?/, 3],
        ['# @conection dc', /did you mean @connection\?/, 3],
      ];
      for (const [line, message, column] of cases) {
        const p = parse(`${line}\nPOST /deals`);
        const e = only(p, 'error');
        assert.match(e.message, message, line);
        assert.deepEqual(e.position, { file: FILE, line: 1, column }, line);
        assert.ok(e.expected, line);
        assert.equal(p.requests[0].hasErrors, true, line);
        assert.equal(p.requests[0].as, undefined, line);
      }
    });

    it('warns about other unknown annotations and names the nearest known one', () => {
      const p = parse('# @nmae login\n# @Name other\n// @todo check this\n# @name: login\nGET /a');
      assert.equal(errors(p).length, 0, JSON.stringify(p.diagnostics));
      const list = warnings(p);
      assert.equal(list.length, 4);
      assert.match(list[0].message, /^unknown annotation @nmae is ignored: did you mean @name\?$/);
      assert.deepEqual(list[0].position, { file: FILE, line: 1, column: 3 });
      assert.match(list[1].message, /did you mean @name\?/);
      assert.match(
        list[2].message,
        /^unknown annotation @todo is ignored \(expected one of @name, @connection, @as, @mode, .*@disabled, @no-redirect, @prompt, @note.*\)$/,
      );
      assert.deepEqual(list[2].position, { file: FILE, line: 3, column: 4 });
      assert.match(list[3].message, /a colon after @name is not annotation syntax/);
      assert.match(parse('# @no-redirct\nGET /a').diagnostics[0].message, /^unknown annotation @no-redirct is ignored: did you mean @no-redirect\?$/);
      assert.match(parse('# @no-cookie-jr\nGET /a').diagnostics[0].message, /did you mean @no-cookie-jar \(which Behalf does not support yet\)\?/);
    });

    it('says which httpYac and REST Client annotations Behalf does not support yet', () => {
      for (const key of ['ref', 'import', 'no-cookie-jar', 'sleep']) {
        const w = only(parse(`# @${key} x\nGET /a`), 'warning');
        assert.match(w.message, new RegExp(`^@${key} (\\(httpYac\\) )?is not supported by Behalf yet; it is ignored`), key);
      }
    });

    it('leaves comments that only contain an @ alone', () => {
      const p = parse(
        [
          '# see docs @ example.com',
          '# mail jane@acme.test about it',
          '// @jane@acme.test owns this',
          '# @ the top of the file',
          '# @example.com mirrors it',
          '#',
          '# @',
          'GET /a',
        ].join('\n'),
      );
      assert.deepEqual(p.diagnostics, []);
    });

    it('a mistyped identity annotation below the request line is an error too', () => {
      const e = only(parse('POST /a\n# @AS 6045\nX: y'), 'error');
      assert.match(e.message, /@AS below the request line is ignored/);
      const f = only(parse('POST /a\nX: y\n# @as: 6045\n'), 'error');
      assert.match(f.message, /a colon after @as/);
    });
  });

  describe('methods', () => {
    it('reads WebDAV and other upper-case token methods as written', () => {
      const methods = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'MERGE', 'QUERY', 'PURGE', 'M-SEARCH', 'VERSION-CONTROL'];
      const p = parse(methods.map((m) => `${m} /dav/x HTTP/1.1`).join('\n\n###\n'));
      assert.deepEqual(p.diagnostics, []);
      assert.deepEqual(
        p.requests.map((r) => [r.method, r.url, r.httpVersion]),
        methods.map((m) => [m, '/dav/x', 'HTTP/1.1']),
      );
      assert.equal(parse('MERGE {{host}}/a').requests[0].method, 'MERGE');
    });

    it('warns that a near miss of a known method is probably a typo, and still reads it', () => {
      for (const [typo, meant] of [
        ['GTE', 'GET'],
        ['PSOT', 'POST'],
        ['DELTE', 'DELETE'],
        ['PTACH', 'PATCH'],
      ]) {
        const p = parse(`# @name x\n${typo} /deals`);
        const w = only(p, 'warning');
        assert.match(w.message, new RegExp(`^unknown method "${typo}": did you mean ${meant}\\? \\(it is sent as ${typo}, and as a write`), typo);
        assert.deepEqual(w.position, { file: FILE, line: 2, column: 1 });
        assert.equal(p.requests[0].method, typo);
      }
    });

    it('keeps every block of a multi-request file, whatever its method, and reports a bad one', () => {
      const p = parse('GET /a\n\n###\nMERGE /b\n\n###\nPROPFIND /c\n\n###\nfetch /d\n\n###\nPOST /e\n');
      assert.deepEqual(
        p.requests.map((r) => r.method),
        ['GET', 'MERGE', 'PROPFIND', 'POST'],
      );
      const e = only(p, 'error');
      assert.deepEqual(e.position, { file: FILE, line: 10, column: 1 });
      assert.match(e.message, /unknown method "fetch"/);
    });
  });

  describe('templates', () => {
    it('reports unterminated {{ at its position in URL, header and body', () => {
      const p = parse('GET /a/{{id\nX-A: b {{c\n\n{\n  "x": "{{y"\n}\n');
      const list = errors(p);
      assert.deepEqual(
        list.map((e) => [e.message, e.position.line, e.position.column]),
        [
          ['unterminated {{ (expected }})', 1, 8],
          ['unterminated {{ (expected }})', 2, 8],
          ['unterminated {{ (expected }})', 5, 9],
        ],
      );
      assert.ok(list.every((e) => e.expected === '}}'));
      assert.equal(p.requests[0].hasErrors, true);
    });

    it('does not let a reference span lines', () => {
      assert.equal(errors(parse('POST /a\n\n{{a\n}}\n')).length, 1);
    });

    it('reports unknown $system variables and bad arguments', () => {
      const cases: Array<[string, RegExp]> = [
        ['{{$nope}}', /unknown system variable \{\{\$nope\}\} \(expected one of \$guid, \$uuid, \$timestamp/],
        // {{$randomInt}} without arguments is JetBrains' 0 to 1000 now (it was asserted an error here).
        ['{{$randomInt 1 2 3}}', /bad arguments in \{\{\$randomInt 1 2 3\}\}/],
        ['{{$randomInt 1}}', /bad arguments/],
        ['{{$randomInt a b}}', /bad arguments/],
        ['{{$randomInt 5 5}}', /min must be less than max/],
        ['{{$randomInt 1.5 3}}', /bad arguments/],
        ['{{$timestamp 1}}', /bad offset/],
        ['{{$timestamp -1 days}}', /bad offset/],
        ['{{$datetime}}', /missing format/],
        ['{{$datetime iso}}', /unknown date format "iso"/],
        ['{{$datetime iso8601 1}}', /bad offset/],
        ['{{$datetime "YYYY}}', /unterminated quote/],
        ['{{$guid x}}', /takes no arguments/],
        ['{{$processEnv}}', /needs exactly one variable name/],
        ['{{$dotenv a b}}', /needs exactly one variable name/],
        ['{{$aadToken}}', /not supported/],
        ['{{}}', /empty \{\{\}\}/],
        ['{{ a + b }}', /unsupported expression/],
      ];
      for (const [ref, pattern] of cases) {
        const p = parse(`GET /a\nX-V: ${ref}\n`);
        const e = only(p, 'error');
        assert.match(e.message, pattern, ref);
        assert.deepEqual(e.position, { file: FILE, line: 2, column: 6 }, ref);
        assert.ok(e.expected, ref);
      }
    });

    it('accepts the valid system variables', () => {
      const refs = [
        '{{$guid}}',
        '{{$uuid}}',
        '{{$timestamp}}',
        '{{$timestamp -1 d}}',
        '{{$timestamp 2 ms}}',
        '{{$datetime iso8601}}',
        '{{$datetime rfc1123}}',
        '{{$datetime iso8601 1 y}}',
        '{{$datetime "DD-MM-YYYY HH:mm" -3 h}}',
        "{{$datetime 'YYYY-MM-DD'}}",
        "{{$localDatetime 'YYYY-MM-DD' 1 Q}}",
        '{{$randomInt 5 200}}',
        '{{$randomInt -10 -1}}',
        '{{$processEnv HOME}}',
        '{{$processEnv %envVarName}}',
        '{{$dotenv API_KEY}}',
        '{{$dotenv %name}}',
        '{{ $guid }}',
        '{{$shared version}}',
      ];
      for (const ref of refs) assert.deepEqual(parse(`GET /a?x=${ref}`).diagnostics, [], ref);
    });
  });

  describe('line endings, BOM and odd input', () => {
    it('handles CRLF exactly like LF', () => {
      const lf = 'GET /a HTTP/1.1\nAccept: x\n\nbody 1\nbody 2\n\n###\n# @name b\nPOST /b\n\nhi\n';
      const crlf = lf.replace(/\n/g, '\r\n');
      const cr = lf.replace(/\n/g, '\r');
      const a = parse(lf);
      assert.deepEqual(parse(crlf), a);
      assert.deepEqual(parse(cr), a);
      assert.equal(a.requests[0].body, 'body 1\nbody 2');
      assert.equal(a.requests[0].headers[0].value, 'x');
    });

    it('reads the CRLF fixture with correct positions', () => {
      const p = fixture('crlf.http');
      assert.deepEqual(p.diagnostics, []);
      assert.equal(p.requests[0].body, 'line one\nline two');
      assert.equal(p.requests[1].name, 'second');
      assert.equal(p.requests[1].requestLine, 9);
      assert.equal(p.requests[1].body, 'hello');
    });

    it('reports positions in CRLF files on the right line and column', () => {
      const e = only(parse('GET /a\r\nX: 1\r\n\r\n###\r\n# @mode sometimes\r\nGET /b\r\n'), 'error');
      assert.deepEqual(e.position, { file: FILE, line: 5, column: 9 });
    });

    it('ignores a leading BOM (columns are not shifted)', () => {
      const p = parse('\uFEFFGET /a\nX: {{$nope}}');
      assert.equal(p.requests[0].method, 'GET');
      assert.deepEqual(only(p, 'error').position, { file: FILE, line: 2, column: 4 });
    });

    it('never throws on non-string input', () => {
      const p = parseHttpFile(undefined as unknown as string, FILE);
      assert.deepEqual(p.requests, []);
    });

    it('is linear on pathological input', function () {
      this.timeout(20000);
      const big = [
        '{'.repeat(200_000),
        `GET /${'{{'.repeat(100_000)}`,
        `GET /${'a '.repeat(100_000)}HTTP/1.1`,
        `POST /a\n\n${'{{x}}'.repeat(50_000)}`,
        `GET /a\n${'X-A: b\n'.repeat(50_000)}`,
        '@'.repeat(100_000),
        '#'.repeat(100_000),
        `# @${'a'.repeat(100_000)} v`,
        `${'GET /a\n\n###\n'.repeat(20_000)}`,
        `POST /a\n\n${'{{\n'.repeat(20_000)}`,
        `GET ${'/'.repeat(100_000)} ${'HTTP/1.1 '.repeat(10_000)}`,
        `${'a.'.repeat(50_000)}!`,
        `X${'-'.repeat(100_000)}: v`,
      ];
      for (const text of big) {
        // A hang would trip mocha's timeout; speed itself is measured by npm run bench, not asserted here.
        const p = parse(text);
        for (const d of p.diagnostics) assert.ok(d.position.line >= 1 && d.position.column >= 1);
        assert.ok(p.diagnostics.length <= 501);
      }
    });

    it('keeps marking requests with errors past the diagnostics cap', () => {
      const p = parse(`${'GET /a\nX: {{\n###\n'.repeat(600)}`);
      assert.equal(p.requests.length, 600);
      assert.ok(p.requests.every((r) => r.hasErrors));
      assert.ok(p.diagnostics.length <= 501);
    });
  });

  describe('fixtures written as the REST Client and httpYac docs show them', () => {
    it('REST Client README examples', () => {
      const p = fixture('rest-client.http');
      assert.deepEqual(p.diagnostics, []);
      assert.deepEqual(
        p.fileVariables.map((v) => v.name),
        ['hostname', 'port', 'host', 'contentType', 'createdAt', 'modifiedBy', 'name'],
      );
      assert.deepEqual(
        p.requests.map((r) => [r.method, r.url]),
        [
          ['GET', 'https://{{host}}/authors/{{name}}'],
          ['PATCH', 'https://{{host}}/authors/{{name}}'],
          ['GET', 'https://example.com/comments?page=2&pageSize=10'],
          ['POST', 'https://api.example.com/login'],
          ['POST', 'https://api.example.com/comments'],
          ['GET', 'https://example.com/comments/1'],
        ],
      );
      assert.equal(p.requests[2].name, 'Query parameters spread over lines');
      assert.equal(p.requests[3].name, 'login');
      assert.equal(p.requests[3].body, 'name=foo\n&password=bar');
      assert.ok(p.requests.every((r) => !r.hasErrors));
    });

    it('httpYac examples', () => {
      const p = fixture('httpyac.http');
      assert.equal(errors(p).length, 0);
      // The response handler script, and @sleep, which Behalf does not support yet (@no-redirect it does).
      assert.deepEqual(
        warnings(p).map((w) => w.position.line),
        [11, 22],
      );
      const [get, post, rel] = p.requests;
      assert.equal(get.name, 'Get anything');
      assert.equal(get.url, '{{host}}/anything?q={{fooExtended}}');
      assert.equal(post.name, 'post');
      assert.deepEqual(post.annotations, { name: 'post', 'no-redirect': '', sleep: '100' });
      assert.equal(post.url, '{{host}}/post?page=2&pageSize=10');
      assert.equal(post.body, '{\n  "id": "{{$uuid}}"\n}');
      assert.equal(rel.url, '/anything');
      assert.equal(rel.name, 'relative');
    });

    it('Behalf examples', () => {
      const p = fixture('behalf.http');
      assert.deepEqual(p.diagnostics, []);
      assert.deepEqual(
        p.requests.map((r) => [r.name, r.connection, r.as, r.mode]),
        [
          ["Jane's deals", 'dc-sandbox', 'jane@acme.test', 'full'],
          ['Create a deal as Raj', 'dc-sandbox', 'raj', 'lite'],
          ['Service user itself', 'dc-sandbox', undefined, undefined],
        ],
      );
      assert.deepEqual(
        p.requests.map((r) => r.requestLine),
        [8, 14, 21],
      );
    });
  });

  describe('robustness (randomized)', () => {
    // Deterministic PRNG so a failure is reproducible.
    const mulberry32 = prng;

    const FRAGMENTS = [
      'GET /a',
      'POST https://x.test/b HTTP/1.1',
      'get {{host}}/c',
      'PATCH',
      'FETCH /x',
      'https://example.com',
      '?page=1',
      '&size={{n}}',
      'Content-Type: application/json',
      'Content-Type: application/x-www-form-urlencoded',
      'Bad Header: x',
      ': x',
      'X-A: {{a}}',
      'X-B: {{$randomInt 1 9}}',
      'X-C: {{$randomInt 9 1}}',
      'X-D: {{$timestamp -1 d}}',
      '{{$datetime iso8601}}',
      '{{$nope}}',
      '{{',
      '}}',
      '{{{x}}}',
      '{{ }}',
      '###',
      '### title',
      '#',
      '# comment',
      '// comment',
      '# @name n',
      '# @name=m',
      '# @connection dc',
      '# @as jane',
      '# @mode full',
      '# @mode bad',
      '# @as',
      '@host = https://h.test',
      '@a = {{b}}',
      '@b = {{a}}',
      '@ = x',
      '@x',
      '{"a": 1}',
      '{',
      '}',
      '< ./file.json',
      '> {%',
      '%}',
      '>> out.json',
      'HTTP/1.1 200 OK',
      '\uFEFF',
      '\t',
      '   ',
      '',
      'ü€😀',
      '\u0000',
      '\\',
      '"',
      "'",
      'a'.repeat(300),
    ];
    const SEPARATORS = ['\n', '\r\n', '\r', '\n\n', '', ' ', '\t'];

    it('parseHttpFile never throws and every diagnostic has a valid position (3000 random files)', function () {
      this.timeout(60000);
      const random = mulberry32(20240611);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
      for (let n = 0; n < 3000; n++) {
        const parts: string[] = [];
        const count = 1 + Math.floor(random() * 30);
        for (let k = 0; k < count; k++) {
          parts.push(pick(FRAGMENTS));
          parts.push(pick(SEPARATORS));
        }
        const text = parts.join('');
        let p: ParsedHttpFile;
        try {
          p = parseHttpFile(text, 'rand.http');
        } catch (e) {
          assert.fail(`parseHttpFile threw on ${JSON.stringify(text)}: ${String(e)}`);
        }
        const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
        for (const d of p.diagnostics) {
          const { line, column, file } = d.position;
          assert.equal(file, 'rand.http');
          assert.ok(Number.isInteger(line) && line >= 1 && line <= lines.length, `line ${line} of ${lines.length} in ${JSON.stringify(text)}`);
          assert.ok(Number.isInteger(column) && column >= 1 && column <= lines[line - 1].length + 1, `column ${column} in ${JSON.stringify(text)}`);
          assert.ok(d.message.length > 0);
          assert.ok(d.severity === 'error' || d.severity === 'warning');
          assert.ok(!d.message.includes('internal parser error'), d.message);
        }
        for (const r of p.requests) {
          assert.ok(r.range.startLine <= r.requestLine && r.requestLine <= r.range.endLine, JSON.stringify(text));
          assert.ok(r.range.endLine <= lines.length);
          // Any upper-case token is a method (RFC 9110), e.g. FETCH from the fragments.
          assert.ok(HTTP_METHODS.includes(r.method) || /^[A-Z][A-Z0-9!#$%&'*+\-.^_`|~]*$/.test(r.method), r.method);
          const errorInRange = p.diagnostics.some((d) => d.severity === 'error' && d.position.line >= r.range.startLine && d.position.line <= r.range.endLine);
          if (errorInRange) assert.equal(r.hasErrors, true);
        }
      }
    });
  });
});
