// `npm run compare:node-mixin`: which node-mixin alerts have their input series on this host, for
// Debian's node_exporter (default collectors) and for a fleetpulse agent behind our bridge, both
// scraped by one real Prometheus (the stack of compare:node-exporter-full). Prints a markdown table.
import { missingBinaries, startStack, waitForSamples } from '../tests/parity/node-exporter-full.js';
import { evaluateNodeMixin, formatNodeMixin } from '../tests/parity/node-mixin.js';

const missing = missingBinaries();
if (missing !== undefined) {
  console.error(`compare:node-mixin: ${missing}`);
  process.exit(2);
}
const log = (line: string) => console.error(`# ${line}`);
const stack = await startStack(log);
try {
  for (const t of stack.targets) await waitForSamples(stack.prometheus, t);
  console.log(formatNodeMixin(await evaluateNodeMixin(stack.prometheus, stack.targets)));
} finally {
  await stack.stop();
}
