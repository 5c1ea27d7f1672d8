// readHttpFileLines reads a .http file a chunk (1 MiB) at a time: its lines must be exactly those of the whole
// file split at CRLF, CR or LF, wherever a chunk ends (inside a CRLF, inside a UTF-8 sequence, inside a long line).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseHttpFile, parseHttpLines, splitLines } from '../../src/core/http/parser';
import { readHttpFileLines } from '../../src/core/http/variables';

const MIB = 1024 * 1024;

describe('readHttpFileLines (chunked .http reading)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-lines-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes `bytes`, reads it back both ways, and checks the lines agree with splitting the whole file's text. */
  function roundTrip(name: string, bytes: Buffer): string[] {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const lines = readHttpFileLines(file);
    assert.deepEqual(lines, splitLines(bytes.toString('utf8')));
    return lines;
  }

  /** `fill` bytes of 'x' so that `tail` starts at byte `at` (a chunk boundary), then `tail`. */
  function acrossBoundary(at: number, tail: Buffer): Buffer {
    return Buffer.concat([Buffer.from('GET /a\n\n'), Buffer.alloc(at - 8, 'x'), tail]);
  }

  it('gives the lines of small files as a split of their text would', () => {
    for (const [name, text] of [
      ['empty', ''],
      ['one', 'GET /a'],
      ['lf', 'GET /a\n'],
      ['crlf', 'GET /a\r\nAccept: */*\r\n\r\n'],
      ['cr', 'GET /a\rAccept: */*\r'],
      ['mixed', 'GET /a\r\n\n\r\r\nX: 1'],
    ] as const)
      roundTrip(name, Buffer.from(text));
  });

  it('keeps a CRLF across a chunk boundary one line break', () => {
    // CR is the chunk's last byte, LF the next chunk's first.
    const lines = roundTrip('crlf-boundary', acrossBoundary(MIB - 1, Buffer.from('\r\nnext\r\n')));
    assert.equal(lines.length, 5);
    assert.equal(lines[3], 'next');
    // A CR alone at the boundary, then a line that is not empty.
    assert.equal(roundTrip('cr-boundary', acrossBoundary(MIB - 1, Buffer.from('\rnext'))).at(-1), 'next');
    // CR then CR then LF across the boundary: two line breaks.
    roundTrip('cr-crlf-boundary', acrossBoundary(MIB - 1, Buffer.from('\r\r\nnext')));
  });

  it('decodes a UTF-8 sequence cut by a chunk boundary, and an invalid one as U+FFFD as before', () => {
    for (let cut = 1; cut <= 3; cut++) {
      const lines = roundTrip(`utf8-${cut}`, acrossBoundary(MIB - cut, Buffer.from('😀 é\nend')));
      assert.ok(lines[2].endsWith('😀 é'));
    }
    roundTrip('invalid', acrossBoundary(MIB - 1, Buffer.from([0xf0, 0x9f, 0x41, 0x0a, 0xc3])));
  });

  it('joins a line longer than a chunk, and reads a file of several chunks', () => {
    const long = Buffer.alloc(2 * MIB + 17, 'y');
    const lines = roundTrip('long', Buffer.concat([Buffer.from('POST /a\n\n'), long, Buffer.from('\n###\nGET /b\n')]));
    assert.equal(lines[2].length, long.length);
    assert.equal(lines.length, 6);
  });

  it('parses to what parseHttpFile gives for the text, BOM included', () => {
    const text = '\ufeffPOST /a\r\nContent-Type: application/json\r\n\r\n{"a": 1}\r\n###\r\nGET /b\r\n';
    const file = path.join(dir, 'bom.http');
    fs.writeFileSync(file, text);
    const lines = readHttpFileLines(file);
    const parsed = parseHttpLines(lines, file);
    assert.deepEqual(parsed, parseHttpFile(text, file));
    assert.equal(parsed.requests.length, 2);
    assert.equal(parsed.requests[0].body, '{"a": 1}');
    assert.equal(lines[0], '\ufeffPOST /a', 'the lines are not changed by parsing');
  });
});
