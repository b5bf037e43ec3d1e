import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setLongTimeout } from '../../src/net/long-timeout.js';

it('does not fire at once for delays beyond setTimeout\'s 24.8-day range', async () => {
  let fired = false;
  const t = setLongTimeout(() => (fired = true), 30 * 86_400_000);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fired, false);
  t.cancel();
});

it('fires after a short delay and can be cancelled', async () => {
  let fired = 0;
  setLongTimeout(() => fired++, 10);
  const cancelled = setLongTimeout(() => fired++, 10);
  cancelled.cancel();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(fired, 1);
});
