// cluster/ports.ts — pick free 127.0.0.1 ports below the kernel's ephemeral range.
//
// Node ports must survive restarts: a killed node comes back on the same ports. Ports from
// the ephemeral range can be taken meanwhile as the source port of any outgoing connection,
// so ports are drawn below it and checked by binding.
import * as fs from 'node:fs';
import * as net from 'node:net';

const PORT_LOW = 10_000;
const TRIES_MAX = 200;

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

/** reservePorts returns `count` distinct ports that were free when checked. */
export async function reservePorts(count: number, avoid: ReadonlySet<number> = new Set()): Promise<number[]> {
  if (!(Number.isSafeInteger(count) && count >= 0)) throw new Error(`reservePorts: bad count ${count}`);
  const high = ephemeralLow() - 1;
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= TRIES_MAX) throw new Error(`reservePorts: no free port found in ${PORT_LOW}-${high} after ${TRIES_MAX} tries`);
    const port = PORT_LOW + Math.floor(Math.random() * (high - PORT_LOW));
    if (ports.includes(port) || avoid.has(port)) continue;
    if (await portFree(port)) ports.push(port);
  }
  return ports;
}
