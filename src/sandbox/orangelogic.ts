// Orange Logic double (prefix /orangelogic): client-credentials and static tokens, full impersonation
// sessions (start/stop, counted), lite attribution through X-Cortex-Save-Changes-As-User on writes where the
// account has it enabled, role-based asset access, and an asset version history appended on every update.

import { randomBytes } from 'node:crypto';
import type { ConnectionJson, SandboxConfig, SandboxConnection, VendorDouble } from './doubles';
import { type Reply, type ReplyOptions, Refusal, isoSeconds, json } from './replies';
import { type SandboxRequest, MalformedRequest, isPlainObject } from './requests';
import { createRouter } from './router';
import { TokenStore, newToken, tokenLifetime } from './tokens';

const TOKEN_LIFETIME_SECONDS = 3600;
const LITE_HEADER = 'x-cortex-save-changes-as-user';
const ASSET_FIELDS = ['Title', 'Caption', 'Keywords'] as const;
type AssetField = (typeof ASSET_FIELDS)[number];

interface Account {
  clientId: string;
  secret: string;
  apiId: string;
  email: string;
  /** Holds the "Impersonate Another User" security function. */
  canImpersonate: boolean;
  /** Lite impersonation switched on by the vendor; otherwise the header is ignored. */
  liteEnabled: boolean;
  /** Holds the "Access to the Search API" security function. */
  searchAccess: boolean;
}

const ACCOUNTS: Account[] = [
  {
    clientId: 'ol-svc',
    secret: 'ol-sandbox-secret-9c1e',
    apiId: 'svc-api',
    email: 'svc@acme.test',
    canImpersonate: true,
    liteEnabled: true,
    searchAccess: true,
  },
  {
    clientId: 'ol-noimp',
    secret: 'ol-sandbox-secret-n0pe',
    apiId: 'noimp-api',
    email: 'noimp@acme.test',
    canImpersonate: false,
    liteEnabled: false,
    searchAccess: false,
  },
];
/** A non-expiring token kept on the ol-svc account. */
const STATIC_TOKEN = 'ol-static-token-5b7d';
const STATIC_TOKEN_ACCOUNT = ACCOUNTS[0];

interface OrangeLogicUser {
  apiId: string;
  email: string;
  name: string;
  /** Assets the user may read (undefined: every asset) and whether they may update what they read. */
  readable?: string[];
  canUpdate: boolean;
  /** Holds "Access to the Search API". */
  searchAccess: boolean;
}

const USERS: OrangeLogicUser[] = [
  { apiId: 'jane.api', email: 'jane@acme.test', name: 'Jane Doe', canUpdate: true, searchAccess: true }, // editor
  { apiId: 'raj.api', email: 'raj@acme.test', name: 'Raj Patel', readable: ['A-1', 'A-2'], canUpdate: false, searchAccess: true }, // viewer
];

type Changes = Array<{ Field: AssetField; OldValue: string; NewValue: string }>;
interface Version {
  VersionNumber: number;
  Date: string;
  User: string;
  Changes: Changes;
}

/** The seed is the version history; each asset's current fields are the history replayed. */
const SEED_HISTORY: Record<string, Array<Omit<Version, 'VersionNumber'>>> = {
  'A-1': [
    {
      Date: '2026-01-05T10:00:00Z',
      User: 'svc@acme.test',
      Changes: [
        { Field: 'Title', OldValue: '', NewValue: 'Harbour at dawn' },
        { Field: 'Keywords', OldValue: '', NewValue: 'harbour' },
      ],
    },
    {
      Date: '2026-01-12T14:30:00Z',
      User: 'jane@acme.test',
      Changes: [{ Field: 'Caption', OldValue: '', NewValue: 'Fishing boats leave the harbour at first light.' }],
    },
    {
      Date: '2026-02-02T09:15:00Z',
      User: 'jane@acme.test',
      Changes: [{ Field: 'Keywords', OldValue: 'harbour', NewValue: 'harbour, dawn, boats' }],
    },
  ],
  'A-2': [
    {
      Date: '2026-01-20T16:00:00Z',
      User: 'svc@acme.test',
      Changes: [
        { Field: 'Title', OldValue: '', NewValue: 'Team offsite' },
        { Field: 'Caption', OldValue: '', NewValue: 'The whole team at the lake.' },
        { Field: 'Keywords', OldValue: '', NewValue: 'team, offsite' },
      ],
    },
  ],
  'A-3': [
    {
      Date: '2026-02-10T11:00:00Z',
      User: 'svc@acme.test',
      Changes: [
        { Field: 'Title', OldValue: '', NewValue: 'Board deck' },
        { Field: 'Keywords', OldValue: '', NewValue: 'board, deck' },
      ],
    },
    {
      Date: '2026-02-11T08:45:00Z',
      User: 'jane@acme.test',
      Changes: [{ Field: 'Title', OldValue: 'Board deck', NewValue: 'Board deck cover' }],
    },
  ],
};

