// The redactor against every form a secret takes on its way through HTTP (issue 12, item 8): URL- and
// form-encoded, JSON-escaped, Base64 and Basic credentials, short secrets, presigned-URL signatures, and the
// marker itself, which must read «redacted» in URLs too (not %C2%ABredacted%C2%BB).
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehalfEngine } from '../../src/core/engine';
import type { Connection } from '../../src/core/model';
import { Redactor, REDACTED } from '../../src/core/redact';
import { allVendors } from '../../src/vendors';

const SECRET = 'Qm4x9Lr2/abc+def==';

function redactorWith(...secrets: string[]): Redactor {
  const r = new Redactor();
  for (const s of secrets) r.add(s);
  return r;
}

/** Every form of `secret` that must not survive redaction. */
function encodings(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ k: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}

describe('Redactor: encoded forms of a secret', () => {
  it('redacts the URL-encoded form a token endpoint quotes from the request form, in either hex case', () => {
    const r = redactorWith(SECRET);
    assert.equal(
      r.text('invalid_client: client_id=svc&client_secret=Qm4x9Lr2%2Fabc%2Bdef%3D%3D&scope=data'),
      `invalid_client: client_id=svc&client_secret=${REDACTED}&scope=data`,
    );
    assert.equal(r.text('client_secret=Qm4x9Lr2%2fabc%2bdef%3d%3d'), `client_secret=${REDACTED}`);
    // Twice encoded (a form quoted inside a URL parameter).
    assert.equal(r.text('next=%2Ftoken%3Fs%3DQm4x9Lr2%252Fabc%252Bdef%253D%253D'), `next=%2Ftoken%3Fs%3D${REDACTED}`);
  });

  it('redacts the form-encoded form (spaces as +, and what URLSearchParams encodes)', () => {
    const secret = "correct horse (battery) staple!~'";
    const r = redactorWith(secret);
    const form = new URLSearchParams({ client_id: 'svc', client_secret: secret }).toString();
    assert.equal(r.text(`the form was: ${form}`), `the form was: client_id=svc&client_secret=${REDACTED}`);
    assert.equal(r.text(encodeURIComponent(secret)), REDACTED);
    assert.equal(r.text('correct%20horse+(battery)%20staple%21~%27'), REDACTED);
  });

  it('redacts the JSON-escaped form: quotes, backslashes, \\/ and \\u escapes', () => {
    const secret = 'pa"ss\\wo/rd-é€😀';
    const r = redactorWith(secret);
    assert.equal(r.text(JSON.stringify({ client_secret: secret })), `{"client_secret":"${REDACTED}"}`);
    // PHP escapes slashes; Python's json.dumps escapes every non-ASCII character.
    assert.equal(r.text(String.raw`{"s":"pa\"ss\\wo\/rd-\u00e9\u20AC\ud83d\ude00"}`), `{"s":"${REDACTED}"}`);
    // JSON inside a JSON string: the escapes are escaped again.
    assert.equal(r.text(JSON.stringify({ error: JSON.stringify({ client_secret: secret }) })), JSON.stringify({ error: `{"client_secret":"${REDACTED}"}` }));
  });

  it('redacts a Basic credential whose decoded user:password holds a secret, whole, wherever it is quoted', () => {
    const r = redactorWith(SECRET);
    const basic = `Basic ${Buffer.from(`svc-client:${SECRET}`).toString('base64')}`;
    assert.equal(r.text(`{"received":{"authorization":"${basic}"}}`), `{"received":{"authorization":"Basic ${REDACTED}"}}`);
    assert.equal(r.text(`authorization=${encodeURIComponent(basic)}`), `authorization=Basic%20${REDACTED}`);
    assert.deepEqual(r.headers({ 'X-Echo-Authorization': basic }), { 'X-Echo-Authorization': `Basic ${REDACTED}` });
    // A Basic credential without a registered secret is not the redactor's business in free text.
    const other = `Basic ${Buffer.from('someone:else-entirely').toString('base64')}`;
    assert.equal(r.text(other), other);
    // Also inside a longer Base64 run, without "Basic" (the encoded header in a JSON document).
    const long = 'a-much-longer-client-secret-1234';
    const run = Buffer.from(`{"user":"svc","password":"${long}","more":true}`).toString('base64');
    assert.ok(!redactorWith(long).text(run).includes(Buffer.from(long).toString('base64').slice(8, 24)));
    assert.notEqual(redactorWith(long).text(run), run);
  });

  it('redacts the plain Base64 (standard, unpadded, URL-safe) of a secret', () => {
    const r = redactorWith(SECRET);
    for (const form of [
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64').replace(/=+$/, ''),
      Buffer.from(SECRET).toString('base64url'),
    ]) {
      assert.equal(r.text(`state=${form};`), `state=${REDACTED};`, form);
    }
  });

  it('leaves no encoded form of a secret anywhere in a mixed error body', () => {
    const secret = 'sk live/7+Zq"x\\y=';
    const r = redactorWith(secret);
    const body = encodings(secret).join(' | ') + ` | Basic ${Buffer.from(`id:${secret}`).toString('base64')}`;
    const out = r.text(body);
    for (const form of encodings(secret)) assert.ok(!out.includes(form), `leaked ${form}`);
    assert.equal(out, Array.from({ length: encodings(secret).length }, () => REDACTED).join(' | ') + ` | Basic ${REDACTED}`);
  });

  it('keeps redacting a normal-length secret inside longer text, and redacting twice changes nothing', () => {
    const r = redactorWith('s3cr3t-value');
    assert.equal(r.text('xs3cr3t-valuey'), `x${REDACTED}y`);
    const once = r.text(`a ${SECRET} s3cr3t-value`);
    assert.equal(r.text(once), once);
    assert.equal(redactorWith('redacted').text(`x ${REDACTED} redacted`), `x ${REDACTED} ${REDACTED}`);
  });
});

