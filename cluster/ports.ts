// cluster/ports.ts — pick free 127.0.0.1 ports below the kernel's ephemeral range.
//
// Node ports must survive restarts: a killed node comes back on the same ports. Ports from
// the ephemeral range can be taken meanwhile as the source port of any outgoing connection,
// so ports are drawn below it and checked by binding. Ports fetch refuses are never drawn.
import * as fs from 'node:fs';
import * as net from 'node:net';

const PORT_LOW = 10_000;
const TRIES_MAX = 200;

/**
 * FETCH_BAD_PORTS: the ports the Fetch standard blocks (https://fetch.spec.whatwg.org/#bad-port);
 * Node's fetch refuses them ("bad port"), so a node on one never answers a status probe. Only
 * 10080 lies in the range drawn from; the whole list is kept so a change of PORT_LOW stays safe.
 */
const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111,
  113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548,
  554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
  6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** fetchBlocks: Node's fetch refuses to connect to this port. */
export function fetchBlocks(port: number): boolean {
  return FETCH_BAD_PORTS.has(port);
}

/** ephemeralLow reads the first ephemeral port (Linux), defaulting to the IANA 49152. */
function ephemeralLow(): number {
  try {
    const text = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const low = Number(text.trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > PORT_LOW + 1000) return low;
  } catch {
    // not Linux: fall through
  }
  return 49_152;
}

/** portFree tells whether 127.0.0.1:port can be bound right now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** reservePorts returns `count` distinct ports that were free when checked (`random` draws them; tests pass their own). */
export async function reservePorts(count: number, avoid: ReadonlySet<number> = new Set(), random: () => number = Math.random): Promise<number[]> {
  if (!(Number.isSafeInteger(count) && count >= 0)) throw new Error(`reservePorts: bad count ${count}`);
  const high = ephemeralLow() - 1;
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= TRIES_MAX) throw new Error(`reservePorts: no free port found in ${PORT_LOW}-${high} after ${TRIES_MAX} tries`);
    const port = PORT_LOW + Math.floor(random() * (high - PORT_LOW));
    if (ports.includes(port) || avoid.has(port) || fetchBlocks(port)) continue;
    if (await portFree(port)) ports.push(port);
  }
  return ports;
}
