import { spawnSync } from 'node:child_process';

// Tests that build src/agent/native/adjtimex.c need a C compiler (scripts/build-native.mjs).

/** The compiler the build uses: $CC, else cc. */
export function compilerCommand(): string {
  return (process.env.CC ?? '').trim().split(/\s+/)[0] || 'cc';
}

/**
 * The reason to skip a test that compiles the addon, or undefined to run it. In CI a missing
 * compiler is a failure (.ci/run installs gcc and libc6-dev), so there the test runs and fails.
 */
export function skipUnlessCompiler(): string | undefined {
  if (process.env.CI === 'true') return undefined;
  const cc = compilerCommand();
  const r = spawnSync(cc, ['--version'], { stdio: 'ignore' });
  return r.error || r.status !== 0 ? `no C compiler ("${cc}": apt-get install gcc libc6-dev); CI installs one and runs this test` : undefined;
}
