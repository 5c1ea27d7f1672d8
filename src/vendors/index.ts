import type { VendorDefinition } from '../core/vendor';
import { creativeForce } from './creativeforce';
import { dealCloud } from './dealcloud';
import { generic } from './generic';
import { orangeLogic } from './orangelogic';

/** Every vendor Behalf knows; hosts pass this list to the engine (the core never names a vendor). */
export const allVendors: readonly VendorDefinition[] = [dealCloud, orangeLogic, creativeForce, generic];
