import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { protocolError } from '../../../src/protocol/error-codes.js';
import { RefusalLog } from '../../../src/server/ingest/refusal-log.js';
import { startTestBridge } from '../../helpers/bridge.js';
import { FakeTimers } from '../../helpers/fake-timers.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// A misbehaving agent used to cost one log line per refused frame. Now: its first refusal in
// full, then one summary a minute while it goes on; the counters still count every frame.

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', {}, (line) => lines.push(line)) };
}

const conflict = () => protocolError('TYPE_CONFLICT', 'node_load1: sent as counter, but node_load1 is a gauge');
const badValue = () => protocolError('INVALID_VALUE', 'x: value "y" is not a number');

describe('RefusalLog (time moved by hand)', () => {
  it('logs a peer\'s first refusal in full, then one summary a minute by code, then in full again after a quiet minute', () => {
    const timers = new FakeTimers();
    const { lines, log } = capture();
    const refusals = new RefusalLog(log, timers);
    const agentLog = log.child({ agent: 'web-1' });
    refusals.refused('web-1', agentLog, conflict(), 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /level=info msg=rejected agent=web-1 code=FP_TYPE_CONFLICT error=.*node_load1.* hint=.* seq=1/);
    for (let seq = 2; seq <= 41; seq++) refusals.refused('web-1', agentLog, conflict(), seq);
    for (let i = 0; i < 10; i++) refusals.refused('web-1', agentLog, badValue());
    assert.equal(lines.length, 1, 'nothing more within the minute');

    timers.advance(59_999);
    assert.equal(lines.length, 1);
    timers.advance(1);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /level=info msg="refused 50 more frames from web-1 in the last minute" agent=web-1 count=50 codes=FP_TYPE_CONFLICT:40,FP_INVALID_VALUE:10 /);

    // Still going on: the next minute is a summary too, not a full line.
    refusals.refused('web-1', agentLog, conflict(), 99);
    assert.equal(lines.length, 2);
    timers.advance(60_000);
    assert.match(lines[2]!, /msg="refused 1 more frames from web-1 in the last minute" .*codes=FP_TYPE_CONFLICT:1 /);

    // A quiet minute ends the summaries; the next refusal is logged in full.
    timers.advance(60_000);
    assert.equal(lines.length, 3);
    assert.equal(timers.pending, 0, 'no timer left for a quiet peer');
    refusals.refused('web-1', agentLog, badValue(), 7);
    assert.equal(lines.length, 4);
    assert.match(lines[3]!, /msg=rejected agent=web-1 code=FP_INVALID_VALUE .*seq=7/);
    refusals.close();
    assert.equal(timers.pending, 0);
  });

  it('keeps peers apart, and a fatal refusal makes the summary a warning', () => {
    const timers = new FakeTimers();
    const { lines, log } = capture();
    const refusals = new RefusalLog(log, timers);
    refusals.refused('a', log.child({ agent: 'a' }), conflict());
    refusals.refused('b', log.child({ agent: 'b' }), conflict());
    assert.equal(lines.length, 2, 'each peer\'s first refusal in full');
    refusals.refused('a', log.child({ agent: 'a' }), protocolError('HELLO_REQUIRED', 'send a hello first'));
    timers.advance(60_000);
    assert.equal(lines.length, 3, 'b had nothing more: no summary');
    assert.match(lines[2]!, /level=warn msg="refused 1 more frames from a in the last minute" agent=a .*codes=FP_HELLO_REQUIRED:1/);
    refusals.close();
  });
});

describe('refusals over a real socket', () => {
  it('30 refused families from one agent: one log line, all 30 counted', async () => {
    const { lines, log } = capture();
    const t = await startTestBridge({ log });
    try {
      const c = await LineClient.connect(t.ingestPort);
      c.hello('noisy');
      await c.waitFor((m) => m.type === 'welcome');
      for (let seq = 1; seq <= 30; seq++) {
        c.send({ type: 'metrics', seq, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'counter', help: '', samples: [{ value: seq }] }] });
      }
      await c.waitFor((m) => m.type === 'ack' && m.seq === 30);
      const rejected = lines.filter((l) => /msg=rejected/.test(l));
      assert.equal(rejected.length, 1, rejected.join(''));
      assert.match(rejected[0]!, /agent=noisy code=FP_TYPE_CONFLICT .*seq=1\b/);
      const text = (await getText(`${t.url}/metrics`)).text;
      assert.match(text, /^fleetpulse_bridge_frames_rejected_total\{reason="type_conflict"\} 30$/m);
      c.close();
    } finally {
      await t.stop();
    }
  });
});
