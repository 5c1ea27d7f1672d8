// Response views for the webview tests, built the way the extension builds them: from a ResponseRecord.

import { toCurl } from '../../src/core/curl';
import type { ResponseRecord } from '../../src/core/model';
import { REDACTED } from '../../src/core/redact';
import { responseViewFromRecord, type ResponseView } from '../../src/protocol/response';

export const JANE = 'Jane Doe <jane@acme.test> (6045)';

export function record(overrides: Partial<ResponseRecord> = {}): ResponseRecord {
  const body = JSON.stringify(
    {
      entryId: 1042,
      name: 'Acme Holdings',
      owner: { id: 6045, name: 'Jane Doe', email: 'jane@acme.test' },
      stage: 'Diligence',
      amount: 12500000.5,
      active: true,
      closedAt: null,
      tags: ['priority', 'q3', 'cross-border'],
      fields: Array.from({ length: 5 }, (_, i) => ({ fieldId: 100 + i, value: `value ${i}` })),
    },
    null,
    2,
  );
  return {
    name: 'get-deal',
    request: {
      method: 'GET',
      url: 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/rows/deal/1042',
      headers: { Authorization: `Bearer ${REDACTED}`, 'AS-USER': '6045', Accept: 'application/json' },
    },
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req-7f3a', 'cache-control': 'no-store' },
    body,
    bodyBytes: Buffer.byteLength(body),
    durationMs: 123.4,
    sentAs: { connectionId: 'dc-sandbox', connectionLabel: 'DealCloud (sandbox)', vendor: 'dealcloud', who: JANE, principalId: 'jane', mode: 'full' },
    notes: [],
    ...overrides,
  };
}

export function view(overrides: Partial<ResponseRecord> = {}, extra: { assetId?: string; id?: string } = {}): ResponseView {
  const r = record(overrides);
  return responseViewFromRecord(r, { curl: toCurl(r.request), ...extra });
}

export function forbiddenView(): ResponseView {
  const body = JSON.stringify({ error: 'Forbidden', message: 'User 6000 has no proxy assignment for user 6045.' });
  return view({
    status: 403,
    statusText: 'Forbidden',
    body,
    bodyBytes: body.length,
    durationMs: 48,
    explanation: {
      message: 'The service user has no proxy assignment for Jane Doe (6045), so DealCloud refused to act as her.',
      action: { kind: 'createProxyAssignment', title: 'Create proxy assignment', args: { connectionId: 'dc-sandbox', userId: '6045' } },
    },
    notes: ['Retried once after a 401: the token had expired.'],
  });
}

export function selfView(): ResponseView {
  return view({ sentAs: { connectionId: 'dc-sandbox', connectionLabel: 'DealCloud (sandbox)', vendor: 'dealcloud', who: 'the service user', mode: 'self' } });
}

export const XSS = '<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>';

/** Server data everywhere the page shows text, each carrying markup that must stay text. */
export function hostileView(): ResponseView {
  const body = JSON.stringify({ [XSS]: XSS, list: [XSS], nested: { html: `</pre>${XSS}` } });
  return view({
    status: 500,
    statusText: XSS,
    body,
    bodyBytes: body.length,
    headers: { 'content-type': 'application/json', 'x-evil': XSS, [`x-${'evil'}-name`]: XSS },
    sentAs: { connectionId: 'c', connectionLabel: `Label ${XSS}`, vendor: 'generic', who: `Mallory ${XSS}`, mode: 'lite' },
    request: { method: 'POST', url: `https://api.test/x?q=${XSS}`, headers: { 'x-in': XSS }, body: XSS },
    explanation: { message: `Refused: ${XSS}`, action: { kind: 'k', title: `Fix ${XSS}`, args: {} } },
    notes: [XSS],
    name: XSS,
  });
}

export function hostileHtmlView(): ResponseView {
  const body = `<!DOCTYPE html><html><body><h1>Error</h1>${XSS}<iframe src="javascript:window.__pwned=1"></iframe></body></html>`;
  return view({ status: 502, statusText: 'Bad Gateway', body, bodyBytes: body.length, headers: { 'content-type': 'text/html; charset=utf-8' } });
}
