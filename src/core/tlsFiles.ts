// PEM files named by a host (the CLI's --cacert, NODE_EXTRA_CA_CERTS), read with errors that name the file and
// the place it was named in. Never prints a file's content.

import * as fs from 'node:fs';
import { BehalfError } from './errors';

/** The PEM text of a CA file: one or more certificates. */
export function readCaFile(file: string, from: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BehalfError('tls-file', `Cannot read the CA file ${file} (${from}): ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}.`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text))
    throw new BehalfError('tls-file', `The CA file ${file} (${from}) holds no PEM certificate ("-----BEGIN CERTIFICATE-----").`, {
      hint: 'give the CA certificate in PEM form (openssl x509 -in ca.der -inform der -out ca.pem converts a DER one)',
    });
  return text;
}