interface Asset {
  recordId: string;
  fields: Record<AssetField, string>;
  versions: Version[];
}

/** Who a token speaks for: the service account itself, or a user inside a full impersonation session. */
type Caller = { account: Account; session?: undefined } | { account: Account; session: { user: OrangeLogicUser } };

export interface OrangeLogicDouble extends VendorDouble {
  openSessions(): number;
}

export function createOrangeLogic(config: SandboxConfig): OrangeLogicDouble {
  const tokens = new TokenStore<Account>('ol', tokenLifetime(config, TOKEN_LIFETIME_SECONDS));
  // Session tokens live until stop (or reset), not by the service token lifetime.
  const sessions = new Map<string, { account: Account; user: OrangeLogicUser }>();
  let assets = new Map<string, Asset>();

  function seed(): void {
    assets = new Map(
      Object.entries(SEED_HISTORY).map(([recordId, history]) => {
        const fields: Record<AssetField, string> = { Title: '', Caption: '', Keywords: '' };
        const versions = history.map((version, index) => {
          for (const change of version.Changes) fields[change.Field] = change.NewValue;
          return { ...version, VersionNumber: index + 1, Changes: version.Changes.map((c) => ({ ...c })) };
        });
        return [recordId, { recordId, fields, versions }];
      }),
    );
  }

  function authenticate(req: SandboxRequest): Reply {
    const form = req.formOrJson();
    if (form.grant_type !== undefined && form.grant_type !== 'client_credentials') {
      return apiError(400, 'UnsupportedGrantType', 'Only client_credentials is supported.');
    }
    const account = ACCOUNTS.find((a) => a.clientId === form.client_id && a.secret === form.client_secret);
    if (!account) return apiError(401, 'AuthenticationFailed', 'Invalid client credentials.');
    const { token, expiresIn } = tokens.issue(account);
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn });
  }

  function caller(req: SandboxRequest): Caller {
    const token = presentedToken(req);
    if (token === STATIC_TOKEN) return { account: STATIC_TOKEN_ACCOUNT };
    const account = tokens.lookup(token);
    if (account) return { account };
    const session = token === undefined ? undefined : sessions.get(token);
    if (session) return { account: session.account, session: { user: session.user } };
    throw new Refusal(apiError(401, 'NotAuthenticated', 'Not authenticated.'));
  }

  function startImpersonation(req: SandboxRequest): Reply {
    const { account, session } = caller(req);
    const asService = { effectiveUser: account.email };
    if (session) return apiError(400, 'AlreadyImpersonating', 'This token is already an impersonation session; stop it first.', asService);
    if (!account.canImpersonate) {
      return apiError(403, 'SecurityFunctionMissing', 'You need the Impersonate Another User security function.', asService);
    }
    const apiId = req.query.UserAPIID ?? '';
    const user = USERS.find((u) => u.apiId === apiId);
    if (!user) return apiError(400, 'UserNotFound', `No user with API ID ${apiId}.`, asService);
    const token = newToken('olimp');
    sessions.set(token, { account, user });
    return json(200, { APIResponse: { Code: 'success', Token: token } }, asService);
  }

  function stopImpersonation(req: SandboxRequest): Reply {
    const { account, session } = caller(req);
    if (!session) return apiError(400, 'NotImpersonating', 'This token is not an impersonation session.', { effectiveUser: account.email });
    sessions.delete(presentedToken(req) ?? '');
    return json(200, { APIResponse: { Code: 'success' } }, { effectiveUser: session.user.email });
  }

  function canRead(who: Caller, asset: Asset): boolean {
    return !who.session || who.session.user.readable === undefined || who.session.user.readable.includes(asset.recordId);
  }

  function readDocuments(req: SandboxRequest): Reply {
    const who = caller(req);
    // The lite header is ignored on reads: the service account's own privileges apply and nobody is attributed.
    const effectiveUser = who.session?.user.email ?? who.account.email;
    const wanted = req.query.RecordID;
    const items = [...assets.values()]
      .filter((asset) => (wanted === undefined || asset.recordId === wanted) && canRead(who, asset))
      .map((asset) => ({ RecordID: asset.recordId, ...asset.fields }));
    return json(200, { APIResponse: { Code: 'success', Items: items } }, { effectiveUser });
  }

  /** Who a write is attributed to: the session's user; else the lite header where enabled; else the account. */
  function writer(req: SandboxRequest, who: Caller): string {
    if (who.session) return who.session.user.email;
    const lite = req.header(LITE_HEADER)?.trim();
    if (!who.account.liteEnabled || !lite) return who.account.email;
    const user = USERS.find((u) => u.email.toLowerCase() === lite.toLowerCase());
    if (!user) throw new Refusal(apiError(400, 'UserNotFound', `No user with email ${lite}.`));
    return user.email;
  }

  function updateDocument(req: SandboxRequest): Reply {
    const who = caller(req);
    const body = req.json();
    if (!isPlainObject(body) || typeof body.RecordID !== 'string' || !isPlainObject(body.Fields)) {
      throw new MalformedRequest('Expected {"RecordID": "...", "Fields": {...}}.');
    }
    const fields = body.Fields;
    for (const [name, value] of Object.entries(fields)) {
      if (!ASSET_FIELDS.includes(name as AssetField)) throw new MalformedRequest(`Unknown field ${name}; known: ${ASSET_FIELDS.join(', ')}.`);
      if (typeof value !== 'string') throw new MalformedRequest(`Field ${name} must be a string.`);
    }
    const user = writer(req, who);
    const asset = assets.get(body.RecordID);
    if (!asset) return apiError(404, 'NotFound', `No asset with RecordID ${body.RecordID}.`, { effectiveUser: user });
    if (who.session && (!who.session.user.canUpdate || !canRead(who, asset))) {
      return apiError(403, 'AccessDenied', `${user} may not update ${asset.recordId}.`, { effectiveUser: user });
    }
    const changes: Changes = [];
    for (const name of ASSET_FIELDS) {
      const value = fields[name];
      if (typeof value === 'string' && value !== asset.fields[name]) {
        changes.push({ Field: name, OldValue: asset.fields[name], NewValue: value });
        asset.fields[name] = value;
      }
    }
    // Every update is a version, even one that changes nothing.
    const version: Version = { VersionNumber: asset.versions.length + 1, Date: isoSeconds(), User: user, Changes: changes };
    asset.versions.push(version);
    return json(200, { APIResponse: { Code: 'success', VersionNumber: version.VersionNumber } }, { effectiveUser: user });
  }

  function assetHistory(req: SandboxRequest): Reply {
    const who = caller(req);
    const effectiveUser = who.session?.user.email ?? who.account.email;
    const recordId = req.query.RecordID ?? '';
    const asset = assets.get(recordId);
    if (!asset) return apiError(404, 'NotFound', `No asset with RecordID ${recordId}.`, { effectiveUser });
    if (!canRead(who, asset)) return apiError(403, 'AccessDenied', `${effectiveUser} may not read ${recordId}.`, { effectiveUser });
    return json(200, { APIResponse: { Code: 'success', Versions: structuredClone(asset.versions) } }, { effectiveUser });
  }

  /**
   * The Search API (GET query string, or POST form / JSON body with the same parameters): the assets the caller
   * may Find and View that match `query`, one page of them, with `GlobalInfo.TotalCount` of all matches.
   */
  function search(req: SandboxRequest): Reply {
    const params = searchParams(req);
    const who = searchCaller(req, params);
    const effectiveUser = who.session?.user.email ?? who.account.email;
    const mayUse = who.session ? who.session.user.searchAccess : who.account.searchAccess;
    if (!mayUse) return apiError(403, 'SecurityFunctionMissing', 'You need the Access to the Search API security function.', { effectiveUser });
    const fields = selectedFields(params.fields);
    const sort = sortKeys(params.sort);
    const matches = compileQuery(params.query ?? '');
    const perPage = pagingNumber(params, 'countperpage', 100, 1000);
    const page = pagingNumber(params, 'pagenumber', 1);
    const found = [...assets.values()].filter((asset) => canRead(who, asset) && matches(asset)).sort((a, b) => compareAssets(a, b, sort));
    const items = found.slice((page - 1) * perPage, page * perPage).map((asset) => searchItem(asset, fields));
    const globalInfo = { TotalCount: found.length, PageNumber: page, CountPerPage: perPage };
    if ((params.format ?? '').toLowerCase() !== 'json') return xmlReply(searchXml(globalInfo, items), effectiveUser);
    return json(200, { APIResponse: { GlobalInfo: globalInfo, Items: items } }, { effectiveUser });
  }

  /** The caller, or (where the site takes one: `olSearchImpersonationParam`) the user a service token names in the search. */
  function searchCaller(req: SandboxRequest, params: Record<string, string>): Caller {
    const who = caller(req);
    const param = config.olSearchImpersonationParam?.toLowerCase();
    const apiId = param === undefined ? undefined : params[param];
    if (apiId === undefined || who.session) return who;
    const asService = { effectiveUser: who.account.email };
    if (!who.account.canImpersonate) {
      throw new Refusal(apiError(403, 'SecurityFunctionMissing', 'You need the Impersonate Another User security function.', asService));
    }
    const user = USERS.find((u) => u.apiId === apiId);
    if (!user) throw new Refusal(apiError(400, 'UserNotFound', `No user with API ID ${apiId}.`, asService));
    return { account: who.account, session: { user } };
  }

  // Orange Logic runs on IIS: paths are case-insensitive.
  const route = createRouter(
    [
      { method: 'POST', path: '/webapi/security/clientcredentialsauthentication/authenticate_46H_v1', handle: authenticate },
      { method: 'GET', path: '/webapi/security/authentication/startimpersonation_4CN_v1', handle: startImpersonation },
      { method: 'GET', path: '/webapi/security/authentication/stopimpersonation_4CO_v1', handle: stopImpersonation },
      { method: 'GET', path: '/API/DataTable/v2.2/Documents.All:Read', handle: readDocuments },
      { method: 'POST', path: '/API/DataTable/v2.2/Documents.All:Update', handle: updateDocument },
      { method: 'GET', path: '/webapi/versioning/assetversioning/get_asset_versioning_49U_v1', handle: assetHistory },
      { method: 'GET', path: '/API/search/v4.0/search', handle: search },
      { method: 'POST', path: '/API/search/v4.0/search', handle: search },
    ],
    { caseInsensitive: true },
  );

  seed();
  return {
    vendor: 'orangelogic',
    prefix: '/orangelogic',
    handle: route,
    badRequest: (message) => apiError(400, 'BadRequest', message),
    responseHeaders: () => ({ 'x-cortex-request-id': randomBytes(8).toString('hex') }),
    openSessions: () => sessions.size,
    reset() {
      seed();
      tokens.expireAll();
      sessions.clear();
    },
    expireTokens: () => tokens.expireAll(),
    connections: (sandboxUrl) => [
      orangeLogicConnection(sandboxUrl, 'ol-sandbox', 'Orange Logic (sandbox)', ACCOUNTS[0]),
      // No impersonation right and no lite: full mode is refused, lite attribution silently falls back to the account.
      orangeLogicConnection(sandboxUrl, 'ol-noimp-sandbox', 'Orange Logic without impersonation (sandbox)', ACCOUNTS[1]),
    ],
  };
}

