// A connection's own network settings over the host's: its "proxy" (a URL or "direct", over the environment and
// the flags) and its "tls" files (paths relative to the connections file), with the key's passphrase from the
// secret store (CLI: BEHALF_SECRET_<CONNECTION_ID>_TLS_PASSPHRASE). Vendor-free and editor-free.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BehalfError } from './errors';
import type { Connection } from './model';
import type { SecretKey, SecretStore } from './ports';
import { proxyConfig } from './proxy';
import { readCaFile } from './tlsFiles';
import type { ClientCertificate, NetworkOptions } from './transport';

/** Where a connection's TLS key passphrase is kept: its SecretKey's principalId (CLI: BEHALF_SECRET_<ID>_TLS_PASSPHRASE). */
export const TLS_PASSPHRASE_ID = 'TLS_PASSPHRASE';

/** The secret that holds a connection's TLS key passphrase. */
export function tlsPassphraseKey(connection: Pick<Connection, 'id'>): SecretKey {
  return { connectionId: connection.id, principalId: TLS_PASSPHRASE_ID };
}

/** Whether the connection presents a client certificate whose key may have a passphrase. */
export function hasTlsKey(connection: Pick<Connection, 'tls'>): boolean {
  return !!(connection.tls?.keyFile || connection.tls?.pfxFile);
}

/** The network of a connection: the host's, with the connection's "proxy" and "tls" applied. Reads its files. */
export async function connectionNetwork(
  connection: Connection,
  base: NetworkOptions | undefined,
  secrets: SecretStore,
  addSecret: (value: string) => void,
): Promise<NetworkOptions | undefined> {
  if (connection.proxy === undefined && connection.tls === undefined) return base;
  const network: NetworkOptions = { ...base };
  const field = (name: string) => `${connection.id}'s "${name}"`;
  if (connection.proxy !== undefined) network.proxy = proxyConfig({}, { proxy: connection.proxy }, field('proxy'));
  const tls = connection.tls;
  if (tls) {
    const dir = connection.position ? path.dirname(connection.position.file) : process.cwd();
    const at = (file: string) => path.resolve(dir, file);
    if (tls.caFile) network.ca = [...(base?.ca ?? []), readCaFile(at(tls.caFile), field('tls.caFile'))];
    if (tls.certFile || tls.keyFile || tls.pfxFile) {
      const read = (file: string, name: string, binary = false): string | Buffer => {
        try {
          return binary ? fs.readFileSync(at(file)) : fs.readFileSync(at(file), 'utf8');
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new BehalfError(
            'tls-file',
            `Cannot read ${at(file)} (${field(name)}): ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}.`,
            {
              position: connection.position,
            },
          );
        }
      };
      const key = tlsPassphraseKey(connection);
      const passphrase = await secrets.get(key);
      if (passphrase) addSecret(passphrase);
      const client: ClientCertificate = {
        from: field(tls.pfxFile ? 'tls.pfxFile' : 'tls.keyFile'),
        passphrase: passphrase || undefined,
        passphraseHint: secrets.whereToSet(key),
      };
      if (tls.pfxFile) client.pfx = read(tls.pfxFile, 'tls.pfxFile', true) as Buffer;
      if (tls.certFile) client.cert = read(tls.certFile, 'tls.certFile') as string;
      if (tls.keyFile) client.key = read(tls.keyFile, 'tls.keyFile') as string;
      network.clientCertificate = client;
    }
  }
  return network;
}
