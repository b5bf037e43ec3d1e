// Preloaded into every test file by scripts/run-tests.mjs. A failing assert.ok(value) without a
// message makes node read the source at the call site and re-parse it to quote the expression;
// on a test file compiled by tsx that takes minutes (a CI hang instead of a failure). Here a
// missing message is replaced by a fixed one: the stack trace still names the line.
import assert, { AssertionError } from 'node:assert';

const original = assert.ok;

function ok(...args) {
  if (args.length >= 1 && !args[0] && args[1] === undefined) {
    throw new AssertionError({ message: 'The expression evaluated to a falsy value (the stack names the line)', actual: args[0], expected: true, operator: '==', stackStartFn: ok });
  }
  return original.apply(this, args);
}

assert.ok = ok;
assert.strict.ok = ok;