/** Orange Logic takes the token as a bearer header or, on many endpoints, as a `token` query parameter. */
function presentedToken(req: SandboxRequest): string | undefined {
  return req.bearerToken() ?? req.query.token;
}

function apiError(status: number, code: string, message: string, options?: ReplyOptions): Reply {
  return json(status, { APIResponse: { Code: code, Message: message } }, options);
}

function orangeLogicConnection(sandboxUrl: string, id: string, label: string, account: Account): SandboxConnection {
  const principal = (principalId: string, user: OrangeLogicUser) => ({ id: principalId, userId: user.apiId, email: user.email, name: user.name });
  const connection: ConnectionJson = {
    id,
    vendor: 'orangelogic',
    label,
    baseUrl: `${sandboxUrl}/orangelogic`,
    clientId: account.clientId,
    defaultMode: 'lite',
    production: false,
    principals: [principal('jane', USERS[0]), principal('raj', USERS[1])],
  };
  return { connection, secret: account.secret };
}

// --- the Search API: parameters, query criteria, fields, sort, XML --------------------------------------------

/** What a search item may carry: the identifier, always, and the fields asked for. */
const SEARCH_FIELDS = ['SystemIdentifier', 'RecordID', 'Title', 'Caption', 'Keywords'] as const;
type SearchField = (typeof SEARCH_FIELDS)[number];
const DEFAULT_SEARCH_FIELDS: SearchField[] = ['SystemIdentifier', 'Title'];
/** Names a query criterion may use (`Keyword:dawn` matches one keyword of the list). */
const QUERY_FIELDS: Record<string, SearchField | 'Keyword'> = {
  systemidentifier: 'SystemIdentifier',
  recordid: 'RecordID',
  title: 'Title',
  caption: 'Caption',
  keywords: 'Keywords',
  keyword: 'Keyword',
};

