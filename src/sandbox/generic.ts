// Generic OAuth2 double (prefix /generic): client credentials, RFC 8693 token exchange with
// `requested_subject`, header impersonation (X-Impersonate-User) with the service token, and a tiny API.

import type { ConnectionJson, SandboxConfig, SandboxConnection, VendorDouble } from './doubles';
import { type Reply, json, messageReply, refuse } from './replies';
import { generatedBytes } from './generatedBytes';
import { type SandboxRequest, MalformedRequest, integerQuery, isPlainObject } from './requests';
import { createRouter } from './router';
import { TokenStore, tokenLifetime } from './tokens';

const TOKEN_LIFETIME_SECONDS = 300;
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const IMPERSONATION_HEADER = 'x-impersonate-user';

const CLIENT = { clientId: 'gen-client', secret: 'gen-sandbox-secret-g3n', email: 'svc@acme.test' };

interface GenericUser {
  id: string;
  email: string;
  name: string;
  /** Whether the client may obtain a token for this user by token exchange. */
  exchangeable: boolean;
}

const USERS: GenericUser[] = [
  { id: 'u-100', email: 'jane@acme.test', name: 'Jane Doe', exchangeable: true },
  { id: 'u-200', email: 'raj@acme.test', name: 'Raj Patel', exchangeable: true },
  { id: 'u-300', email: 'lee@acme.test', name: 'Lee Wong', exchangeable: false },
];

const SEED_ITEMS = [
  { id: 'item-1', name: 'Quarterly report', createdBy: 'jane@acme.test' },
  { id: 'item-2', name: 'Launch checklist', createdBy: 'raj@acme.test' },
];

/** A service token (the client itself) or a token exchanged for one user. */
type GenericToken = { kind: 'service' } | { kind: 'exchanged'; user: GenericUser };
type Via = 'self' | 'header' | 'token-exchange';

