// The refusals and confirmations of the send pipeline, before anything goes out (and, for the Host header, once the
// adapter has authenticated a request). Functions of what they are given, so each rule reads on its own.
import { BehalfError } from './errors';
import type { ActAs, Connection, PreparedRequest, RequestSpec } from './model';
import { isMutating, urlOnConnection } from './model';
import type { Prompt } from './ports';
import type { Redactor } from './redact';
import { findHeader, originOf } from './transport';
import { describePrincipal, ownEndpointAt, type ConnectionAdapter } from './vendor';
import { shownUrl } from './engineRedaction';

/** A URL for messages: origin and path, without the query (it may carry an id or a token). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The Host header a request sets by hand when it names another host than its URL (as Node would send it: the
 * header wins over the URL, and over https it becomes the TLS server name). Undefined when there is none or it
 * names the URL's own host (the default port may be left out). The value comes back quoted, control characters
 * escaped, for messages.
 */
function differingHost(headers: Record<string, string>, url: string): { written: string; urlHost: string } | undefined {
  if (!Object.keys(headers).some((key) => key.toLowerCase() === 'host')) return undefined; // most requests: no URL to parse
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== 'host') continue;
    const value = headers[key].trim();
    let host: string | undefined;
    try {
      host = /^[^\s/?#@\\]+$/.test(value) ? new URL(`${parsed.protocol}//${value}`).host : undefined;
    } catch {
      host = undefined;
    }
    if (host !== parsed.host) return { written: JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value), urlHost: parsed.host };
  }
  return undefined;
}

function hostRefusal(spec: RequestSpec, host: { written: string; urlHost: string }, how: string): BehalfError {
  return new BehalfError(
    'host-header',
    `Not sent: the Host header says ${host.written} but the URL's host is ${host.urlHost}. Sent ${how}, the identity and token would go to another virtual host (and over https, TLS SNI would name it).`,
    { position: spec.position, hint: "remove the Host header: Behalf sets it from the URL's host" },
  );
}

/** Refuse a principal in a mode the vendor does not have (`vendorName` names the vendor in the message). */
export function refuseUnknownMode(spec: RequestSpec, actAs: ActAs, adapter: ConnectionAdapter, vendorName: string): void {
  if (actAs.principal && !adapter.modes.includes(actAs.mode)) {
    throw new BehalfError('mode', `${vendorName} has no ${actAs.mode} mode; it supports ${adapter.modes.join(' and ')}.`, {
      hint: adapter.modes.length === 1 ? `use "# @mode ${adapter.modes[0]}" or leave @mode out` : undefined,
      position: spec.position,
    });
  }
}

/** The request's URL made absolute on the connection; any scheme but http and https is refused. */
export function absoluteUrl(spec: RequestSpec, connection: Connection): string {
  const raw = spec.url.trim();
  if (/^https?:\/\//i.test(raw)) return raw;
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    throw new BehalfError('url', `Only http and https URLs can be sent (got "${raw.split(':')[0]}:").`, { position: spec.position });
  }
  return urlOnConnection(raw, connection);
}

/**
 * Refuse what would act as someone without Behalf knowing it: an impersonation header written by hand (the vendor
 * would act as that user while the record says "the service user"), or a principal on a request to an origin the
 * connection does not own (it would go there without the principal's identity). Also refused: a call to the vendor's
 * own token or session endpoints (a session Behalf would not track, a token shown in clear), and a Host header naming
 * another host on a request that carries identity (it would go to that virtual host). Plain requests to another
 * origin are sent, like curl; for a plain request with another Host the note to put on its record is returned.
 */
export function refuseUnseenIdentity(spec: RequestSpec, url: string, actAs: ActAs, adapter: ConnectionAdapter, redactor: Redactor): string | undefined {
  const { connection, principal } = actAs;
  const trustedOrigin = originOf(connection.baseUrl);
  // The vendor's own token and session endpoints are Behalf's to call, whatever the origin and the identity.
  const own = ownEndpointAt(url, adapter.ownEndpoints);
  if (own) {
    const why =
      own.kind === 'session'
        ? 'a session opened or ended by hand is one Behalf does not track (it would stay open, or end one Behalf still uses), and its token would be shown in clear'
        : 'the token it returns would be shown in clear';
    throw new BehalfError('own-endpoint', `Not sent: ${displayUrl(url)} is ${own.name} of ${connection.label}, which Behalf calls itself: ${why}.`, {
      position: spec.position,
      hint: own.hint ?? `Behalf fetches, caches and adds the token itself: send the request you need the token for`,
    });
  }
  // A Host header naming another host sends whatever identity the request carries to that virtual host (and sets TLS SNI to it).
  const host = differingHost(spec.headers, url);
  if (host && originOf(url) === trustedOrigin && (principal !== undefined || connection.auth !== 'none')) {
    throw hostRefusal(spec, host, principal ? `as ${describePrincipal(principal)}` : `with ${connection.label}'s authentication`);
  }
  const hostNote = host
    ? `The Host header says ${host.written} but the URL's host is ${host.urlHost}: the server sees ${host.written} (over https, TLS SNI names it too). Sent without authentication or identity.`
    : undefined;
  if (originOf(url) !== trustedOrigin) {
    if (!principal) return hostNote;
    throw new BehalfError(
      'foreign-origin',
      `Not sent: ${originOf(url)} is not ${connection.label}'s origin (${trustedOrigin}), so it cannot be sent as ${describePrincipal(principal)}: Behalf sends no authentication or identity to another origin.`,
      { position: spec.position, hint: `use a path on ${trustedOrigin}, or drop "# @as" (and --as) to send it as a plain request` },
    );
  }
  for (const name of adapter.impersonationHeaders) {
    const written = Object.keys(spec.headers).find((k) => k.toLowerCase() === name.toLowerCase());
    if (written === undefined) continue;
    const value = spec.headers[written].trim();
    // The value is a user id or email, not a secret; anything else (or a value the redactor knows) is not echoed.
    const ref = /^[\w.@+-]{1,64}$/.test(value) && redactor.text(value) === value ? value : '<principal>';
    throw new BehalfError(
      'identity-header',
      `This request sets ${name} by hand: Behalf would not know who it acts as. Remove the header and use "# @as ${ref}" (or --as) instead.`,
      {
        position: spec.position,
        hint: principal ? `it already acts as ${describePrincipal(principal)} ("# @as" or --as), which sets ${name} itself` : undefined,
      },
    );
  }
  return hostNote;
}

