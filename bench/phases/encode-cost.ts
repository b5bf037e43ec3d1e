import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AgentWorkload } from '../fleet/workload.js';
import { renderFamily } from '../../src/server/ingest/render-family.js';
import { MAX_SAMPLES_PER_REQUEST } from '../../src/server/remote-write/url-queue.js';
import { WriteRequestEncoder, writeRequestBody, type EncodedBatch } from '../../src/server/remote-write/write-request.js';
import type { RenderedFamily } from '../../src/server/text-format/rendered-family.js';

export interface EncodeCost {
  agents: number;
  series: number;
  rounds: number;
  /** Protobuf encoding of a batch the first time its families are seen (labels encoded too), ns per sample. */
  protobufColdNsPerSample: number;
  /** The same for a later batch of the same families (labels from the encoder's cache), ns per sample. */
  protobufWarmNsPerSample: number;
  /** Snappy compression of whole requests (MAX_SAMPLES_PER_REQUEST samples each), ns per sample. */
  snappyNsPerSample: number;
  protobufBytesPerSample: number;
  /** What goes over the wire per sample: the remote_write bandwidth. */
  requestBytesPerSample: number;
  samplesPerRequest: number;
  libraries: Record<string, string>;
}

/**
 * The bridge's own remote_write encoder (src/server/remote-write/) over the bench workload, in
 * this process: `agents` batches rendered as the bridge renders them, encoded cold once, then
 * `rounds` times warm, grouped into requests and snappy-compressed. CPU time of this process.
 */
export function measureEncodeCost(agents: number, series: number, rounds: number): EncodeCost {
  const encoder = new WriteRequestEncoder([['job', 'fleetpulse']]);
  const forbidden = new Set(['instance', 'job']);
  const fleet = Array.from({ length: agents }, (_, i) => ({ workload: new AgentWorkload(series, i + 1), prefix: `instance="bench-host-${String(i).padStart(5, '0')}"`, rendered: [] as RenderedFamily[] }));
  const render = (a: (typeof fleet)[number]): RenderedFamily[] => a.workload.next().map((f) => renderFamily(f, a.prefix, forbidden));
  const cpu = (): number => process.cpuUsage().user + process.cpuUsage().system;
  let samples = 0;
  let cold = 0;
  // Twice, with new family objects each time (labels encoded again); the first pass warms the JIT.
  for (let pass = 0; pass < 2; pass++) {
    for (const a of fleet) {
      a.rendered = render(a);
      const t0 = cpu();
      const n = encoder.encodeBatch(a.rendered, Date.now()).samples;
      if (pass === 1) {
        samples += n;
        cold += cpu() - t0;
      }
    }
  }
  let warm = 0;
  let snappy = 0;
  let warmSamples = 0;
  let protobufBytes = 0;
  let requestBytes = 0;
  let requests = 0;
  for (let round = 0; round < rounds; round++) {
    const encoded: EncodedBatch[] = [];
    for (const a of fleet) {
      // New values in the same family objects, as a repeat batch brings them.
      render(a).forEach((f, i) => (a.rendered[i]!.text = f.text));
      const t0 = cpu();
      encoded.push(encoder.encodeBatch(a.rendered, Date.now()));
      warm += cpu() - t0;
    }
    for (let i = 0; i < encoded.length; ) {
      const parts: Uint8Array[] = [];
      let inRequest = 0;
      while (i < encoded.length && (parts.length === 0 || inRequest + encoded[i]!.samples <= MAX_SAMPLES_PER_REQUEST)) {
        parts.push(encoded[i]!.bytes);
        inRequest += encoded[i]!.samples;
        protobufBytes += encoded[i]!.bytes.length;
        i++;
      }
      const t0 = cpu();
      requestBytes += writeRequestBody(parts).length;
      snappy += cpu() - t0;
      warmSamples += inRequest;
      requests++;
    }
  }
  const ns = (micros: number, n: number): number => (micros * 1000) / n;
  return {
    agents, series, rounds,
    protobufColdNsPerSample: ns(cold, samples),
    protobufWarmNsPerSample: ns(warm, warmSamples),
    snappyNsPerSample: ns(snappy, warmSamples),
    protobufBytesPerSample: protobufBytes / warmSamples,
    requestBytesPerSample: requestBytes / warmSamples,
    samplesPerRequest: warmSamples / requests,
    libraries: Object.fromEntries(['@bufbuild/protobuf', 'snappyjs'].map((name) => [name, versionOf(name)])),
  };
}

function versionOf(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(name);
    const root = main.slice(0, main.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
