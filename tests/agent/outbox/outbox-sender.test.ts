import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboxSender } from '../../../src/agent/outbox/outbox-sender.js';
import { FakeTimers } from '../../helpers/fake-timers.js';
import { batch, fakeLink, memoryOutbox } from './helpers.js';

const T0 = 1_800_000_000_000;

/** An outbox holding `waiting` batches collected while the link was down, and its sender. */
function afterOutage(waiting: number, policy = { perSecond: 5, maxInFlight: 8 }) {
  const clock = new FakeTimers(T0);
  const outbox = memoryOutbox();
  const link = fakeLink();
  link.open = false;
  const sender = new OutboxSender(outbox, policy, link, clock);
  for (let n = 1; n <= waiting; n++) {
    outbox.add(batch(n, 20), clock.now());
    sender.pump();
    clock.advance(1000);
  }
  assert.deepEqual(link.lines, [], 'nothing is written while the link is down');
  return { clock, outbox, link, sender };
}

describe('OutboxSender', () => {
  it('after a reconnect sends the newest batch first, then the backlog oldest first at the replay rate', () => {
    const { clock, link, sender } = afterOutage(6);
    link.open = true;
    sender.pump();
    assert.deepEqual(link.seqs(), [6, 1], 'newest at once, then the first of the backlog');
    assert.deepEqual(clock.scheduled(), [200], 'the next backlog batch waits 1/5 s');
    clock.advance(199);
    assert.deepEqual(link.seqs(), [6, 1]);
    clock.advance(1);
    assert.deepEqual(link.seqs(), [6, 1, 2]);
    clock.advance(600);
    assert.deepEqual(link.seqs(), [6, 1, 2, 3, 4, 5]);
    assert.deepEqual(link.replays(), [false, true, true, true, true, true], 'only the backlog is marked as replay');
    assert.deepEqual(clock.scheduled(), [], 'no timer once the backlog is sent');
  });

  it('sends a fresh batch at once, never behind the backlog', () => {
    const { clock, outbox, link, sender } = afterOutage(10);
    link.open = true;
    sender.pump();
    clock.advance(200);
    outbox.add(batch(11, 20), clock.now());
    sender.pump();
    assert.deepEqual(link.seqs(), [10, 1, 2, 11], 'batch 11 went out as soon as it was collected');
    // Sending 11 did not spend the backlog's turn: the next backlog batch keeps its time.
    clock.advance(200);
    assert.deepEqual(link.seqs(), [10, 1, 2, 11, 3]);
  });

  it('bounds the batches in flight: the backlog waits for acks', () => {
    const { clock, outbox, link, sender } = afterOutage(10, { perSecond: 1000, maxInFlight: 3 });
    link.open = true;
    sender.pump();
    clock.advance(1000);
    assert.deepEqual(link.seqs(), [10, 1, 2], 'three in flight');
    outbox.ack(10);
    sender.pump();
    clock.advance(1000);
    assert.deepEqual(link.seqs(), [10, 1, 2, 3], 'one ack, one more sent');
    outbox.ack(1);
    outbox.ack(2);
    outbox.ack(3);
    sender.pump();
    clock.advance(1000);
    assert.deepEqual(link.seqs(), [10, 1, 2, 3, 4, 5, 6]);
  });

  it('on disconnect, sent but unacknowledged batches are sent again after the next reconnect', () => {
    const { clock, outbox, link, sender } = afterOutage(3, { perSecond: 1000, maxInFlight: 8 });
    link.open = true;
    sender.pump();
    clock.advance(10);
    assert.deepEqual(link.seqs(), [3, 1, 2]);
    outbox.ack(1);
    link.open = false;
    outbox.disconnected();
    sender.stop();
    link.open = true;
    sender.pump();
    clock.advance(10);
    assert.deepEqual(link.seqs(), [3, 1, 2, 3, 2], 'the two unacknowledged ones again, newest first');
  });

  it('waits while the socket is backed up and sends the newest first when it drains', () => {
    const { clock, outbox, link, sender } = afterOutage(2, { perSecond: 1000, maxInFlight: 8 });
    link.open = true;
    link.backedUp = true;
    sender.pump();
    outbox.add(batch(3, 20), clock.now());
    sender.pump();
    assert.deepEqual(link.seqs(), []);
    link.backedUp = false;
    sender.pump(); // the socket's 'drain'
    clock.advance(10);
    assert.deepEqual(link.seqs(), [3, 1, 2]);
  });

  it('FP_RETRY_LATER: the batch waits until its time, and the backlog with it', () => {
    const { clock, outbox, link, sender } = afterOutage(4, { perSecond: 1000, maxInFlight: 8 });
    link.open = true;
    sender.pump();
    assert.deepEqual(link.seqs(), [4, 1]);
    outbox.retryLater(1, clock.now() + 5000);
    sender.holdBacklogUntil(clock.now() + 5000);
    sender.pump();
    clock.advance(4999);
    assert.deepEqual(link.seqs(), [4, 1], 'nothing from the backlog while the bridge asked to wait');
    clock.advance(1);
    clock.advance(10);
    assert.deepEqual(link.seqs(), [4, 1, 1, 2, 3]);
    assert.equal(outbox.retriesOf(1), 1);
  });

  it('drops a batch longer than the bridge takes, counted as too_large, and goes on', () => {
    const clock = new FakeTimers(T0);
    const outbox = memoryOutbox();
    const link = fakeLink(3000);
    const sender = new OutboxSender(outbox, { perSecond: 5, maxInFlight: 8 }, link, clock);
    outbox.add(batch(1, 200), clock.now());
    sender.pump();
    outbox.add(batch(2, 10), clock.now());
    sender.pump();
    assert.deepEqual(link.seqs(), [2]);
    assert.equal(outbox.stats().dropped.too_large, 1);
  });
});
