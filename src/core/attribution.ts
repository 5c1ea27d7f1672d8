// "Did the vendor record my write under the principal?" — compare an asset's version history before and
// after a write. Vendor-neutral: the vendor's display name is passed in for the sentences.

import type { AttributionResult } from './audit';
import type { BehalfEngine } from './engine';
import { BehalfError } from './errors';
import type { ActAs, AssetVersion, ImpersonationMode } from './model';
import { describePrincipal } from './vendor';

export interface AttributionExpectation {
  /** The user the version should name (the principal's email, as vendors record users). */
  email: string;
  /** Display form of the principal, for sentences ("Jane Doe <jane@acme.test> (jane.api)"). */
  principalLabel: string;
}

export interface AttributionOptions {
  /** The vendor's display name for the sentences; "the vendor" when absent. */
  vendorName?: string;
  /** The mode the write was sent in: the advice differs (lite not enabled vs the session not used). */
  mode?: ImpersonationMode;
}

/**
 * Compare the latest version after the write with what was there before. `before` undefined means the
 * history was not read first: the latest version is then taken to be the write's.
 */
export function checkAttribution(
  before: readonly AssetVersion[] | undefined,
  after: readonly AssetVersion[],
  expected: AttributionExpectation,
  assetId: string,
  options: AttributionOptions = {},
): AttributionResult {
  const expectedUser = expected.email.trim();
  const vendor = options.vendorName?.trim() || 'the vendor';
  const latestAfter = latest(after);
  const latestBefore = before ? latest(before) : undefined;
  const isNew = latestAfter !== undefined && (before === undefined || latestBefore === undefined || latestAfter.version > latestBefore.version);
  if (!latestAfter || !isNew) {
    const still = latestBefore ? ` (the latest is still version ${latestBefore.version})` : '';
    return {
      assetId,
      outcome: 'no-new-version',
      expectedUser,
      version: latestAfter?.version,
      recordedUser: latestAfter?.user || undefined,
      message: latestAfter
        ? `Nothing was recorded: ${vendor} has no new version of ${assetId} after the write as ${expected.principalLabel}${still}.`
        : `Nothing was recorded: ${vendor} has no version of ${assetId}.`,
      advice: 'Check that the write succeeded and changed the asset, and that the vendor versions this kind of change.',
    };
  }
  const recordedUser = latestAfter.user.trim();
  if (recordedUser.toLowerCase() === expectedUser.toLowerCase() && expectedUser) {
    return {
      assetId,
      outcome: 'recorded-as-principal',
      recordedUser,
      expectedUser,
      version: latestAfter.version,
      message: `Recorded as ${recordedUser} in version ${latestAfter.version}.`,
    };
  }
  const support = options.vendorName?.trim() ? `${options.vendorName.trim()} support` : "the vendor's support";
  return {
    assetId,
    outcome: 'recorded-as-other',
    recordedUser,
    expectedUser,
    version: latestAfter.version,
    message: `${capitalise(vendor)} recorded ${recordedUser || 'no user'}, not ${expectedUser || expected.principalLabel}, in version ${latestAfter.version}.`,
    advice:
      options.mode === 'full'
        ? "Full impersonation should record the principal: check that the write used the principal's session, and how the vendor records the user of a change."
        : `Lite impersonation is probably not enabled for this account: ask ${support} to switch it on, or use full mode.`,
  };
}

/**
 * Read the asset's history (as the service user, who can read every audit trail) and check the latest
 * version against the principal of `actAs`. Read `before` with engine.assetHistory before the write
 * for a precise answer; without it the latest version is assumed to be the write's.
 */
export async function verifyAttribution(
  engine: BehalfEngine,
  actAs: ActAs,
  assetId: string,
  before?: readonly AssetVersion[],
  signal?: AbortSignal,
): Promise<AttributionResult> {
  const { connection, principal } = actAs;
  if (!principal) {
    throw new BehalfError('attribution', 'Attribution is checked for writes sent as someone else; this one was sent as the service user.');
  }
  if (!principal.email) {
    throw new BehalfError('config', `Principal "${principal.id}" has no "email": attribution compares the user a version names with the principal's email.`, {
      hint: 'add "email" to the principal in the connections file',
    });
  }
  const after = await engine.assetHistory(connection, assetId, undefined, signal);
  return checkAttribution(before, after, { email: principal.email, principalLabel: describePrincipal(principal) }, assetId, {
    vendorName: engine.vendor(connection).displayName,
    mode: actAs.mode,
  });
}

function latest(versions: readonly AssetVersion[]): AssetVersion | undefined {
  let best: AssetVersion | undefined;
  for (const v of versions) if (!best || v.version >= best.version) best = v;
  return best;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
