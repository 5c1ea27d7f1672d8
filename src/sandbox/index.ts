// The vendor sandbox: local doubles of DealCloud, Orange Logic, Creative Force and a generic OAuth2 server
// on one HTTP listener, plus a "foreign" listener on another port. The contract is docs/sandbox.md.

import { secretEnvName } from '../core/ports';
import { type CreativeForceState, createCreativeForce } from './creativeforce';
import { createDealCloud } from './dealcloud';
import type { AsUserDenialStatus, ConnectionJson, SandboxConfig, SandboxConnection } from './doubles';
import type { FaultSpec } from './faults';
import { createGeneric } from './generic';
import { createOrangeLogic } from './orangelogic';
import type { SandboxLogEntry } from './requestLog';
import { isPlainObject } from './requests';
import { SandboxServer } from './server';

export type { AsUserDenialStatus, ConnectionJson, VendorName } from './doubles';
export type { CreativeForceState } from './creativeforce';
export type { FaultKind, FaultSpec } from './faults';
export type { LogVendor, SandboxLogEntry } from './requestLog';

export interface SandboxOptions {
  /** Default 0 (any free port); `npm run sandbox` uses 7400. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Overrides every vendor's token lifetime (tests of expiry); default per vendor. */
  tokenLifetimeSeconds?: number;
  /** What DealCloud answers to AS-USER without a proxy assignment; default 401. */
  asUserDenialStatus?: AsUserDenialStatus;
  /** The message of that denial; `{proxyUserId}` and `{userId}` are filled in. Default per status (see docs/sandbox.md). */
  asUserDenialMessage?: string;
  /** Creative Force gateway limit per IP per second; default 20. */
  cfRequestsPerSecond?: number;
  /** A site whose Orange Logic Search API takes the user to search as in this parameter (see SandboxConfig); default none. */
  olSearchImpersonationParam?: string;
}

export interface SandboxUrls {
  dealcloud: string;
  orangelogic: string;
  creativeforceGateway: string;
  creativeforceToken: string;
  generic: string;
  genericToken: string;
}

export interface ConnectionsFileJson {
  $schema?: string;
  connections: ConnectionJson[];
}

export interface SandboxSecret {
  connectionId: string;
  principalId?: string;
  value: string;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  /** A second listener (another origin) answering 200 {"ok":true} to anything, and logging it. */
  foreignUrl: string;
  urls: SandboxUrls;
  /** Every request both listeners received, oldest first. */
  log: SandboxLogEntry[];
  /** Orange Logic impersonation sessions currently open. */
  openSessions(): number;
  /** What changed on the Creative Force gateway: tasks started, uploads created, the audit trail (a copy). */
  creativeForceState(): CreativeForceState;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Every token issued so far becomes invalid; open Orange Logic sessions and the static token stay valid. */
  expireTokens(): void;
  setAsUserDenialStatus(status: AsUserDenialStatus): void;
  /** The message of that denial (`{proxyUserId}`, `{userId}` filled in); undefined goes back to the default. */
  setAsUserDenialMessage(message: string | undefined): void;
  /** Seed data, sessions, tokens, faults, rate windows, configuration and log back to the start. */
  reset(): void;
  /** A ready connections file for this sandbox; holds no secret. */
  connectionsFile(): ConnectionsFileJson;
  /** BEHALF_SECRET_* variables for that file. */
  secretsEnv(): Record<string, string>;
  /** The same secrets keyed by connection (and principal), for hosts with a secret store of their own. */
  secrets(): SandboxSecret[];
  /** Closes both listeners and every open socket. */
  close(): Promise<void>;
}

