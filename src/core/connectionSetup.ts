// The Add Connection wizard's logic, without any UI: which questions apply given the answers so far, how an
// answer is checked, and how the answers become a connection for the connections file. The questions
// themselves are data in each vendor's `setup` (src/vendors/*Setup.ts); the extension walks them with InputBoxes and
// QuickPicks, and tests walk them directly.

import type { SetupChoice, SetupCondition, SetupField, VendorWithSetup } from './vendor';

export type SetupAnswers = Record<string, string>;

export const ID_PATTERN = '^[A-Za-z0-9._-]+$';
/**
 * Setup keys under this prefix are the connection's first principal (`principal.clientId`), for vendors whose
 * connection may have no service client of its own and then needs a principal to send anything as.
 */
export const FIRST_PRINCIPAL = 'principal.';
export const URL_PATTERN = '^https?://[^\\s/?#]+[^\\s]*$';

/** The questions every vendor shares, before the vendor's own: the connection's id and label. */
export function commonFields(vendor: VendorWithSetup, existingIds: readonly string[]): SetupField[] {
  let n = existingIds.length + 1;
  while (existingIds.includes(`${vendor.id}-${n}`)) n++;
  return [
    {
      key: 'id',
      title: 'id',
      prompt: 'A short id, used in "# @connection <id>" and in secret names (BEHALF_SECRET_<ID>)',
      default: `${vendor.id}-${n}`,
      pattern: ID_PATTERN,
      patternMessage: 'Letters, digits, ".", "_" and "-" only',
    },
    {
      key: 'label',
      title: 'label',
      prompt: 'The name shown in the Connections view and status bar',
      default: `${vendor.displayName} ({connection.id})`,
      pattern: '\\S',
      patternMessage: 'A label is needed',
    },
  ];
}

/** The closing question every vendor shares. */
export const PRODUCTION_FIELD: SetupField = {
  key: 'production',
  title: 'production?',
  prompt: 'Is this a production system?',
  type: 'boolean',
  default: 'false',
  choices: [
    { value: 'false', label: 'No', detail: 'A sandbox or test system' },
    { value: 'true', label: 'Yes — always confirm requests sent as someone else' },
  ],
};

/** Keys starting with this only steer the wizard (which questions follow); they are not written to the file. */
const WIZARD_ONLY = '_';
const NETWORK = `${WIZARD_ONLY}network`;
const TLS_FILE = { type: 'string', optional: true, placeholder: 'certs/partner.pem' } as const;

/**
 * The optional corporate-network step every vendor shares ("proxy" and "tls" are core keys): a proxy of the
 * connection's own and its TLS files. Paths are relative to the connections file; a key's passphrase is a secret,
 * asked after the file is written.
 */
export const NETWORK_FIELDS: readonly SetupField[] = [
  {
    key: NETWORK,
    title: 'corporate network',
    prompt: 'Corporate network: does this connection need a proxy of its own or a client certificate?',
    optional: true,
    choices: [
      { value: '', label: 'No', detail: "VS Code's proxy settings (http.proxy, http.noProxy) and the environment apply" },
      { value: 'proxy', label: 'A proxy of its own', detail: 'Overrides http.proxy and the environment for this connection' },
      { value: 'tls', label: 'A client certificate or a CA file', detail: 'TLS files, paths relative to the connections file' },
      { value: 'both', label: 'Both' },
    ],
  },
  {
    key: 'proxy',
    title: 'proxy',
    prompt: 'The proxy for this connection, http://host:port (no credentials: they go in http.proxy or HTTPS_PROXY), or "direct"',
    placeholder: 'http://proxy.corp.example:3128',
    pattern: '^(direct|https?://[^\\s@/]+/?)$',
    patternMessage: 'http://host:port (no user:password@), or "direct"',
    when: [{ [NETWORK]: ['proxy', 'both'] }],
  },
  {
    key: 'tls.caFile',
    title: 'CA file',
    prompt: 'A CA certificate (PEM) to trust for this connection; empty: none',
    ...TLS_FILE,
    when: [{ [NETWORK]: ['tls', 'both'] }],
  },
  {
    key: 'tls.certFile',
    title: 'client certificate',
    prompt: 'The client certificate (PEM) to present; empty: none',
    ...TLS_FILE,
    when: [{ [NETWORK]: ['tls', 'both'] }],
  },
  {
    key: 'tls.keyFile',
    title: 'client key',
    prompt: "The client certificate's key (PEM); its passphrase is asked next and kept in secret storage",
    ...TLS_FILE,
    placeholder: 'certs/partner.key',
    when: [{ [NETWORK]: ['tls', 'both'] }],
  },
];

/** Every question of the wizard for a vendor, in order (the vendor itself is picked first; the secret comes last). */
export function wizardFields(vendor: VendorWithSetup, existingIds: readonly string[]): SetupField[] {
  return [...commonFields(vendor, existingIds), ...vendor.setup.connectionFields, ...NETWORK_FIELDS, PRODUCTION_FIELD];
}

function holds(conditions: readonly SetupCondition[] | undefined, answers: SetupAnswers): boolean {
  if (!conditions) return true;
  return conditions.some((condition) => Object.entries(condition).every(([key, values]) => answers[key] !== undefined && values.includes(answers[key])));
}

