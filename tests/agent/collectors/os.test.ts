import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOsCollector, osFamilies, parseOsRelease } from '../../../src/agent/collectors/os.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('parseOsRelease reads shell quoting as os-release(5) allows it', () => {
  const release = parseOsRelease('# comment\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\'Ubuntu 22.04.4 LTS\'\nX="a \\"quoted\\" \\$word"\n\n');
  assert.equal(release.get('NAME'), 'Ubuntu');
  assert.equal(release.get('PRETTY_NAME'), 'Ubuntu 22.04.4 LTS');
  assert.equal(release.get('X'), 'a "quoted" $word');
  assert.throws(() => parseOsRelease('NAME="open\n'), /line 1: unterminated double quote/);
  assert.throws(() => parseOsRelease('just words\n'), /line 1: expected KEY=value/);
});

test('osFamilies: version is VERSION_ID\'s major.minor; none when it has none; support end as a timestamp', () => {
  const ubuntu = osFamilies(new Map([['ID', 'ubuntu'], ['ID_LIKE', 'debian'], ['NAME', 'Ubuntu'], ['VERSION_ID', '22.04'], ['SUPPORT_END', '2027-04-01']]));
  assert.equal(valueOf(ubuntu, 'node_os_version', { id: 'ubuntu', id_like: 'debian', name: 'Ubuntu' }), 22.04);
  assert.equal(valueOf(ubuntu, 'node_os_support_end_timestamp_seconds'), Date.UTC(2027, 3, 1) / 1000);
  const rolling = osFamilies(new Map([['ID', 'arch'], ['NAME', 'Arch Linux']]));
  assert.equal(valueOf(rolling, 'node_os_version'), undefined);
  assert.equal(valueOf(rolling, 'node_os_info', { id: 'arch', version_id: '' }), 1);
});

test('os collector matches the golden file (this host\'s /etc/os-release, Debian 12)', async () => {
  const families = await run(createOsCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_os_version', { id: 'debian' }), 12);
  await assertGolden('os', families);
});

test('os collector falls back to usr/lib/os-release and fails clearly without either', async () => {
  await assert.rejects(run(createOsCollector({ ...fixturePaths, root: '/nonexistent' })), /no os-release file under \/nonexistent/);
});
