// Certificates the network tests make with openssl (installed by scripts/tools.mjs): never committed, never trusted
// by anything but the test that made them. Shared by the unit, CLI and real-VS-Code suites.

import { execFileSync } from 'node:child_process';

export interface SelfSignedOptions {
  /** Where the files go (the paths below are relative to it). */
  dir: string;
  keyFile: string;
  certFile: string;
  /** The subject's common name. */
  commonName: string;
  /** `-addext` values, e.g. `subjectAltName=IP:127.0.0.2,DNS:partner.test` or `extendedKeyUsage=clientAuth`. */
  extensions?: string[];
  /** Encrypt the key with this passphrase (else it is written in clear). */
  passphrase?: string;
  days?: number;
}

/** A self-signed P-256 certificate and its key. */
export function makeSelfSigned(options: SelfSignedOptions): void {
  const key = options.passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${options.passphrase}`];
  const extensions = (options.extensions ?? []).flatMap((ext) => ['-addext', ext]);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
      ...key,
      ...['-keyout', options.keyFile, '-out', options.certFile, '-days', String(options.days ?? 2)],
      ...['-subj', `/CN=${options.commonName}`],
      ...extensions,
    ],
    { cwd: options.dir, stdio: 'pipe' },
  );
}