/** Parameters from the query string and, on POST, the form or JSON body (the body wins); names in lower case (IIS). */
function searchParams(req: SandboxRequest): Record<string, string> {
  const params: Record<string, string> = {};
  const add = (from: Record<string, string>) => {
    for (const [name, value] of Object.entries(from)) params[name.toLowerCase()] = value;
  };
  add(req.query);
  if (req.method === 'POST' && req.hasBody()) add(req.formOrJson());
  return params;
}

function pagingNumber(params: Record<string, string>, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = params[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Refusal(apiError(400, 'BadRequest', `${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? 'of at least 1' : `between 1 and ${max}`}.`));
  }
  return value;
}

function searchFieldNamed(name: string): SearchField {
  const field = SEARCH_FIELDS.find((f) => f.toLowerCase() === name.trim().toLowerCase());
  if (!field) throw new Refusal(apiError(400, 'BadRequest', `Unknown field ${name.trim()}; known: ${SEARCH_FIELDS.join(', ')}.`));
  return field;
}

/** `fields=Title,Caption`: the identifier always comes first, then the fields asked for. */
function selectedFields(raw: string | undefined): SearchField[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEARCH_FIELDS;
  const asked = raw
    .split(',')
    .filter((name) => name.trim() !== '')
    .map(searchFieldNamed);
  return [...new Set<SearchField>(['SystemIdentifier', ...asked])];
}

