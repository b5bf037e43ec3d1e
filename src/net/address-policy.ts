import { BlockList, isIP } from 'node:net';

// Which addresses measurement traffic may be sent to (docs/tasks.md, "Security"): peers dial
// what the bridge observed of an agent, not what the agent claims, and never the special ranges
// below unless an operator lists them in FLEETPULSE_PROBE_NETWORKS.

/** Loopback, link-local, multicast, unspecified and broadcast: never another host's probe responder. */
const SPECIAL = new BlockList();
for (const [net, prefix] of [['127.0.0.0', 8], ['169.254.0.0', 16], ['224.0.0.0', 4], ['0.0.0.0', 8], ['255.255.255.255', 32]] as const) SPECIAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::1', 128], ['fe80::', 10], ['ff00::', 8], ['::', 128]] as const) SPECIAL.addSubnet(net, prefix, 'ipv6');

/** CIDRs an operator allows, e.g. "10.0.0.0/8,fd00::/8". */
export class Networks {
  private readonly list = new BlockList();

  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const { address, prefix, family } = parseCidr(cidr);
      this.list.addSubnet(address, prefix, family);
    }
  }

  contains(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Parses "10.0.0.0/8" or "fd00::/8" (a bare address is a /32 or /128); throws RangeError saying why. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits, extra] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) throw new RangeError(`${JSON.stringify(text)} is not a CIDR like 10.0.0.0/8 or fd00::/8`);
  const max = version === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (!/^\d{1,3}$/.test(bits ?? String(max)) || prefix > max) throw new RangeError(`${JSON.stringify(text)}: the prefix length must be 0 to ${max}`);
  return { address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' };
}

export function isSpecialAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && SPECIAL.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The address peers should dial for an agent's probe responder: the one the bridge observed the
 * agent connect from, or the one it advertised when that is in the allowed networks. Undefined
 * (with why) when the result is loopback, link-local, multicast or unspecified and not allowed.
 */
export function probeDialAddress(observed: string, advertised: string | undefined, allowed: Networks): { address: string | undefined; notes: string[] } {
  const notes: string[] = [];
  let address = observed;
  if (advertised !== undefined && advertised !== observed) {
    if (allowed.contains(advertised)) address = advertised;
    else notes.push(`probe.address ${advertised} is not used: peers dial the address the bridge sees the agent connect from (${observed}) unless FLEETPULSE_PROBE_NETWORKS on the bridge lists the advertised one`);
  }
  if (isSpecialAddress(address) && !allowed.contains(address)) {
    notes.push(`probe address ${address} is loopback, link-local, multicast or unspecified, which peers never dial unless FLEETPULSE_PROBE_NETWORKS on the bridge lists it; this agent takes no part in measurement tasks`);
    return { address: undefined, notes };
  }
  return { address, notes };
}
