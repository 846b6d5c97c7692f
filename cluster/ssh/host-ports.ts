// cluster/ssh/host-ports.ts — the TCP ports a node listens on at its host, and whether something there already holds them.
//
// One node per host, so every port of the program listens at its fixed number on all
// interfaces (0.0.0.0). A distribution's own service (etcd-server, redis-server, postgresql
// start theirs when installed on a systemd host) holding one of them makes the run's node fail
// to bind late and confusingly; the preflight reads the host's listening sockets first: `ss
// -ltnp` (iproute2, which the cluster needs anyway; as root it names the process), else the
// kernel's /proc/net/tcp and tcp6 (no process named).
import type { NodeProgram, PortSpec } from '../types.ts';
import { shq } from './connection.ts';

/** hostPort: the port `spec` listens on at a node's host (its fixed number: one node per host). */
export function hostPort(spec: PortSpec): number {
  return spec.dockerPort;
}

/** NODE_LISTEN_ADDRESS: the address every port of a node is bound to at its host. */
export const NODE_LISTEN_ADDRESS = '0.0.0.0';

/** Listener: one listening TCP socket on a host, and its process when ss names it. */
export interface Listener {
  /** As ss prints it: `127.0.0.1`, `::`, `::ffff:10.0.0.1`, `*`. */
  address: string;
  port: number;
  process?: { name: string; pid: number };
}

/** parseSsListeners: the sockets of `ss -ltn[p]` output (header line or not; `users:((...))` when -p named one). */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== 'LISTEN' || cols.length < 5) continue;
    // Local Address:Port is the 4th column: `0.0.0.0:2379`, `[::1]:2379`, `127.0.0.53%lo:53`, `*:22`.
    const local = /^(.*):(\d+)$/.exec(cols[3]);
    if (local === null) continue;
    const address = local[1].replace(/%[^\]]*$/, '').replace(/^\[(.*)\]$/, '$1');
    const user = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(cols.slice(5).join(' '));
    out.push({ address, port: Number(local[2]), ...(user === null ? {} : { process: { name: user[1], pid: Number(user[2]) } }) });
  }
  return out;
}

/** parseProcNetTcp: the listening sockets (state 0A) of /proc/net/tcp and /proc/net/tcp6 text, either or both. */
export function parseProcNetTcp(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    // `   0: 0100007F:0950 00000000:0000 0A ...`: the kernel prints each 32-bit word of the address in host (little-endian) order.
    const m = /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+\S+\s+0A\s/.exec(line);
    if (m === null) continue;
    out.push({ address: procAddress(m[1]), port: parseInt(m[2], 16) });
  }
  return out;
}

/** procAddress: /proc/net/tcp's hex address as text (IPv4 dotted, IPv6 with its first run of zero groups as ::). */
function procAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, g) => ((bytes[2 * g] << 8) | bytes[2 * g + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)*(:|$)/, '::');
}

/**
 * blocksNodeBind: whether `l` stops the node binding 0.0.0.0 at its port. Any IPv4 socket does;
 * of IPv6 ones the wildcard (dual-stack unless v6only, which neither source shows, so counted)
 * and v4-mapped addresses do; another IPv6 address (`::1`) does not.
 */
export function blocksNodeBind(l: Listener): boolean {
  if (!l.address.includes(':')) return true;
  return l.address === '::' || l.address.startsWith('::ffff:');
}

/** LISTENERS_SCRIPT: the host's listening TCP sockets, after a first line naming the source (ss, proc) or `none`. */
export const LISTENERS_SCRIPT = 'if command -v ss >/dev/null 2>&1; then echo ss; ss -ltnp; elif [ -r /proc/net/tcp ]; then echo proc; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; else echo none; fi';

/** HostListeners: what LISTENERS_SCRIPT found, or that the host has neither source. */
export type HostListeners = { source: 'ss' | '/proc/net/tcp'; listeners: Listener[] } | { source: 'none' };

/** parseListenersOutput: LISTENERS_SCRIPT's output read back. */
export function parseListenersOutput(text: string): HostListeners {
  const [first, ...rest] = text.split('\n');
  const body = rest.join('\n');
  if (first.trim() === 'ss') return { source: 'ss', listeners: parseSsListeners(body) };
  if (first.trim() === 'proc') return { source: '/proc/net/tcp', listeners: parseProcNetTcp(body) };
  return { source: 'none' };
}

/** PortTaken: one of the program's ports and the sockets on the host that hold it. */
export interface PortTaken {
  spec: PortSpec;
  holders: Listener[];
}

/** takenPorts: the program's ports some socket in `listeners` keeps the node from binding, in the program's order. */
export function takenPorts(program: Pick<NodeProgram, 'ports'>, listeners: readonly Listener[]): PortTaken[] {
  return program.ports
    .map((spec) => ({ spec, holders: listeners.filter((l) => l.port === hostPort(spec) && blocksNodeBind(l)) }))
    .filter((t) => t.holders.length > 0);
}

/** serviceOfCgroup: the systemd system unit a /proc/PID/cgroup line names (`0::/system.slice/etcd.service`), or null. */
export function serviceOfCgroup(cgroup: string): string | null {
  return /\/system\.slice\/([^/\s]+\.service)(?:\/|$)/.exec(cgroup.trim())?.[1] ?? null;
}

/** cgroupScript: prints `PID <line>` for each line of each pid's /proc/PID/cgroup (the unit holding a port is read from them). */
export function cgroupScript(pids: readonly number[]): string {
  return `${pids.map((p) => `sed 's/^/${p} /' ${shq(`/proc/${p}/cgroup`)} 2>/dev/null`).join('; ')}; true`;
}

/** unitsOfPids: cgroupScript's output read back: each pid whose cgroup is a system service, and that unit. */
export function unitsOfPids(text: string): Map<number, string> {
  const units = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) (.*)$/.exec(line);
    const unit = m === null ? null : serviceOfCgroup(m[2]);
    if (m !== null && unit !== null) units.set(Number(m[1]), unit);
  }
  return units;
}

/**
 * describeTaken: the refusal for ports held on a host: which port (and the DB's name for it),
 * the socket and its process, and the fix: `systemctl disable --now UNIT` for a service
 * (`units` maps a pid to its systemd unit), else stop the process.
 */
export function describeTaken(db: string, taken: readonly PortTaken[], source: 'ss' | '/proc/net/tcp', units: ReadonlyMap<number, string>): string {
  const ports = taken.map((t) => `${hostPort(t.spec)} (${t.spec.name})`).join(', ');
  const holders = taken.flatMap((t) => t.holders).map((l) => {
    const at = `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
    if (l.process === undefined) return at;
    const unit = units.get(l.process.pid);
    return `${at} by ${l.process.name} (pid ${l.process.pid}${unit === undefined ? '' : `, ${unit}`})`;
  });
  const found = [...new Set(units.values())];
  const it = taken.length > 1 ? 'them' : 'it';
  const fix = found.length > 0
    ? `the package's own service holds ${it} (a package's service starts when installed): \`systemctl disable --now ${found.join(' ')}\` there`
    : source === 'ss'
      ? `stop what holds ${it} there (for a package's own service: \`systemctl disable --now <unit>\`)`
      : `the host has no ss, so who holds ${it} is unknown (\`ss -ltnp\` names it); stop it there (for a package's own service: \`systemctl disable --now <unit>\`)`;
  return `--db ${db} listens on ${NODE_LISTEN_ADDRESS} port${taken.length > 1 ? 's' : ''} ${ports} there, but ${taken.length > 1 ? 'they are' : 'it is'} taken: ${holders.join(', ')}; ${fix}`;
}