/** `sort=Title desc, SystemIdentifier`: keys in order; the identifier breaks ties. */
function sortKeys(raw: string | undefined): Array<{ field: SearchField; descending: boolean }> {
  const keys = (raw ?? '')
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const [name, direction = 'asc', ...rest] = part.trim().split(/\s+/);
      if (rest.length > 0 || !/^(asc|desc)$/i.test(direction)) {
        throw new Refusal(apiError(400, 'BadRequest', `Cannot read the sort "${part.trim()}": expected a field, then asc or desc.`));
      }
      return { field: searchFieldNamed(name), descending: /^desc$/i.test(direction) };
    });
  return [...keys, { field: 'SystemIdentifier' as const, descending: false }];
}

function fieldValue(asset: Asset, field: SearchField): string {
  return field === 'SystemIdentifier' || field === 'RecordID' ? asset.recordId : asset.fields[field];
}

function compareAssets(a: Asset, b: Asset, keys: Array<{ field: SearchField; descending: boolean }>): number {
  for (const { field, descending } of keys) {
    const order = fieldValue(a, field).localeCompare(fieldValue(b, field), 'en', { sensitivity: 'base', numeric: true });
    if (order !== 0) return descending ? -order : order;
  }
  return 0;
}

function searchItem(asset: Asset, fields: readonly SearchField[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field, fieldValue(asset, field)]));
}