describe('Redactor: short secrets', () => {
  it('redacts a short secret where it stands whole: a word, a header value, a query or form value, a JSON string', () => {
    const r = redactorWith('abc', '42');
    assert.equal(r.text('pin abc, "abc" (abc)'), `pin ${REDACTED}, "${REDACTED}" (${REDACTED})`);
    assert.deepEqual(r.headers({ 'X-Pin': 'abc', Accept: 'application/json' }), { 'X-Pin': REDACTED, Accept: 'application/json' });
    assert.equal(r.url('https://h/x?pin=abc&q=abcdef'), `https://h/x?pin=${REDACTED}&q=abcdef`);
    assert.equal(r.body('pin=abc&name=tabcat', 'application/x-www-form-urlencoded'), `pin=${REDACTED}&name=tabcat`);
    assert.equal(r.text('{"pin":42,"id":1420}'), `{"pin":${REDACTED},"id":1420}`);
    // After an escape (%2C is a comma, \n a line break) the secret still stands whole.
    assert.equal(r.text(String.raw`q=x%2Cabc and line\nabc`), String.raw`q=x%2C${REDACTED} and line\n${REDACTED}`);
  });

  it('does not shred longer words that contain a short secret', () => {
    const r = redactorWith('abc');
    const text = 'abcdef xabc cabcd Abc ABC abc_def-x';
    assert.equal(r.text(text), `abcdef xabc cabcd Abc ABC ${REDACTED}_def-x`);
    assert.equal(r.text('décabc abcé'), 'décabc abcé', 'letters of any script join a word');
  });

  it('redacts the encoded forms and the Basic credential of a short secret', () => {
    const r = redactorWith('a/b');
    assert.equal(r.text('s=a%2Fb&t=a%2Fbc'), `s=${REDACTED}&t=a%2Fbc`);
    assert.equal(r.text(JSON.stringify({ s: 'a/b' }).replace('/', '\\/')), `{"s":"${REDACTED}"}`);
    assert.equal(r.text(`Basic ${Buffer.from('me:a/b').toString('base64')}`), `Basic ${REDACTED}`);
    assert.equal(r.text(`token ${Buffer.from('a/b').toString('base64')}`), `token ${REDACTED}`);
  });

  it('ignores empty and blank values', () => {
    const r = redactorWith('', ' ', '\n');
    assert.equal(r.size, 0);
    assert.equal(r.text('a b\nc'), 'a b\nc');
  });
});

