import { spawnSync } from 'node:child_process';

// Test networks made of Linux network namespaces: one namespace per host, all joined by a
// bridge device ("switch") in a namespace of its own. Only namespaces and addresses created
// here carry traffic; nothing is added to the namespace the tests run in. Needs root.
// This kernel has tbf but not netem, so a host's link can be rate-limited but not delayed.

export interface HostSpec {
  name: string;
  /** Rate limit (tbf) on everything this host sends, Mbit/s. */
  egressMbit?: number;
}

export interface NetnsHost {
  /** The namespace to run the host's processes in (`ip netns exec <ns> ...`). */
  ns: string;
  ip: string;
}

export interface StarNetwork {
  hosts: Record<string, NetnsHost>;
  /** Deletes every namespace (and with them every link and qdisc). Safe to call twice. */
  destroy(): void;
}

const SUBNET = '10.213.77';
const MAX_HOSTS = 250;

function run(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, output: `${result.error?.message ?? ''}${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function must(args: string[]): void {
  const result = run(args);
  if (!result.ok) throw new Error(`${args.join(' ')} failed: ${result.output}`);
}

/**
 * Hosts on one /24 (10.213.77.1, .2, ... in the order given, or `subnet`.1, ...), each in its own namespace.
 * Returns why it could not be built (not root, no `ip`, no namespaces, no tbf) instead of a
 * network; under CI=true that is an error, since CI machines can do all of this.
 * Namespace names carry `tag` and the pid, so parallel test files never share one and the
 * namespaces of a killed run can be told apart and removed by a later one.
 */
export function createStarNetwork(tag: string, specs: HostSpec[], subnet = SUBNET): StarNetwork | { skip: string } {
  if (specs.length > MAX_HOSTS) throw new RangeError(`at most ${MAX_HOSTS} hosts`);
  const suffix = `${tag}-${process.pid}`;
  const switchNs = `fpsw-${suffix}`;
  const namespaces: string[] = [];
  const destroy = (): void => {
    // Deleting a namespace deletes the veth end inside it, and with it the peer.
    for (const ns of namespaces.splice(0)) run(['ip', 'netns', 'del', ns]);
  };
  const skip = (reason: string): { skip: string } => {
    destroy();
    if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
    return { skip: reason };
  };

  if (process.getuid?.() !== 0) return skip('needs root to create network namespaces');
  removeLeftovers();
  const first = run(['ip', 'netns', 'add', switchNs]);
  if (!first.ok) return skip(`cannot create a network namespace: ${first.output}`);
  namespaces.push(switchNs);
  try {
    must(['ip', '-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    must(['ip', '-n', switchNs, 'link', 'set', 'br0', 'up']);
    const hosts: Record<string, NetnsHost> = {};
    for (const [index, spec] of specs.entries()) {
      const ns = `fp${spec.name}-${suffix}`;
      must(['ip', 'netns', 'add', ns]);
      namespaces.push(ns);
      const ip = `${subnet}.${index + 1}`;
      // Interface names are per namespace, so every host can call its end eth0.
      const port = `port${index}`;
      must(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', switchNs]);
      must(['ip', '-n', switchNs, 'link', 'set', port, 'master', 'br0']);
      must(['ip', '-n', switchNs, 'link', 'set', port, 'up']);
      must(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      must(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      if (spec.egressMbit !== undefined) {
        // burst 32 KiB: with 4 KiB (under three full frames, below rate/HZ) tbf dropped enough for TCP
        // retransmit stalls, and a 2 s transfer read 16.5 instead of ~19 Mbit/s on a quiet machine.
        const tbf = run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', `${spec.egressMbit}mbit`, 'burst', '256kbit', 'latency', '50ms']);
        if (!tbf.ok) return skip(`cannot add a tbf qdisc: ${tbf.output}`);
      }
      hosts[spec.name] = { ns, ip };
    }
    return { hosts, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}

/** Namespaces of test runs that were killed before their clean-up (their pid is gone). */
function removeLeftovers(): void {
  const listed = run(['ip', 'netns', 'list']);
  if (!listed.ok) return;
  for (const line of listed.output.split('\n')) {
    const m = /^(fp[a-z0-9]+-[a-z0-9]+-(\d+))(\s|$)/.exec(line);
    if (!m || alive(Number(m[2]))) continue;
    run(['ip', 'netns', 'del', m[1]!]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command prefix that runs a program inside a host's namespace. */
export const netnsExec = (host: NetnsHost): string[] => ['ip', 'netns', 'exec', host.ns];

/** TCP payload share of a tbf rate: tbf meters whole Ethernet frames (1448 of 1514 bytes carry data). */
export const TCP_PAYLOAD_SHARE = 1448 / 1514;
