import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../src/protocol/error-codes.js';
import { renderFamily } from '../../../src/server/ingest/render-family.js';

const PREFIX = 'instance="a1",env="prod"';
const FORBIDDEN = new Set(['instance', 'job', 'env']);

function render(family: unknown) {
  return renderFamily(family, PREFIX, FORBIDDEN);
}

function codeOf(family: unknown): string {
  try {
    render(family);
  } catch (err) {
    assert.ok(err instanceof ProtocolError, String(err));
    return err.spec.code;
  }
  assert.fail('expected rejection');
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
    assert.equal(codeOf({ name: 'g', type: 'gauge', help: '', samples: [{ labels: { a: 'x'.repeat(5000) }, value: 1 }] }), 'FP_INVALID_LABEL');
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
