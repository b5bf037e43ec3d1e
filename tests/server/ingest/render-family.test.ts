import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../src/protocol/error-codes.js';
import { renderFamily } from '../../../src/server/ingest/render-family.js';
import { defaultIngestLimits } from '../../helpers/bridge.js';

const PREFIX = 'instance="a1",env="prod"';
const FORBIDDEN = new Set(['instance', 'job', 'env']);

function render(family: unknown) {
  return renderFamily(family, PREFIX, FORBIDDEN, defaultIngestLimits());
}

function codeOf(family: unknown): string | undefined {
  try {
    render(family);
  } catch (err) {
    assert.ok(err instanceof ProtocolError, String(err));
    return err.spec.code;
  }
  return undefined;
}

describe('renderFamily', () => {
  it('renders samples with the agent prefix and sorted sample labels', () => {
    const out = render({
      name: 'node_cpu_seconds_total',
      type: 'counter',
      help: 'Seconds the CPUs spent in each mode.',
      samples: [
        { labels: { mode: 'idle', cpu: '0' }, value: 10.5 },
        { labels: { cpu: '1', mode: 'idle' }, value: 11 },
      ],
    });
    assert.equal(out.series, 2);
    assert.equal(
      out.text,
      'node_cpu_seconds_total{instance="a1",env="prod",cpu="0",mode="idle"} 10.5\n' +
        'node_cpu_seconds_total{instance="a1",env="prod",cpu="1",mode="idle"} 11\n',
    );
  });

  it('renders an unlabelled sample and the special values', () => {
    assert.equal(render({ name: 'g', type: 'gauge', help: '', samples: [{ value: 'NaN' }] }).text, 'g{instance="a1",env="prod"} NaN\n');
    assert.equal(render({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { x: '1' }, value: '+Inf' }, { labels: { x: '2' }, value: '-Inf' }] }).text,
      'g{instance="a1",env="prod",x="1"} +Inf\ng{instance="a1",env="prod",x="2"} -Inf\n');
  });

  it('escapes label values that try to break out of the exposition format', () => {
    const out = render({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { path: 'a"} 1\nevil_metric{x="' }, value: 1 }] });
    assert.equal(out.text, 'g{instance="a1",env="prod",path="a\\"} 1\\nevil_metric{x=\\""} 1\n');
    assert.equal(out.text.split('\n').length, 2, 'still exactly one line');
  });

  it('rejects invalid and reserved metric names', () => {
    assert.equal(codeOf({ name: '1abc', type: 'gauge', help: '', samples: [] }), 'FP_INVALID_METRIC_NAME');
    assert.equal(codeOf({ name: 'a-b', type: 'gauge', help: '', samples: [] }), 'FP_INVALID_METRIC_NAME');
    assert.equal(codeOf({ name: 'fleetpulse_agent_up', type: 'gauge', help: '', samples: [] }), 'FP_INVALID_METRIC_NAME');
    assert.equal(codeOf({ name: 'fleetpulse_bridge_x', type: 'gauge', help: '', samples: [] }), 'FP_INVALID_METRIC_NAME');
    assert.equal(codeOf({ type: 'gauge', samples: [] }), 'FP_INVALID_METRIC_NAME');
  });

  it('rejects invalid, reserved and static label names', () => {
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { 'bad-name': 'x' }, value: 1 }] }), 'FP_INVALID_LABEL');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { __name__: 'x' }, value: 1 }] }), 'FP_INVALID_LABEL');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { instance: 'spoof' }, value: 1 }] }), 'FP_INVALID_LABEL');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { env: 'dev' }, value: 1 }] }), 'FP_INVALID_LABEL');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { a: 5 }, value: 1 }] }), 'FP_INVALID_LABEL');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { a: 'x'.repeat(5000) }, value: 1 }] }), 'FP_LABEL_TOO_LONG');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { ['l'.repeat(129)]: 'x' }, value: 1 }] }), 'FP_LABEL_TOO_LONG');
  });

  it('rejects names past the length limits before looking further', () => {
    assert.equal(codeOf({ name: 'n'.repeat(257), type: 'gauge', help: '', samples: [{ value: 1 }] }), 'FP_METRIC_NAME_TOO_LONG');
    assert.equal(codeOf({ name: 'n'.repeat(256), type: 'gauge', help: '', samples: [{ value: 1 }] }), undefined);
    // The finding: a 100 KB name used to render until the process died.
    assert.equal(codeOf({ name: 'x'.repeat(100_000), type: 'gauge', help: '', samples: Array.from({ length: 3 }, (_, i) => ({ labels: { i: String(i) }, value: 1 })) }), 'FP_METRIC_NAME_TOO_LONG');
  });

  it('refuses the names Prometheus and fleetpulse reserve, and lets the agent\'s own fleetpulse_ families through', () => {
    for (const name of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'fleetpulse_agent_up', 'fleetpulse_bridge_series', 'fleetpulse_whatever']) {
      assert.equal(codeOf({ name, type: 'gauge', help: '', samples: [{ value: 1 }] }), 'FP_INVALID_METRIC_NAME', name);
    }
    for (const name of ['fleetpulse_cpu_busy_percent', 'fleetpulse_responder_udp_packets_total', 'upper', 'node_scrape_collector_success']) {
      assert.equal(codeOf({ name, type: name.endsWith('_total') ? 'counter' : 'gauge', help: '', samples: [{ value: 1 }] }), undefined, name);
    }
  });

  it('rejects values that are not numbers or the three special strings', () => {
    for (const value of ['1', 'nan', 'Inf', null, true, undefined]) {
      assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ value }] }), 'FP_INVALID_VALUE', String(value));
    }
  });

  it('rejects duplicate series, whatever the label order', () => {
    assert.equal(
      codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { a: '1', b: '2' }, value: 1 }, { labels: { b: '2', a: '1' }, value: 2 }] }),
      'FP_DUPLICATE_SERIES',
    );
  });

  it('rejects unknown types and malformed families', () => {
    assert.equal(codeOf({ name: 'g', type: 'histogram', help: '', samples: [] }), 'FP_BAD_MESSAGE');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: {} }), 'FP_BAD_MESSAGE');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: 5, samples: [] }), 'FP_BAD_MESSAGE');
    assert.equal(codeOf('family'), 'FP_BAD_MESSAGE');
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [null] }), 'FP_BAD_MESSAGE');
  });
});