export function createGeneric(config: SandboxConfig): VendorDouble {
  const lifetime = tokenLifetime(config, TOKEN_LIFETIME_SECONDS);
  const serviceTokens = new TokenStore<GenericToken>('gen', lifetime);
  const exchangedTokens = new TokenStore<GenericToken>('genx', lifetime);
  let items: Array<Record<string, unknown>> = [];
  let nextItem = 0;

  function seed(): void {
    items = SEED_ITEMS.map((item) => ({ ...item }));
    nextItem = items.length + 1;
  }

  function issueToken(req: SandboxRequest): Reply {
    const form = req.form();
    // Client authentication: client_secret_post or client_secret_basic.
    const basic = req.basicCredentials();
    const clientId = basic?.id ?? form.client_id;
    const secret = basic?.secret ?? form.client_secret;
    if (clientId !== CLIENT.clientId || secret !== CLIENT.secret) return oauthError(401, 'invalid_client', 'Invalid client credentials.');

    if (form.grant_type === 'client_credentials') {
      const { token, expiresIn } = serviceTokens.issue({ kind: 'service' });
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
    }
    if (form.grant_type !== TOKEN_EXCHANGE_GRANT) return oauthError(400, 'unsupported_grant_type', `Unsupported grant type ${form.grant_type ?? ''}.`);

    if (form.subject_token_type !== undefined && form.subject_token_type !== ACCESS_TOKEN_TYPE) {
      return oauthError(400, 'invalid_request', `Unsupported subject_token_type ${form.subject_token_type}.`);
    }
    if (!serviceTokens.lookup(form.subject_token)) return oauthError(400, 'invalid_grant', 'subject_token is invalid or expired.');
    const subject = form.requested_subject;
    if (!subject) return oauthError(400, 'invalid_request', 'requested_subject is required.');
    const user = USERS.find((u) => u.id === subject);
    if (!user) return oauthError(400, 'invalid_request', `Unknown subject ${subject}.`);
    if (!user.exchangeable) return oauthError(403, 'access_denied', `Client may not impersonate ${subject}.`);
    const { token, expiresIn } = exchangedTokens.issue({ kind: 'exchanged', user });
    return json(200, { access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: expiresIn });
  }

  /** Who an API call acts as, and how that was decided. */
  function identity(req: SandboxRequest): { email: string; via: Via } {
    const bearer = req.bearerToken();
    const token = serviceTokens.lookup(bearer) ?? exchangedTokens.lookup(bearer);
    if (!token) throw refuse(401, 'Unauthorized', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    if (token.kind === 'exchanged') return { email: token.user.email, via: 'token-exchange' };
    // The header is honoured with the service token only; an exchanged token already names its user.
    const impersonated = req.header(IMPERSONATION_HEADER)?.trim();
    if (!impersonated) return { email: CLIENT.email, via: 'self' };
    const user = USERS.find((u) => u.email.toLowerCase() === impersonated.toLowerCase());
    if (!user) throw refuse(403, `Cannot impersonate unknown user ${impersonated}.`, { effectiveUser: CLIENT.email });
    return { email: user.email, via: 'header' };
  }

  const route = createRouter([
    { method: 'POST', path: '/oauth/token', handle: issueToken },
    {
      method: 'GET',
      path: '/api/whoami',
      handle: (req) => {
        const who = identity(req);
        return json(200, { sub: who.email, via: who.via }, { effectiveUser: who.email });
      },
    },
    {
      method: 'GET',
      path: '/api/items',
      handle: (req) => json(200, structuredClone(items), { effectiveUser: identity(req).email }),
    },
    {
      method: 'POST',
      path: '/api/items',
      handle: (req) => {
        const who = identity(req);
        const body = req.json();
        if (!isPlainObject(body)) throw new MalformedRequest('Expected a JSON object.');
        const item = { ...body, id: `item-${nextItem++}`, createdBy: who.email };
        items.push(item);
        return json(201, item, { effectiveUser: who.email });
      },
    },
    {
      // A large download, generated as it is sent: `size` bytes (seed: which bytes; cutAfter: the server dies after that many).
      method: 'GET',
      path: '/api/bytes/{size}',
      handle: (req, params) => {
        const who = identity(req);
        const size = Number(params.size);
        if (!Number.isSafeInteger(size) || size < 0) throw new MalformedRequest('size must be a number of bytes (0 or more).');
        const seed = integerQuery(req, 'seed', 1, 0, 0xffffffff);
        const cutAfter = req.query['cutAfter'] === undefined ? undefined : integerQuery(req, 'cutAfter', 0, 0);
        return {
          status: 200,
          headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="bytes-${size}.bin"` },
          body: '',
          effectiveUser: who.email,
          stream: { bytes: size, open: () => generatedBytes(size, seed, cutAfter) },
        };
      },
    },
    {
      // Any method: benchmarks and transport tests want to see exactly what arrived.
      method: '*',
      path: '/api/echo',
      handle: (req) => {
        const who = identity(req);
        return json(200, { method: req.method, headers: req.headers, body: req.text() }, { effectiveUser: who.email });
      },
    },
  ]);

  seed();
  return {
    vendor: 'generic',
    prefix: '/generic',
    handle: route,
    badRequest: (message, req) => (req.path.startsWith('/oauth/') ? oauthError(400, 'invalid_request', message) : messageReply(400, message)),
    reset() {
      seed();
      serviceTokens.expireAll();
      exchangedTokens.expireAll();
    },
    expireTokens() {
      serviceTokens.expireAll();
      exchangedTokens.expireAll();
    },
    connections: (sandboxUrl) => genericConnections(sandboxUrl),
  };
}

function oauthError(status: number, error: string, description: string): Reply {
  return json(status, { error, error_description: description });
}

function genericConnections(sandboxUrl: string): SandboxConnection[] {
  const principal = (id: string, userId: string) => {
    const user = USERS.find((u) => u.id === userId) as GenericUser;
    return { id, userId: user.id, email: user.email, name: user.name };
  };
  const common = {
    vendor: 'generic',
    baseUrl: `${sandboxUrl}/generic`,
    tokenUrl: `${sandboxUrl}/generic/oauth/token`,
    clientId: CLIENT.clientId,
    defaultMode: 'full',
    production: false,
  } as const;
  const header: ConnectionJson = {
    ...common,
    id: 'gen-header-sandbox',
    label: 'Generic OAuth2, header impersonation (sandbox)',
    impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } },
    principals: [principal('jane', 'u-100'), principal('raj', 'u-200')],
  };
  const exchange: ConnectionJson = {
    ...common,
    id: 'gen-exchange-sandbox',
    label: 'Generic OAuth2, token exchange (sandbox)',
    impersonation: { kind: 'tokenExchange', subjectParam: 'requested_subject' },
    // lee may not be impersonated: the exchange is refused (negative demos).
    principals: [principal('jane', 'u-100'), principal('raj', 'u-200'), principal('lee', 'u-300')],
  };
  return [
    { connection: header, secret: CLIENT.secret },
    { connection: exchange, secret: CLIENT.secret },
  ];
}