/** Whether a field is asked, given the answers so far. */
export function applies(field: SetupField, answers: SetupAnswers): boolean {
  return holds(field.when, answers);
}

/** The choices offered, given the answers so far. */
export function choicesFor(field: SetupField, answers: SetupAnswers): SetupChoice[] {
  return (field.choices ?? []).filter((c) => holds(c.when, answers));
}

/** The answer a field gets when the user just accepts what is offered (its default, or the first choice). */
export function defaultAnswer(field: SetupField, answers: SetupAnswers): string {
  if (field.default !== undefined) return field.default.replace('{connection.id}', answers['id'] ?? '');
  return field.choices && !field.many ? (choicesFor(field, answers)[0]?.value ?? '') : '';
}

/**
 * How many questions the wizard will ask, counting the ones already answered and supposing the rest get their
 * default answers (so "3/8" may become "4/9" when an answer opens more questions). Plus one for the vendor pick,
 * and one for the secret when the connection will need one.
 */
export function plannedSteps(vendor: VendorWithSetup, fields: readonly SetupField[], answers: SetupAnswers): number {
  const supposed: SetupAnswers = { ...answers };
  let count = 1;
  for (const field of fields) {
    if (!applies(field, supposed)) continue;
    count++;
    supposed[field.key] ??= defaultAnswer(field, supposed);
  }
  return count + (secretPrompt(vendor, supposed) ? 1 : 0) + (asksTlsPassphrase(supposed) ? 1 : 0);
}

/** Whether the wizard asks, last, for the passphrase of the client key it was given (a secret, not in the file). */
export function asksTlsPassphrase(answers: SetupAnswers): boolean {
  return ['tls', 'both'].includes(answers[NETWORK] ?? '') && !!answers['tls.keyFile']?.trim();
}

/** The problem with an answer, or undefined when it is fine. */
export function validateAnswer(field: SetupField, value: string): string | undefined {
  const v = value.trim();
  if (v === '') return field.optional ? undefined : `${capitalise(field.title)} is needed${field.many ? ': pick at least one' : ''}`;
  if (field.pattern && !field.many && !new RegExp(field.pattern).test(v)) return field.patternMessage ?? `Does not match ${field.pattern}`;
  return undefined;
}

/** The question asked for the connection's secret at the end, or undefined when it needs none ("auth": "none"). */
export function secretPrompt(vendor: VendorWithSetup, answers: SetupAnswers): string | undefined {
  const auth = (answers['auth'] ?? 'clientCredentials') as keyof VendorWithSetup['setup']['secretPrompts'];
  if (auth === 'none') return undefined;
  return vendor.setup.secretPrompts[auth] ?? (auth === 'token' ? 'The API token' : 'The client secret');
}

/**
 * Whose secret the wizard's last question asks for: the connection's, or (a connection without a client of its own
 * whose first principal has one: an apps-only Creative Force connection) that principal's app.
 */
export function secretOwner(answers: SetupAnswers): { principalId?: string } {
  const own = answers['clientId']?.trim();
  const principalId = answers[`${FIRST_PRINCIPAL}id`]?.trim();
  return !own && principalId && answers[`${FIRST_PRINCIPAL}clientId`]?.trim() ? { principalId } : {};
}

/** The connection the answers describe, as written to the connections file (no secret: it never goes there). */
export function buildConnection(vendor: VendorWithSetup, fields: readonly SetupField[], answers: SetupAnswers): Record<string, unknown> & { id: string } {
  const connection: Record<string, unknown> = { id: '', vendor: vendor.id };
  const first: Record<string, unknown> = {};
  for (const field of fields) {
    if (!applies(field, answers)) continue;
    const raw = answers[field.key];
    if (raw === undefined || raw.trim() === '' || field.key.startsWith(WIZARD_ONLY)) continue;
    const value = convert(field, raw.trim());
    if (field.key === 'production' && value === false) continue; // the default: keep the file short
    if (field.key.startsWith(FIRST_PRINCIPAL)) first[field.key.slice(FIRST_PRINCIPAL.length)] = value;
    else setPath(connection, field.key, value);
  }
  connection['principals'] = Object.keys(first).length > 0 ? [first] : [];
  return connection as Record<string, unknown> & { id: string };
}

function convert(field: SetupField, value: string): unknown {
  switch (field.type) {
    case 'url':
      return value.replace(/\/+$/, '');
    case 'list':
      return [...new Set(value.split(/\s+/).filter(Boolean))];
    case 'boolean':
      return value === 'true';
    case 'header': {
      const colon = value.indexOf(':');
      return { [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
    }
    default:
      return field.many ? [...new Set(value.split(/\s+/).filter(Boolean))] : value;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Shared pieces of vendor setups. */
export const setupFieldPatterns = {
  url: { pattern: URL_PATTERN, patternMessage: 'An http:// or https:// URL with a host and no spaces' },
  nonEmpty: { pattern: '\\S', patternMessage: 'Needed' },
  id: { pattern: ID_PATTERN, patternMessage: 'Letters, digits, ".", "_" and "-" only' },
} as const;
