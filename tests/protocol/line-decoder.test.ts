import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMessage } from '../../src/protocol/encode.js';
import { LineDecoder, type DecodedFrame } from '../../src/protocol/line-decoder.js';
import type { Message } from '../../src/protocol/messages.js';

const messages: Message[] = [
  { type: 'hello', protocol: 1, agent_id: 'host-ü', agent_version: '0.1.0', labels: { rack: 'r1' }, token: 's3cret' },
  { type: 'welcome', protocol: 1, server_version: '0.1.0', heartbeat_ms: 5000, max_line_bytes: 1048576, max_series: 10000 },
  {
    type: 'metrics',
    seq: 7,
    timestamp_ms: 1_700_000_000_000,
    families: [
      { name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: 0.5 }] },
      { name: 'x', type: 'untyped', help: 'line\nbreak "quoted" \\ and 日本', samples: [{ labels: { a: 'v\n"' }, value: 'NaN' }] },
    ],
  },
  { type: 'ack', seq: 7, samples: 2 },
  { type: 'ping', id: 1, t0: 1 },
  { type: 'pong', id: 1, t0: 1, t1: 2, t2: 3 },
  { type: 'error', code: 'FP_BAD_JSON', message: 'bad', fatal: false, seq: 3 },
];

const stream = Buffer.from(messages.map(encodeMessage).join(''), 'utf8');

function lines(frames: DecodedFrame[]): unknown[] {
  return frames.map((f) => (f.kind === 'line' ? JSON.parse(f.text) : f));
}

describe('LineDecoder', () => {
  it('decodes every message type when the whole stream arrives coalesced in one chunk', () => {
    assert.deepEqual(lines(new LineDecoder(1 << 20).push(stream)), messages);
  });

  it('decodes every message type split at every byte offset into two chunks', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new LineDecoder(1 << 20);
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      assert.deepEqual(lines(frames), messages, `split at ${cut}`);
      assert.equal(decoder.bufferedBytes, 0);
    }
  });

  it('decodes one byte at a time, emitting each frame exactly when its newline arrives', () => {
    const decoder = new LineDecoder(1 << 20);
    const got: unknown[] = [];
    for (let i = 0; i < stream.length; i++) {
      const frames = decoder.push(stream.subarray(i, i + 1));
      if (stream[i] === 0x0a) assert.equal(frames.length, 1, `newline at ${i} completes a frame`);
      else assert.equal(frames.length, 0, `byte ${i} completes nothing`);
      got.push(...lines(frames));
    }
    assert.deepEqual(got, messages);
  });

  it('keeps a UTF-8 character cut across chunks intact', () => {
    const bytes = Buffer.from('{"v":"日本"}\n', 'utf8');
    const decoder = new LineDecoder(1024);
    const cut = bytes.indexOf(0xe6) + 1; // inside the first 3-byte character
    assert.deepEqual([...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))], [{ kind: 'line', text: '{"v":"日本"}' }]);
  });

  it('reports an oversized line once and recovers at the next line (single chunk)', () => {
    const decoder = new LineDecoder(16);
    const frames = decoder.push(Buffer.from(`${'x'.repeat(40)}\n{"ok":1}\n`));
    assert.deepEqual(frames, [{ kind: 'oversized', bytes: 40 }, { kind: 'line', text: '{"ok":1}' }]);
  });

  it('reports a line as soon as it crosses the limit, then discards the rest without buffering it', () => {
    const decoder = new LineDecoder(100);
    const first = decoder.push(Buffer.alloc(64, 0x61));
    assert.deepEqual(first, [], 'under the limit: nothing yet');
    assert.deepEqual(decoder.push(Buffer.alloc(64, 0x61)), [{ kind: 'oversized', bytes: 128 }], 'reported by the chunk that crosses the limit, before any newline');
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(decoder.push(Buffer.alloc(64, 0x61)), [], 'the rest of that line is not reported again');
      assert.equal(decoder.bufferedBytes, 0, 'nothing of it is buffered');
    }
    assert.deepEqual(decoder.push(Buffer.from('\n{"after":true}\n')), [{ kind: 'line', text: '{"after":true}' }]);
  });

  it('byte by byte, reports the oversized line at the byte past the limit', () => {
    const decoder = new LineDecoder(10);
    const line = Buffer.from(`${'b'.repeat(30)}\n{"n":1}\n`);
    const got: { at: number; frame: DecodedFrame }[] = [];
    for (let i = 0; i < line.length; i++) for (const frame of decoder.push(line.subarray(i, i + 1))) got.push({ at: i, frame });
    assert.deepEqual(got, [
      { at: 10, frame: { kind: 'oversized', bytes: 11 } },
      { at: line.length - 1, frame: { kind: 'line', text: '{"n":1}' } },
    ]);
  });

  it('a raised limit applies to the line being received', () => {
    const decoder = new LineDecoder(8);
    assert.deepEqual(decoder.push(Buffer.from('123456')), []);
    decoder.setLimit(64);
    assert.deepEqual(decoder.push(Buffer.from('7890abc\n')), [{ kind: 'line', text: '1234567890abc' }]);
  });

  it('accepts a line of exactly the limit', () => {
    const decoder = new LineDecoder(8);
    assert.deepEqual(decoder.push(Buffer.from('12345678\n')), [{ kind: 'line', text: '12345678' }]);
  });

  it('tolerates CRLF and skips blank lines', () => {
    const decoder = new LineDecoder(64);
    assert.deepEqual(decoder.push(Buffer.from('{"a":1}\r\n\n\r\n{"b":2}\n')), [
      { kind: 'line', text: '{"a":1}' },
      { kind: 'line', text: '{"b":2}' },
    ]);
  });

  it('flags invalid UTF-8 instead of decoding replacement characters', () => {
    const decoder = new LineDecoder(64);
    const frames = decoder.push(Buffer.concat([Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\n{"c":3}\n')]));
    assert.deepEqual(frames, [{ kind: 'invalid_utf8', bytes: 3 }, { kind: 'line', text: '{"c":3}' }]);
  });

  it('holds an unterminated tail until more bytes arrive', () => {
    const decoder = new LineDecoder(64);
    assert.deepEqual(decoder.push(Buffer.from('{"partial":')), []);
    assert.equal(decoder.bufferedBytes, 11);
    assert.deepEqual(decoder.push(Buffer.from('true}\n')), [{ kind: 'line', text: '{"partial":true}' }]);
  });
});