type Matcher = (asset: Asset) => boolean;

/**
 * Search criteria as the Search API takes them: `Title:harbour`, `Keyword:dawn`, `Caption:"at the lake"`, bare text
 * (any field), `*` (everything), combined with AND (also implied by a space), OR, NOT and parentheses. Text matches
 * without regard to case; `Keyword:` one keyword of the list; `SystemIdentifier:`/`RecordID:` the whole identifier.
 */
function compileQuery(query: string): Matcher {
  const tokens = [...query.matchAll(/\(|\)|[^\s()"]+:"[^"]*"|"[^"]*"|[^\s()]+/g)].map((m) => m[0]);
  let at = 0;
  const fail = (why: string): never => {
    throw new Refusal(apiError(400, 'BadRequest', `Cannot read the query "${query}": ${why}.`));
  };
  const orExpr = (): Matcher => {
    const parts = [andExpr()];
    while (tokens[at] === 'OR') {
      at++;
      parts.push(andExpr());
    }
    return (asset) => parts.some((p) => p(asset));
  };
  const andExpr = (): Matcher => {
    const parts = [notExpr()];
    while (at < tokens.length && tokens[at] !== 'OR' && tokens[at] !== ')') {
      if (tokens[at] === 'AND') at++;
      parts.push(notExpr());
    }
    return (asset) => parts.every((p) => p(asset));
  };
  const notExpr = (): Matcher => {
    if (tokens[at] !== 'NOT') return primary();
    at++;
    const inner = notExpr();
    return (asset) => !inner(asset);
  };
  const primary = (): Matcher => {
    const token = tokens[at++];
    if (token === undefined) return fail('a criterion is missing at the end');
    if (token === '(') {
      const inner = orExpr();
      if (tokens[at++] !== ')') fail('a "(" is not closed');
      return inner;
    }
    if (token === ')' || token === 'AND' || token === 'OR') return fail(`"${token}" where a criterion was expected`);
    return criterion(token, fail);
  };
  if (tokens.length === 0) return () => true;
  const matcher = orExpr();
  if (at < tokens.length) fail(`"${tokens[at]}" was not expected`);
  return matcher;
}

function criterion(token: string, fail: (why: string) => never): Matcher {
  const unquote = (text: string) => text.replace(/^"(.*)"$/, '$1').toLowerCase();
  const colon = /^([A-Za-z][\w.]*):(.*)$/.exec(token);
  if (!colon) {
    const text = unquote(token);
    if (text === '*') return () => true;
    return (asset) =>
      ['Title', 'Caption', 'Keywords'].some((f) =>
        fieldValue(asset, f as SearchField)
          .toLowerCase()
          .includes(text),
      );
  }
  const field = QUERY_FIELDS[colon[1].toLowerCase()] ?? fail(`unknown field ${colon[1]} (known: ${Object.values(QUERY_FIELDS).join(', ')})`);
  const value = unquote(colon[2]);
  if (value === '*') return (asset) => field === 'Keyword' || fieldValue(asset, field) !== '';
  if (field === 'Keyword') return (asset) => keywordsOf(asset).includes(value);
  if (field === 'SystemIdentifier' || field === 'RecordID') return (asset) => asset.recordId.toLowerCase() === value;
  return (asset) => fieldValue(asset, field).toLowerCase().includes(value);
}

function keywordsOf(asset: Asset): string[] {
  return asset.fields.Keywords.split(',')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
}

/** Without format=JSON the Search API answers XML. */
function searchXml(globalInfo: Record<string, number>, items: Array<Record<string, string>>): string {
  const element = (name: string, value: string | number) => `<${name}>${escapeXml(String(value))}</${name}>`;
  const info = Object.entries(globalInfo)
    .map(([k, v]) => element(k, v))
    .join('');
  const rows = items
    .map(
      (item) =>
        `<Item>${Object.entries(item)
          .map(([k, v]) => element(k, v))
          .join('')}</Item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><APIResponse><GlobalInfo>${info}</GlobalInfo><Items>${rows}</Items></APIResponse>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlReply(body: string, effectiveUser: string): Reply {
  return { status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' }, body, effectiveUser };
}
