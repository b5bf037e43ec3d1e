import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, helpText, loadConfig } from '../../src/config/load-config.js';
import { COLLECTOR_NAMES, DEFAULT_COLLECTORS, SETTINGS } from '../../src/config/settings.js';

describe('loadConfig', () => {
  it('applies flag > environment > .env > default', () => {
    const env = { FLEETPULSE_INTERVAL: '2s', FLEETPULSE_LABELS: 'env=prod' };
    const dotEnv = { FLEETPULSE_INTERVAL: '9s', FLEETPULSE_LABELS: 'env=dev', FLEETPULSE_AGENT_ID: 'from-dotenv' };
    const { values } = loadConfig('agent', ['--interval', '1s'], env, dotEnv);
    assert.equal(values.interval, 1000, 'flag wins');
    assert.deepEqual(values.labels, { env: 'prod' }, 'environment beats .env');
    assert.equal(values.agentId, 'from-dotenv', '.env beats the default');
    assert.deepEqual(values.server, [{ host: 'localhost', port: 9700 }], 'default');
  });

  it('has the documented defaults', () => {
    const { values } = loadConfig('server', [], {}, {});
    assert.equal(values.ingestPort, 9700);
    assert.equal(values.httpPort, 9701);
    assert.equal(values.bind, '::');
    assert.equal(values.maxLineBytes, 1024 * 1024);
    assert.equal(values.maxSeriesPerAgent, 10_000);
    assert.equal(values.token, undefined);
  });

  it('fails with one line naming the setting, the value and what is allowed', () => {
    assert.throws(
      () => loadConfig('agent', [], { FLEETPULSE_INTERVAL: '5 min' }, {}),
      (err: unknown) => err instanceof ConfigError && err.message === 'FLEETPULSE_INTERVAL="5 min" is not a duration; use e.g. 5s, 500ms, 1m30s',
    );
    assert.throws(() => loadConfig('server', ['--http-port=abc'], {}, {}), /^Error: --http-port="abc" is not a port number/);
    assert.throws(() => loadConfig('server', [], {}, { FLEETPULSE_LOG_LEVEL: 'loud' }), /FLEETPULSE_LOG_LEVEL \(from \.env\)="loud" is not allowed; use one of error, warn, info, debug/);
    assert.throws(() => loadConfig('agent', [], { FLEETPULSE_COLLECTORS: 'cpu,gpu' }, {}), /names unknown entries \(gpu\)/);
    assert.throws(() => loadConfig('agent', [], { FLEETPULSE_AGENT_ID: 'bad id!' }, {}), /FLEETPULSE_AGENT_ID="bad id!" is not a valid agent id/);
  });

  it('runs node_exporter\'s Linux default collectors unless told; processes only when named, "default" standing for the set', () => {
    const collectors = (env: Record<string, string>): string[] => loadConfig('agent', [], env, {}).values.collectors!;
    const defaults = collectors({});
    assert.ok(!defaults.includes('processes'), 'processes is off by default, as in node_exporter');
    assert.deepEqual(defaults, [...DEFAULT_COLLECTORS]);
    assert.deepEqual([...defaults, 'processes'].sort(), [...COLLECTOR_NAMES].sort(), 'every other collector is on');
    assert.deepEqual(collectors({ FLEETPULSE_COLLECTORS: 'default,processes' }), [...DEFAULT_COLLECTORS, 'processes']);
    assert.deepEqual(collectors({ FLEETPULSE_COLLECTORS: 'processes, default' }), ['processes', ...DEFAULT_COLLECTORS]);
    assert.deepEqual(collectors({ FLEETPULSE_COLLECTORS: 'cpu,cpu,loadavg,default' })[0], 'cpu', 'a collector named twice runs once');
    assert.equal(collectors({ FLEETPULSE_COLLECTORS: 'cpu,cpu,loadavg,default' }).length, DEFAULT_COLLECTORS.length);
    assert.deepEqual(collectors({ FLEETPULSE_COLLECTORS: 'loadavg' }), ['loadavg']);
    assert.throws(() => loadConfig('agent', [], { FLEETPULSE_COLLECTORS: 'defaults' }, {}), /names unknown entries \(defaults\); use a comma-separated subset of .*thermal_zone, default$/);
  });

  it('warns about FLEETPULSE_* names no setting has, with the name meant, and not about other commands\' settings', () => {
    const { values, warnings } = loadConfig('agent', [], { FLEETPULSE_INTERVALL: '10s', FLEETPULSE_HTTP_PORT: '1', PATH: '/bin' }, { FLEETPULSE_LABLES: 'a=b', FLEETPULSE_WHATEVER: 'x' });
    assert.equal(values.interval, 5000, 'the typo changed nothing');
    assert.deepEqual(warnings, [
      'FLEETPULSE_INTERVALL (environment) is not a fleetpulse setting and is ignored; did you mean FLEETPULSE_INTERVAL? ("fleetpulse <command> --help" lists them all)',
      'FLEETPULSE_LABLES (.env) is not a fleetpulse setting and is ignored; did you mean FLEETPULSE_LABELS? ("fleetpulse <command> --help" lists them all)',
      'FLEETPULSE_WHATEVER (.env) is not a fleetpulse setting and is ignored ("fleetpulse <command> --help" lists them all)',
    ]);
    assert.deepEqual(loadConfig('server', [], { FLEETPULSE_SERVER: 'x:1', FLEETPULSE_AGENT_ID: 'a' }, {}).warnings, [], 'a shared .env holds other commands\' settings');
  });

  it('listens on loopback for the demo, on all addresses for the server', () => {
    assert.equal(loadConfig('demo', [], {}, {}).values.bind, '127.0.0.1');
    assert.equal(loadConfig('demo', [], {}, {}).values.probeBind, '127.0.0.1');
    assert.equal(loadConfig('server', [], {}, {}).values.bind, '::');
    assert.equal(loadConfig('agent', [], {}, {}).values.probeBind, '::');
    assert.equal(loadConfig('demo', ['--bind', '0.0.0.0'], {}, {}).values.bind, '0.0.0.0');
  });

  it('rejects unknown flags and flags of another command', () => {
    assert.throws(() => loadConfig('agent', ['--http-port', '1'], {}, {}), (err: unknown) => err instanceof ConfigError && /--http-port/.test(err.message) && /fleetpulse agent --help/.test(err.message));
  });

  it('documents every setting of a command in --help', () => {
    const help = helpText('agent');
    for (const s of Object.values(SETTINGS)) {
      if ((s.commands as readonly string[]).includes('agent')) assert.ok(help.includes(s.env) && help.includes(`--${s.flag}`), s.env);
    }
  });

  it('turns FLEETPULSE_NETSTAT_FIELDS and FLEETPULSE_VMSTAT_FIELDS into the collectors\' filters, node_exporter\'s when unset', async () => {
    const { agentOptions } = await import('../../src/config/build-options.js');
    const { createLogger } = await import('../../src/log.js');
    const log = createLogger('error');
    const set = agentOptions(loadConfig('agent', [], { FLEETPULSE_NETSTAT_FIELDS: '^Tcp_', FLEETPULSE_VMSTAT_FIELDS: '^nr_' }, {}).values, log);
    assert.deepEqual([set.collectorOptions?.netstatFields?.source, set.collectorOptions?.vmstatFields?.source], ['^Tcp_', '^nr_']);
    const unset = agentOptions(loadConfig('agent', [], {}, {}).values, log);
    assert.deepEqual(unset.collectorOptions, { netstatFields: undefined, vmstatFields: undefined });
    assert.throws(
      () => loadConfig('agent', ['--netstat-fields', '^(Tcp'], {}, {}),
      (err: unknown) => err instanceof ConfigError && /--netstat-fields="\^\(Tcp" is not a valid regular expression/.test(err.message),
    );
  });
});
