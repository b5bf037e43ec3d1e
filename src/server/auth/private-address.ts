import { BlockList, isIPv4, isIPv6 } from 'node:net';

// Where protected mode accepts agents from when no authentication is configured: the machine
// itself and private networks (RFC 1918, IPv6 unique local addresses), as Redis' protected mode.

const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** The peer address without the IPv4-mapped prefix (::ffff:10.0.0.1 -> 10.0.0.1). */
export function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/** Loopback, RFC 1918 or IPv6 ULA; anything unparsable counts as public. */
export function isPrivateAddress(address: string | undefined): boolean {
  const plain = plainAddress(address);
  if (isIPv4(plain)) return PRIVATE.check(plain, 'ipv4');
  if (isIPv6(plain)) return PRIVATE.check(plain, 'ipv6');
  return false;
}
