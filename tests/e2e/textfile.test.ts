import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { eventually, getText } from '../helpers/http.js';
import { killAll, runCli, type RunningProcess } from '../helpers/processes.js';

// A real agent process with FLEETPULSE_TEXTFILE_DIR, pushing to a real bridge: what a cron job
// writes shows up on the bridge's /metrics under the agent's instance, and goes when removed.

describe('textfile collector end to end', () => {
  let bridge: TestBridge;
  let agent: RunningProcess;
  let dir: string;
  const metrics = async (): Promise<string> => (await getText(`${bridge.url}/metrics`)).text;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-textfile-e2e-'));
    // Written as a cron job should: to a temporary name, then renamed into place.
    writeFileSync(join(dir, 'backup.prom.tmp'), '# HELP backup_runs_total Backup runs by result.\n# TYPE backup_runs_total counter\nbackup_runs_total{result="ok"} 412\n');
    renameSync(join(dir, 'backup.prom.tmp'), join(dir, 'backup.prom'));
    writeFileSync(join(dir, 'broken.prom'), 'half_written{a="b"\n');
    bridge = await startTestBridge();
    agent = runCli(['agent'], {
      FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: 'textfile-agent',
      FLEETPULSE_LABELS: 'rack=r1',
      FLEETPULSE_INTERVAL: '1s',
      FLEETPULSE_PROBES: 'off',
      FLEETPULSE_TEXTFILE_DIR: dir,
    });
  });

  after(async () => {
    await killAll();
    await bridge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a textfile\'s series with its HELP and TYPE under the agent\'s instance, and flags the malformed one', async () => {
    const text = await eventually(async () => {
      const t = await metrics();
      return /^backup_runs_total\{/m.test(t) ? t : undefined;
    }, 15_000, `backup_runs_total on the bridge (agent output: ${agent.output()})`);
    assert.match(text, /^# HELP backup_runs_total Backup runs by result\.$/m);
    assert.match(text, /^# TYPE backup_runs_total counter$/m);
    assert.match(text, /^backup_runs_total\{instance="textfile-agent",rack="r1",result="ok"\} 412$/m);
    assert.match(text, /^node_textfile_scrape_error\{instance="textfile-agent",rack="r1"\} 1$/m);
    assert.match(text, new RegExp(`^node_textfile_mtime_seconds\\{instance="textfile-agent",rack="r1",file="${join(dir, 'backup.prom')}"\\} \\d+$`, 'm'));
    assert.doesNotMatch(text, /half_written/);
    assert.match(text, /^node_scrape_collector_success\{instance="textfile-agent",rack="r1",collector="textfile"\} 1$/m);
    assert.match(agent.output(), /level=warn msg="textfile skipped" .*file=\S+broken\.prom error="line 1: expected \\",\\" or \\"}\\"/);
  });

  it('drops a removed file\'s series from the next batch', async () => {
    rmSync(join(dir, 'backup.prom'));
    rmSync(join(dir, 'broken.prom'));
    const text = await eventually(async () => {
      const t = await metrics();
      return /^node_textfile_scrape_error\{[^}]*\} 0$/m.test(t) ? t : undefined;
    }, 15_000, 'scrape error back to 0');
    assert.doesNotMatch(text, /^backup_runs_total/m);
    assert.doesNotMatch(text, /^node_textfile_mtime_seconds/m);
  });
});
