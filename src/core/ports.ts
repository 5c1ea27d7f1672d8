// Small interfaces the core needs from its host. The CLI fills them from the terminal and the
// environment; the extension from VS Code (SecretStorage, dialogs, an output channel).

export interface SecretStore {
  /** The connection's own secret (API key / client secret / static token), or undefined. */
  get(key: SecretKey): Promise<string | undefined>;
  set?(key: SecretKey, value: string): Promise<void>;
  delete?(key: SecretKey): Promise<void>;
  /** How the user provides this secret here ("set BEHALF_SECRET_X", "run Behalf: Set Secret"). */
  whereToSet(key: SecretKey): string;
}

export interface SecretKey {
  connectionId: string;
  /** Set for per-principal secrets (e.g. the principal's own registered app secret). */
  principalId?: string;
}

export interface Prompt {
  /** Ask the user to confirm; resolves false when declined or when nobody can be asked. */
  confirm(message: string): Promise<boolean>;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Log {
  log(level: LogLevel, message: string): void;
  /**
   * Whether a message at this level would be kept. Some messages cost something to build (a URL redacted per
   * request), so the engine asks first; without this, every level is kept.
   */
  enabled?(level: LogLevel): boolean;
}

/** Why a signal was aborted, as an Error (AbortController.abort() gives a DOMException, which is one). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(typeof reason === 'string' ? reason : 'aborted');
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const silentLog: Log = { log: () => undefined };

/** Environment variable name for a secret: BEHALF_SECRET_<CONNECTION>[_<PRINCIPAL>], ids upper-cased, non-alphanumerics → _. */
export function secretEnvName(key: SecretKey): string {
  const connection = `BEHALF_SECRET_${secretEnvPart(key.connectionId)}`;
  return key.principalId ? principalSecretEnvName(connection, key.principalId) : connection;
}

/** secretEnvName of a principal, from its connection's own variable name (for many principals, made once). */
export function principalSecretEnvName(connectionEnvName: string, principalId: string): string {
  return `${connectionEnvName}_${secretEnvPart(principalId)}`;
}

const NOT_ENV_CHAR = /[^A-Z0-9]/g;

/** An id as it appears in a secret variable's name (upper case, anything but A-Z and 0-9 as "_"). */
export function secretEnvPart(id: string): string {
  return id.toUpperCase().replace(NOT_ENV_CHAR, '_');
}

/** SecretStore over environment variables (the CLI's). */
export function envSecretStore(env: NodeJS.ProcessEnv = process.env): SecretStore {
  return {
    get: async (key) => env[secretEnvName(key)] || undefined,
    whereToSet: (key) => `set the environment variable ${secretEnvName(key)}`,
  };
}
