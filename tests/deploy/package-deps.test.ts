import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';

// A package listed in both dependencies and devDependencies counts as dev for npm, so
// `npm prune --omit=dev` in Dockerfile.server drops it and the bridge image cannot start
// (it happened with yaml: "Cannot find package 'yaml'").
it('no package is both a dependency and a devDependency', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const both = Object.keys(pkg.dependencies).filter((name) => name in pkg.devDependencies);
  assert.deepEqual(both, [], `in both: ${both.join(', ')}; keep them under dependencies only`);
});
