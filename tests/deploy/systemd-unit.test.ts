import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { readRepoFile } from '../helpers/repo-files.js';

// The unit's sandbox against the timex collector: adjtimex(2) with modes = 0 must be callable (it
// reads the clock's synchronisation state), and nothing in the service may set the clock.

const UNIT = 'deploy/systemd/fleetpulse-agent.service';
const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

describe(UNIT, () => {
  it('allows the read-only clock calls back, without ProtectClock, and grants no capability to set the clock', () => {
    const unit = readRepoFile(UNIT);
    // ProtectClock=yes adds ~@clock to the filter: adjtimex would fail with EPERM even read-only.
    assert.doesNotMatch(unit, /^ProtectClock=/m);
    const filters = [...unit.matchAll(/^SystemCallFilter=(.*)$/gm)].map((m) => m[1]);
    // In order: the allow list, minus @privileged (which holds @clock), plus the two read calls.
    assert.deepEqual(filters, ['@system-service', '~@privileged', 'adjtimex clock_adjtime clock_adjtime64']);
    // Without CAP_SYS_TIME the kernel refuses every adjtimex/clock_adjtime that sets, and clock_settime.
    assert.match(unit, /^CapabilityBoundingSet=$/m);
    assert.match(unit, /^AmbientCapabilities=$/m);
    assert.match(unit, /^NoNewPrivileges=yes$/m);
    assert.match(unit, /^PrivateDevices=yes$/m, '/dev/rtc hidden');
  });

  it('systemd reads it the same way (systemd-analyze security --offline)', { skip: analyze || process.env.CI === 'true' ? false : 'systemd-analyze is not installed (apt-get install systemd); CI installs it' }, () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', fileURLToPath(new URL(`../../${UNIT}`, import.meta.url))], { encoding: 'utf8' });
    assert.equal(r.error, undefined);
    const line = (setting: string) => r.stdout.split('\n').find((l) => l.includes(` ${setting} `)) ?? `(no ${setting} in:\n${r.stdout}${r.stderr})`;
    assert.match(line('SystemCallFilter=~@clock'), /@clock is included \(e\.g\. adjtimex is allowed\)/);
    assert.match(line('CapabilityBoundingSet=~CAP_SYS_TIME'), /^✓ .*cannot change the system clock/);
    assert.match(r.stdout, /Overall exposure level for fleetpulse-agent\.service: [0-2]\.\d OK/);
  });
});