const CONNECTIONS_SCHEMA = 'https://behalf.dev/schemas/connections.schema.json';
const AS_USER_DENIAL_STATUSES: readonly number[] = [400, 401, 403];

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const initialConfig = validatedConfig(options);
  const config: SandboxConfig = { ...initialConfig };
  const orangeLogic = createOrangeLogic(config);
  const creativeForce = createCreativeForce(config);
  const doubles = [createDealCloud(config), orangeLogic, creativeForce, createGeneric(config)];

  const setAsUserDenialStatus = (status: AsUserDenialStatus) => {
    if (!AS_USER_DENIAL_STATUSES.includes(status)) throw new TypeError('asUserDenialStatus must be 400, 401 or 403.');
    config.asUserDenialStatus = status;
  };
  const setAsUserDenialMessage = (message: string | undefined) => {
    if (message !== undefined && typeof message !== 'string') throw new TypeError('asUserDenialMessage must be a string.');
    config.asUserDenialMessage = message;
  };
  const expireTokens = () => doubles.forEach((double) => double.expireTokens());
  const reset = () => {
    Object.assign(config, initialConfig);
    doubles.forEach((double) => double.reset());
    server.clearFaults();
    server.clearLog();
  };

  let sandboxUrl = '';
  const served = (): SandboxConnection[] => doubles.flatMap((double) => double.connections(sandboxUrl));
  const connectionsFile = (): ConnectionsFileJson => ({
    $schema: CONNECTIONS_SCHEMA,
    connections: served().map(({ connection }) => structuredClone(connection)),
  });
  const secrets = (): SandboxSecret[] =>
    served().flatMap(({ connection, secret, principalSecrets }) => [
      { connectionId: connection.id, value: secret },
      ...Object.entries(principalSecrets ?? {}).map(([principalId, value]) => ({ connectionId: connection.id, principalId, value })),
    ]);
  const secretsEnv = (): Record<string, string> => Object.fromEntries(secrets().map(({ value, ...key }) => [secretEnvName(key), value]));

  const server = new SandboxServer(doubles, {
    state: () => ({ openSessions: orangeLogic.openSessions(), creativeForce: creativeForce.state() }),
    expireTokens,
    reset,
    configure(patch) {
      if (!isPlainObject(patch)) throw new TypeError('Expected a JSON object such as {"asUserDenialStatus": 403}.');
      const known = ['asUserDenialStatus', 'asUserDenialMessage', 'olSearchImpersonationParam'];
      const unknown = Object.keys(patch).find((key) => !known.includes(key));
      if (unknown !== undefined) throw new TypeError(`Unknown setting ${unknown}; known: ${known.join(', ')}.`);
      if (patch.asUserDenialStatus !== undefined) setAsUserDenialStatus(patch.asUserDenialStatus as AsUserDenialStatus);
      if ('asUserDenialMessage' in patch) setAsUserDenialMessage(patch.asUserDenialMessage === null ? undefined : (patch.asUserDenialMessage as string));
      if ('olSearchImpersonationParam' in patch) config.olSearchImpersonationParam = searchParamSetting(patch.olSearchImpersonationParam ?? undefined);
    },
    connectionsFile,
  });

  const { url, foreignUrl } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  sandboxUrl = url;
  return {
    url,
    foreignUrl,
    urls: {
      dealcloud: `${url}/dealcloud`,
      orangelogic: `${url}/orangelogic`,
      creativeforceGateway: `${url}/creativeforce/gateway/v1`,
      creativeforceToken: `${url}/creativeforce/accounts/connect/token`,
      generic: `${url}/generic`,
      genericToken: `${url}/generic/oauth/token`,
    },
    log: server.log,
    openSessions: () => orangeLogic.openSessions(),
    creativeForceState: () => creativeForce.state(),
    injectFault: (fault) => server.injectFault(fault),
    clearFaults: () => server.clearFaults(),
    expireTokens,
    setAsUserDenialStatus,
    setAsUserDenialMessage,
    reset,
    connectionsFile,
    secretsEnv,
    secrets,
    close: () => server.close(),
  };
}

function validatedConfig(options: SandboxOptions): SandboxConfig {
  const { tokenLifetimeSeconds, asUserDenialStatus = 401, asUserDenialMessage, cfRequestsPerSecond = 20, olSearchImpersonationParam } = options;
  if (tokenLifetimeSeconds !== undefined && !(tokenLifetimeSeconds > 0)) throw new TypeError('tokenLifetimeSeconds must be positive.');
  if (!AS_USER_DENIAL_STATUSES.includes(asUserDenialStatus)) throw new TypeError('asUserDenialStatus must be 400, 401 or 403.');
  if (!Number.isInteger(cfRequestsPerSecond) || cfRequestsPerSecond < 1) throw new TypeError('cfRequestsPerSecond must be a positive integer.');
  if (asUserDenialMessage !== undefined && typeof asUserDenialMessage !== 'string') throw new TypeError('asUserDenialMessage must be a string.');
  return {
    tokenLifetimeSeconds,
    asUserDenialStatus,
    asUserDenialMessage,
    cfRequestsPerSecond,
    olSearchImpersonationParam: searchParamSetting(olSearchImpersonationParam),
  };
}

function searchParamSetting(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(value))
    throw new TypeError('olSearchImpersonationParam must be a query parameter name (or null to unset it).');
  return value;
}