describe('Redactor: presigned URL signatures', () => {
  const presigned =
    'https://bucket.s3.amazonaws.com/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260310%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260310T120000Z&X-Amz-Expires=900&X-Amz-Security-Token=FQoGZXIvYXdz%2Bxyz&X-Amz-SignedHeaders=host&X-Amz-Signature=6f1c0e9a4b';
  const expected = `https://bucket.s3.amazonaws.com/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${REDACTED}&X-Amz-Date=20260310T120000Z&X-Amz-Expires=900&X-Amz-Security-Token=${REDACTED}&X-Amz-SignedHeaders=host&X-Amz-Signature=${REDACTED}`;

  it('redacts X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token in URLs and in text', () => {
    const r = new Redactor();
    assert.equal(r.url(presigned), expected);
    assert.equal(r.text(`download from ${presigned} within 15 minutes`), `download from ${expected} within 15 minutes`);
    assert.equal(r.text(JSON.stringify({ url: presigned })), JSON.stringify({ url: expected }));
  });

  it('redacts sig and signature in any case; other parameters stay', () => {
    const r = new Redactor();
    assert.equal(
      r.url('https://acct.blob.core.windows.net/c/b.txt?sv=2024-05-04&se=2026-03-11&sp=r&SIG=abc%2Bdef%3D&designation=x'),
      `https://acct.blob.core.windows.net/c/b.txt?sv=2024-05-04&se=2026-03-11&sp=r&SIG=${REDACTED}&designation=x`,
    );
    assert.equal(r.text('GET /cdn/x.jpg?expires=1&Signature=Zm9v-YmFy_ → 403'), `GET /cdn/x.jpg?expires=1&Signature=${REDACTED} → 403`);
    assert.equal(r.body('sig=123abc&keep=1', 'application/x-www-form-urlencoded'), `sig=${REDACTED}&keep=1`);
    // Go's JSON encoder writes & as \u0026: the value ends there.
    assert.equal(r.text(String.raw`"https://h/x?sig=deadbeef\u0026a=1"`), String.raw`"https://h/x?sig=${REDACTED}\u0026a=1"`);
  });
});

describe('Redactor: the marker in URLs and forms', () => {
  it('writes «redacted» as is in redacted URLs, not percent-encoded, and leaves the other parameters byte for byte', () => {
    const r = new Redactor();
    const url = r.url('http://h/x?token=abc123456&q=a%20b+c&e=%E2%82%AC');
    assert.equal(url, `http://h/x?token=${REDACTED}&q=a%20b+c&e=%E2%82%AC`);
    assert.ok(!url.includes('%C2%AB'), url);
    assert.equal(r.url('https://u:p@h/cb#access_token=zzzzzz&state=1'), `https://redacted@h/cb#access_token=${REDACTED}&state=1`);
  });

  it('writes «redacted» as is in redacted form bodies', () => {
    const r = new Redactor();
    assert.equal(
      r.body('grant_type=client_credentials&client_secret=zz%2Fzz&scope=a+b', 'application/x-www-form-urlencoded'),
      `grant_type=client_credentials&client_secret=${REDACTED}&scope=a+b`,
    );
  });
});

