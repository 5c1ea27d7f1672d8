import assert from 'node:assert/strict';
import { jsonBodyNote } from '../../src/core/bodyCheck';

describe('honest bodies: JSON that is not', () => {
  const json = { 'Content-Type': 'application/json; charset=utf-8' };

  it('names the media type, the line and column, and what was expected', () => {
    assert.equal(
      jsonBodyNote(json, Buffer.from('{"rows": [1, 2 3]}')),
      'The body says application/json but is not valid JSON: line 1, column 16 (expected "," between entries).',
    );
    assert.equal(
      jsonBodyNote({ 'content-type': 'application/problem+json' }, Buffer.from('{\n  "a": 1,\n}')),
      'The body says application/problem+json but is not valid JSON: line 3, column 1 (expected a property name in double quotes).',
    );
  });

  it('says nothing for valid JSON, an empty body, or a type that is not JSON', () => {
    assert.equal(jsonBodyNote(json, Buffer.from('{"a": [1, 2]}')), undefined);
    assert.equal(jsonBodyNote(json, Buffer.alloc(0)), undefined);
    assert.equal(jsonBodyNote({ 'content-type': 'text/html' }, Buffer.from('<html>')), undefined);
    assert.equal(jsonBodyNote({ 'content-type': 'application/jsonl' }, Buffer.from('{}\n{}')), undefined);
    assert.equal(jsonBodyNote({}, Buffer.from('{oops')), undefined);
  });

  it('comments and trailing commas are not JSON, whatever jsonc allows', () => {
    assert.match(jsonBodyNote(json, Buffer.from('{"a": 1} // no')) ?? '', /is not valid JSON: line 1, column 10/);
    assert.match(jsonBodyNote(json, Buffer.from('[1,]')) ?? '', /is not valid JSON: line 1, column 4/);
  });
});