/**
 * A plain request with another Host (let through by refuseUnseenIdentity, which returned its note): still refused
 * once the adapter has authenticated it, i.e. added an identity header the request did not have.
 */
export function refuseAuthenticatedOtherHost(spec: RequestSpec, url: string, prepared: PreparedRequest, connection: Connection): void {
  const host = differingHost(spec.headers, url);
  if (
    host &&
    prepared.identityHeaders.some((h) => {
      const added = findHeader(prepared.headers, h);
      return added !== undefined && added !== findHeader(spec.headers, h);
    })
  ) {
    throw hostRefusal(spec, host, `with ${connection.label}'s authentication`);
  }
}

/**
 * Ask before a request that acts as someone else and writes, or goes to a production connection as someone else or
 * as a write, or is marked `# @note`; refuse it when the answer is no.
 */
export function confirmSend(
  ask: { prompt: Prompt; redactor: Redactor },
  adapter: ConnectionAdapter,
  method: string,
  url: string,
  actAs: ActAs,
  sideEffectFree = false,
  note?: string,
): Promise<void> | undefined {
  const { connection, principal } = actAs;
  const asSomeoneElse = principal !== undefined;
  // A write method the vendor knows only reads (a search by POST: adapter.isRead) is not confirmed as a write.
  const writes = isMutating(method) && !sideEffectFree && adapter.isRead?.(method.toUpperCase(), url) !== true;
  const needsConfirm = (asSomeoneElse && writes) || (connection.production === true && (asSomeoneElse || writes));
  // `# @note` (REST Client): the file asks for a confirmation of its own, whatever the request does. Nothing to ask
  // (most requests): no promise, so that the send does not wait a turn for nothing.
  if (!needsConfirm && note === undefined) return undefined;
  return askToSend(ask, method, url, actAs, needsConfirm, note);
}

async function askToSend(
  ask: { prompt: Prompt; redactor: Redactor },
  method: string,
  url: string,
  { connection, principal }: ActAs,
  needsConfirm: boolean,
  note: string | undefined,
): Promise<void> {
  const asSomeoneElse = principal !== undefined;
  const who = describePrincipal(principal);
  const where = connection.production ? `${connection.label} (PRODUCTION)` : connection.label;
  const question = asSomeoneElse
    ? `${method} ${shownUrl(ask.redactor, url)} as ${who} on ${where}: this acts under ${principal.name ?? principal.email ?? principal.id}'s identity. Send it?`
    : `${method} ${shownUrl(ask.redactor, url)} on ${where}. Send it?`;
  const noted = note === undefined ? '' : note ? `Note: ${ask.redactor.text(note)}. ` : 'This request is marked "# @note" (confirm before sending). ';
  if (!(await ask.prompt.confirm(`${noted}${question}`))) {
    const why = needsConfirm
      ? `${method} ${asSomeoneElse ? `as ${who} ` : ''}on ${where} needs confirmation`
      : 'the request is marked "# @note" and needs confirmation';
    throw new BehalfError('not-confirmed', `Not sent: ${why}.`, {
      hint: 'confirm it when asked (in the CLI: pass --yes)',
    });
  }
}

/**
 * The consent guard for changes Behalf makes itself rather than a request (a proxy assignment): as for a write
 * sent as the service user, a production connection needs confirmation (in the CLI, --yes when not interactive).
 */
export async function confirmChange(prompt: Prompt, connection: Connection, what: string): Promise<void> {
  if (connection.production !== true) return;
  const where = `${connection.label} (PRODUCTION)`;
  if (!(await prompt.confirm(`${what} on ${where}: this changes vendor data. Do it?`))) {
    throw new BehalfError('not-confirmed', `Not done: changing data on ${where} needs confirmation (${what.charAt(0).toLowerCase()}${what.slice(1)}).`, {
      hint: 'confirm it when asked (in the CLI: pass --yes)',
    });
  }
}
