// Every vendor with what the Add Connection / Add Principal wizards ask and the connection settings the schema
// declares (VendorWithSetup): read by the wizards and by the schema build (scripts/build-schema.mjs), never on a
// send. The engine takes allVendors (./index.ts), which holds none of it.
import type { VendorWithSetup } from '../core/vendor';
import { creativeForceWithSetup } from './creativeforceSetup';
import { dealCloudWithSetup } from './dealcloudSetup';
import { genericWithSetup } from './genericSetup';
import { orangeLogicWithSetup } from './orangelogicSetup';

/** In the order of allVendors. */
export const allVendorsWithSetup: readonly VendorWithSetup[] = [dealCloudWithSetup, orangeLogicWithSetup, creativeForceWithSetup, genericWithSetup];

/** The vendor `id` with its setup; undefined for an id Behalf does not know. */
export function vendorWithSetup(id: string): VendorWithSetup | undefined {
  return allVendorsWithSetup.find((v) => v.id === id);
}
