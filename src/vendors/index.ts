import type { VendorDefinition } from '../core/vendor';
import { creativeForce } from './creativeforce';
import { dealCloud } from './dealcloud';
import { generic } from './generic';
import { assetIdOfRequest, assetIdOfResponse, orangeLogic } from './orangelogic';

/** Every vendor Behalf knows; hosts pass this list to the engine (the core never names a vendor). */
export const allVendors: readonly VendorDefinition[] = [dealCloud, orangeLogic, creativeForce, generic];

/** How to tell which asset a request or response is about, for vendors whose adapters keep asset histories. */
interface AssetLocator {
  inRequest(request: { url: string; body?: string }): string | undefined;
  inResponse(body: string): string | undefined;
}

const ASSET_LOCATORS: Readonly<Record<string, AssetLocator>> = {
  [orangeLogic.id]: { inRequest: assetIdOfRequest, inResponse: assetIdOfResponse },
};

/**
 * The asset a request (as written or as sent) and, optionally, its response are about, for the vendor's way of
 * naming assets; undefined when the vendor has none or the request names no asset. The parsing lives in the
 * vendor's own file: hosts ask here, without naming a vendor.
 */
export function assetIdOf(vendorId: string, request: { url: string; body?: string }, responseBody?: string): string | undefined {
  const locator = ASSET_LOCATORS[vendorId];
  if (!locator) return undefined;
  return locator.inRequest(request) ?? (responseBody !== undefined ? locator.inResponse(responseBody) : undefined);
}