describe('Redactor: URLs asked about again', () => {
  it('a URL shown before a secret was known is redacted once the secret is added (nothing stale is remembered)', () => {
    const r = new Redactor();
    const url = 'https://vendor.test/api?q=Zq8nK3vWx9Lp2Rt';
    assert.equal(r.url(url), url);
    assert.equal(r.url(url), url);
    r.add('Zq8nK3vWx9Lp2Rt');
    assert.equal(r.url(url), `https://vendor.test/api?q=${REDACTED}`);
    assert.equal(r.url('https://vendor.test/api?token=abc'), `https://vendor.test/api?token=${REDACTED}`);
  });

  it('a very long URL (not remembered) is redacted the same way', () => {
    const r = new Redactor();
    r.add('Zq8nK3vWx9Lp2Rt');
    const long = `https://vendor.test/${'a'.repeat(3000)}?q=Zq8nK3vWx9Lp2Rt`;
    assert.equal(r.url(long), `https://vendor.test/${'a'.repeat(3000)}?q=${REDACTED}`);
    assert.equal(r.url(long), r.url(long));
  });
});

describe('Redactor over a real socket', () => {
  it('a token endpoint that quotes the request form and the Basic header in its error leaks no form of the secret', async () => {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = Buffer.concat(chunks).toString('utf8');
        const fields = Object.fromEntries(new URLSearchParams(form));
        const basic = `Basic ${Buffer.from(`${fields.client_id}:${fields.client_secret}`).toString('base64')}`;
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_client', error_description: `Bad form: ${form} (as JSON ${JSON.stringify(fields)}; as Basic ${basic})` }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const logLines: string[] = [];
    const engine = new BehalfEngine({
      vendors: allVendors,
      secrets: { get: async () => SECRET, whereToSet: () => 'test' },
      prompt: { confirm: async () => true },
      log: { log: (_level, message) => void logLines.push(message) },
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const connection: Connection = {
        id: 'local',
        vendor: 'generic',
        label: 'Local',
        baseUrl: base,
        tokenUrl: `${base}/oauth/token`,
        clientId: 'svc',
        principals: [],
      };
      let message = '';
      await assert.rejects(engine.sendAs({ method: 'GET', url: '/data', headers: {} }, { connection, mode: 'full' }), (e: Error) => {
        message = e.message;
        return true;
      });
      assert.match(message, /refused a token/);
      assert.match(message, /client_secret=«redacted»/);
      const haystack = [message, ...logLines].join('\n');
      for (const form of encodings(SECRET)) assert.ok(!haystack.includes(form), `leaked ${form} in ${haystack}`);
      assert.ok(!haystack.includes(Buffer.from(`svc:${SECRET}`).toString('base64')), 'leaked the Basic credential');
    } finally {
      await engine.dispose();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('Redactor: long texts and many secrets (the anchor screen and the full search agree)', () => {
  const SECRETS = Array.from({ length: 12 }, (_, i) => `Qm4x9Lr2/abc+def==${i}-tail`);
  const filler = (n: number) => '{"id":1,"name":"Deal é ünïcode","notes":"lorem ipsum"},'.repeat(n);

  for (const [label, count, size] of [
    ['one secret in 300 KB (searched directly)', 1, 6000],
    ['twelve secrets in 300 KB (screened first)', 12, 6000],
    ['twelve secrets in a short text (screened first)', 12, 2],
  ] as const) {
    it(`${label}: every encoded form is redacted, wherever it stands`, () => {
      const redactor = new Redactor();
      const secrets = SECRETS.slice(0, count);
      for (const s of secrets) redactor.add(s);
      const last = secrets[secrets.length - 1];
      // After a non-ASCII character, at the very start and at the very end: where the screen's key restarts.
      const forms = encodings(last);
      const text = `${forms[0]}${filler(size)}é${forms.join(`,${filler(size / 100)}ü`)}${filler(3)}${forms[1]}`;
      const out = redactor.text(text);
      for (const form of forms) assert.ok(!out.includes(form), `leaked ${form}`);
      assert.equal(out.split(REDACTED).length - 1, forms.length + 2);
      assert.ok(out.includes(filler(3)), 'the text around is kept');
    });
  }
});
