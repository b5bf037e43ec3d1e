// `npm run compare:node-exporter-full`: which Node Exporter Full panels node_exporter and fleetpulse
// fill on this host (real Prometheus, Debian's node_exporter, our bridge and one agent).
// --json prints the full outcome per panel instead of the summary.
import { compareNodeExporterFull, formatComparison, missingBinaries } from '../tests/parity/node-exporter-full.js';

const missing = missingBinaries();
if (missing !== undefined) {
  console.error(`compare:node-exporter-full: ${missing}`);
  process.exit(2);
}
const json = process.argv.includes('--json');
const result = await compareNodeExporterFull((line) => console.error(`# ${line}`));
console.log(json ? JSON.stringify(result, null, 2) : formatComparison(result));
