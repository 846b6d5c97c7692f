// cluster/docker/subnet.ts — choose a /24 for a run's internal network that overlaps no existing network.

/** cidrRange parses "a.b.c.d/n" into its first and last address as unsigned 32-bit numbers. */
export function cidrRange(cidr: string): [number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (m === null) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - bits);
  const first = addr - (addr % size);
  return [first, first + size - 1];
}

/** overlaps tells whether two CIDRs share an address. */
export function overlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

/** SUBNET_BASE: runs take 172.28.N.0/24, N in 0..255. */
const SUBNET_PREFIX = '172.28';
const SUBNETS = 256;

/**
 * pickSubnet returns the first 172.28.N.0/24, starting at N = start (wrapping), that overlaps
 * none of `taken` (IPv6 and unparsable entries are ignored); throws when all 256 are taken.
 */
export function pickSubnet(taken: readonly string[], start = 0): string {
  const v4 = taken.filter((c) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c));
  for (let i = 0; i < SUBNETS; i++) {
    const n = (start + i) % SUBNETS;
    const candidate = `${SUBNET_PREFIX}.${n}.0/24`;
    if (!v4.some((c) => overlaps(c, candidate))) return candidate;
  }
  throw new Error(`docker cluster: every ${SUBNET_PREFIX}.N.0/24 overlaps an existing network`);
}

/** hostAddress is the address of host number `host` (1..254) in a /24 such as 172.28.5.0/24. */
export function hostAddress(subnet: string, host: number): string {
  if (!(Number.isInteger(host) && host >= 1 && host <= 254)) throw new Error(`hostAddress: host ${host} out of 1..254`);
  const [first] = cidrRange(subnet);
  const addr = first + host;
  return [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join('.');
}
