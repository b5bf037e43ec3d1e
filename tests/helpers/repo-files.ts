import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Files of the repository that tests check against each other (Dockerfiles, units, README).

/** A file of the repository, by its path from the repository's root. */
export function readRepoFile(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
}

/** What a Dockerfile's container runs: its exec-form ENTRYPOINT followed by its CMD. */
export function dockerfileStart(dockerfile: string): string[] {
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  assert.ok(entrypoint && cmd, 'exec-form ENTRYPOINT and CMD');
  return [...(JSON.parse(entrypoint[1]!) as string[]), ...(JSON.parse(cmd[1]!) as string[])];
}
