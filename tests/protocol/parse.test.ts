import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/protocol/error-codes.js';
import { parseAgentMessage, parseServerMessage } from '../../src/protocol/parse.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    return err.spec.code;
  }
  assert.fail('expected a ProtocolError');
}

describe('parseAgentMessage', () => {
  it('accepts each agent message type', () => {
    assert.equal(parseAgentMessage('{"type":"hello","protocol":1,"agent_id":"a","agent_version":"1"}').type, 'hello');
    assert.equal(parseAgentMessage('{"type":"metrics","seq":1,"timestamp_ms":5,"families":[]}').type, 'metrics');
    assert.equal(parseAgentMessage('{"type":"ping","id":1,"t0":2}').type, 'ping');
    assert.equal(parseAgentMessage('{"type":"pong","id":1,"t0":2,"t1":3,"t2":4}').type, 'pong');
  });

  it('ignores unknown fields, so newer agents stay compatible', () => {
    const m = parseAgentMessage('{"type":"ping","id":1,"t0":2,"future":"x"}');
    assert.equal(m.type, 'ping');
  });

  it('rejects non-JSON and non-objects as FP_BAD_JSON', () => {
    assert.equal(code(() => parseAgentMessage('not json')), 'FP_BAD_JSON');
    assert.equal(code(() => parseAgentMessage('[1,2]')), 'FP_BAD_JSON');
    assert.equal(code(() => parseAgentMessage('null')), 'FP_BAD_JSON');
  });

  it('rejects unknown types and missing or mistyped fields as FP_BAD_MESSAGE with the field named', () => {
    assert.equal(code(() => parseAgentMessage('{"type":"welcome"}')), 'FP_BAD_MESSAGE');
    assert.throws(() => parseAgentMessage('{"type":"hello","protocol":"1","agent_id":"a","agent_version":"1"}'), /"protocol" as a number/);
    assert.throws(() => parseAgentMessage('{"type":"metrics","seq":1,"timestamp_ms":5,"families":{}}'), /"families" as a array/);
    assert.throws(() => parseAgentMessage('{"type":"hello","protocol":1,"agent_id":"a","agent_version":"1","labels":[]}'), /"labels" as a object/);
  });
});

describe('parseServerMessage', () => {
  it('accepts each bridge message type', () => {
    assert.equal(parseServerMessage('{"type":"welcome","protocol":1,"server_version":"x","heartbeat_ms":1,"max_line_bytes":2,"max_series":3}').type, 'welcome');
    assert.equal(parseServerMessage('{"type":"ack","seq":1,"samples":0}').type, 'ack');
    assert.equal(parseServerMessage('{"type":"error","code":"FP_X","message":"m","fatal":true}').type, 'error');
  });

  it('rejects agent-only messages', () => {
    assert.equal(code(() => parseServerMessage('{"type":"hello","protocol":1,"agent_id":"a","agent_version":"1"}')), 'FP_BAD_MESSAGE');
  });
});
