import type { RequestSpec, ResponseRecord } from './model';

/** Single-quote for POSIX shells: the only character to escape is the quote itself. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A piece of a body for cURL: text to inline, or a file whose bytes are sent as they are. */
export type CurlBodyPart = { text: string } | { file: string };

/**
 * The pieces of a body built with `< file` lines (RequestSpec.bodyFiles): the text between the files, and
 * the files by path. Text pieces are the .http file's own lines (UTF-8), so decoding them loses nothing.
 */
export function curlBodyParts(body: Buffer, files: NonNullable<RequestSpec['bodyFiles']>): CurlBodyPart[] {
  const parts: CurlBodyPart[] = [];
  let at = 0;
  for (const f of [...files].sort((a, b) => a.offset - b.offset)) {
    if (f.offset > at) parts.push({ text: body.subarray(at, f.offset).toString('utf8') });
    parts.push({ file: f.path });
    at = f.offset + f.length;
  }
  if (at < body.length) parts.push({ text: body.subarray(at).toString('utf8') });
  return parts;
}

/** An argument for `printf '%b'`: backslash escapes for the backslash and control characters (CR, LF, NUL...). */
function printfArgument(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point: they are escaped for the shell
  const escaped = text.replace(/[\\\x00-\x08\x0a-\x1f\x7f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\0${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
  });
  return shellQuote(escaped);
}

/**
 * A cURL command for a recorded request. It is built from the record's request, which the engine has
 * already redacted, so tokens and secrets appear as «redacted» and must be filled in by hand.
 *
 * `bodyParts` (a body with `< file` lines) replaces `request.body`: a body that is one file is sent with
 * `--data-binary @file`; text around files is piped in (`{ printf …; cat file; } | curl --data-binary @-`),
 * so binary files (an image in a multipart upload) are sent byte for byte without being inlined.
 */
export function toCurl(request: ResponseRecord['request'], bodyParts?: CurlBodyPart[]): string {
  const parts = ['curl'];
  if (request.method !== 'GET') parts.push(`-X ${request.method}`);
  parts.push(shellQuote(request.url));
  for (const [name, value] of Object.entries(request.headers)) parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  const files = bodyParts?.some((p) => 'file' in p) ? bodyParts : undefined;
  if (files) {
    if (files.length === 1 && 'file' in files[0]) {
      parts.push(`--data-binary ${shellQuote(`@${files[0].file}`)}`);
      return parts.join(' \\\n  ');
    }
    parts.push('--data-binary @-');
    const feed = files.map((p) => ('file' in p ? `cat ${shellQuote(p.file)}` : `printf '%b' ${printfArgument(p.text)}`)).join('; ');
    return `{ ${feed}; } | ${parts.join(' \\\n  ')}`;
  }
  const body = bodyParts ? bodyParts.map((p) => ('text' in p ? p.text : '')).join('') : request.body;
  if (body !== undefined && body !== '') parts.push(`--data-raw ${shellQuote(body)}`);
  return parts.join(' \\\n  ');
}
