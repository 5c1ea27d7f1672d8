import type { ResponseRecord } from './model';

/** Single-quote for POSIX shells: the only character to escape is the quote itself. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A cURL command for a recorded request. It is built from the record's request, which the engine has
 * already redacted, so tokens and secrets appear as «redacted» and must be filled in by hand.
 */
export function toCurl(request: ResponseRecord['request']): string {
  const parts = ['curl'];
  if (request.method !== 'GET') parts.push(`-X ${request.method}`);
  parts.push(shellQuote(request.url));
  for (const [name, value] of Object.entries(request.headers)) parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  if (request.body !== undefined && request.body !== '') parts.push(`--data-raw ${shellQuote(request.body)}`);
  return parts.join(' \\\n  ');
}
