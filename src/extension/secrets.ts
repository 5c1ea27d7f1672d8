import type * as vscode from 'vscode';
import { TLS_PASSPHRASE_ID } from '../core/connectionNetwork';
import { BehalfError } from '../core/errors';
import type { SecretKey, SecretStore } from '../core/ports';

/**
 * SecretStorage behind the core's SecretStore port: the only place the extension keeps secrets. Every value read or
 * stored is handed to `onSecret` (Services registers it with the engine's redactor), so a secret never shows in a
 * record, panel or log, even on a path that gets it without the vendor adapter.
 */
export class SecretStorageStore implements SecretStore {
  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly onSecret: (value: string) => void = () => undefined,
    /** After a secret is stored or deleted here (the engine reads again what it read with the old value). */
    private readonly onChanged: (key: SecretKey) => void = () => undefined,
  ) {}

  static keyOf(key: SecretKey): string {
    return `behalf.secret/${key.connectionId}${key.principalId ? `/${key.principalId}` : ''}`;
  }

  async get(key: SecretKey): Promise<string | undefined> {
    const value = await this.guard('read', () => this.storage.get(SecretStorageStore.keyOf(key)));
    if (value) this.onSecret(value);
    return value;
  }

  async set(key: SecretKey, value: string): Promise<void> {
    // Known before it is stored: a failing keyring must not leave it unredacted in what comes next.
    if (value) this.onSecret(value);
    await this.guard('store', () => this.storage.store(SecretStorageStore.keyOf(key), value));
    this.onChanged(key);
  }

  async delete(key: SecretKey): Promise<void> {
    await this.guard('delete', () => this.storage.delete(SecretStorageStore.keyOf(key)));
    this.onChanged(key);
  }

  whereToSet(key: SecretKey): string {
    if (key.principalId === TLS_PASSPHRASE_ID) return `run "Behalf: Set Secret…" on connection "${key.connectionId}" and choose "TLS key passphrase"`;
    return `run "Behalf: Set Secret…" for ${key.principalId ? `principal "${key.principalId}" of ` : ''}connection "${key.connectionId}"`;
  }

  /** A keyring that is locked or missing becomes a sentence, not a crash. */
  private async guard<T>(what: string, op: () => Thenable<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw new BehalfError('secret-store', `Could not ${what} a secret in VS Code's secret storage: ${e instanceof Error ? e.message : String(e)}.`, {
        hint: 'check that the system keyring is unlocked and available',
      });
    }
  }
}
