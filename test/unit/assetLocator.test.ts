// Which asset a request or response is about: parsed in the Orange Logic adapter's file, asked for through the
// vendor-neutral assetIdOf (src/vendors/index.ts) by the extension's CodeLens, response panel and attribution check.

import assert from 'node:assert/strict';
import { assetIdOf } from '../../src/vendors';
import { assetIdOfRequest, assetIdOfResponse } from '../../src/vendors/orangelogic';

describe('asset ids in requests and responses (Orange Logic)', () => {
  it('finds RecordID in the query, any casing, decoded', () => {
    assert.equal(assetIdOfRequest({ url: '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON' }), 'A-1');
    assert.equal(assetIdOfRequest({ url: 'https://dam.test/webapi/x?format=JSON&recordid=A%2D7' }), 'A-7');
    assert.equal(assetIdOfRequest({ url: '/x?RecordIDs=A-1' }), undefined);
    assert.equal(assetIdOfRequest({ url: '/x?RecordID=' }), undefined);
  });

  it('finds RecordID in a JSON or form body; ignores unresolved variables and non-ids', () => {
    assert.equal(assetIdOfRequest({ url: '/API/DataTable/v2.2/Documents.All:Update', body: '{ "RecordID": "A-1", "Fields": { "Caption": "x" } }' }), 'A-1');
    assert.equal(assetIdOfRequest({ url: '/u', body: '{"recordId": 42}' }), '42');
    assert.equal(assetIdOfRequest({ url: '/u', body: 'RecordID=A-3&Title=New' }), 'A-3');
    assert.equal(assetIdOfRequest({ url: '/u', body: '{"RecordID": "{{asset}}"}' }), undefined);
    assert.equal(assetIdOfRequest({ url: '/u?RecordID={{asset}}' }), undefined);
    assert.equal(assetIdOfRequest({ url: '/u', body: '{"RecordID": {"nested": 1}}' }), undefined);
    assert.equal(assetIdOfRequest({ url: '/u', body: '{not json' }), undefined);
    assert.equal(assetIdOfRequest({ url: '/u', body: `{"RecordID": "${'x'.repeat(201)}"}` }), undefined);
  });

  it('a response is an asset when a read returned exactly one item with a RecordID', () => {
    assert.equal(assetIdOfResponse('{"APIResponse":{"Code":"success","Items":[{"RecordID":"A-2","Title":"Team offsite"}]}}'), 'A-2');
    assert.equal(assetIdOfResponse('{"APIResponse":{"Items":[{"RecordID":"A-1"},{"RecordID":"A-2"}]}}'), undefined);
    assert.equal(assetIdOfResponse('{"APIResponse":{"Items":[]}}'), undefined);
    assert.equal(assetIdOfResponse('<html>'), undefined);
  });

  it('assetIdOf asks the vendor’s locator: request first, then the response; other vendors have none', () => {
    assert.equal(assetIdOf('orangelogic', { url: '/x?RecordID=A-1' }, '{"Items":[{"RecordID":"A-2"}]}'), 'A-1');
    assert.equal(assetIdOf('orangelogic', { url: '/API/DataTable/v2.2/Documents.All:Read' }, '{"Items":[{"RecordID":"A-2"}]}'), 'A-2');
    assert.equal(assetIdOf('orangelogic', { url: '/x' }), undefined);
    assert.equal(assetIdOf('dealcloud', { url: '/x?RecordID=A-1', body: '{"RecordID":"A-1"}' }, '{"Items":[{"RecordID":"A-2"}]}'), undefined);
  });
});
