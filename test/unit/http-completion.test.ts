import assert from 'node:assert/strict';
import { httpCompletionContext } from '../../src/core/http/completion';

describe('httpCompletionContext (what the text before the cursor asks to complete)', () => {
  it('annotation values after # @as, // @as, # @connection and # @mode', () => {
    assert.deepEqual(httpCompletionContext('# @as '), { kind: 'annotation', key: 'as', typed: '' });
    assert.deepEqual(httpCompletionContext('  // @as ja'), { kind: 'annotation', key: 'as', typed: 'ja' });
    assert.deepEqual(httpCompletionContext('# @connection dc-'), { kind: 'annotation', key: 'connection', typed: 'dc-' });
    assert.deepEqual(httpCompletionContext('#@mode f'), { kind: 'annotation', key: 'mode', typed: 'f' });
  });

  it('nothing after a complete value, another annotation or in plain text', () => {
    assert.equal(httpCompletionContext('# @as jane '), undefined);
    assert.equal(httpCompletionContext('# @name '), undefined);
    assert.equal(httpCompletionContext('# @asx '), undefined);
    assert.equal(httpCompletionContext('GET /deals '), undefined);
    assert.equal(httpCompletionContext('X-Id: {'), undefined);
  });

  it('variable names inside an unclosed {{', () => {
    assert.deepEqual(httpCompletionContext('GET {{'), { kind: 'variable', typed: '' });
    assert.deepEqual(httpCompletionContext('GET {{ base'), { kind: 'variable', typed: 'base' });
    assert.deepEqual(httpCompletionContext('{"a":{{{tok'), { kind: 'variable', typed: 'tok' });
    assert.deepEqual(httpCompletionContext('X: {{login.response.body.$'), { kind: 'variable', typed: 'login.response.body.$' });
    assert.deepEqual(httpCompletionContext('X: {{$dotenv API_'), { kind: 'variable', typed: '$dotenv API_' });
    assert.equal(httpCompletionContext('GET {{base}}/x'), undefined);
    assert.equal(httpCompletionContext('X: {{$randomInt 1 '), undefined);
  });
});
