// Commands few sessions use, with what only they need (the access matrix, Check Connection): a bundle of their own,
// dist/extension-extras.js, that main requires when one of them is first run (scripts/esbuild-lazy-chunk.mjs links
// it to main's copies of every other module). Every export is a function: main calls it through the link.
import { registerCheckCommands } from './checkCommands';
import { registerMatrixCommands } from './matrixCommands';
import type { Services } from './services';

/** Registers the commands of this part with `s`; called once, before the first of them runs. */
export function registerExtraCommands(s: Services): void {
  registerCheckCommands(s);
  registerMatrixCommands(s);
}
